"""The crediting engine: which statements earn periods, and the ledger that records them.

A *candidate* is a non-voided statement with a crediting verb (completed, passed,
attended) whose actor is an official: an ``account`` with the site's homePage and a
``Person.staff_code`` as its name. Candidates are grouped by (person, activity IRI, year
in Asia/Ho_Chi_Minh). In each group:

1. a candidate whose object is not a catalog activity, whose source is not trusted to
   credit, or whose ``result.success`` is false does not count (and says why); one for an
   activity version of 0 periods (a course's quiz) is simply not a credit;
2. the others are taken in order (timestamp, stored, id) and the ``hocvu_credit_refusal``
   hook is asked about each until one is not refused: that one earns the credit; the
   refused ones say why, the later ones are duplicates of the earning one.

The same classification (``candidate_select``) serves both paths: ``recompute`` applies
it to one person (or one group) after each statement event, ``rebuild`` to every
statement with set-based SQL. They must agree exactly; the tests check that they do.

The version credited is the one pinned when the module first saw the statement
(``VersionPin``); else the one named by the statement's context extension
``{site}/xapi/extensions/version`` when that version exists; else the current one, which
is then pinned. A pin is only written for statements that name no existing version, and
it wins afterwards, so a version created later cannot change an earned credit.

Headless: everything takes a ``Session``; the refusal hook arrives as a plain callable
(``refusal_from_hook`` adapts the plugin registry's hook). Nothing here commits.
"""

from __future__ import annotations

import functools
import time
import typing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.sqltypes import NullType

from lms_core import audit
from lms_core.catalog import CREDITING_VERBS, Activity, ActivityVersion
from lms_core.db import UtcDateTime
from lms_core.events import Event, PersonChanged, PersonCreated, StatementStored, StatementVoided
from lms_core.people import Person
from lms_core.statements import Statement, account_key
from modules.credits import closing
from modules.credits.models import Credit, ExternalClaim, NotCounted, VersionPin, YearClosing

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
CLAIMS_SOURCE = "hocvu:credits-claims"  # the source of statements for approved claims
TIMEZONE = ZoneInfo(TIMEZONE_NAME)

# Candidate statuses: OK may earn; NO_PERIODS is silently not a credit; the rest are reasons.
OK = "ok"
NO_PERIODS = "no_periods"


class Reason(StrEnum):
    """Why a candidate statement did not count (``NotCounted.reason``)."""

    NOT_IN_CATALOG = "not_in_catalog"
    UNTRUSTED = "untrusted"
    FAILED = "failed"
    REFUSED = "refused"
    DUPLICATE = "duplicate"


# ``refusal(session, statement, activity)``: why the statement must not credit, or None.
Refusal = Callable[[Session, Statement, Activity], str | None]

# Advisory lock keys (PostgreSQL): a rebuild excludes every incremental update, and
# incremental updates of one person run one at a time.
_LOCK_REBUILD = 0x43524544  # "CRED"
_LOCK_PERSON = 0x43524550  # "CREP"


def refusal_from_hook(hook: Any) -> Refusal | None:
    """Adapt a pluggy ``hook`` relay (``registry.hook``) to a ``Refusal``; None when no
    module implements ``hocvu_credit_refusal`` (then nothing is ever refused and a
    rebuild stays pure SQL)."""
    caller = hook.hocvu_credit_refusal
    if not caller.get_hookimpls():
        return None

    def refusal(session: Session, statement: Statement, activity: Activity) -> str | None:
        answer = caller(session=session, statement=statement, activity=activity)
        return None if answer is None else str(answer)

    return refusal


def version_extension(site_url: str) -> str:
    """The context extension naming the activity version a statement is about."""
    return f"{site_url.rstrip('/')}/xapi/extensions/version"


def local_year(moment: datetime) -> int:
    return moment.astimezone(TIMEZONE).year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of ``year`` in Asia/Ho_Chi_Minh, as UTC instants."""
    start = datetime(year, 1, 1, tzinfo=TIMEZONE).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=TIMEZONE).astimezone(UTC)
    return start, end


def actor_prefix(site_url: str) -> str:
    return account_key(site_url, "")


def staff_code_of(actor_key: str, site_url: str) -> str | None:
    prefix = actor_prefix(site_url)
    if not actor_key.startswith(prefix) or len(actor_key) == len(prefix):
        return None
    return actor_key[len(prefix) :]


# --- classification in SQL ------------------------------------------------------------


def _sqlite_local_year(value: Any) -> int | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local_year(moment)


def prepare_connection(connection: Connection) -> None:
    """Give SQLite the year function PostgreSQL has built in (the same zoneinfo rules)."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        raw.create_function("credits_local_year", 1, _sqlite_local_year, deterministic=True)  # type: ignore[union-attr]


def _year_of(dialect: str, column: ColumnElement[Any]) -> ColumnElement[int]:
    if dialect == "postgresql":
        return cast(func.extract("year", func.timezone(TIMEZONE_NAME, column)), Integer)
    return func.credits_local_year(column, type_=Integer)


def _json_parts(dialect: str, document: ColumnElement[Any], key: str) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
    """(the version named by the extension ``key`` as an integer or NULL, result.success is false)."""
    if dialect == "postgresql":
        doc = type_coerce(document, JSONB)
        raw = doc[("context", "extensions", key)].astext
        version = case((raw.op("~")("^[0-9]{1,9}$"), cast(raw, Integer)), else_=None)
        failed = doc[("result", "success")] == literal_column("'false'::jsonb")
        return version, failed
    quoted = key.replace('"', "")
    raw_text = cast(func.json_extract(document, f'$.context.extensions."{quoted}"'), Text)
    valid = and_(func.length(raw_text).between(1, 9), not_(raw_text.op("GLOB")("*[^0-9]*")))
    version = case((valid, cast(raw_text, Integer)), else_=None)
    failed = func.json_type(document, "$.result.success") == "false"
    return version, failed


