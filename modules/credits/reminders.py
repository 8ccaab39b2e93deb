"""The credits module's reminders (the ``hocvu_reminders`` hook), read-only:

- ``WEEKLY_DIGEST``: officials whose credited periods are below pace, pace being
  required × the share of the year elapsed (Asia/Ho_Chi_Minh; for someone who started
  during the year, the share of the time since they started);
- ``PENDING_CLAIMS``: HR accounts with external training claims waiting in their scope,
  one per account per day with the count;
- ``DEADLINES``: 60 and 14 days before 31 December to people not yet at their
  requirement, and before a required curriculum item's due day to people who have not
  completed it.

Reminders go to the account of the person (``Account.person_id``), active accounts of
active people only, and never about what the person has already done.

Cost, for N such accounts: the requirement rules once, then per chunk of 1,000 people one
query for the people and one for their year's credits (caps applied as on the hours
page). Deadlines add, only for people with a curriculum item inside a reminder window,
the two queries of ``hours.curriculum_due``. HR: one count per HR account.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from lms_core import access
from lms_core.accounts import Account, Role, RoleGrant
from lms_core.catalog import Activity, CurriculumItem
from lms_core.errors import N_
from lms_core.people import Person
from lms_core.reminders import DEADLINES, PENDING_CLAIMS, WEEKLY_DIGEST, Reminder
from lms_core.units import Unit
from modules.credits.claims import Status
from modules.credits.engine import TIMEZONE
from modules.credits.hours import curriculum_due, due_date
from modules.credits.models import Credit, ExternalClaim
from modules.credits.requirements import DEFAULT_PERIODS, counted_periods, requirement_for, rules_for_year

CHUNK = 1000
# Days before a deadline at which people are reminded, largest first. A run inside a
# window sends that window's reminder once (its key names the threshold), so a missed
# daily run or someone arriving with 10 days left still gets the 14-day one.
THRESHOLDS = (60, 14)

HOURS_LINK = "/hours"
CLAIMS_LINK = "/credits/claims"

DIGEST_SUBJECT = N_("Tiến độ bồi dưỡng năm %(year)s: bạn đã có %(credited)s/%(required)s tiết")
DIGEST_BODY = N_(
    "Đã qua %(share)s%% thời gian bồi dưỡng của năm %(year)s. Theo tiến độ, đến nay cần khoảng %(pace)s tiết; "
    "bạn đã được ghi nhận %(credited)s/%(required)s tiết, còn thiếu %(missing)s tiết để đạt yêu cầu năm."
)
YEAR_SUBJECT = N_("Còn %(days)s ngày để hoàn thành số tiết bồi dưỡng năm %(year)s")
YEAR_BODY = N_(
    "Năm %(year)s kết thúc ngày %(due)s (còn %(days)s ngày). Bạn đã được ghi nhận %(credited)s/%(required)s tiết; "
    "còn thiếu %(missing)s tiết."
)
ACTIVITY_SUBJECT = N_("Còn %(days)s ngày để hoàn thành \u201c%(title)s\u201d")
ACTIVITY_BODY = N_(
    "\u201c%(title)s\u201d (%(periods)s tiết) là nội dung bắt buộc của vị trí việc làm của bạn, "
    "cần hoàn thành trước hết ngày %(due)s (còn %(days)s ngày)."
)
CLAIMS_SUBJECT = N_("%(count)s khai báo bồi dưỡng bên ngoài đang chờ duyệt")
CLAIMS_BODY = N_(
    "Có %(count)s khai báo bồi dưỡng bên ngoài của cán bộ thuộc phạm vi của bạn đang chờ duyệt; "
    "khai báo cũ nhất gửi ngày %(oldest)s."
)


def reminders(session: Session, kind: str, now: datetime, *, default_periods: int) -> list[Reminder]:
    """The credits module's reminders of ``kind`` at ``now``; [] for other kinds. Called
    by the plugin's ``hocvu_reminders``; ``default_periods`` is the requirement when no
    rule applies."""
    if kind == WEEKLY_DIGEST:
        return weekly_digest(session, now, default_periods=default_periods)
    if kind == DEADLINES:
        return deadlines(session, now, default_periods=default_periods)
    if kind == PENDING_CLAIMS:
        return pending_claims(session, now)
    return []


def _local(now: datetime) -> datetime:
    return now.astimezone(TIMEZONE)


def _vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- people with accounts and their year's totals --------------------------------------


@dataclass(frozen=True)
class Standing:
    """A person with an account: what they must complete in the year and what counts so far
    (the same figures as ``hours.hours_for``)."""

    account_id: int
    person: Person
    required: int
    credited: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.credited)


def standings(session: Session, year: int, *, default_periods: int = DEFAULT_PERIODS) -> Iterator[Standing]:
    """Every active person with an active account, with their requirement and credited
    periods for ``year``, in chunks of ``CHUNK`` people (two queries a chunk)."""
    rules = rules_for_year(session, year)
    last_id = 0
    while True:
        rows = session.execute(
            select(Account.id, Person)
            .join(Person, Person.id == Account.person_id)
            .where(Account.active.is_(True), Person.active.is_(True), Person.id > last_id)
            .options(joinedload(Person.unit))
            .order_by(Person.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        last_id = rows[-1][1].id
        earned: dict[int, list[tuple[int, str, str | None]]] = {}
        # Ordered as on the hours page, so the caps use up the same items first.
        for credit in session.scalars(
            select(Credit)
            .where(Credit.year == year, Credit.person_id.in_([person.id for _, person in rows]))
            .order_by(Credit.person_id, Credit.earned_at, Credit.activity_id)
        ):
            earned.setdefault(credit.person_id, []).append((credit.periods, credit.activity_type, credit.field_code))
        for account_id, person in rows:
            requirement = requirement_for(session, person, year, default_periods=default_periods, rules=rules)
            credited = sum(counted_periods(earned.get(person.id, []), requirement.caps))
            yield Standing(account_id, person, requirement.periods, credited)


def share_elapsed(person: Person, now: datetime) -> float | None:
    """The share of the person's training time in ``now``'s year already past: from
    1 January (or their start date, if later) to the end of 31 December. None when they
    start after ``now``."""
    local = _local(now)
    year_start = datetime(local.year, 1, 1, tzinfo=TIMEZONE)
    year_end = datetime(local.year + 1, 1, 1, tzinfo=TIMEZONE)
    start = year_start
    if person.start_date is not None and person.start_date.year == local.year:
        start = datetime.combine(person.start_date, time(), tzinfo=TIMEZONE)
    elif person.start_date is not None and person.start_date.year > local.year:
        return None
    if start > local:
        return None
    return min(1.0, (local - start) / (year_end - start))


# --- the weekly digest ----------------------------------------------------------------


def weekly_digest(session: Session, now: datetime, *, default_periods: int = DEFAULT_PERIODS) -> list[Reminder]:
    """One digest per ISO week and local year to each person behind pace; digests are
    ``mutable``."""
    local = _local(now)
    iso = local.isocalendar()
    # Both years: the digest counts the local year, and an ISO week can straddle two
    # (29 Dec 2025 is 2026-W01), whose halves are different digests.
    week = f"{local.year}:{iso.year}-W{iso.week:02d}"
    found = []
    for standing in standings(session, local.year, default_periods=default_periods):
        share = share_elapsed(standing.person, now)
        if share is None or standing.required <= 0:
            continue
        pace = standing.required * share
        if standing.credited >= pace:
            continue
        params = {
            "year": local.year,
            "share": round(share * 100),
            "pace": math.ceil(pace),
            "credited": standing.credited,
            "required": standing.required,
            "missing": standing.missing,
        }
        found.append(
            Reminder(
                key=f"weekly_digest:{week}:account:{standing.account_id}",
                kind=WEEKLY_DIGEST,
                account_id=standing.account_id,
                subject=DIGEST_SUBJECT % params,
                body=DIGEST_BODY % params,
                link=HOURS_LINK,
                mutable=True,
            )
        )
    return found


# --- deadlines ------------------------------------------------------------------------


def threshold(days_left: int) -> int | None:
    """The reminder window ``days_left`` falls in (60 or 14), None outside every window
    (too early, or past the deadline)."""
    if days_left < 0:
        return None
    inside = [t for t in THRESHOLDS if days_left <= t]
    return min(inside) if inside else None


def _due_rules_by_position(session: Session) -> dict[int, list[str]]:
    """The due rules of every position's required, active curriculum items (one query)."""
    rules: dict[int, list[str]] = {}
    for position_id, rule in session.execute(
        select(CurriculumItem.position_id, CurriculumItem.due_rule)
        .join(Activity, Activity.id == CurriculumItem.activity_id)
        .where(CurriculumItem.required.is_(True), Activity.active.is_(True))
    ):
        rules.setdefault(position_id, []).append(rule)
    return rules


