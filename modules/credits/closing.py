"""Closing a year: HR of a unit closes a year once its figures are final (for the yearly
report). The totals of that moment are kept per person; afterwards every change of a
ledger row of that year, for anyone in the unit or below, is a ``Correction`` with its
reason, and HR actions that change the year (approving a claim, changing a rule) must
give one. Nothing is frozen: a correction is still applied, it is just shown as one.

Headless: session in, results out; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from lms_core import access, audit
from lms_core.accounts import Account, Role
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, NotFound, ValidationFailed
from lms_core.people import Person
from lms_core.units import Unit, ancestor_paths, get_unit
from modules.credits import bulk
from modules.credits.models import ClosingTotal, Correction, YearClosing
from modules.credits.requirements import (
    DEFAULT_PERIODS,
    MIN_YEAR,
)


def closing_for_path(session: Session, path: str, year: int) -> YearClosing | None:
    """The closing of ``year`` that covers a unit with ``path`` (its own or an ancestor's;
    the earliest when several do)."""
    return session.scalar(
        select(YearClosing)
        .join(Unit, Unit.id == YearClosing.unit_id)
        .where(YearClosing.year == year, Unit.path.in_(ancestor_paths(path)))
        .order_by(YearClosing.id)
        .limit(1)
    )


def covering_closings(session: Session, person_id: int, unit_path: str, year: int) -> list[YearClosing]:
    """Every closing of ``year`` that concerns the person: those that kept a total for
    them (even if they moved since) and those of their current unit or a unit above it
    (for people added after the closing), earliest first."""
    kept = select(ClosingTotal.closing_id).where(ClosingTotal.person_id == person_id)
    return list(
        session.scalars(
            select(YearClosing)
            .join(Unit, Unit.id == YearClosing.unit_id)
            .where(YearClosing.year == year, or_(YearClosing.id.in_(kept), Unit.path.in_(ancestor_paths(unit_path))))
            .order_by(YearClosing.id)
        )
    )


def closing_for(session: Session, person: Person, year: int) -> YearClosing | None:
    """The earliest closing of ``year`` that concerns ``person``, if any."""
    found = covering_closings(session, person.id, person.unit.path, year)
    return found[0] if found else None


@dataclass(frozen=True)
class ClosingSummary:
    closing: YearClosing
    people: int
    on_track: int


def close_year(
    session: Session,
    account: Account,
    unit_id: int,
    year: int,
    *,
    note: str = "",
    default_periods: int = DEFAULT_PERIODS,
    now: datetime | None = None,
) -> ClosingSummary:
    """HR over the unit closes ``year`` for it and everything below it, keeping everyone's
    totals. A year can be closed once it has begun; not twice for the same people."""
    from modules.credits import engine  # the engine imports this module

    now = now or utcnow()
    unit = get_unit(session, unit_id)
    access.require(account, Role.HR, unit)
    if not MIN_YEAR <= year <= engine.local_year(now):
        raise ValidationFailed.single("year", N_("Chỉ chốt được năm đã bắt đầu."))
    engine.lock_out_credit_updates(session.connection())  # no credit lands between the totals and the closing
    if closing_for_path(session, unit.path, year) is not None:
        raise Conflict(N_("Năm %(year)s đã được chốt cho đơn vị này hoặc đơn vị cấp trên."), year=year)
    closing = YearClosing(unit_id=unit.id, year=year, closed_at=now, closed_by=account.id, note=note.strip())
    try:
        with session.begin_nested():
            session.add(closing)
    except IntegrityError:  # SQLite: a simultaneous closing of the same unit and year won
        raise Conflict(N_("Năm %(year)s đã được chốt cho đơn vị này hoặc đơn vị cấp trên."), year=year) from None
    # Everyone of the subtree, inactive people too: a correction may concern them later.
    rows = [
        {"closing_id": closing.id, "person_id": p["person_id"], "required": p["required"], "credited": p["credited"]}
        for p in bulk.people_hours(session, unit, year, default_periods=default_periods)
    ]
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(ClosingTotal), rows[chunk : chunk + 5000])
    on_track = sum(1 for row in rows if row["credited"] >= row["required"])
    audit.log(
        session,
        account_id=account.id,
        action="credits.year_closed",
        target_type="unit",
        target_id=unit.id,
        reason=closing.note,
        data={"year": year, "closing_id": closing.id, "people": len(rows), "on_track": on_track},
    )
    return ClosingSummary(closing, len(rows), on_track)


def closings(session: Session, account: Account, year: int | None = None) -> Sequence[YearClosing]:
    """Closings of units in the account's HR scope, newest first."""
    query = (
        select(YearClosing)
        .join(Unit, Unit.id == YearClosing.unit_id)
        .where(access.scope_filter(account, Role.HR))
        .options(joinedload(YearClosing.unit))
        .order_by(YearClosing.year.desc(), YearClosing.id.desc())
    )
    if year is not None:
        query = query.where(YearClosing.year == year)
    return session.scalars(query).all()


