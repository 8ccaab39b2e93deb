"""Everyone's hours of a year at once, for reports over a whole province.

``people_hours`` answers the ``hocvu_people_hours`` hook (see its docstring in
``lms_core.plugins.hookspecs``): one dict per person of a unit subtree, with the same
``required`` as ``requirements.requirement_for`` and the same ``credited`` as
``hours.hours_for``, streamed so that 100,000 people pass in flat memory.

How it stays fast: one SQL statement joins the people of the subtree to an aggregate of
the year's ledger grouped by person, with one summed column per activity type and per
field, so most people cost one row and no Python loop over their credits. A rule's caps
change nothing while, for every cap, the periods it applies to add up to at most its
maximum (each earlier item then leaves enough allowance for the next); only the people
for whom some cap can bind have their ledger rows fetched, in earning order, and counted
exactly with ``requirements.counted_periods``. The rules of the year are few: the winning
rule is chosen in Python with ``requirements.choose_rule``, once per distinct (category,
position, leader, unit) — thousands of people share each answer.

Headless: session in, plain dicts out; reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from lms_core.catalog import ActivityType
from lms_core.people import Field, Person, Position
from lms_core.units import Unit, subtree_filter
from modules.credits.models import Credit, RequirementRule, RuleCap
from modules.credits.requirements import (
    DEFAULT_PERIODS,
    ONLINE_TYPES,
    choose_rule,
    counted_periods,
    remaining_months,
    rules_for_year,
)

# Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
CHUNK = 2000
TYPES = tuple(t.value for t in ActivityType)


@dataclass(frozen=True)
class _UnitProbe:
    path: str


@dataclass(frozen=True)
class _PersonProbe:
    """What ``requirements.matches`` reads of a person, without loading the ORM row."""

    category: str
    position_id: int | None
    is_leader: bool
    unit: _UnitProbe


@dataclass(frozen=True)
class _CapCheck:
    """A cap and the summed columns (indexes into the row) of the periods it applies to."""

    max_periods: int
    columns: tuple[int, ...]


def _cap_columns(cap: RuleCap, type_col: dict[str, int], field_col: dict[str | None, int]) -> tuple[int, ...]:
    if cap.kind == "online":
        return tuple(type_col[t] for t in TYPES if t in ONLINE_TYPES)
    if cap.kind == "field":
        return (field_col[cap.value],) if cap.value in field_col else ()
    return (type_col[cap.value],) if cap.value in type_col else ()


def people_hours(
    session: Session, unit: Unit, year: int, *, default_periods: int = DEFAULT_PERIODS
) -> Iterator[dict[str, Any]]:
    """Every person of ``unit`` and below with their requirement and credited periods for
    ``year``, ordered by unit path then staff code, lazily (the hook's contract, which
    says what each dict holds). Called through the ``hocvu_people_hours`` hook by the
    reports and plans modules and the certificates zip. The caller must not commit or
    roll back the session before the iterator is exhausted (PostgreSQL streams the rows
    through a server-side cursor inside the transaction)."""
    rules = rules_for_year(session, year)
    field_codes = sorted(session.scalars(select(Field.code)).all())
    ledger = _ledger_aggregate(session, unit, year, field_codes)
    # Row positions: 15 people columns, then the ledger's person_id, raw total, activity
    # ids, one column per type and one per field (the last: no field).
    type_col = {t: 18 + i for i, t in enumerate(TYPES)}
    field_col: dict[str | None, int] = {code: 18 + len(TYPES) + i for i, code in enumerate(field_codes)}
    field_col[None] = 18 + len(TYPES) + len(field_codes)
    field_keys = [(code or "", col) for code, col in field_col.items()]
    type_keys = list(type_col.items())
    checks = {
        rule.id: [_CapCheck(cap.max_periods, _cap_columns(cap, type_col, field_col)) for cap in rule.caps]
        for rule in rules
    }

    query = (
        select(
            Person.id,
            Person.staff_code,
            Person.full_name,
            Person.category,
            Person.is_leader,
            Person.active,
            Person.start_date,
            Person.position_id,
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.path,
            Position.code,
            Position.name,
            Position.field_code,
            *ledger.c,
        )
        .join(Unit, Unit.id == Person.unit_id)
        .outerjoin(Position, Position.id == Person.position_id)
        .outerjoin(ledger, ledger.c.person_id == Person.id)
        .where(subtree_filter(unit.path))
        .order_by(Unit.path, Person.staff_code)
        .execution_options(yield_per=CHUNK)
    )
    chosen: dict[tuple[str, int | None, bool, str], RequirementRule | None] = {}
    result = session.execute(query)
    try:
        for rows in result.partitions(CHUNK):
            people: list[dict[str, Any]] = []
            exact: dict[int, tuple[dict[str, Any], RequirementRule]] = {}
            for row in rows:
                (pid, staff, name, category, leader, active, start, position_id) = row[:8]
                (unit_id, unit_code, unit_name, unit_path, position_code, position_name, position_field) = row[8:15]
                key = (category, position_id, bool(leader), unit_path)
                if key not in chosen:
                    probe = _PersonProbe(category, position_id, bool(leader), _UnitProbe(unit_path))
                    chosen[key] = choose_rule(rules, probe)[0]  # type: ignore[arg-type]
                rule = chosen[key]
                item: dict[str, Any] = {
                    "person_id": pid,
                    "staff_code": staff,
                    "name": name,
                    "category": category,
                    "is_leader": bool(leader),
                    "active": bool(active),
                    "unit_id": unit_id,
                    "unit_code": unit_code,
                    "unit_name": unit_name,
                    "unit_path": unit_path,
                    "position_id": position_id,
                    "position_code": position_code,
                    "position_name": position_name,
                    "field_code": position_field,
                    "start_date": start,
                    "required": _required(rule, start, year, default_periods),
                    "rule_name": rule.name if rule is not None else None,
                }
                if row[15] is None:  # no credit in the year
                    item |= {"credited": 0, "by_field": {}, "by_type": {}, "activity_ids": []}
                else:
                    raw = row[16]
                    ids = row[17]
                    item["activity_ids"] = ids if isinstance(ids, list) else [int(a) for a in str(ids).split(",")]
                    by_type = {t: row[c] for t, c in type_keys if row[c]}
                    by_field = {code: row[c] for code, c in field_keys if row[c]}
                    complete = sum(by_type.values()) == raw and sum(by_field.values()) == raw
                    can_bind = rule is not None and any(
                        sum(row[c] for c in check.columns) > check.max_periods for check in checks[rule.id]
                    )
                    if complete and not can_bind:
                        item |= {"credited": raw, "by_field": by_field, "by_type": by_type}
                    else:
                        # A cap can bind, or a type or field this query did not sum: count exactly.
                        exact[pid] = (item, rule) if rule is not None else (item, _NO_RULE)
                people.append(item)
            if exact:
                _count_exactly(session, year, exact)
            yield from people
    finally:
        result.close()


class _NoRule:
    """Stands in for "no rule applies" in the exact path: no caps."""

    caps: Sequence[RuleCap] = ()


_NO_RULE: Any = _NoRule()


def _required(rule: RequirementRule | None, start: date | None, year: int, default_periods: int) -> int:
    """``requirement_for``'s periods: the rule's, pro rata for a start in the year (rounded up)."""
    if rule is None:
        return default_periods
    months = remaining_months(start, year) if rule.pro_rata else None
    return rule.periods if months is None else -(-rule.periods * months // 12)


def _ids(session: Session) -> Any:
    """The credited activity ids of a person: an integer array on PostgreSQL (no parsing
    in Python), a comma-separated string elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return func.array_agg(Credit.activity_id)
    return func.aggregate_strings(cast(Credit.activity_id, String()), ",")


