"""The checklists module's reminders (the ``hocvu_reminders`` hook), read-only.

``MENTOR_QUEUE``: each mentor with checklist items waiting for their sign-off for more
than ``WAITING`` (3 days) gets one reminder a day with the count, counted from the same
queue as ``GET /api/v1/mentor/queue`` (``services.mentor_queue``), so an item signed off,
returned or no longer covered by an assignment is not counted.

Cost: one query finds the mentors concerned (an open request older than the cutoff from
an official they are assigned to today); then, per such mentor, their account and the
queue (a few queries per mentee's checklist in progress).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.errors import N_
from lms_core.reminders import MENTOR_QUEUE, Reminder
from modules.checklists import services
from modules.checklists.models import MentorAssignment, Progress, ReviewRequest

WAITING = timedelta(days=3)
QUEUE_LINK = "/checklists/mentor"

SUBJECT = N_("%(count)s mục thực hành đang chờ bạn ký xác nhận")
BODY = N_(
    "Có %(count)s mục thực hành của người bạn hướng dẫn đã chờ bạn xem xét, ký xác nhận quá %(days)s ngày; "
    "mục chờ lâu nhất: %(official)s, \u201c%(checklist)s\u201d, gửi ngày %(since)s."
)


def reminders(session: Session, kind: str, now: datetime) -> list[Reminder]:
    """The checklists module's reminders of ``kind`` at ``now``; [] for other kinds.
    Called by the plugin's ``hocvu_reminders``."""
    if kind == MENTOR_QUEUE:
        return mentor_queue(session, now)
    return []


def waiting_mentors(session: Session, now: datetime) -> list[int]:
    """People assigned today as mentor of an official (for the checklist, or all) who has
    an open review request older than ``WAITING``; never their own work."""
    day = services.today(now)
    return list(
        session.scalars(
            select(MentorAssignment.mentor_id)
            .join(Progress, Progress.person_id == MentorAssignment.official_id)
            .join(
                ReviewRequest,
                and_(
                    ReviewRequest.progress_id == Progress.id,
                    ReviewRequest.closed_at.is_(None),
                    ReviewRequest.requested_at < now - WAITING,
                ),
            )
            .where(
                MentorAssignment.mentor_id != MentorAssignment.official_id,
                MentorAssignment.start_date <= day,
                or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
                or_(MentorAssignment.checklist_id.is_(None), MentorAssignment.checklist_id == Progress.checklist_id),
            )
            .distinct()
            .order_by(MentorAssignment.mentor_id)
        )
    )


def mentor_queue(session: Session, now: datetime) -> list[Reminder]:
    """One reminder per mentor per day (Asia/Ho_Chi_Minh) counting the items in their
    queue requested more than ``WAITING`` before ``now``."""
    mentor_ids = waiting_mentors(session, now)
    if not mentor_ids:
        return []
    day = services.today(now).isoformat()
    cutoff = now - WAITING
    found = []
    for account in session.scalars(
        select(Account).where(Account.person_id.in_(mentor_ids), Account.active.is_(True)).order_by(Account.id)
    ):
        waiting = [
            entry
            for entry in services.mentor_queue(session, account, now)
            if entry.state.open_request is not None and entry.state.open_request.requested_at < cutoff
        ]
        if not waiting:
            continue
        oldest = min(waiting, key=lambda entry: entry.state.open_request.requested_at)  # type: ignore[union-attr]
        params = {
            "count": len(waiting),
            "days": WAITING.days,
            "official": oldest.official.full_name,
            "checklist": oldest.progress.version.title,
            "since": services.local_date(oldest.state.open_request.requested_at).strftime("%d/%m/%Y"),  # type: ignore[union-attr]
        }
        found.append(
            Reminder(
                key=f"mentor_queue:{day}:account:{account.id}",
                kind=MENTOR_QUEUE,
                account_id=account.id,
                subject=SUBJECT % params,
                body=BODY % params,
                link=QUEUE_LINK,
            )
        )
    return found