def deadlines(session: Session, now: datetime, *, default_periods: int = DEFAULT_PERIODS) -> list[Reminder]:
    """Year-end and curriculum reminders inside a window (see ``THRESHOLDS``)."""
    today = _local(now).date()
    year = today.year
    year_end = date(year, 12, 31)
    year_window = threshold((year_end - today).days)
    position_rules = _due_rules_by_position(session)
    found: list[Reminder] = []
    for standing in standings(session, year, default_periods=default_periods):
        person = standing.person
        if year_window is not None and standing.credited < standing.required:
            days = (year_end - today).days
            params = {
                "year": year,
                "due": _vn(year_end),
                "days": days,
                "credited": standing.credited,
                "required": standing.required,
                "missing": standing.missing,
            }
            found.append(
                Reminder(
                    key=f"deadline:year:{year}:{year_window}:account:{standing.account_id}",
                    kind=DEADLINES,
                    account_id=standing.account_id,
                    subject=YEAR_SUBJECT % params,
                    body=YEAR_BODY % params,
                    link=HOURS_LINK,
                )
            )
        rules = position_rules.get(person.position_id or 0, [])
        # Only people with an item due inside a window pay for curriculum_due's queries.
        if not any(_in_window(due_date(rule, person, year), today) for rule in rules):
            continue
        for item in curriculum_due(session, person, year):
            found.extend(_activity_reminder(standing.account_id, item, today))
    return found