def candidate_select(
    dialect: str,
    site_url: str,
    *,
    keys: Any,
    activity_iri: str | None = None,
    year: int | None = None,
) -> Select[Any]:
    """Every candidate statement of the officials in ``keys`` (a table or subquery with
    ``person_id`` and ``actor_key``: one person, or every person for a rebuild), optionally
    of one activity or year, classified: one row each with ``status`` OK, NO_PERIODS or a
    ``Reason`` value, the resolved version with its periods and field, and ``needs_pin``."""
    s = Statement.__table__
    a = Activity.__table__
    pin = VersionPin.__table__
    vx = ActivityVersion.__table__.alias("vx")  # the pinned version, else the one the statement names
    vc = ActivityVersion.__table__.alias("vc")  # the current version
    ext_version, failed = _json_parts(dialect, s.c.statement, version_extension(site_url))

    def pick(name: str) -> ColumnElement[Any]:
        return case((vx.c.id.is_not(None), vx.c[name]), (vc.c.id.is_not(None), vc.c[name]), else_=a.c[name])

    periods = pick("periods")
    status = case(
        (a.c.id.is_(None), literal(Reason.NOT_IN_CATALOG.value)),
        (func.coalesce(periods, 0) <= 0, literal(NO_PERIODS)),
        (s.c.credit_trusted.is_not(True), literal(Reason.UNTRUSTED.value)),
        (failed, literal(Reason.FAILED.value)),
        else_=literal(OK),
    )
    needs_pin = case((and_(a.c.id.is_not(None), vx.c.id.is_(None)), 1), else_=0)
    # Join order matters on PostgreSQL: the people keys are hashed (they have statistics,
    # unlike an expression over people.staff_code), then the small catalog tables.
    joined = (
        s.join(keys, keys.c.actor_key == s.c.actor_key)
        .outerjoin(a, a.c.iri == s.c.activity_iri)
        .outerjoin(pin, and_(pin.c.statement_id == s.c.id, pin.c.activity_id == a.c.id))
        .outerjoin(vx, and_(vx.c.activity_id == a.c.id, vx.c.version == func.coalesce(pin.c.version, ext_version)))
        .outerjoin(vc, and_(vc.c.activity_id == a.c.id, vc.c.version == a.c.version))
    )
    query = (
        select(
            s.c.id.label("statement_id"),
            keys.c.person_id.label("person_id"),
            s.c.activity_iri.label("activity_iri"),
            a.c.id.label("activity_id"),
            _year_of(dialect, s.c.timestamp).label("year"),
            s.c.timestamp.label("occurred_at"),
            s.c.stored.label("stored"),
            status.label("status"),
            pick("version").label("version"),
            periods.label("periods"),
            pick("field_code").label("field_code"),
            a.c.type.label("activity_type"),
            needs_pin.label("needs_pin"),
        )
        .select_from(joined)
        .where(s.c.verb_id.in_(CREDITING_VERBS), s.c.voided.is_(False), s.c.activity_iri.is_not(None))
    )
    if activity_iri is not None:
        query = query.where(s.c.activity_iri == activity_iri)
    if year is not None:
        start, end = year_bounds(year)
        query = query.where(s.c.timestamp >= start, s.c.timestamp < end)
    return query


@functools.lru_cache(maxsize=64)
def person_candidates(dialect: str, site_url: str, one_activity: bool, one_year: bool) -> Select[Any]:
    """``candidate_select`` for one person (bound parameters ``person_id`` and ``actor_key``)
    and, when asked, one activity (``activity_iri``) and one year ([``start``, ``end``)).
    Built once: constructing the query costs more than running it."""
    s = Statement.__table__
    keys = select(
        bindparam("person_id", type_=Integer).label("person_id"),
        bindparam("actor_key", type_=String).label("actor_key"),
    ).subquery("person_keys")
    query = candidate_select(dialect, site_url, keys=keys)
    if one_activity:
        query = query.where(s.c.activity_iri == bindparam("activity_iri", type_=String))
    if one_year:
        query = query.where(
            s.c.timestamp >= bindparam("start", type_=UtcDateTime), s.c.timestamp < bindparam("end", type_=UtcDateTime)
        )
    return query


# --- one group at a time, in Python ---------------------------------------------------


@dataclass(frozen=True)
class CreditRow:
    """A ledger row (``Credit``) as a plain value."""

    person_id: int
    activity_id: int
    year: int
    statement_id: str
    earned_at: datetime
    version: int
    periods: int
    field_code: str | None
    activity_type: str


@dataclass(frozen=True)
class NotCountedRow:
    statement_id: str
    person_id: int
    year: int
    activity_iri: str
    activity_id: int | None
    occurred_at: datetime
    reason: str
    detail: str


CREDIT_COLUMNS = tuple(CreditRow.__dataclass_fields__)
NOT_COUNTED_COLUMNS = tuple(NotCountedRow.__dataclass_fields__)


def order_key(row: Any) -> tuple[datetime, datetime, str]:
    """The earning order inside a group: timestamp, then stored, then id (byte order)."""
    return (row.occurred_at, row.stored, row.statement_id)


def evaluate_group(
    session: Session, candidates: Sequence[Any], refusal: Refusal | None
) -> tuple[CreditRow | None, list[NotCountedRow]]:
    """The credit one (person, activity IRI, year) group earns, and what did not count."""
    earner = None
    refused: dict[str, str] = {}
    eligible = sorted((c for c in candidates if c.status == OK), key=order_key)
    loader = _BatchLoader(session, {row.statement_id: row.activity_type for row in eligible})
    for row in eligible:
        reason = None
        if refusal is not None:
            activity = session.get(Activity, row.activity_id)
            assert activity is not None
            reason = refusal(session, typing.cast(Statement, StoredStatement(loader, row.statement_id)), activity)
        if reason is None:
            earner = row
            break
        refused[row.statement_id] = reason
    credit = None
    if earner is not None:
        credit = CreditRow(
            earner.person_id,
            earner.activity_id,
            earner.year,
            earner.statement_id,
            earner.occurred_at,
            earner.version,
            earner.periods,
            earner.field_code,
            earner.activity_type,
        )
    not_counted = []
    for row in candidates:
        if row.status == NO_PERIODS or (earner is not None and row.statement_id == earner.statement_id):
            continue
        if row.status != OK:
            reason, detail = row.status, ""
        elif row.statement_id in refused:
            reason, detail = Reason.REFUSED.value, refused[row.statement_id]
        else:
            assert earner is not None
            reason, detail = Reason.DUPLICATE.value, earner.statement_id
        not_counted.append(
            NotCountedRow(
                row.statement_id,
                row.person_id,
                row.year,
                row.activity_iri,
                row.activity_id,
                row.occurred_at,
                reason,
                detail,
            )
        )
    return credit, not_counted