def record_corrections(session: Session, person_id: int, changes: Sequence[Any], describe: Any) -> int:
    """Called by the engine after it changed a person's ledger rows (``changes`` of
    ``engine.Change``): each change of a closed year becomes a ``Correction``.
    ``describe(change)`` gives (reason, account id). Returns how many were recorded."""
    unit_path = session.scalar(select(Unit.path).join(Person, Person.unit_id == Unit.id).where(Person.id == person_id))
    if unit_path is None:
        return 0
    recorded = 0
    by_year: dict[int, list[YearClosing]] = {}
    for change in changes:
        row = change.row
        if row.year not in by_year:
            by_year[row.year] = covering_closings(session, person_id, unit_path, row.year)
        reason, account_id = describe(change)
        # One row per closing: a commune's and the province's closing both list it.
        for closing in by_year[row.year]:
            session.add(
                Correction(
                    closing_id=closing.id,
                    person_id=person_id,
                    year=row.year,
                    activity_id=row.activity_id,
                    statement_id=row.statement_id,
                    periods_before=change.before.periods if change.before else 0,
                    periods_after=change.after.periods if change.after else 0,
                    at=utcnow(),
                    account_id=account_id,
                    reason=reason,
                )
            )
            recorded += 1
    if recorded:
        session.flush()
    return recorded


def corrections_for(session: Session, person_id: int, year: int) -> Sequence[Correction]:
    return session.scalars(
        select(Correction).where(Correction.person_id == person_id, Correction.year == year).order_by(Correction.id)
    ).all()


def closing_total(session: Session, closing: YearClosing, person_id: int) -> ClosingTotal | None:
    return session.get(ClosingTotal, (closing.id, person_id))


def corrections_of_closing(session: Session, closing: YearClosing, limit: int = 500) -> Sequence[Correction]:
    return session.scalars(
        select(Correction).where(Correction.closing_id == closing.id).order_by(Correction.id.desc()).limit(limit)
    ).all()


def rule_changes_after(session: Session, closing: YearClosing) -> list[audit.AuditEntry]:
    """Rule changes for the closed year made after it was closed (from the audit log)."""
    entries = session.scalars(
        select(audit.AuditEntry)
        .where(
            audit.AuditEntry.action.in_(["credits.rule_created", "credits.rule_updated", "credits.rule_deleted"]),
            audit.AuditEntry.at >= closing.closed_at,
        )
        .order_by(audit.AuditEntry.id.desc())
    ).all()
    # The rule services record the closings a change touched (before and after the change).
    return [e for e in entries if closing.id in (e.data or {}).get("closings", [])]


def get_closing(session: Session, account: Account, closing_id: int) -> YearClosing:
    found = session.get(YearClosing, closing_id)
    if found is None or not access.can(account, Role.HR, found.unit):
        raise NotFound(N_("Không tìm thấy lần chốt số liệu."))
    return found


@dataclass(frozen=True)
class TotalsSummary:
    people: int
    on_track: int
    required: int
    credited: int
    corrections: int
    corrected_periods: int  # net change of the ledger's periods since closing


def totals_summary(session: Session, found: YearClosing) -> TotalsSummary:
    """The closed figures, and how much has been corrected since."""
    t = ClosingTotal
    people, on_track, required, credited = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((t.credited >= t.required, 1), else_=0)), 0),
            func.coalesce(func.sum(t.required), 0),
            func.coalesce(func.sum(t.credited), 0),
        ).where(t.closing_id == found.id)
    ).one()
    count, delta = session.execute(
        select(func.count(), func.coalesce(func.sum(Correction.periods_after - Correction.periods_before), 0)).where(
            Correction.closing_id == found.id
        )
    ).one()
    return TotalsSummary(people, on_track, required, credited, count, delta)


def people_names(session: Session, found: YearClosing) -> dict[int, Person]:
    """The people named in the closing's corrections."""
    ids = select(Correction.person_id).where(Correction.closing_id == found.id)
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
