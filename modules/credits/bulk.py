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

``unit_cells`` answers the ``hocvu_unit_hours`` hook for the summary report: the same
figures summed in the database into cells (per unit, position, category and share band),
a few thousand rows for a province instead of 100,000 (see its docstring for how).

Headless: session in, plain dicts out; reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, literal_column, null, or_, select, text, true
from sqlalchemy.orm import Session

from lms_core.catalog import ActivityType
from lms_core.people import Field, Person, Position
from lms_core.units import Unit, subtree_filter
from modules.credits.models import Credit, RequirementRule, RuleCap
from modules.credits.requirements import (
    DEFAULT_PERIODS,
    ONLINE_TYPES,
    choose_rule,
    conditions,
    counted_periods,
    remaining_months,
    rules_for_year,
    unit_depth,
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
class _Cap:
    """A cap's kind and value, for ``_cap_condition``."""

    kind: str
    value: str | None


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


# --- the same figures, aggregated in SQL: cells for the summary report ------------------------

# Lower bounds (percent of the requirement credited) of the distribution's bins; the
# ``hocvu_unit_hours`` contract, equal to the reports module's ``BINS``.
SHARE_BINS = (0, 1, 25, 50, 75, 100)
CELL_KEYS = ("unit_id", "position_id", "field_code", "category", "bin")
CELL_SUMS = ("people", "required", "credited", "on_track", "shortfall")


def share_bin(required: int, credited: int) -> int:
    """The bin of ``SHARE_BINS`` a person falls in: share credited in whole percent,
    100 when nothing is required, at most 100."""
    percent = 100 if required <= 0 else min(100, credited * 100 // required)
    return max(i for i, low in enumerate(SHARE_BINS) if percent >= low)


def _n(value: int) -> Any:
    """An integer constant inlined in the SQL: typed as an integer by both engines (a bound
    parameter in a CASE whose branches are all parameters may come out as text)."""
    return literal_column(str(int(value)), Integer())


def caps_overlap(rule: RequirementRule) -> bool:
    """Whether one ledger item can fall under two of the rule's caps: then the caps share
    items and only ``counted_periods``, item by item, counts them right."""
    caps = list(rule.caps)
    for n, a in enumerate(caps):
        for b in caps[n + 1 :]:
            kinds = {a.kind, b.kind}
            if (a.kind, a.value) == (b.kind, b.value):
                return True
            if kinds == {"online", "type"}:
                type_value = a.value if a.kind == "type" else b.value
                if type_value in ONLINE_TYPES:
                    return True
            elif "field" in kinds and kinds != {"field"}:
                return True  # any activity type can be of any field
    return False


def _rule_condition(rule: RequirementRule) -> Any:
    """``requirements.matches`` as SQL over people joined with their unit."""
    parts: list[Any] = []
    if rule.category is not None:
        parts.append(Person.category == rule.category)
    if rule.position_id is not None:
        parts.append(Person.position_id == _n(rule.position_id))
    if rule.is_leader is not None:
        parts.append(Person.is_leader == rule.is_leader)
    if rule.unit is not None:
        parts.append(subtree_filter(rule.unit.path))
    return and_(true(), *parts)


def _cap_condition(cap: RuleCap | _Cap, ledger: Any) -> Any:
    """``requirements.cap_applies`` as SQL over a ledger row."""
    if cap.kind == "online":
        return ledger.c.activity_type.in_(sorted(ONLINE_TYPES))
    if cap.kind == "field":
        return ledger.c.field_code == cap.value
    return ledger.c.activity_type == cap.value


def _months(year: int) -> Any:
    """``remaining_months`` in SQL, with date comparisons only (no dialect's month function)."""
    start = Person.start_date
    whens = [(start >= date(year + 1, 1, 1), _n(0))]
    whens += [(start >= date(year, month, 1), _n(13 - month)) for month in range(12, 0, -1)]
    return case(*whens, else_=null())


def unit_cells(
    session: Session,
    unit: Unit,
    year: int,
    *,
    default_periods: int = DEFAULT_PERIODS,
    field: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """The figures of ``people_hours`` for ``unit`` and below, summed in the database (the
    ``hocvu_unit_hours`` contract, which says what the result holds): ``{"cells": [...],
    "periods_by_field": {...}}``. ``field`` keeps the people whose position is in that field
    ("" for none), ``category`` those of that category (as the reports' filters do).

    How: one statement. The winning rule per person is a CASE over the year's rules, most
    specific first (the first matching WHEN is ``choose_rule``'s answer); the requirement
    a CASE on the rule with the pro-rata arithmetic in integers. The ledger is summed per
    person without regard to rules (raw total, per field, per cap kind and value), then
    the person's rule applies its caps: when no item falls under two caps of the rule, the
    items under one cap count min(max, their total) together — "used up by the earliest"
    is a running sum that telescopes — so the credited periods need no ordering at all.
    The order matters only for which fields lose what an online or type cap takes: those
    people (the cap binds: a few percent) come back with the cells and their few items
    are walked in earning order in Python. People whose rule has overlapping caps are
    counted in Python with ``counted_periods`` and added into the cells."""
    rules = sorted(rules_for_year(session, year), key=lambda r: (-conditions(r), -unit_depth(r), r.id))
    overlapping = {i for i, rule in enumerate(rules) if caps_overlap(rule)}
    field_codes = sorted(session.scalars(select(Field.code)).all())
    is_pg = session.get_bind().dialect.name == "postgresql"
    if is_pg:
        # As the rebuild does: the hash aggregates and joins fit in memory (no spill to
        # disk), and JIT compiling costs more than it saves here. Until the transaction ends.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SET LOCAL jit = off"))

    months = _months(year)
    rule_index = case(*((_rule_condition(r), _n(i)) for i, r in enumerate(rules)), else_=_n(-1)) if rules else _n(-1)
    # Active officials only: someone deactivated has left the service and is not behind.
    keep: list[Any] = [subtree_filter(unit.path), Person.active.is_(True)]
    if category:
        keep.append(Person.category == category)
    if field is not None:
        keep.append(func.coalesce(Position.field_code, "") == field)
    # OFFSET 0 keeps PostgreSQL from inlining a subquery into the next level, which would
    # copy its CASE expressions into every use of their columns (evaluated again each time).
    base = (
        select(
            Person.id.label("person_id"),
            Person.unit_id.label("unit_id"),
            Person.position_id.label("position_id"),
            Position.field_code.label("field_code"),
            Person.category.label("category"),
            rule_index.label("rule"),
            months.label("months"),
        )
        .join(Unit, Unit.id == Person.unit_id)
        .outerjoin(Position, Position.id == Person.position_id)
        .where(*keep)
        .offset(0)
        .subquery("base")
    )
    required_whens = []
    for i, rule in enumerate(rules):
        periods = _n(rule.periods)
        if rule.pro_rata:  # rounded up: (periods × months + 11) / 12 in integers
            periods = case((base.c.months.is_(None), periods), else_=(periods * base.c.months + 11) // 12)
        required_whens.append((base.c.rule == _n(i), periods))
    required = case(*required_whens, else_=_n(default_periods)) if rules else _n(default_periods)
    people = select(
        base.c.person_id,
        base.c.unit_id,
        base.c.position_id,
        base.c.field_code,
        base.c.category,
        base.c.rule,
        cast(required, Integer()).label("required"),
    ).subquery("people")
    exact_rules = [_n(i) for i in sorted(overlapping)]

    # The year's ledger summed per person: the raw total, per field, and per cap (each
    # distinct (kind, value) of the rules counted in SQL) — rule-free, so no join yet.
    ledger = Credit.__table__
    cap_defs = sorted({(c.kind, c.value) for i, r in enumerate(rules) if i not in overlapping for c in r.caps})
    cap_col = {d: f"c_{n}" for n, d in enumerate(cap_defs)}
    field_col = {code: f"f_{n}" for n, code in enumerate(field_codes)}
    field_cols = [*field_col.values(), "f_none", "f_other"]

    def summed(condition: Any) -> Any:
        return cast(func.sum(case((condition, ledger.c.periods), else_=_n(0))), Integer())

    unknown_field = ledger.c.field_code.not_in(field_codes) if field_codes else ledger.c.field_code.isnot(None)
    agg = (
        select(
            ledger.c.person_id,
            cast(func.sum(ledger.c.periods), Integer()).label("raw"),
            *(summed(ledger.c.field_code == code).label(col) for code, col in field_col.items()),
            summed(ledger.c.field_code.is_(None)).label("f_none"),
            summed(unknown_field).label("f_other"),
            *(summed(_cap_condition(_Cap(*d), ledger)).label(cap_col[d]) for d in cap_defs),
        )
        .where(ledger.c.year == year)
        .group_by(ledger.c.person_id)
        .subquery("agg")
    )

    # Caps used up by the earliest items, when no item falls under two caps of the rule:
    # the items under a cap count min(max, their total) together (the running sums
    # telescope), so the credited periods need no ordering. Which fields lose the excess
    # does, except for a field cap: for online and type caps that bind, the losses per
    # field come from a running sum over those few people's items in earning order.
    def excess(i: int, cap: RuleCap) -> Any:
        total = func.coalesce(agg.c[cap_col[(cap.kind, cap.value)]], _n(0))
        return case((total > _n(cap.max_periods), total - _n(cap.max_periods)), else_=_n(0))

    spread = [(i, cap) for i, r in enumerate(rules) if i not in overlapping for cap in r.caps if cap.kind != "field"]

    def per_rule(value: Any) -> Any:
        """A CASE giving ``value(i, rules[i])`` for the person's rule (None, no rule: 0)."""
        whens = [(people.c.rule == _n(i), value(i, rule)) for i, rule in enumerate(rules) if i not in overlapping]
        whens = [(w, v) for w, v in whens if v is not None]
        return case(*whens, else_=_n(0)) if whens else _n(0)

    def all_excess(i: int, rule: RequirementRule) -> Any:
        parts = [excess(i, cap) for cap in rule.caps]
        return sum(parts[1:], parts[0]) if parts else None

    def field_excess(col: str) -> Any:
        def value(i: int, rule: RequirementRule) -> Any:
            parts = [
                excess(i, cap)
                for cap in rule.caps
                if cap.kind == "field" and field_col.get(cap.value or "", "f_other") == col
            ]
            return sum(parts[1:], parts[0]) if parts else None

        return per_rule(value)

    raw = func.coalesce(agg.c.raw, _n(0))
    figures = (
        select(
            people.c.unit_id,
            people.c.position_id,
            people.c.field_code,
            people.c.category,
            people.c.required,
            (raw - per_rule(all_excess)).label("credited"),
            *((func.coalesce(agg.c[col], _n(0)) - field_excess(col)).label(col) for col in field_cols),
            # "person:rule" when an online or type cap of the rule binds (see below), else NULL.
            case(
                (
                    or_(*(and_(people.c.rule == _n(i), excess(i, cap) > 0) for i, cap in spread)),
                    cast(people.c.person_id, String()) + ":" + cast(people.c.rule, String()),
                ),
                else_=null(),
            ).label("binds")
            if spread
            else null().label("binds"),
        )
        .select_from(people)
        .outerjoin(agg, agg.c.person_id == people.c.person_id)
    )
    if overlapping:
        figures = figures.where(people.c.rule.not_in(exact_rules))
    fig = figures.offset(0).subquery("figures")
    # The bin without a division: share >= low percent  <=>  credited × 100 >= low × required.
    top = len(SHARE_BINS) - 1
    bin_whens = [(or_(fig.c.required <= 0, fig.c.credited >= fig.c.required), _n(top))]
    bin_whens += [
        (fig.c.credited * 100 >= fig.c.required * low, _n(i))
        for i, low in reversed(list(enumerate(SHARE_BINS)))
        if 0 < low < 100
    ]
    share = case(*bin_whens, else_=_n(0))
    cells_query = select(
        fig.c.unit_id,
        fig.c.position_id,
        fig.c.field_code,
        fig.c.category,
        share.label("bin"),
        func.count().label("people"),
        func.sum(fig.c.required).label("required"),
        func.sum(fig.c.credited).label("credited"),
        func.sum(case((fig.c.credited >= fig.c.required, _n(1)), else_=_n(0))).label("on_track"),
        func.sum(case((fig.c.required > fig.c.credited, fig.c.required - fig.c.credited), else_=_n(0))).label(
            "shortfall"
        ),
        *(func.sum(fig.c[c]).label(c) for c in field_cols),
        # The people an online or type cap binds for, as "person:rule,…": which of their
        # items lose periods to the cap depends on the earning order, which only matters
        # for the periods per field: counted in Python below, a few people.
        func.aggregate_strings(fig.c.binds, ",").label("binding"),
    ).group_by(fig.c.unit_id, fig.c.position_id, fig.c.field_code, fig.c.category, share)

    cells: dict[tuple[Any, ...], dict[str, Any]] = {}
    by_field: dict[str, int] = defaultdict(int)
    other = 0
    binding_people: dict[int, RequirementRule] = {}
    for row in session.execute(cells_query).mappings():
        for pair in row["binding"].split(",") if row["binding"] else ():
            person_id, index = pair.split(":")
            binding_people[int(person_id)] = rules[int(index)]
        key = tuple(row[k] for k in CELL_KEYS)
        cells[key] = {k: row[k] for k in CELL_KEYS} | {k: int(row[k]) for k in CELL_SUMS}
        for code, col in field_col.items():
            by_field[code] += int(row[col])
        by_field[""] += int(row["f_none"])
        other += int(row["f_other"])
    if binding_people:
        _take_losses(session, year, binding_people, by_field)
    if overlapping:
        _add_exact_people(session, year, people, rules, overlapping, cells, by_field)
    if other:
        # Rare: ledger fields the fields table lacks. Count the periods per field person by
        # person instead (the cells stay right: only the fields' names were missing).
        by_field = defaultdict(int)
        for person in people_hours(session, unit, year, default_periods=default_periods):
            if (not category or person["category"] == category) and (
                field is None or (person["field_code"] or "") == field
            ):
                for code, periods in person["by_field"].items():
                    by_field[code] += periods
    return {
        "cells": list(cells.values()),
        "periods_by_field": {code: periods for code, periods in by_field.items() if periods},
    }


def _take_losses(session: Session, year: int, people: dict[int, RequirementRule], by_field: dict[str, int]) -> None:
    """Take from ``by_field`` the periods the online and type caps of ``people`` (person id
    -> rule) do not count, item by item in earning order as ``counted_periods`` does (the
    rule's field caps, on other items, are already taken off in SQL). The caps do not
    overlap, and online and type caps apply by activity type alone: a lookup per item."""
    # Per rule: activity type -> its cap's index, and each cap's max (plain values, not ORM).
    plans: dict[int, tuple[dict[str, int], list[int]]] = {}
    for rule in set(people.values()):
        index: dict[str, int] = {}
        maxima: list[int] = []
        for cap in rule.caps:
            if cap.kind == "field":
                continue
            for kind in sorted(ONLINE_TYPES) if cap.kind == "online" else [cap.value or ""]:
                index[kind] = len(maxima)
            maxima.append(cap.max_periods)
        plans[rule.id] = (index, maxima)
    kinds = sorted({kind for index, _ in plans.values() for kind in index})
    ids = sorted(people)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(
            select(Credit.person_id, Credit.periods, Credit.activity_type, Credit.field_code)
            .where(Credit.year == year, Credit.person_id.in_(chunk), Credit.activity_type.in_(kinds))
            .order_by(Credit.person_id, Credit.earned_at, Credit.activity_id)
        ).tuples()
        current, index, remaining = None, {}, []
        for person_id, periods, kind, field_code in rows:
            if person_id != current:
                current = person_id
                index, maxima = plans[people[person_id].id]
                remaining = list(maxima)
            cap = index.get(kind)
            if cap is None:
                continue
            counted = min(periods, remaining[cap])
            remaining[cap] -= counted
            by_field[field_code or ""] -= periods - counted


def _add_exact_people(
    session: Session,
    year: int,
    people: Any,
    rules: Sequence[RequirementRule],
    overlapping: set[int],
    cells: dict[tuple[Any, ...], dict[str, Any]],
    by_field: dict[str, int],
) -> None:
    """Count the people whose rule has overlapping caps as ``hours_for`` does (their
    ledger rows in earning order through ``counted_periods``) and add them into ``cells``."""
    query = select(
        people.c.person_id,
        people.c.unit_id,
        people.c.position_id,
        people.c.field_code,
        people.c.category,
        people.c.rule,
        people.c.required,
    ).where(people.c.rule.in_([_n(i) for i in sorted(overlapping)]))
    found = session.execute(query).all()
    for start in range(0, len(found), CHUNK):
        chunk: dict[int, tuple[dict[str, Any], Any]] = {}
        for person_id, unit_id, position_id, field_code, category, index, required_periods in found[
            start : start + CHUNK
        ]:
            item = {
                "unit_id": unit_id,
                "position_id": position_id,
                "field_code": field_code,
                "category": category,
                "required": int(required_periods),
            }
            chunk[person_id] = (item, rules[index])
        _count_exactly(session, year, chunk)
        for item, _ in chunk.values():
            item["bin"] = share_bin(item["required"], item["credited"])
            key = tuple(item[k] for k in CELL_KEYS)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = {k: item[k] for k in CELL_KEYS} | dict.fromkeys(CELL_SUMS, 0)
            cell["people"] += 1
            cell["required"] += item["required"]
            cell["credited"] += item["credited"]
            cell["on_track"] += item["credited"] >= item["required"]
            cell["shortfall"] += max(0, item["required"] - item["credited"])
            for code, periods in item["by_field"].items():
                by_field[code] += periods