@dataclass(frozen=True)
class Cause:
    """Why the ledger is being recomputed, for the audit log."""

    code: str
    statement_id: str | None = None
    other_statement_id: str | None = None
    # The statement's source ("hocvu:credits-claims", "lrs:<key>", …): a claim's statement
    # brings the deciding HR officer and their reason into the audit log.
    source: str | None = None

    def describe(self) -> str:
        origin = f" (nguồn {self.source})" if self.source else ""
        if self.code == "statement_stored":
            return f"statement {self.statement_id}{origin} được lưu"
        if self.code == "statement_voided":
            return f"statement {self.statement_id}{origin} bị hủy bởi statement {self.other_statement_id}"
        if self.code == "person_created":
            return "cán bộ được tạo"
        if self.code == "person_changed":
            return "thông tin cán bộ thay đổi"
        return self.code


@dataclass
class Change:
    """One change of the ledger: ``before`` and/or ``after`` (None when absent)."""

    before: CreditRow | None
    after: CreditRow | None

    @property
    def row(self) -> CreditRow:
        """The row after the change, or the one withdrawn."""
        row = self.after or self.before
        assert row is not None
        return row

    @property
    def action(self) -> str:
        if self.before is None:
            return "credit.granted"
        if self.after is None:
            return "credit.withdrawn"
        return "credit.changed"


def lock_out_credit_updates(connection: Connection) -> None:
    """Wait for the incremental updates under way and hold new ones back until the
    caller's transaction ends (PostgreSQL; SQLite has one writer anyway). For closing a
    year: its totals and the closing must see the same ledger."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _LOCK_REBUILD})


def _lock_person(connection: Connection, person_id: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock_shared(:ns, 0), pg_advisory_xact_lock(:person_ns, :person)"),
            {"ns": _LOCK_REBUILD, "person_ns": _LOCK_PERSON, "person": person_id},
        )


def _pin_versions(connection: Connection, rows: Iterable[Any]) -> None:
    values = [{"statement_id": r.statement_id, "activity_id": r.activity_id, "version": r.version} for r in rows]
    if values:
        connection.execute(_insert_ignoring_duplicates(connection.dialect.name, VersionPin.__table__), values)


@dataclass(frozen=True)
class PersonRef:
    """Who is recomputed: a person's id and staff code (the name in their actor's account)."""

    id: int
    staff_code: str


def recompute(
    session: Session,
    *,
    site_url: str,
    refusal: Refusal | None,
    person: PersonRef | Person,
    activity_iri: str | None = None,
    year: int | None = None,
    cause: Cause,
    locked: bool = False,
) -> list[Change]:
    """Bring the ledger and the not-counted list of ``person`` up to date, for one activity
    IRI and year or (both None) for everything. Writes each ledger change to the audit log.
    Caller commits; ``locked`` says it already holds the person's lock (``_lock_person``).

    Runs after every crediting statement, so it reads and writes with Core statements on
    the session's connection (the ORM would double the time) and leaves the ledger's ORM
    objects in the session expired."""
    connection = session.connection()
    if not locked:
        _lock_person(connection, person.id)
    prepare_connection(connection)
    params: dict[str, Any] = {"person_id": person.id, "actor_key": account_key(site_url, person.staff_code)}
    if activity_iri is not None:
        params["activity_iri"] = activity_iri
    if year is not None:
        params["start"], params["end"] = year_bounds(year)
    query = person_candidates(connection.dialect.name, site_url, activity_iri is not None, year is not None)
    rows = connection.execute(query, params).all()
    _pin_versions(connection, (r for r in rows if r.needs_pin))

    groups: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for row in rows:
        groups[(row.activity_iri, row.year)].append(row)
    wanted: dict[tuple[int, int], CreditRow] = {}
    wanted_not_counted: dict[str, NotCountedRow] = {}
    for group in groups.values():
        credit, not_counted = evaluate_group(session, group, refusal)
        if credit is not None:
            wanted[(credit.activity_id, credit.year)] = credit
        wanted_not_counted.update((n.statement_id, n) for n in not_counted)

    existing, existing_not_counted = _current_state(connection, person.id, activity_iri, year)
    changes = [
        Change(existing.get(key), wanted.get(key))
        for key in sorted(existing.keys() | wanted.keys())
        if existing.get(key) != wanted.get(key)
    ]
    ledger, not_counted_table = Credit.__table__, NotCounted.__table__
    gone = [c.before for c in changes if c.before is not None]
    if gone:
        connection.execute(
            delete(ledger).where(
                ledger.c.person_id == bindparam("b_person"),
                ledger.c.year == bindparam("b_year"),
                ledger.c.activity_id == bindparam("b_activity"),
            ),
            [{"b_person": r.person_id, "b_year": r.year, "b_activity": r.activity_id} for r in gone],
        )
    fresh = [asdict(c.after) for c in changes if c.after is not None]
    if fresh:
        connection.execute(insert(ledger), fresh)

    stale = [sid for sid, row in existing_not_counted.items() if wanted_not_counted.get(sid) != row]
    new = [asdict(row) for sid, row in wanted_not_counted.items() if existing_not_counted.get(sid) != row]
    # A statement's row may belong to another person (a staff code moved): delete by id.
    ids = stale + [row["statement_id"] for row in new]
    if ids:
        connection.execute(delete(not_counted_table).where(not_counted_table.c.statement_id.in_(ids)))
    if new:
        connection.execute(insert(not_counted_table), new)

    if changes:
        acting = _acting(session, cause)
        for change in changes:
            _audit_change(session, change, cause, activity_iri, acting)
        if session.execute(_any_closing_query(), {"years": sorted({c.row.year for c in changes})}).first():
            closing.record_corrections(
                session, person.id, changes, lambda change: (_summary(change, cause, acting), acting.account_id)
            )
    if changes or ids:
        for instance in list(session.identity_map.values()):
            if isinstance(instance, Credit | NotCounted):
                session.expire(instance)
    return changes


@functools.lru_cache(maxsize=8)
def _state_query(one_activity: bool, one_year: bool) -> Any:
    """A person's ledger rows and not-counted rows (bound ``person_id``, and ``activity_iri``
    and ``year`` when asked), as one UNION ALL of rows of the same shape. Built once."""
    ledger, not_counted = Credit.__table__, NotCounted.__table__
    credits = select(
        literal("credit").label("kind"),
        *(ledger.c[name] for name in CREDIT_COLUMNS),
        literal(None, String).label("activity_iri"),
        literal(None, String).label("reason"),
        literal(None, Text).label("detail"),
    ).where(ledger.c.person_id == bindparam("person_id"))
    others = select(
        literal("not_counted"),
        not_counted.c.person_id,
        not_counted.c.activity_id,
        not_counted.c.year,
        not_counted.c.statement_id,
        not_counted.c.occurred_at,
        literal(None, Integer),
        literal(None, Integer),
        literal(None, String),
        literal(None, String),
        not_counted.c.activity_iri,
        not_counted.c.reason,
        not_counted.c.detail,
    ).where(not_counted.c.person_id == bindparam("person_id"))
    if one_year:
        credits = credits.where(ledger.c.year == bindparam("year"))
        others = others.where(not_counted.c.year == bindparam("year"))
    if one_activity:
        activities = Activity.__table__
        credits = credits.where(
            ledger.c.activity_id.in_(select(activities.c.id).where(activities.c.iri == bindparam("activity_iri")))
        )
        others = others.where(not_counted.c.activity_iri == bindparam("activity_iri"))
    return union_all(credits, others)


def _current_state(
    connection: Connection, person_id: int, activity_iri: str | None, year: int | None
) -> tuple[dict[tuple[int, int], CreditRow], dict[str, NotCountedRow]]:
    """The person's ledger rows and not-counted rows in scope, in one round trip."""
    params: dict[str, Any] = {"person_id": person_id}
    if activity_iri is not None:
        params["activity_iri"] = activity_iri
    if year is not None:
        params["year"] = year
    query = _state_query(activity_iri is not None, year is not None)
    existing: dict[tuple[int, int], CreditRow] = {}
    existing_not_counted: dict[str, NotCountedRow] = {}
    for row in connection.execute(query, params):
        if row.kind == "credit":
            existing[(row.activity_id, row.year)] = CreditRow(*(row._mapping[name] for name in CREDIT_COLUMNS))
        else:
            existing_not_counted[row.statement_id] = NotCountedRow(
                row.statement_id,
                row.person_id,
                row.year,
                row.activity_iri,
                row.activity_id,
                row.earned_at,
                row.reason,
                row.detail,
            )
    return existing, existing_not_counted


