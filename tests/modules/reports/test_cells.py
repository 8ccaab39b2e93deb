"""The summary from ``bulk.unit_cells`` (the ``hocvu_unit_hours`` hook, summed in SQL)
must equal the summary folded from ``bulk.people_hours`` person by person: every total
per unit, position, field and category, the distribution and the periods per field, for
random rules (pro rata, caps that overlap or not), ledgers, people without credits and
the reports' filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from modules.credits import bulk
from modules.credits.models import RequirementRule, RuleCap
from modules.reports import services
from tests.modules.credits.test_bulk import (
    YEAR,
    _session,
    add_credit,
    add_person,
    add_rule,
    make_setting,
    persons,
    rules,
)


def figures(summary: services.Summary) -> dict[str, Any]:
    return {
        "total": summary.total.as_dict(),
        "units": [u.as_dict() for u in summary.units],
        "positions": [p.as_dict() for p in summary.positions],
        "fields": [f.as_dict() for f in summary.fields],
        "categories": [c.as_dict() for c in summary.categories],
        "distribution": summary.distribution,
        "periods_by_field": summary.periods_by_field,
    }


def both(session: Session, filters: services.Filters) -> tuple[dict[str, Any], dict[str, Any]]:
    """(from the cells, from folding the people) for ``filters``."""

    def people_hours(s: Session, unit: Any, year: int) -> Any:
        return bulk.people_hours(s, unit, year)

    def unit_hours(s: Session, unit: Any, year: int, field: str | None, category: str | None) -> Any:
        return bulk.unit_cells(s, unit, year, field=field, category=category)

    folded = services.summarise(session, filters, services.people(session, filters, people_hours), str)
    return figures(services.summary(session, filters, unit_hours, str)), figures(folded)


def test_the_bins_are_the_reports_bins() -> None:
    assert bulk.SHARE_BINS == tuple(low for low, _ in services.BINS)
    for required in range(0, 13):
        for credited in range(0, 30):
            assert bulk.share_bin(required, credited) == services._bin(required, credited)


def test_a_binding_online_cap_overlapping_caps_and_filters(engine: Engine) -> None:
    for session in _session(engine):
        s = make_setting(session)
        # Online cap in the first commune (binds for B1, whose later course loses periods),
        # overlapping online + field caps for leaders (counted exactly, in Python).
        rule = RequirementRule(year=YEAR, name="Xã", periods=20, unit=s.communes[0], pro_rata=True)
        rule.caps = [RuleCap(kind="online", value=None, max_periods=6)]
        leaders = RequirementRule(year=YEAR, name="Lãnh đạo", periods=30, category="can_bo", is_leader=True)
        leaders.caps = [
            RuleCap(kind="online", value=None, max_periods=5),
            RuleCap(kind="field", value="tai-chinh", max_periods=3),
        ]
        # Same number of conditions: the deeper unit wins over the rule created first.
        commune = RequirementRule(year=YEAR, name="Xã 2", periods=12, unit=s.communes[0], category="vien_chuc")
        village = RequirementRule(year=YEAR, name="Tổ", periods=9, unit=s.communes[2], category="vien_chuc")
        session.add_all([rule, leaders, commune, village])
        b1 = add_person(s, "B1", s.communes[0], position_id=s.positions[0].id, start_date=date(YEAR, 4, 2))
        b2 = add_person(s, "B2", s.communes[2], category="can_bo", is_leader=True)
        add_person(s, "B3", s.communes[1])  # no credits, the default requirement
        b4 = add_person(s, "B4", s.communes[2], category="vien_chuc")
        add_credit(s, b4, "class", None, 9, datetime(YEAR, 5, 1, tzinfo=UTC))  # the village's 9: on track
        start = datetime(YEAR, 2, 1, tzinfo=UTC)
        add_credit(s, b1, "course", None, 4, start)
        add_credit(s, b1, "quiz", "tai-chinh", 4, start + timedelta(days=1))  # 2 of 4 count
        add_credit(s, b1, "class", "xay-dung", 5, start + timedelta(days=2))
        add_credit(s, b2, "course", "tai-chinh", 4, start)
        add_credit(s, b2, "package", "xay-dung", 4, start + timedelta(days=1))
        session.commit()
        cells, folded = both(session, services.Filters(YEAR, s.province))
        assert cells == folded
        assert cells["total"]["credited"] == 11 + 5 + 9  # B1: 4 + 2 + 5; B2: 3 + 2 (online 5)
        assert cells["total"]["on_track"] == 1 and cells["total"]["required"] == 15 + 30 + 40 + 9
        assert {p["field"]: p["periods"] for p in cells["periods_by_field"]} == {
            "": 13,
            "tai-chinh": 5,
            "xay-dung": 7,
        }
        for field in (None, "", "tai-chinh", "xay-dung"):
            for category in (None, "cong_chuc", "can_bo"):
                for unit in (s.province, *s.communes):
                    cells, folded = both(session, services.Filters(YEAR, unit, field, category))
                    assert cells == folded, (unit.code, field, category)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rule_data=rules,
    person_data=persons,
    field=st.sampled_from([None, None, "", "tai-chinh", "xay-dung"]),
    category=st.sampled_from([None, None, "cong_chuc", "can_bo", "vien_chuc"]),
)
def test_cells_equal_folding_the_people(
    engine: Engine,
    rule_data: list[dict[str, Any]],
    person_data: list[dict[str, Any]],
    field: str | None,
    category: str | None,
) -> None:
    for session in _session(engine):
        s = make_setting(session)
        for n, data in enumerate(rule_data):
            add_rule(session, s, n, data)
        for n, data in enumerate(person_data):
            person = add_person(
                s,
                f"P{n}",
                s.communes[data["unit"]],
                category=data["category"],
                position_id=s.positions[data["position"]].id if data["position"] is not None else None,
                is_leader=data["leader"],
                start_date=data["start"],
            )
            base = datetime(YEAR, 3, 1, tzinfo=UTC)
            for kind, field_code, periods, day in data["credits"]:
                add_credit(s, person, kind, field_code, periods, base + timedelta(days=day))
        session.commit()
        for unit in (s.province, s.communes[0]):
            cells, folded = both(session, services.Filters(YEAR, unit, field, category))
            assert cells == folded
