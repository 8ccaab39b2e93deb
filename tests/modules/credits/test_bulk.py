"""``bulk.people_hours`` (the ``hocvu_people_hours`` hook) must say, for every person of a
subtree, exactly what ``hours_for`` says: the requirement of the winning rule (pro rata,
ties), the credited periods after the rule's caps (used up by the earliest items), and
the periods counted per field and per type. A plain case, then random rules, caps and
ledgers checked against ``hours_for`` person by person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms_core import people, units
from lms_core.catalog import activity_iri, upsert_activity
from lms_core.db import make_session_factory
from modules.credits import bulk
from modules.credits.hours import hours_for
from modules.credits.models import Credit, RequirementRule, RuleCap
from tests.conftest import clear_tables

SITE = "https://hocvu.test"
YEAR = 2026
TYPES = ["course", "quiz", "checklist", "class", "package", "external"]
FIELDS = ["tai-chinh", "xay-dung", None]


@dataclass
class Setting:
    """A small province: two communes, a village under the first, two positions, and one
    activity per (type, field)."""

    session: Session
    province: Any
    communes: list[Any]
    positions: list[Any]
    activities: dict[tuple[str, str | None], Any]


def make_setting(session: Session) -> Setting:
    people.upsert_field(session, "tai-chinh", "Tài chính")
    people.upsert_field(session, "xay-dung", "Xây dựng")
    province = units.create_unit(session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
    a = units.create_unit(session, code="X1", name="Xã Ia Grai", kind="commune", parent=province)
    b = units.create_unit(session, code="X2", name="Phường Quy Nhơn", kind="commune", parent=province)
    village = units.create_unit(session, code="X1-T", name="Tổ 1", kind="commune", parent=a)
    positions = [
        people.save_position(session, code="KT", name="Kế toán", field_code="tai-chinh"),
        people.save_position(session, code="XD", name="Xây dựng", field_code="xay-dung"),
    ]
    activities = {}
    for kind in TYPES:
        for field_code in FIELDS:
            slug = f"{kind}-{field_code or 'none'}"
            activities[(kind, field_code)] = upsert_activity(
                session,
                iri=activity_iri(SITE, kind, slug),
                type=kind,
                title=f"Hoạt động {slug}",
                periods=4,
                field_code=field_code,
                module="courses",
            )
    session.flush()
    return Setting(session, province, [a, b, village], positions, activities)


def add_person(setting: Setting, code: str, unit: Any, **data: Any) -> Any:
    return people.create_person(
        setting.session,
        {"staff_code": code, "full_name": f"Cán bộ {code}", "category": "cong_chuc", "unit_id": unit.id} | data,
    )


def add_credit(setting: Setting, person: Any, kind: str, field_code: str | None, periods: int, at: datetime) -> None:
    activity = setting.activities[(kind, field_code)]
    setting.session.add(
        Credit(
            person_id=person.id,
            year=YEAR,
            activity_id=activity.id,
            statement_id=f"s-{person.id}-{activity.id}",
            earned_at=at,
            version=1,
            periods=periods,
            field_code=field_code,
            activity_type=kind,
        )
    )


def expected(session: Session, person: Any) -> dict[str, Any]:
    """What ``hours_for`` says, in the hook's shape."""
    hours = hours_for(session, person, YEAR)
    return {
        "person_id": person.id,
        "required": hours["required"],
        "credited": hours["credited"],
        "by_field": {row["field"] or "": row["periods"] for row in hours["by_field"]},
        "by_type": {row["type"]: row["periods"] for row in hours["by_source"]},
        "activity_ids": sorted(item["activity_id"] for item in hours["items"]),
        "rule_name": hours["rule"]["name"] if hours["rule"] else None,
    }


def actual(session: Session, unit: Any) -> list[dict[str, Any]]:
    keys = ("person_id", "required", "credited", "by_field", "by_type", "activity_ids", "rule_name")
    return [
        {k: sorted(row[k]) if k == "activity_ids" else row[k] for k in keys}
        for row in bulk.people_hours(session, unit, YEAR)
    ]


@pytest.fixture
def setting(db_session: Session) -> Setting:
    return make_setting(db_session)