@dataclass(frozen=True)
class Acting:
    """Who acted behind a statement written for an HR decision (a claim approved or
    revoked), and their reason; empty for statements no HR officer decided on."""

    account_id: int | None = None
    reason: str = ""


def _acting(session: Session, cause: Cause) -> Acting:
    if cause.source != CLAIMS_SOURCE or cause.statement_id is None:
        return Acting()
    found = session.execute(
        select(ExternalClaim.decided_by, ExternalClaim.decision_reason, ExternalClaim.id).where(
            ExternalClaim.statement_id == cause.statement_id
        )
    ).first()
    if found is None:
        return Acting()
    decided_by, reason, claim_id = found
    return Acting(decided_by, f"yêu cầu bồi dưỡng bên ngoài #{claim_id}" + (f", lý do: {reason}" if reason else ""))


@functools.lru_cache(maxsize=1)
def _any_closing_query() -> Any:
    # The cheap test first: most years are not closed, and this runs after every credit.
    closings = YearClosing.__table__
    return select(closings.c.id).where(closings.c.year.in_(bindparam("years", expanding=True))).limit(1)


def _summary(change: Change, cause: Cause, acting: Acting) -> str:
    row = change.row
    if change.after is None:
        summary = f"Thu hồi {row.periods} tiết (statement {row.statement_id})"
    elif change.before is None:
        summary = f"Ghi nhận {row.periods} tiết (statement {row.statement_id})"
    else:
        summary = (
            f"Thay statement ghi nhận {change.before.statement_id} ({change.before.periods} tiết) "
            f"bằng {change.after.statement_id} ({change.after.periods} tiết)"
        )
    text = f"{summary}: {cause.describe()}"
    return f"{text}; {acting.reason}" if acting.reason else text


def _audit_change(session: Session, change: Change, cause: Cause, activity_iri: str | None, acting: Acting) -> None:
    row = change.row
    audit.log(
        session,
        account_id=acting.account_id,
        action=change.action,
        target_type="person",
        target_id=row.person_id,
        reason=_summary(change, cause, acting),
        data={
            "activity_id": row.activity_id,
            "activity_iri": activity_iri,
            "year": row.year,
            "statement_id": change.after.statement_id if change.after else None,
            "periods": change.after.periods if change.after else 0,
            "version": change.after.version if change.after else None,
            "previous_statement_id": change.before.statement_id if change.before else None,
            "previous_periods": change.before.periods if change.before else 0,
            "cause": cause.code,
            "cause_statement_id": cause.statement_id,
            "source": cause.source,
        },
    )


HANDLED_EVENTS = (StatementStored, StatementVoided, PersonCreated, PersonChanged)


@functools.lru_cache(maxsize=8)
def _statement_query(site_url: str, locking: bool) -> Select[Any]:
    """The officials statements (bound, expanding ``statement_ids``) are by, with their
    verb, activity and timestamp; with ``locking`` (PostgreSQL) it also takes each
    person's lock in the same round trip (see ``_lock_person``), in person order so two
    batches never wait on each other crosswise. Built once."""
    s, p = Statement.__table__, Person.__table__
    prefix = actor_prefix(site_url)
    columns: list[Any] = [
        s.c.id.label("statement_id"),
        p.c.id,
        p.c.staff_code,
        s.c.verb_id,
        s.c.activity_iri,
        s.c.timestamp,
        s.c.source,
    ]
    if locking:
        columns += [
            func.pg_advisory_xact_lock_shared(_LOCK_REBUILD, 0, type_=NullType),
            func.pg_advisory_xact_lock(_LOCK_PERSON, p.c.id, type_=NullType),
        ]
    return (
        select(*columns)
        .select_from(s.join(p, p.c.staff_code == func.substr(s.c.actor_key, len(prefix) + 1)))
        .where(
            s.c.id.in_(bindparam("statement_ids", expanding=True)),
            func.substr(s.c.actor_key, 1, len(prefix)) == prefix,
        )
        .order_by(p.c.id)
    )


