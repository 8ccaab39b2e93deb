"""Requirement rules: the most specific wins (ties explained), pro-rata for people who start
in the year, caps when summing, HR scope when managing them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from lms_core.accounts import Role, create_account, grant_role
from lms_core.audit import AuditEntry
from lms_core.errors import PermissionDenied, ValidationFailed
from modules.credits import requirements
from modules.credits.hours import hours_for
from modules.credits.models import RequirementRule
from tests.modules.credits.helpers import World


def hr(world: World, username: str, unit: Any) -> Any:
    account = create_account(world.session, username=username, password="mat-khau-hr-123")
    grant_role(world.session, account, Role.HR, unit)
    world.session.commit()
    return account


def rule(world: World, name: str, periods: int, **conditions: Any) -> RequirementRule:
    data = {"year": 2026, "name": name, "periods": periods} | conditions
    created = requirements.create_rule(world.session, hr(world, f"hr.{len(name)}.{periods}", world.province), data)
    world.session.commit()
    return created


def required(world: World, person: Any, year: int = 2026, **kwargs: Any) -> tuple[int, str]:
    requirement = requirements.requirement_for(world.session, person, year, **kwargs)
    return requirement.periods, requirement.explanation()


def test_without_a_rule_the_default_applies(world: World) -> None:
    mai = world.person("GL-1")
    assert required(world, mai) == (40, "40 tiết: mức mặc định (năm 2026 không có quy định nào áp dụng)")
    assert required(world, mai, default_periods=32)[0] == 32


def test_the_most_specific_rule_wins(world: World) -> None:
    commune_official = world.person("GL-1")
    commune_employee = world.person("GL-2", category="vien_chuc")
    ward_official = world.person("GL-3", unit=world.other)
    rule(world, "Toàn tỉnh 2026", 40, unit_id=world.province.id)
    rule(world, "Công chức 2026", 44, category="cong_chuc")
    rule(world, "Công chức cấp xã 2026", 48, category="cong_chuc", unit_id=world.commune.id)
    rule(world, "Năm khác", 99, year=2025, category="cong_chuc", unit_id=world.commune.id)
    assert required(world, commune_official) == (48, "48 tiết: quy định 'Công chức cấp xã 2026'")
    assert required(world, commune_employee) == (40, "40 tiết: quy định 'Toàn tỉnh 2026'")
    # One condition each: the rule on a unit is deeper in the tree than the one without.
    assert required(world, ward_official) == (40, "40 tiết: quy định 'Toàn tỉnh 2026'")
    assert required(world, commune_official, year=2025)[0] == 99


def test_a_deeper_unit_beats_a_shallower_one(world: World) -> None:
    mai = world.person("GL-1")
    rule(world, "Toàn tỉnh 2026", 40, unit_id=world.province.id)
    rule(world, "Xã Ia Grai 2026", 36, unit_id=world.commune.id)
    assert required(world, mai) == (36, "36 tiết: quy định 'Xã Ia Grai 2026'")


def test_a_tie_goes_to_the_rule_created_first_and_is_explained(world: World) -> None:
    mai = world.person("GL-1", position=world.position)
    rule(world, "Kế toán 2026", 44, position_id=world.position.id)
    rule(world, "Không lãnh đạo 2026", 50, is_leader=False)
    assert required(world, mai) == (
        44,
        "44 tiết: quy định 'Kế toán 2026'; "
        "cùng mức cụ thể với 'Không lãnh đạo 2026' nên áp dụng quy định được tạo trước",
    )


@pytest.mark.parametrize(
    ("start", "pro_rata", "expected"),
    [
        (date(2026, 7, 1), True, 20),  # July to December: 40 × 6 / 12
        (date(2026, 3, 15), True, 34),  # March to December: 40 × 10 / 12 = 33.3, rounded up
        (date(2026, 1, 1), True, 40),
        (date(2019, 8, 1), True, 40),  # started before the year
        (date(2027, 2, 1), True, 0),  # not there yet
        (None, True, 40),
        (date(2026, 7, 1), False, 40),
    ],
)
def test_pro_rata_for_people_who_start_in_the_year(world: World, start: Any, pro_rata: bool, expected: int) -> None:
    person = world.person("GL-1", start=start)
    rule(world, "Công chức 2026", 40, category="cong_chuc", pro_rata=pro_rata)
    assert required(world, person)[0] == expected


def test_pro_rata_is_explained(world: World) -> None:
    person = world.person("GL-1", start=date(2026, 7, 1))
    rule(world, "Công chức 2026", 40, category="cong_chuc", pro_rata=True)
    assert required(world, person)[1] == (
        "20 tiết: quy định 'Công chức 2026' (40 tiết × 6/12 tháng kể từ ngày bắt đầu 01/07/2026, làm tròn lên)"
    )


def test_caps_limit_what_counts_earliest_first(world: World) -> None:
    mai = world.person("GL-1")
    first = world.activity("mot", 4)
    second = world.activity("hai", 4)
    checklist = world.activity("kem-cap", 8, type="checklist", field="xay-dung")
    world.statement("GL-1", first, "2026-02-01T09:00:00+07:00")
    world.statement("GL-1", second, "2026-03-01T09:00:00+07:00")
    world.statement("GL-1", checklist, "2026-04-01T09:00:00+07:00")
    uncapped = hours_for(world.session, mai, 2026)
    assert uncapped["credited"] == 16
    rule(
        world,
        "Công chức 2026",
        40,
        category="cong_chuc",
        caps=[{"kind": "online", "max_periods": 6}, {"kind": "field", "value": "xay-dung", "max_periods": 5}],
    )
    hours = hours_for(world.session, mai, 2026)
    assert [(i["title"], i["periods"], i["counted"]) for i in hours["items"]] == [
        ("Hoạt động mot", 4, 4),
        ("Hoạt động hai", 4, 2),
        ("Hoạt động kem-cap", 8, 5),
    ]
    assert hours["credited"] == 11 and hours["required"] == 40 and hours["missing"] == 29
    assert {row["field"]: row["periods"] for row in hours["by_field"]} == {"tai-chinh": 6, "xay-dung": 5}
    assert {row["type"]: row["periods"] for row in hours["by_source"]} == {"course": 6, "checklist": 5}
    assert hours["caps"] == [
        "Tối đa 6 tiết học trực tuyến được tính",
        "Tối đa 5 tiết lĩnh vực Xây dựng được tính",
    ]


def test_hours_list_what_did_not_count_with_the_reason(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", 4)
    world.statement("GL-1", course, "2026-02-01T09:00:00+07:00")
    world.statement("GL-1", course, "2026-05-01T09:00:00+07:00")
    world.statement("GL-1", course, "2026-06-01T09:00:00+07:00", trusted=False)
    hours = hours_for(world.session, mai, 2026)
    assert {"required", "credited", "by_field", "items", "explanation", "not_counted"} <= set(hours)
    assert [(n["date"], n["reason"], n["message"]) for n in hours["not_counted"]] == [
        (
            "2026-05-01",
            "duplicate",
            "Hoạt động đã được ghi nhận trong năm (lần ngày 01/02/2026); mỗi hoạt động chỉ tính một lần.",
        ),
        ("2026-06-01", "untrusted", "Nguồn gửi kết quả không được phép ghi nhận số tiết."),
    ]
    assert hours_for(world.session, mai, 2025)["items"] == []


def test_a_rule_with_wrong_fields_lists_every_problem_and_writes_nothing(world: World) -> None:
    account = hr(world, "hr.tinh", world.province)
    with pytest.raises(ValidationFailed) as failed:
        requirements.create_rule(
            world.session,
            account,
            {
                "year": 1990,
                "name": " ",
                "periods": -1,
                "category": "boss",
                "unit_id": 987654,
                "position_id": 987654,
                "caps": [{"kind": "field", "value": "khong-co", "max_periods": 4}, {"kind": "moon", "max_periods": 1}],
            },
        )
    assert {e.field for e in failed.value.errors} == {
        "year",
        "name",
        "periods",
        "category",
        "unit_id",
        "position_id",
        "caps",
    }
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(RequirementRule)) == 0


def test_hr_manages_rules_within_their_scope(world: World) -> None:
    province_hr = hr(world, "hr.tinh", world.province)
    commune_hr = hr(world, "hr.xa", world.commune)
    with pytest.raises(PermissionDenied):
        requirements.create_rule(world.session, commune_hr, {"year": 2026, "name": "Toàn tỉnh", "periods": 40})
    world.session.rollback()
    with pytest.raises(PermissionDenied):
        requirements.create_rule(
            world.session, commune_hr, {"year": 2026, "name": "Phường khác", "periods": 40, "unit_id": world.other.id}
        )
    world.session.rollback()
    own = requirements.create_rule(
        world.session, commune_hr, {"year": 2026, "name": "Xã Ia Grai", "periods": 36, "unit_id": world.commune.id}
    )
    province = requirements.create_rule(world.session, province_hr, {"year": 2026, "name": "Toàn tỉnh", "periods": 40})
    world.session.commit()
    assert [r.name for r in requirements.list_rules(world.session, commune_hr, 2026)] == ["Xã Ia Grai", "Toàn tỉnh"]
    with pytest.raises(PermissionDenied):
        requirements.update_rule(world.session, commune_hr, province, {"periods": 20})
    world.session.rollback()
    with pytest.raises(PermissionDenied):  # may not move its own rule out of its scope
        requirements.update_rule(world.session, commune_hr, own, {"unit_id": world.other.id})
    world.session.rollback()
    requirements.update_rule(world.session, commune_hr, own, {"periods": 32})
    world.session.commit()
    actions = world.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "credits_rule").order_by(AuditEntry.id)
    ).all()
    assert actions == ["credits.rule_created", "credits.rule_created", "credits.rule_updated"]
