"""Reminders: what a module wants someone to be told, collected by the notifications
module through the ``hocvu_reminders`` hook and delivered (in-app, and by e-mail when
configured) at most once per ``key``.

Headless: plain data, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass

# The reminder kinds the notifications module's jobs ask for.
WEEKLY_DIGEST = "weekly_digest"  # officials behind pace (pace = required × share of the year elapsed)
MENTOR_QUEUE = "mentor_queue"  # mentors with checklist items waiting more than 3 days
PENDING_CLAIMS = "pending_claims"  # HR with external training claims to decide
DEADLINES = "deadlines"  # 60 and 14 days before the year or a curriculum deadline closes

KINDS = (WEEKLY_DIGEST, MENTOR_QUEUE, PENDING_CLAIMS, DEADLINES)


@dataclass(frozen=True)
class Reminder:
    """One message for one account.

    ``key`` makes it idempotent: the notifications module delivers a key once, ever, so a
    module builds it from what the reminder is about, its period and the recipient
    account (e.g. "weekly_digest:2026:2026-W48:account:12",
    "deadline:activity:7:2026-12-31:14:account:12", "mentor_queue:2026-07-06:account:3").
    ``subject`` and ``body`` are final text (Vietnamese; the modules choose), ``link`` a
    path on the site (e.g. "/hours"). ``mutable`` reminders (digests) are skipped for an
    account that muted digests; deadlines and review queues are not."""

    key: str
    kind: str
    account_id: int
    subject: str
    body: str
    link: str = "/"
    mutable: bool = False