def _concerns_credits(event: Event) -> bool:
    if isinstance(event, StatementStored):
        return event.verb_id in CREDITING_VERBS and bool(event.activity_iri)
    return isinstance(event, HANDLED_EVENTS)


def handle_events(session: Session, events: Sequence[Event], *, site_url: str, refusal: Refusal | None) -> list[Change]:
    """Recompute what ``events`` can change: the (person, activity, year) group of each
    stored or voided statement by an official (all looked up in one query), and
    everything of each created or changed person."""
    events = [event for event in events if _concerns_credits(event)]
    if not events:
        return []
    connection = session.connection()
    changes: list[Change] = []
    by_statement = {e.statement_id: e for e in events if isinstance(e, StatementStored | StatementVoided)}
    if by_statement:
        locking = connection.dialect.name == "postgresql"
        found = connection.execute(_statement_query(site_url, locking), {"statement_ids": list(by_statement)}).all()
        for row in found:
            if row.verb_id not in CREDITING_VERBS or not row.activity_iri:
                continue
            event = by_statement[row.statement_id]
            if isinstance(event, StatementStored):
                cause = Cause("statement_stored", event.statement_id, source=row.source)
            else:
                cause = Cause("statement_voided", event.statement_id, event.voiding_statement_id, row.source)
            changes += recompute(
                session,
                site_url=site_url,
                refusal=refusal,
                person=PersonRef(row.id, row.staff_code),
                activity_iri=row.activity_iri,
                year=local_year(row.timestamp),
                cause=cause,
                locked=locking,
            )
    for event in events:
        if isinstance(event, PersonCreated | PersonChanged):
            changes += _person_event(session, event, site_url=site_url, refusal=refusal)
    return changes


def _person_event(
    session: Session, event: PersonCreated | PersonChanged, *, site_url: str, refusal: Refusal | None
) -> list[Change]:
    connection = session.connection()
    staff_code = connection.execute(
        select(Person.__table__.c.staff_code).where(Person.__table__.c.id == event.person_id)
    ).scalar_one_or_none()
    if staff_code is None:
        return []
    if isinstance(event, PersonCreated):
        # A new person has no ledger rows yet, so only their statements could change it
        # (one indexed probe; a bulk import creates thousands with none).
        key = account_key(site_url, staff_code)
        if (
            connection.execute(select(literal(1)).where(Statement.__table__.c.actor_key == key).limit(1)).first()
            is None
        ):
            return []
    code = "person_created" if isinstance(event, PersonCreated) else "person_changed"
    return recompute(
        session,
        site_url=site_url,
        refusal=refusal,
        person=PersonRef(event.person_id, staff_code),
        cause=Cause(code),
    )


# --- everything at once, in SQL -------------------------------------------------------


@dataclass
class RebuildSummary:
    year: int | None
    candidates: int = 0
    credits: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    not_counted: int = 0
    refused: int = 0
    pinned: int = 0
    seconds: float = 0.0
    sample: list[dict[str, Any]] = field(default_factory=list)


# The steps a rebuild reports to ``progress``, one call each.
REBUILD_STEPS = 7
SAMPLE_SIZE = 20


class _Scratch:
    """The rebuild's temporary tables (dropped at the end; at commit on PostgreSQL anyway)."""

    def __init__(self, dialect: str, connection: Connection) -> None:
        metadata = MetaData()
        options: dict[str, Any] = {"prefixes": ["TEMPORARY"]}
        if dialect == "postgresql":
            options["postgresql_on_commit"] = "DROP"

        def table(name: str, *columns: Column[Any]) -> Table:
            created = Table(f"credits_tmp_{name}", metadata, *columns, **options)
            if dialect != "postgresql":  # pysqlite runs DDL outside the transaction: leftovers are possible
                created.drop(connection, checkfirst=True)
            created.create(connection)
            return created

        self.keys = table("keys", Column("person_id", Integer), Column("actor_key", String(400)))
        candidate_columns = [
            Column("statement_id", String(36)),
            Column("person_id", Integer),
            Column("activity_iri", String(500)),
            Column("activity_id", Integer),
            Column("year", Integer),
            Column("occurred_at", UtcDateTime),
            Column("stored", UtcDateTime),
            Column("status", String(20)),
            Column("version", Integer),
            Column("periods", Integer),
            Column("field_code", String(40)),
            Column("activity_type", String(20)),
            Column("needs_pin", Integer),
        ]
        self.candidates = table(
            "candidates", *candidate_columns, Column("refused", Text), Column("refused_round", Integer)
        )
        self.earners = table("earners", *(Column(c.name, c.type) for c in candidate_columns), Column("round", Integer))
        self.not_counted = table("not_counted", *(Column(c.name, c.type) for c in NotCounted.__table__.c))
        self.refusals = table(
            "refusals", Column("statement_id", String(36)), Column("reason", Text), Column("round", Integer)
        )
        self._table = table
        self._extra: list[Table] = []
        self.base = [self.keys, self.candidates, self.earners, self.not_counted, self.refusals]

    @property
    def all(self) -> list[Table]:
        return [*self.base, *self._extra]

    def pending_for(self, target: Table) -> Table:
        """Rows of ``target``'s shape to be written."""
        created = self._table(f"pending_{target.name}", *(Column(c.name, c.type) for c in target.c))
        self._extra.append(created)
        return created

    def gone_for(self, target: Table, keys: tuple[str, ...]) -> Table:
        """Keys of ``target`` rows to be removed."""
        created = self._table(f"gone_{target.name}", *(Column(k, target.c[k].type) for k in keys))
        self._extra.append(created)
        return created