def test_people_of_the_subtree_with_caps_pro_rata_and_order(setting: Setting) -> None:
    s = setting
    mai = add_person(s, "B2", s.communes[0], position_id=s.positions[0].id)
    hung = add_person(s, "B1", s.communes[0], start_date=date(YEAR, 7, 15))
    village = add_person(s, "A9", s.communes[2], category="can_bo", is_leader=True)
    other = add_person(s, "A1", s.communes[1])
    rule = RequirementRule(year=YEAR, name="Xã Ia Grai", periods=44, unit=s.communes[0], pro_rata=True)
    rule.caps = [RuleCap(kind="online", value=None, max_periods=6)]
    s.session.add(rule)
    s.session.add(RequirementRule(year=YEAR, name="Lãnh đạo", periods=56, category="can_bo", is_leader=True))
    start = datetime(YEAR, 2, 1, tzinfo=UTC)
    add_credit(s, mai, "course", "tai-chinh", 4, start)
    add_credit(s, mai, "package", None, 4, start + timedelta(days=1))  # only 2 of 4 count: the cap
    add_credit(s, mai, "checklist", "xay-dung", 3, start + timedelta(days=2))
    add_credit(s, other, "course", "tai-chinh", 8, start)
    s.session.add(
        Credit(
            person_id=mai.id,
            year=YEAR - 1,
            activity_id=s.activities[("class", None)].id,
            statement_id="old",
            earned_at=start - timedelta(days=365),
            version=1,
            periods=9,
            field_code=None,
            activity_type="class",
        )
    )
    s.session.commit()

    rows = list(bulk.people_hours(s.session, s.communes[0], YEAR, default_periods=40))
    assert [r["staff_code"] for r in rows] == ["B1", "B2", "A9"]  # unit path, then staff code
    by_code = {r["staff_code"]: r for r in rows}
    assert by_code["B2"]["credited"] == 9 and by_code["B2"]["required"] == 44
    assert by_code["B2"]["by_field"] == {"tai-chinh": 4, "": 2, "xay-dung": 3}
    assert by_code["B2"]["by_type"] == {"course": 4, "package": 2, "checklist": 3}
    assert by_code["B2"]["field_code"] == "tai-chinh" and by_code["B2"]["position_code"] == "KT"
    assert by_code["B1"]["required"] == 22  # 44 × 6/12 months from July
    assert by_code["B1"]["credited"] == 0 and by_code["B1"]["activity_ids"] == []
    assert by_code["A9"]["rule_name"] == "Lãnh đạo" and by_code["A9"]["required"] == 56
    assert by_code["A9"]["unit_code"] == "X1-T"
    whole = sorted(actual(s.session, s.province), key=lambda r: r["person_id"])
    assert whole == [expected(s.session, p) for p in sorted((mai, hung, village, other), key=lambda p: p.id)]


# --- random rules, caps and ledgers -------------------------------------------------------------


caps = st.lists(
    st.tuples(
        st.sampled_from(["online", "field", "type"]),
        st.sampled_from(["tai-chinh", "xay-dung", *TYPES]),
        st.integers(0, 12),
    ),
    max_size=3,
)
rules = st.lists(
    st.fixed_dictionaries(
        {
            "periods": st.integers(0, 60),
            "category": st.sampled_from([None, None, "cong_chuc", "can_bo"]),
            "position": st.sampled_from([None, None, 0, 1]),
            "unit": st.sampled_from([None, None, 0, 1, 2]),
            "leader": st.sampled_from([None, None, True, False]),
            "pro_rata": st.booleans(),
            "caps": caps,
        }
    ),
    max_size=4,
)
persons = st.lists(
    st.fixed_dictionaries(
        {
            "unit": st.integers(0, 2),
            "category": st.sampled_from(["cong_chuc", "can_bo", "vien_chuc"]),
            "position": st.sampled_from([None, 0, 1]),
            "leader": st.booleans(),
            "start": st.sampled_from(
                [None, date(2015, 3, 1), date(YEAR, 1, 1), date(YEAR, 5, 20), date(YEAR + 1, 1, 1)]
            ),
            "credits": st.lists(
                st.tuples(st.sampled_from(TYPES), st.sampled_from(FIELDS), st.integers(1, 9), st.integers(0, 5)),
                max_size=6,
                unique_by=lambda c: (c[0], c[1]),
            ),
        }
    ),
    min_size=1,
    max_size=6,
)


def _session(engine: Engine) -> Iterator[Session]:
    clear_tables(engine)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        clear_tables(engine)


def add_rule(session: Session, s: Any, n: int, data: dict[str, Any]) -> None:
    """A rule from the ``rules`` strategy's data (caps made valid and unique)."""
    rule = RequirementRule(
        year=YEAR,
        name=f"Quy định {n}",
        periods=data["periods"],
        category=data["category"],
        position=s.positions[data["position"]] if data["position"] is not None else None,
        unit=s.communes[data["unit"]] if data["unit"] is not None else None,
        is_leader=data["leader"],
        pro_rata=data["pro_rata"],
    )
    seen = set()
    for kind, value, limit in data["caps"]:
        value = None if kind == "online" else value
        if kind == "field" and value not in ("tai-chinh", "xay-dung"):
            value = "tai-chinh"
        if kind == "type" and value not in TYPES:
            value = "course"
        if (kind, value) not in seen:
            seen.add((kind, value))
            rule.caps.append(RuleCap(kind=kind, value=value, max_periods=limit))
    session.add(rule)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule_data=rules, person_data=persons)
def test_bulk_equals_hours_for(
    engine: Engine, rule_data: list[dict[str, Any]], person_data: list[dict[str, Any]]
) -> None:
    for session in _session(engine):
        s = make_setting(session)
        for n, data in enumerate(rule_data):
            add_rule(session, s, n, data)
        created = []
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
                # Same day for several credits: the activity id breaks the tie, as in hours_for.
                add_credit(s, person, kind, field_code, periods, base + timedelta(days=day))
            created.append(person)
        session.commit()
        got = {row["person_id"]: row for row in actual(session, s.province)}
        assert set(got) == {p.id for p in created}
        for person in created:
            assert got[person.id] == expected(session, person), person.staff_code
        # A commune's report holds its own people (and the village's under Xã Ia Grai) only.
        commune = {row["person_id"] for row in actual(session, s.communes[1])}
        assert commune == {p.id for p, d in zip(created, person_data, strict=True) if d["unit"] == 1}
