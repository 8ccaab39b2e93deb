"""Compliance reports for HR: who is on track, per unit (rolled up the tree), position,
field and category; who is behind and what they lack; curriculum completion per position.

Headless: a ``Session``, the acting account and plain filters in, dataclasses and
iterators of dicts out; never reads a request, never writes. The figures come from the
credits module's hooks, passed in so this module never imports it: the summary from
``hocvu_unit_hours`` (figures already summed per unit, position, category and share
band: a province of 100,000 people is a few thousand cells), the per-person lists
(behind, exports, curriculum) from ``hocvu_people_hours``, streamed: they keep one small
total per group, never the people, so a province costs the same memory as a commune.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.catalog import Activity, CurriculumItem
from lms_core.errors import N_, NotFound, PermissionDenied
from lms_core.people import CATEGORY_LABELS, Category, Field, Person, Position
from lms_core.units import Unit, subtree_filter, unit_by_code

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 2000, 2100
NO_FIELD = N_("Chưa phân lĩnh vực")
NO_POSITION = N_("Chưa có vị trí việc làm")
# Bins of the distribution chart: share of the requirement credited, in percent. The
# ``hocvu_unit_hours`` contract counts people in the same bins (by index).
BINS = ((0, 0), (1, 24), (25, 49), (50, 74), (75, 99), (100, None))

PeopleHours = Callable[[Session, Unit, int], Iterator[dict[str, Any]] | None]
# The ``hocvu_unit_hours`` hook: (session, unit, year, field, category) -> cells or None.
UnitHours = Callable[[Session, Unit, int, str | None, str | None], dict[str, Any] | None]


def current_year() -> int:
    return datetime.now(TIMEZONE).year


# --- scope and filters -----------------------------------------------------------------


def top_unit(session: Session, account: Account) -> Unit:
    """The highest unit the account is HR over (the first by path when it holds several
    separate grants): the default of every report. ``PermissionDenied`` without HR."""
    found = session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)).all()
    if not found:
        raise PermissionDenied(N_("Bạn không có quyền truy cập trang này."))
    return min(found, key=lambda u: (u.path.count("/"), u.path))


def resolve_unit(session: Session, account: Account, code: str | None) -> Unit:
    """The unit a report is asked for by its code (None or empty: the account's top unit).
    ``NotFound`` for an unknown code, ``PermissionDenied`` for one outside the account's
    HR scope — so a commune's HR cannot see another commune's rows by naming it."""
    if not code:
        return top_unit(session, account)
    unit = unit_by_code(session, code)
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    if not access.can(account, Role.HR, unit):
        raise PermissionDenied(N_("Bạn không có quyền xem báo cáo của đơn vị này."))
    return unit


def units_in_scope(session: Session, account: Account) -> list[Unit]:
    """Every unit the account may report on, in tree order (for the unit filter)."""
    return list(session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)))


@dataclass(frozen=True)
class Filters:
    """What a report covers: ``unit`` and below in ``year``; optionally only people whose
    position is in ``field`` (a field code; "" for people without one) or of ``category``."""

    year: int
    unit: Unit
    field: str | None = None
    category: str | None = None

    def keeps(self, row: dict[str, Any]) -> bool:
        if not row["active"]:  # left the service: not in compliance figures (as the summary)
            return False
        if self.category and row["category"] != self.category:
            return False
        return self.field is None or (row["field_code"] or "") == self.field

    def query(self) -> dict[str, Any]:
        """The filters as query-string values (for links to exports and other reports)."""
        values: dict[str, Any] = {"year": self.year, "unit": self.unit.code}
        if self.field is not None:
            values["field"] = self.field
        if self.category:
            values["category"] = self.category
        return values


def make_filters(
    session: Session,
    account: Account,
    *,
    year: int | None,
    unit_code: str | None,
    field_code: str | None = None,
    category: str | None = None,
) -> Filters:
    """Check and complete what a page or the API was asked: the unit within the account's
    HR scope, a year in range (the current one by default), a known field and category
    (unknown ones are dropped rather than silently matching nobody)."""
    unit = resolve_unit(session, account, unit_code)
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        year = current_year()
    if field_code and session.get(Field, field_code) is None:
        field_code = None
    if category not in {c.value for c in Category}:
        category = None
    return Filters(year, unit, field_code if field_code else None, category)


def people(session: Session, filters: Filters, people_hours: PeopleHours) -> Iterator[dict[str, Any]]:
    """The hook's rows for the filters, lazily, each with ``shortfall`` and ``on_track``
    added. Raises ``NotFound`` at once (before any row) when no module keeps credits, so
    a streamed response never fails half-way for it."""
    rows = people_hours(session, filters.unit, filters.year)
    if rows is None:
        raise NotFound(N_("Chưa có mô-đun ghi nhận số tiết bồi dưỡng."))
    return _with_shortfall(filters, rows)


def _with_shortfall(filters: Filters, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if filters.keeps(row):
            shortfall = max(0, row["required"] - row["credited"])
            row["shortfall"] = shortfall
            row["on_track"] = shortfall == 0
            yield row


# --- the summary: rollups per unit, position, field and category -----------------------------


@dataclass
class Totals:
    """People, periods required and credited, people on track and the total shortfall."""

    key: Any = None
    label: str = ""
    people: int = 0
    required: int = 0
    credited: int = 0
    on_track: int = 0
    shortfall: int = 0
    depth: int = 0
    code: str = ""

    def add(self, row: dict[str, Any]) -> None:
        """Add one person (a row of ``people``) or a cell of people (``"people"`` in it)."""
        self.people += row.get("people", 1)
        self.required += row["required"]
        self.credited += row["credited"]
        self.on_track += row["on_track"]
        self.shortfall += row["shortfall"]

    @property
    def behind(self) -> int:
        return self.people - self.on_track

    @property
    def share_on_track(self) -> float:
        """On track, as a fraction of the people (1.0 when there is nobody)."""
        return self.on_track / self.people if self.people else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "code": self.code,
            "label": self.label,
            "depth": self.depth,
            "people": self.people,
            "required": self.required,
            "credited": self.credited,
            "on_track": self.on_track,
            "behind": self.behind,
            "share_on_track": round(self.share_on_track, 4),
            "shortfall": self.shortfall,
        }


@dataclass
class Summary:
    """A report's figures: ``total``; ``units`` (every unit of the subtree, in tree order,
    each rolled up over everything below it); ``positions``, ``fields`` (the people's
    position field) and ``categories``; ``distribution`` (people per share of their
    requirement credited, ``BINS``) and ``periods_by_field`` (periods counted per
    activity field, after caps)."""

    filters: Filters
    total: Totals
    units: list[Totals]
    positions: list[Totals]
    fields: list[Totals]
    categories: list[Totals]
    distribution: list[dict[str, Any]]
    periods_by_field: list[dict[str, Any]]

    @property
    def child_units(self) -> list[Totals]:
        """The units right below the report's unit (for the per-unit chart)."""
        depth = self.filters.unit.path.count("/") + 1
        return [u for u in self.units if u.depth == depth]