def _rows(connection: Connection, statement: Any) -> int:
    """Execute an INSERT … SELECT and return how many rows it wrote."""
    return int(connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount)


def _analyze(connection: Connection, table: Table) -> None:
    # Fresh statistics on a just-filled temporary table, so the planner hashes rather than loops.
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {table.name}"))


def _id_order(dialect: str, column: ColumnElement[str]) -> ColumnElement[str]:
    # Byte order, like Python's str comparison, whatever the database's collation.
    return column.collate("C") if dialect == "postgresql" else column


def _first_of_each_group(dialect: str, candidates: Table, where: ColumnElement[bool], round_: int) -> Select[Any]:
    """The earliest eligible candidate of each (person, activity, year): timestamp, stored, id."""
    c = candidates
    group = (c.c.person_id, c.c.activity_id, c.c.year)
    order = (c.c.occurred_at, c.c.stored, _id_order(dialect, c.c.statement_id))
    names = [name for name in c.c.keys() if name not in ("refused", "refused_round")]
    eligible = and_(c.c.status == OK, c.c.refused.is_(None), where)
    if dialect == "postgresql":
        return (
            select(*(c.c[name] for name in names), literal(round_).label("round"))
            .where(eligible)
            .distinct(*group)
            .order_by(*group, *order)
        )
    rank = func.row_number().over(partition_by=group, order_by=order).label("rank")
    ranked = select(*(c.c[name] for name in names), rank).where(eligible).subquery()
    return select(*(ranked.c[name] for name in names), literal(round_).label("round")).where(ranked.c.rank == 1)


def _same_group(left: Table, right: Table) -> ColumnElement[bool]:
    return and_(
        left.c.person_id == right.c.person_id,
        left.c.activity_id == right.c.activity_id,
        left.c.year == right.c.year,
    )


def _insert_ignoring_duplicates(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    return insert(table).prefix_with("OR IGNORE")


def rebuild(
    session: Session,
    *,
    site_url: str,
    refusal: Refusal | None,
    year: int | None = None,
    progress: Callable[[int], None] | None = None,
    account_id: int | None = None,
) -> RebuildSummary:
    """Recompute the ledger and the not-counted list from every statement (of ``year``, or
    all years) with set-based SQL, and apply the differences in the caller's transaction,
    with one summary entry in the audit log. ``progress(1)`` is called after each of the
    ``REBUILD_STEPS`` steps. Caller commits.

    On PostgreSQL it takes an advisory lock that incremental updates share, so they wait
    for the rebuild (and then apply on top of it) instead of racing it."""
    started = time.perf_counter()
    step = progress or (lambda _n: None)
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:ns, 0)"), {"ns": _LOCK_REBUILD})
        # Big sorts and hashes in memory; no JIT compile for one-off queries.
        connection.execute(text("SET LOCAL work_mem = '256MB'"))
        connection.execute(text("SET LOCAL jit = off"))
    prepare_connection(connection)
    summary = RebuildSummary(year=year)
    scratch = _Scratch(dialect, connection)
    try:
        _rebuild_into(
            session, connection, scratch, summary, site_url=site_url, refusal=refusal, step=step, account_id=account_id
        )
    except Exception:
        if dialect != "postgresql":  # PostgreSQL drops them with the failed transaction
            for table in scratch.all:
                table.drop(connection, checkfirst=True)
        raise
    for table in scratch.all:
        table.drop(connection)
    summary.seconds = round(time.perf_counter() - started, 3)
    audit.log(
        session,
        account_id=account_id,
        action="credits.rebuilt",
        target_type="credits",
        target_id=year if year is not None else "all",
        reason="Tính lại số tiết được ghi nhận từ các statement" + (f" năm {year}" if year is not None else ""),
        data=asdict(summary),
    )
    session.flush()
    step(1)
    return summary


def _rebuild_into(
    session: Session,
    connection: Connection,
    scratch: _Scratch,
    summary: RebuildSummary,
    *,
    site_url: str,
    refusal: Refusal | None,
    step: Callable[[int], None],
    account_id: int | None,
) -> None:
    dialect = connection.dialect.name
    year = summary.year
    keys, candidates, earners, staged = scratch.keys, scratch.candidates, scratch.earners, scratch.not_counted

    # 1. Every official's actor key, then every candidate statement, classified.
    people = Person.__table__
    connection.execute(
        keys.insert().from_select(
            ["person_id", "actor_key"], select(people.c.id, literal(actor_prefix(site_url)) + people.c.staff_code)
        )
    )
    _analyze(connection, keys)
    query = candidate_select(dialect, site_url, keys=keys, year=year)
    names = [column.name for column in query.selected_columns]
    summary.candidates = _rows(connection, candidates.insert().from_select(names, query))
    _analyze(connection, candidates)
    step(1)

    # 2. Pin the current version of statements that name none, as the incremental path does.
    pins = (
        select(candidates.c.statement_id, candidates.c.activity_id, candidates.c.version)
        .where(candidates.c.needs_pin == 1)
        .order_by(_id_order(dialect, candidates.c.statement_id))
    )
    summary.pinned = _rows(
        connection,
        _insert_ignoring_duplicates(dialect, VersionPin.__table__).from_select(
            ["statement_id", "activity_id", "version"], pins
        ),
    )
    step(1)

    # 3. The first eligible statement of each group earns; modules may refuse, round by round.
    earner_columns = list(earners.c.keys())
    connection.execute(
        earners.insert().from_select(earner_columns, _first_of_each_group(dialect, candidates, literal(True), 1))
    )
    _analyze(connection, earners)
    if refusal is not None:
        summary.refused = _refusal_rounds(session, connection, dialect, refusal, candidates, earners, scratch.refusals)
    step(1)

    # 4. What did not count, and why.
    c, e = candidates, earners
    base = (c.c.statement_id, c.c.person_id, c.c.year, c.c.activity_iri, c.c.activity_id, c.c.occurred_at)
    reasons = union_all(
        select(*base, c.c.status, literal("")).where(
            c.c.status.in_([Reason.NOT_IN_CATALOG.value, Reason.UNTRUSTED.value, Reason.FAILED.value])
        ),
        select(*base, literal(Reason.REFUSED.value), c.c.refused).where(c.c.status == OK, c.c.refused.is_not(None)),
        select(*base, literal(Reason.DUPLICATE.value), e.c.statement_id)
        .select_from(c.join(e, _same_group(c, e)))
        .where(c.c.status == OK, c.c.refused.is_(None), c.c.statement_id != e.c.statement_id),
    )
    summary.not_counted = _rows(connection, staged.insert().from_select(list(NOT_COUNTED_COLUMNS), reasons))
    _analyze(connection, staged)
    step(1)

    # 5. Apply the differences to the ledger, then to the not-counted list.
    ledger = Credit.__table__
    corrections: list[Change] = []
    applied = _apply(
        connection,
        ledger,
        earners,
        scratch,
        keys=("person_id", "year", "activity_id"),
        source_columns={"earned_at": earners.c.occurred_at},
        in_scope=_year_is(ledger, year),
        sample=SAMPLE_SIZE,
        before_writing=lambda pending, gone: corrections.extend(_closed_year_changes(connection, pending, gone)),
    )
    by_person: dict[int, list[Change]] = defaultdict(list)
    for change in corrections:
        by_person[change.row.person_id].append(change)
    for person_id, changes in by_person.items():
        closing.record_corrections(session, person_id, changes, lambda change: (_rebuild_reason(change), account_id))
    summary.changed, summary.removed, summary.added, summary.sample = (
        applied.changed,
        applied.removed,
        applied.added,
        applied.sample,
    )
    summary.credits = connection.execute(select(func.count()).select_from(earners)).scalar_one()
    step(1)
    not_counted = NotCounted.__table__
    _apply(
        connection,
        not_counted,
        staged,
        scratch,
        keys=("statement_id",),
        source_columns={},
        in_scope=_year_is(not_counted, year),
    )
    step(1)