def _in_window(due: date | None, today: date) -> bool:
    return due is not None and threshold((due - today).days) is not None


def _activity_reminder(account_id: int, item: dict[str, Any], today: date) -> list[Reminder]:
    if not item["due"]:
        return []
    due = date.fromisoformat(item["due"])
    days = (due - today).days
    window = threshold(days)
    if window is None:
        return []
    params = {"title": item["title"], "periods": item["periods"], "due": _vn(due), "days": days}
    return [
        Reminder(
            key=f"deadline:activity:{item['activity_id']}:{due.isoformat()}:{window}:account:{account_id}",
            kind=DEADLINES,
            account_id=account_id,
            subject=ACTIVITY_SUBJECT % params,
            body=ACTIVITY_BODY % params,
            link=HOURS_LINK,
        )
    ]


# --- pending claims -------------------------------------------------------------------


def hr_accounts(session: Session) -> Sequence[Account]:
    """Active accounts holding HR (or admin, which counts as HR) anywhere."""
    return session.scalars(
        select(Account)
        .where(
            Account.active.is_(True),
            Account.id.in_(select(RoleGrant.account_id).where(RoleGrant.role.in_((Role.HR.value, Role.ADMIN.value)))),
        )
        .order_by(Account.id)
    ).all()


def pending_claims(session: Session, now: datetime) -> list[Reminder]:
    """One reminder a day to each HR account with pending claims it may decide: in its
    scope (as ``claims.review_queue``), not its own."""
    day = _local(now).date()
    found = []
    for account in hr_accounts(session):
        conditions = [access.scope_filter(account, Role.HR), ExternalClaim.status == Status.PENDING.value]
        if account.person_id is not None:
            conditions.append(ExternalClaim.person_id != account.person_id)  # nobody decides their own
        count, oldest = session.execute(
            select(func.count(ExternalClaim.id), func.min(ExternalClaim.submitted_at))
            .join(Person, Person.id == ExternalClaim.person_id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(*conditions)
        ).one()
        if not count:
            continue
        params = {"count": count, "oldest": _vn(_local(oldest).date())}
        found.append(
            Reminder(
                key=f"pending_claims:{day.isoformat()}:account:{account.id}",
                kind=PENDING_CLAIMS,
                account_id=account.id,
                subject=CLAIMS_SUBJECT % params,
                body=CLAIMS_BODY % params,
                link=CLAIMS_LINK,
            )
        )
    return found
