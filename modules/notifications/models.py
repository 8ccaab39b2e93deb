"""Tables of the notifications module.

``notifications_messages`` is the message log: one row per reminder key, ever (a unique
constraint), so a reminder reaches its account once however many times or processes a job
runs. It is also the in-app inbox (``read_at``). ``notifications_outbox`` holds the e-mail
of a message until it is sent (retried with backoff) or given up. ``notifications_preferences``
holds what an account muted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.db import Base, UtcDateTime, utcnow

KEY_LENGTH = 300


class Message(Base):
    """A reminder delivered in-app to ``account``; ``key`` (unique) is the reminder's
    idempotency key, e.g. "weekly_digest:2026:2026-W48:account:12"."""

    __tablename__ = "notifications_messages"
    __table_args__ = (Index("ix_notifications_messages_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="/")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxEmail(Base):
    """The e-mail of ``message`` to ``recipient``. ``status``: "pending" (due at
    ``next_attempt_at``), "sending" (claimed by a worker until ``next_attempt_at``, its
    lease; due again if the worker died), "sent" or "failed" (gave up; ``last_error``)."""

    __tablename__ = "notifications_outbox"
    __table_args__ = (Index("ix_notifications_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notifications_messages.id", ondelete="CASCADE"), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    message: Mapped[Message] = relationship()


class Preference(Base):
    """What ``account`` chose: ``digests_muted`` skips the weekly digest (deadlines and
    review queues are always delivered)."""

    __tablename__ = "notifications_preferences"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    digests_muted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