def _closed_year_changes(connection: Connection, pending: Table, gone: Table) -> list[Change]:
    """The ledger changes a rebuild is about to write in closed years (usually none: a
    rebuild that finds the ledger right changes nothing), read before they are written."""
    ledger = Credit.__table__
    closed = select(YearClosing.__table__.c.year).distinct()
    if connection.execute(closed.limit(1)).first() is None:
        return []
    key = ("person_id", "year", "activity_id")

    def rows(table: Table, keys_from: Table) -> dict[tuple[int, int, int], CreditRow]:
        query = select(*(table.c[name] for name in CREDIT_COLUMNS)).where(table.c.year.in_(closed))
        if keys_from is not table:
            query = query.where(exists().where(and_(*(keys_from.c[k] == table.c[k] for k in key))))
        return {
            (r.person_id, r.year, r.activity_id): CreditRow(*(r._mapping[name] for name in CREDIT_COLUMNS))
            for r in connection.execute(query)
        }

    after = rows(pending, pending)
    before = rows(ledger, pending) | rows(ledger, gone)
    return [Change(before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())]


def _rebuild_reason(change: Change) -> str:
    row = change.row
    was, now = (change.before.periods if change.before else 0), (change.after.periods if change.after else 0)
    return f"Tính lại sổ ghi nhận từ các statement (credits rebuild): {was} → {now} tiết, statement {row.statement_id}"


def _year_is(table: Table, year: int | None) -> ColumnElement[bool]:
    return table.c.year == year if year is not None else literal(True)


class _BatchLoader:
    """Loads the statement rows of one batch of earners on demand: when the refusal hook
    looks at one statement, every statement of the batch on an activity of the same type
    is read with it (the hook that asked will ask about those too)."""

    def __init__(self, session: Session, types: dict[str, str]) -> None:
        self.session = session
        self.types = types
        self.rows: dict[str, Statement] = {}

    def row(self, statement_id: str) -> Statement:
        if statement_id not in self.rows:
            kind = self.types[statement_id]
            ids = [sid for sid, t in self.types.items() if t == kind and sid not in self.rows]
            self.rows.update((r.id, r) for r in self.session.scalars(select(Statement).where(Statement.id.in_(ids))))
        return self.rows[statement_id]


class StoredStatement:
    """A stored statement that is read from the database only when the refusal hook looks
    at it, and that knows whether it was looked at.

    The hook must answer from the database alone, so an answer given without reading the
    statement (not even its ``id``) depends on the activity only and holds for every
    statement on that activity in the same transaction. The modules answering today
    (quizzes, checklists) look at ``activity.type`` first and at the statement only for
    their own activities: a rebuild asks them once per other activity instead of once per
    credit. It passes ``isinstance(…, Statement)``; any attribute comes from the row."""

    __slots__ = ("_loader", "_id", "looked_at")

    def __init__(self, loader: _BatchLoader, statement_id: str) -> None:
        self._loader = loader
        self._id = statement_id
        self.looked_at = False

    @property
    def id(self) -> str:
        self.looked_at = True
        return self._id

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # what isinstance() sees, as with unittest.mock's spec
        return Statement

    def __getattr__(self, name: str) -> Any:
        self.looked_at = True
        return getattr(self._loader.row(self._id), name)

    def __repr__(self) -> str:
        return f"<StoredStatement {self._id}>"


