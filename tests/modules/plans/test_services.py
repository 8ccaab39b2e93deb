"""Plans, lines and records headless: a record must name a line of an approved plan of
the person's unit or a unit above it; who sees and edits which plan; actual progress
from credits (through a fake people-hours answer) and from the records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms_core.demo import DemoData
from lms_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from modules.plans import records, report, services
from tests.modules.plans.conftest import FakeHours, hours_row
from tests.modules.plans.helpers import CLASS_LINE, MASTER_LINE, approved_plan, degree, degree_data

SHARE_ANY = {
    "kind": "share",
    "title": "100% công chức cấp xã được bồi dưỡng",
    "target": 100,
    "measure": "any_credit",
    "category": "cong_chuc",
    "unit_kind": "commune",
}
SHARE_MET = SHARE_ANY | {"title": "100% công chức cấp xã đạt số tiết", "measure": "requirement"}


def nomination_data(person: Any, line: Any, **changes: Any) -> dict[str, Any]:
    return {
        "person_id": person.id,
        "line_id": line.id if line is not None else None,
        "title": "Bồi dưỡng kiến thức đấu thầu",
        "institution": "Sở Tài chính",
        "mode": "tap_trung",
        "start_date": date(2026, 3, 9),
        "end_date": date(2026, 3, 13),
    } | changes


def fields(error: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {e.field for e in error.value.errors}


def test_a_nomination_must_name_a_line_of_an_approved_plan_of_the_persons_unit_or_above(
    db_session: Session, core: DemoData
) -> None:
    hr, ward_hr = core.accounts["demo.hr"], core.accounts["demo.hr.quynhon"]
    mai = core.people["GL-00001"]  # Xã Ia Grai
    _, [province_class, master] = approved_plan(db_session, hr, core.units["GL"], [CLASS_LINE, MASTER_LINE])
    # Phường Quy Nhơn's own plan: not a plan of Ia Grai or above it.
    _, [ward_class] = approved_plan(db_session, ward_hr, core.units["GL-P-QUYNHON"], [CLASS_LINE])

    with pytest.raises(ValidationFailed) as no_line:
        records.create_nomination(db_session, hr, nomination_data(mai, None, title=""))
    assert fields(no_line) == {"line_id", "title"}  # every field at once
    assert "ngoài kế hoạch" in no_line.value.errors[0].message

    with pytest.raises(ValidationFailed) as other_unit:
        records.create_nomination(db_session, hr, nomination_data(mai, ward_class))
    assert fields(other_unit) == {"line_id"}
    with pytest.raises(ValidationFailed) as other_year:
        records.create_nomination(
            db_session, hr, nomination_data(mai, province_class, start_date=date(2027, 1, 4), end_date=date(2027, 1, 8))
        )
    assert fields(other_year) == {"line_id"}
    with pytest.raises(ValidationFailed) as degree_line:
        records.create_nomination(db_session, hr, nomination_data(mai, master))
    assert fields(degree_line) == {"line_id"}

    item = records.create_nomination(db_session, hr, nomination_data(mai, province_class))
    db_session.commit()
    assert item.line.plan.unit.code == "GL"
    # The ward's people may name the ward's plan and the province's.
    ward_person = core.people["GL-00005"]
    records.create_nomination(db_session, ward_hr, nomination_data(ward_person, ward_class))
    records.create_nomination(db_session, ward_hr, nomination_data(ward_person, province_class))
    # But the ward's HR cannot nominate someone of Ia Grai.
    with pytest.raises(ValidationFailed) as outside:
        records.create_nomination(db_session, ward_hr, nomination_data(mai, province_class))
    assert fields(outside) == {"person_id"}


def test_a_degree_record_names_an_approved_line_of_its_level(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    person = core.people["GL-00132"]
    draft = services.create_plan(
        db_session, hr, {"year": 2026, "unit_id": core.units["GL-SNV"].id, "title": "Dự thảo của Sở Nội vụ"}
    )
    draft_line = services.add_line(db_session, hr, draft, MASTER_LINE)
    _, [master, class_line] = approved_plan(db_session, hr, core.units["GL"], [MASTER_LINE, CLASS_LINE])

    with pytest.raises(ValidationFailed) as in_draft:
        records.create_degree(db_session, hr, degree_data(person, draft_line))
    assert fields(in_draft) == {"line_id"}
    with pytest.raises(ValidationFailed) as wrong_kind:
        records.create_degree(db_session, hr, degree_data(person, class_line))
    assert fields(wrong_kind) == {"line_id"}
    with pytest.raises(ValidationFailed) as wrong_level:
        records.create_degree(db_session, hr, degree_data(person, master, level="tien_si"))
    assert fields(wrong_level) == {"line_id"}
    with pytest.raises(ValidationFailed) as bad:
        records.create_degree(
            db_session, hr, degree_data(person, master, cost_vnd=1.5, funding="vay", institution="", end_date="x")
        )
    assert fields(bad) == {"cost_vnd", "funding", "institution", "end_date"}
    assert degree(db_session, hr, person, master).line_id == master.id


def test_ward_hr_sees_the_province_plan_as_targets_only_and_cannot_change_it(
    db_session: Session, core: DemoData
) -> None:
    hr, ward_hr = core.accounts["demo.hr"], core.accounts["demo.hr.quynhon"]
    plan, [line] = approved_plan(db_session, hr, core.units["GL"], [CLASS_LINE])
    department_plan = services.create_plan(
        db_session, hr, {"year": 2026, "unit_id": core.units["GL-SNV"].id, "title": "Kế hoạch của Sở Nội vụ"}
    )
    db_session.commit()

    assert [p.id for p in services.list_plans(db_session, ward_hr)] == [plan.id]  # not the Sở's
    assert services.get_plan(db_session, ward_hr, plan.id) is plan
    assert not services.can_edit(ward_hr, plan) and services.can_edit(hr, plan)
    with pytest.raises(NotFound):
        services.get_plan(db_session, ward_hr, department_plan.id)
    with pytest.raises(PermissionDenied):
        services.get_editable_plan(db_session, ward_hr, plan.id)  # the figures cover other units
    with pytest.raises(PermissionDenied):
        services.record_actual(db_session, ward_hr, line, {"actual_classes": 3})
    with pytest.raises(PermissionDenied):
        services.update_plan(db_session, ward_hr, plan, {"title": "x", "year": 2026, "unit_id": plan.unit_id})
    with pytest.raises(ValidationFailed) as outside:
        services.create_plan(db_session, ward_hr, {"year": 2026, "unit_id": core.units["GL-X-IAGRAI"].id, "title": "x"})
    assert fields(outside) == {"unit_id"}
    # An approved plan's targets are fixed; HR still enters the actual figures.
    with pytest.raises(Conflict):
        services.update_line(db_session, hr, line, CLASS_LINE | {"target": 7})
    services.record_actual(db_session, hr, line, {"actual_classes": "3", "actual_people": "170"})
    assert (line.actual_classes, line.actual_people) == (3, 170)
    # One plan per unit and year.
    with pytest.raises(ValidationFailed) as twice:
        services.create_plan(db_session, hr, {"year": 2026, "unit_id": core.units["GL"].id, "title": "Lần hai"})
    assert fields(twice) == {"year"}


def test_approving_needs_the_decision_and_a_line(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    plan = services.create_plan(db_session, hr, {"year": 2026, "unit_id": core.units["GL"].id, "title": "Kế hoạch"})
    with pytest.raises(ValidationFailed) as refused:
        services.approve_plan(db_session, hr, plan)
    assert fields(refused) == {"decision_number", "decision_date", "lines"}


def test_line_fields_are_checked_by_kind(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    plan = services.create_plan(db_session, hr, {"year": 2026, "unit_id": core.units["GL"].id, "title": "Kế hoạch"})
    with pytest.raises(ValidationFailed) as share:
        services.add_line(db_session, hr, plan, SHARE_ANY | {"target": 120, "measure": "sent", "category": "x"})
    assert fields(share) == {"target", "measure", "category"}
    with pytest.raises(ValidationFailed) as klass:
        services.add_line(db_session, hr, plan, CLASS_LINE | {"field_code": "nope", "class_size": 0})
    assert fields(klass) == {"field_code", "class_size"}
    budget = services.add_line(
        db_session, hr, plan, {"kind": "budget", "title": "Kinh phí", "planned_vnd": "2.000.000.000"}
    )
    assert budget.planned_vnd == 2_000_000_000 and budget.category is None


def test_share_targets_are_computed_from_credited_periods(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    plan, lines = approved_plan(
        db_session, hr, core.units["GL"], [SHARE_ANY, SHARE_MET, CLASS_LINE | {"measure": "credits"}]
    )
    commune_staff = [
        p for p in core.people.values() if p.category == "cong_chuc" and p.unit.kind == "commune" and p.active
    ]
    assert len(commune_staff) >= 10
    rows = []
    for n, person in enumerate(sorted(commune_staff, key=lambda p: p.staff_code)):
        # First four: 40 of 40 periods (two in finance); next three: 8 periods; the rest none.
        credited = 40 if n < 4 else 8 if n < 7 else 0
        rows.append(
            hours_row(person, credited=credited, by_field={"tai-chinh": 4} if n < 2 else {"van-phong": credited})
        )
    # People outside the population count for nothing: the hospital, Sở Nội vụ, leaders (cán bộ).
    others = [p for p in core.people.values() if p not in commune_staff]
    rows += [hours_row(p, credited=40, by_field={"tai-chinh": 40}) for p in others]
    fake = FakeHours(rows)

    result = report.plan_report(db_session, plan, people_hours=fake, translate=str, field_names={})
    assert fake.calls == 1  # one pass for every line
    any_credit, met, classes, trained = result.rows
    total = len(commune_staff)
    assert (any_credit.actual, any_credit.detail) == (report.percent(7, total), f"7/{total} người")
    assert (met.actual, met.detail, met.source) == (report.percent(4, total), f"4/{total} người", "computed")
    assert met.achieved == report.percent(report.percent(4, total), 100)
    assert (classes.number, classes.actual, classes.source) == ("3.1", None, "missing")
    assert (trained.number, trained.target, trained.actual, trained.source) == ("3.2", 360, 2, "computed")
    assert result.people == len(rows)

    unavailable = report.plan_report(db_session, plan, people_hours=lambda u, y: None, translate=str, field_names={})
    assert unavailable.rows[0].actual is None and unavailable.rows[0].source == "unavailable"


def test_count_targets_count_the_records_naming_them(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    completed = MASTER_LINE | {"title": "Thạc sĩ đã tốt nghiệp", "measure": "completed"}
    manual = {"kind": "count", "title": "Bồi dưỡng ở nước ngoài", "programme": "boi_duong_nuoc_ngoai", "target": 3}
    budget = {"kind": "budget", "title": "Kinh phí", "planned_vnd": 3_000_000_000}
    plan, [sent, done, abroad, money] = approved_plan(
        db_session, hr, core.units["GL"], [MASTER_LINE, completed, manual | {"measure": "manual"}, budget]
    )
    degree(db_session, hr, core.people["GL-00132"], sent)
    degree(db_session, hr, core.people["GL-00133"], sent, status="bo_hoc")
    degree(db_session, hr, core.people["GL-00134"], done, status="hoan_thanh")
    degree(db_session, hr, core.people["GL-00135"], done, status="dang_hoc")
    services.record_actual(db_session, hr, abroad, {"actual_count": 2})
    services.record_actual(db_session, hr, money, {"spent_vnd": "1.250.000.000"})
    result = report.plan_report(db_session, plan, people_hours=None, translate=str, field_names={})
    assert [(r.actual, r.source) for r in result.rows] == [
        (2, "computed"),
        (1, "computed"),
        (2, "manual"),
        (1_250_000_000, "manual"),
    ]
    assert result.rows[0].achieved == report.percent(2, 97)
    assert (result.planned_vnd, result.spent_vnd) == (3_000_000_000, 1_250_000_000)
    with pytest.raises(Conflict):
        services.delete_line(db_session, hr, sent)  # approved, and records name it