def _ledger_aggregate(session: Session, unit: Unit, year: int, field_codes: Sequence[str]) -> Any:
    """The year's ledger of the subtree's people, one row per person: a marker, the raw
    total, the credited activity ids (comma-separated) and the raw periods per activity
    type and per field (the last one: no field)."""
    in_subtree = (
        select(Person.id).join(Unit, Unit.id == Person.unit_id).where(subtree_filter(unit.path)).correlate(None)
    )

    def summed(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, Credit.periods), else_=0)), 0)

    return (
        select(
            Credit.person_id.label("person_id"),
            func.sum(Credit.periods).label("raw"),
            _ids(session).label("ids"),
            *(summed(Credit.activity_type == t).label(f"t_{i}") for i, t in enumerate(TYPES)),
            *(summed(Credit.field_code == code).label(f"f_{i}") for i, code in enumerate(field_codes)),
            summed(Credit.field_code.is_(None)).label("f_none"),
        )
        .where(Credit.year == year, Credit.person_id.in_(in_subtree))
        .group_by(Credit.person_id)
        .subquery("ledger")
    )


def _count_exactly(session: Session, year: int, people: dict[int, tuple[dict[str, Any], Any]]) -> None:
    """Fill ``credited``, ``by_field`` and ``by_type`` of ``people`` (person id -> (dict,
    rule)) from their ledger rows in earning order, as ``hours_for`` counts them."""
    items: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    rows = session.execute(
        select(Credit.person_id, Credit.periods, Credit.activity_type, Credit.field_code)
        .where(Credit.year == year, Credit.person_id.in_(list(people)))
        .order_by(Credit.person_id, Credit.earned_at, Credit.activity_id)
    )
    for person_id, periods, kind, field_code in rows:
        items[person_id].append((periods, kind, field_code))
    for person_id, (item, rule) in people.items():
        credits = items[person_id]
        counted = counted_periods(credits, list(rule.caps))
        by_field: dict[str, int] = {}
        by_type: dict[str, int] = {}
        for (_, kind, field_code), value in zip(credits, counted, strict=True):
            by_field[field_code or ""] = by_field.get(field_code or "", 0) + value
            by_type[kind] = by_type.get(kind, 0) + value
        item |= {"credited": sum(counted), "by_field": by_field, "by_type": by_type}