def _refusal_rounds(
    session: Session,
    connection: Connection,
    dialect: str,
    refusal: Refusal,
    candidates: Table,
    earners: Table,
    refusals: Table,
) -> int:
    """Ask the hook about each earner; replace refused ones by the next candidate of their
    group, until no earner is refused. Returns the number of refused statements.

    Each round first asks about one earner per activity; where the answer did not look at
    the statement it is the answer for the whole activity (see ``StoredStatement``), and
    only the earners of the other activities are streamed through the hook."""
    refused_total = 0
    round_ = 1
    activities: dict[int, Activity] = {}  # strong references: the identity map only keeps weak ones
    per_activity: dict[int, str | None] = {}

    def ask(batch: Sequence[Any]) -> list[tuple[str, int, str | None, bool]]:
        wanted = {row.activity_id for row in batch} - activities.keys()
        if wanted:
            activities.update((a.id, a) for a in session.scalars(select(Activity).where(Activity.id.in_(wanted))))
        loader = _BatchLoader(session, {row.statement_id: activities[row.activity_id].type for row in batch})
        answers = []
        for statement_id, activity_id in batch:
            stand_in = StoredStatement(loader, statement_id)
            reason = refusal(session, typing.cast(Statement, stand_in), activities[activity_id])
            answers.append((statement_id, activity_id, reason, stand_in.looked_at))
        return answers

    while True:
        in_round = earners.c.round == round_
        probes = connection.execute(
            select(func.min(earners.c.statement_id).label("statement_id"), earners.c.activity_id)
            .where(in_round, earners.c.activity_id.not_in(list(per_activity)))
            .group_by(earners.c.activity_id)
        ).all()
        refused: list[dict[str, Any]] = []
        asked: set[str] = set()
        for statement_id, activity_id, reason, looked_at in ask(probes):
            asked.add(statement_id)
            if not looked_at:
                per_activity[activity_id] = reason
            elif reason is not None:
                refused.append({"statement_id": statement_id, "reason": reason, "round": round_})
        for activity_id, reason in per_activity.items():
            if reason is not None:
                connection.execute(
                    refusals.insert().from_select(
                        ["statement_id", "reason", "round"],
                        select(earners.c.statement_id, literal(reason, Text), literal(round_)).where(
                            in_round, earners.c.activity_id == activity_id
                        ),
                    )
                )
        rest = connection.execute(
            select(earners.c.statement_id, earners.c.activity_id)
            .where(in_round, earners.c.activity_id.not_in(list(per_activity)))
            .order_by(earners.c.stored)  # the statement store's own order: neighbouring pages
            .execution_options(stream_results=True, yield_per=2000)
        )
        for batch in rest.partitions():
            for statement_id, _activity_id, reason, _looked_at in ask([r for r in batch if r[0] not in asked]):
                if reason is not None:
                    refused.append({"statement_id": statement_id, "reason": reason, "round": round_})
        if refused:
            connection.execute(refusals.insert(), refused)
        count = connection.execute(
            select(func.count()).select_from(refusals).where(refusals.c.round == round_)
        ).scalar_one()
        if not count:
            return refused_total
        refused_total += count
        # One UPDATE … FROM: an UPDATE per statement would scan the candidates each time
        # (a temporary table has no index).
        _analyze(connection, refusals)
        connection.execute(
            update(candidates)
            .where(candidates.c.statement_id == refusals.c.statement_id, refusals.c.round == round_)
            .values(refused=refusals.c.reason, refused_round=refusals.c.round)
        )
        connection.execute(
            delete(earners).where(
                earners.c.statement_id.in_(
                    select(candidates.c.statement_id).where(candidates.c.refused_round == round_)
                )
            )
        )
        r = candidates.alias("r")
        in_refused_group = exists().where(
            r.c.refused_round == round_,
            r.c.person_id == candidates.c.person_id,
            r.c.activity_id == candidates.c.activity_id,
            r.c.year == candidates.c.year,
        )
        round_ += 1
        connection.execute(
            earners.insert().from_select(
                list(earners.c.keys()), _first_of_each_group(dialect, candidates, in_refused_group, round_)
            )
        )


@dataclass
class Applied:
    changed: int
    removed: int
    added: int
    sample: list[dict[str, Any]]


def _apply(
    connection: Connection,
    target: Table,
    source: Table,
    scratch: _Scratch,
    *,
    keys: tuple[str, ...],
    source_columns: dict[str, Any],
    in_scope: ColumnElement[bool],
    sample: int = 0,
    before_writing: Callable[[Table, Table], None] | None = None,
) -> Applied:
    """Make ``target`` (within ``in_scope``) equal to ``source``, writing only what differs,
    and return the counts and up to ``sample`` of the changes (key, statement before and after).
    ``before_writing(pending, gone)`` may look at the differences before they are written.

    The differences are set aside in scratch tables first (two hash anti-joins), so that no
    statement inserts into a table it is scanning, and a rebuild that changes nothing
    writes nothing."""
    pending, gone = scratch.pending_for(target), scratch.gone_for(target, keys)
    names = [column.name for column in target.c]
    values = [name for name in names if name not in keys]

    def src(name: str) -> Any:
        return source_columns.get(name, source.c[name] if name in source.c else None)

    identical = and_(
        *(src(k) == target.c[k] for k in keys), *(src(v).is_not_distinct_from(target.c[v]) for v in values)
    )
    connection.execute(
        pending.insert().from_select(names, select(*(src(n).label(n) for n in names)).where(~exists().where(identical)))
    )
    same_source_key = and_(*(src(k) == target.c[k] for k in keys))
    removed = _rows(
        connection,
        gone.insert().from_select(
            list(keys), select(*(target.c[k] for k in keys)).where(in_scope, ~exists().where(same_source_key))
        ),
    )
    _analyze(connection, pending)
    _analyze(connection, gone)
    pending_key = and_(*(pending.c[k] == target.c[k] for k in keys))
    gone_key = and_(*(gone.c[k] == target.c[k] for k in keys))
    rows: list[dict[str, Any]] = []
    if sample:
        withdrawn = connection.execute(
            select(*(target.c[k] for k in keys), target.c.statement_id, literal(None, String))
            .where(exists().where(gone_key))
            .limit(sample)
        ).all()
        granted = connection.execute(
            select(*(pending.c[k] for k in keys), target.c.statement_id, pending.c.statement_id)
            .select_from(pending.outerjoin(target, pending_key))
            .limit(sample)
        ).all()
        rows = [
            {**dict(zip(keys, r[: len(keys)], strict=True)), "before": r[-2], "after": r[-1]}
            for r in [*withdrawn, *granted][:sample]
        ]
    if before_writing is not None:
        before_writing(pending, gone)
    changed = connection.execute(select(func.count()).select_from(pending.join(target, pending_key))).scalar_one()
    # Two deletes, each a hash semi-join (an OR of two EXISTS would be probed row by row).
    connection.execute(delete(target).where(exists().where(gone_key)))
    connection.execute(delete(target).where(exists().where(pending_key)))
    added = _rows(
        connection, target.insert().from_select(names, select(pending).order_by(*(pending.c[k] for k in keys)))
    )
    return Applied(changed, removed, added - changed, rows)