def _bin(required: int, credited: int) -> int:
    percent = 100 if required <= 0 else min(100, credited * 100 // required)
    for index, (low, high) in enumerate(BINS):
        if percent >= low and (high is None or percent <= high):
            return index
    return len(BINS) - 1


class _Rollup:
    """The summary being folded: one ``Totals`` per unit (each unit's people count for it
    and every unit above it, up to the report's unit), position, field and category, the
    distribution and the periods per field."""

    def __init__(self, session: Session, filters: Filters, translate: Callable[[str], str]) -> None:
        self.session, self.filters, self.translate = session, filters, translate
        unit_rows = session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.path)
            .where(subtree_filter(filters.unit.path))
            .order_by(Unit.path)
        ).all()
        base_depth = filters.unit.path.count("/")
        self.units = {uid: Totals(uid, name, depth=path.count("/"), code=code) for uid, code, name, path in unit_rows}
        self.chains: dict[int, list[Totals]] = {}
        for uid, *_, path in unit_rows:
            ids = [int(p) for p in path.strip("/").split("/")][base_depth - 2 :]
            self.chains[uid] = [self.units[i] for i in ids if i in self.units]
        self.total = Totals(filters.unit.id, filters.unit.name, code=filters.unit.code, depth=base_depth)
        self.positions: dict[int | None, Totals] = {}
        self.fields: dict[str, Totals] = {}
        self.categories: dict[str, Totals] = {}
        self.distribution = [0] * len(BINS)
        self.by_field: dict[str, int] = {}

    def add(self, row: dict[str, Any], position_name: str | None, position_code: str | None, bin_index: int) -> None:
        """Add a person or a cell (``row``: unit_id, position_id, field_code, category and
        the figures ``Totals.add`` reads)."""
        self.total.add(row)
        for totals in self.chains.get(row["unit_id"], ()):
            totals.add(row)
        position = self.positions.get(row["position_id"])
        if position is None:
            label = position_name or self.translate(NO_POSITION)
            position = self.positions[row["position_id"]] = Totals(row["position_id"], label, code=position_code or "")
        position.add(row)
        field_key = row["field_code"] or ""
        if field_key not in self.fields:
            self.fields[field_key] = Totals(field_key, "", code=field_key)
        self.fields[field_key].add(row)
        if row["category"] not in self.categories:
            self.categories[row["category"]] = Totals(row["category"], "", code=row["category"])
        self.categories[row["category"]].add(row)
        self.distribution[bin_index] += row.get("people", 1)

    def add_periods(self, by_field: dict[str, int]) -> None:
        for code, periods in by_field.items():
            self.by_field[code] = self.by_field.get(code, 0) + periods

    def summary(self) -> Summary:
        translate = self.translate
        names = {f.code: f.name for f in self.session.scalars(select(Field))}
        for key, totals in self.fields.items():
            totals.label = names.get(key, key) if key else translate(NO_FIELD)
        for key, totals in self.categories.items():
            label = CATEGORY_LABELS.get(Category(key)) if key in {c.value for c in Category} else None
            totals.label = translate(label) if label else key
        return Summary(
            filters=self.filters,
            total=self.total,
            units=list(self.units.values()),
            # Ties on the label broken by the code, so the order never depends on the fold's.
            positions=sorted(self.positions.values(), key=lambda t: (t.label, t.code, t.key or 0)),
            fields=sorted(self.fields.values(), key=lambda t: (t.key == "", t.label, t.key)),
            categories=sorted(self.categories.values(), key=lambda t: (t.label, t.key)),
            distribution=[
                {"low": low, "high": high, "people": count}
                for (low, high), count in zip(BINS, self.distribution, strict=True)
            ],
            # Fields where nothing counted are left out (a capped item may count 0).
            periods_by_field=[
                {"field": code, "name": names.get(code, code) if code else translate(NO_FIELD), "periods": periods}
                for code, periods in sorted(self.by_field.items(), key=lambda kv: (-kv[1], kv[0]))
                if periods
            ],
        )


def summarise(
    session: Session, filters: Filters, rows: Iterable[dict[str, Any]], translate: Callable[[str], str]
) -> Summary:
    """Fold ``rows`` (from ``people``) into the summary in one pass: the reference for
    ``summarise_cells``, which the pages use. ``translate`` renders the labels."""
    rollup = _Rollup(session, filters, translate)
    for row in rows:
        rollup.add(row, row["position_name"], row["position_code"], _bin(row["required"], row["credited"]))
        rollup.add_periods(row["by_field"])
    return rollup.summary()


def summarise_cells(
    session: Session, filters: Filters, found: dict[str, Any], translate: Callable[[str], str]
) -> Summary:
    """The same summary as ``summarise`` from the ``hocvu_unit_hours`` answer for the
    filters (``found``: its cells, already filtered, and periods per field): a few
    thousand cells instead of a row per person."""
    rollup = _Rollup(session, filters, translate)
    positions = {
        pid: (code, name) for pid, code, name in session.execute(select(Position.id, Position.code, Position.name))
    }
    for cell in found["cells"]:
        code, name = positions.get(cell["position_id"], (None, None))
        rollup.add(cell, name, code, cell["bin"])
    rollup.add_periods(found["periods_by_field"])
    return rollup.summary()


def summary(session: Session, filters: Filters, unit_hours: UnitHours, translate: Callable[[str], str]) -> Summary:
    """The summary of the filters through the ``hocvu_unit_hours`` hook (``unit_hours``),
    for the report pages, the summary API and the benchmark. ``NotFound`` when no module
    keeps credits."""
    found = unit_hours(session, filters.unit, filters.year, filters.field, filters.category)
    if found is None:
        raise NotFound(N_("Chưa có mô-đun ghi nhận số tiết bồi dưỡng."))
    return summarise_cells(session, filters, found, translate)


# --- curriculum: what people lack, and completion per position -----------------------------


@dataclass(frozen=True)
class RequiredItem:
    activity_id: int
    title: str
    periods: int
    once: bool  # due N days after starting: credited in any year counts (else: in the year)
    due_rule: str


@dataclass
class Curriculum:
    """The required curriculum of every position, and (for items due once, after starting)
    who has ever credited them; ``missing(row)`` lists what a person still lacks, as the
    hours page's "còn phải hoàn thành" does."""

    items: dict[int, list[RequiredItem]]
    ever: set[tuple[int, int]] = field(default_factory=set)

    def missing(self, row: dict[str, Any]) -> list[RequiredItem]:
        credited = set(row["activity_ids"])
        return [
            item
            for item in self.items.get(row["position_id"], ())
            if item.activity_id not in credited
            and not (item.once and (row["person_id"], item.activity_id) in self.ever)
        ]


def load_curriculum(session: Session, filters: Filters) -> Curriculum:
    """Every position's required, active curriculum items (a few hundred rows at most),
    and for the items due once the (person, activity) pairs credited in any year among
    the report's people."""
    rows = session.execute(
        select(CurriculumItem.position_id, Activity.id, Activity.title, Activity.periods, CurriculumItem.due_rule)
        .join(Activity, Activity.id == CurriculumItem.activity_id)
        .where(CurriculumItem.required.is_(True), Activity.active.is_(True))
        .order_by(CurriculumItem.position_id, Activity.title)
    ).all()
    items: dict[int, list[RequiredItem]] = {}
    for position_id, activity_id, title, periods, due_rule in rows:
        once = due_rule.startswith("days:")
        items.setdefault(position_id, []).append(RequiredItem(activity_id, title, periods, once, due_rule))
    once_ids = {i.activity_id for group in items.values() for i in group if i.once}
    ever: set[tuple[int, int]] = set()
    if once_ids:
        # The ledger belongs to the credits module (which this one requires): read by
        # table name, never imported; the hook only answers for one year.
        ledger = table("credits_ledger", column("person_id"), column("activity_id"))
        query = (
            select(ledger.c.person_id, ledger.c.activity_id)
            .join(Person, Person.id == ledger.c.person_id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(ledger.c.activity_id.in_(once_ids), subtree_filter(filters.unit.path))
            .distinct()
        )
        ever = {(p, a) for p, a in session.execute(query)}
    return Curriculum(items, ever)


def behind(session: Session, filters: Filters, people_hours: PeopleHours) -> Iterator[dict[str, Any]]:
    """The people who have not met their requirement (or lack a required curriculum
    activity), in unit order, each with ``shortfall`` and ``missing`` (the required
    activities of their position not yet credited: ``[{"activity_id", "title",
    "periods", "due"}]``). Lazily, for the page (a page of them) and the exports (all)."""
    return _behind(filters, load_curriculum(session, filters), people(session, filters, people_hours))


def _behind(filters: Filters, curriculum: Curriculum, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        missing = curriculum.missing(row)
        if row["on_track"] and not missing:
            continue
        row["missing"] = [
            {"activity_id": m.activity_id, "title": m.title, "periods": m.periods, "due": _due(m, row, filters.year)}
            for m in missing
        ]
        yield row


def _due(item: RequiredItem, row: dict[str, Any], year: int) -> str | None:
    """When a missing item is due, as ``hours.due_date`` says (ISO day, None when unknown)."""
    if item.once and item.due_rule[5:].isdigit():
        start: date | None = row["start_date"]
        return (start + timedelta(days=int(item.due_rule[5:]))).isoformat() if start else None
    return date(year, 12, 31).isoformat()


def curriculum_completion(
    session: Session, filters: Filters, people_hours: PeopleHours, translate: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Per position with a required curriculum: its people, how many have completed all of
    it, and per required activity how many have it credited (``{"position_id", "code",
    "name", "people", "complete", "items": [{"activity_id", "title", "done", "people"}]}``)."""
    curriculum = load_curriculum(session, filters)
    result: dict[int, dict[str, Any]] = {}
    for row in people(session, filters, people_hours):
        position_id = row["position_id"]
        required = curriculum.items.get(position_id)
        if not required:
            continue
        entry = result.get(position_id)
        if entry is None:
            entry = result[position_id] = {
                "position_id": position_id,
                "code": row["position_code"],
                "name": row["position_name"],
                "people": 0,
                "complete": 0,
                "done": dict.fromkeys((i.activity_id for i in required), 0),
            }
        entry["people"] += 1
        missing = {m.activity_id for m in curriculum.missing(row)}
        if not missing:
            entry["complete"] += 1
        for item in required:
            if item.activity_id not in missing:
                entry["done"][item.activity_id] += 1
    ordered = []
    for position_id, entry in sorted(result.items(), key=lambda kv: kv[1]["name"] or ""):
        done = entry.pop("done")
        entry["items"] = [
            {"activity_id": i.activity_id, "title": i.title, "periods": i.periods, "done": done[i.activity_id]}
            for i in curriculum.items[position_id]
        ]
        ordered.append(entry)
    return ordered


def field_choices(session: Session) -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in session.scalars(select(Field).order_by(Field.name))]


def position_names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in session.scalars(select(Position))}
