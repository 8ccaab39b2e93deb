"""Tables of the LRS module.

Statements themselves live in the core's statement store (``statements``), so what an
xAPI client POSTs and what HocVu's own services write are one record. This module keeps
who may call the LRS (``lrs_clients``), the xAPI Document resources (``lrs_documents``),
attachment payloads (``lrs_attachments``) and the state of forwarding to an external LRS
(``lrs_forward_state``, ``lrs_forward_log``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms_core.db import Base, UtcDateTime, utcnow


class LrsClient(Base):
    """Credentials an xAPI client sends with HTTP Basic: ``key`` is public, the secret
    is kept only as a keyed hash (HMAC-SHA256), cheap to check on every request.

    ``scope`` "all" reads every statement and document; "own" reads only what this client
    stored. A launch credential (``actor_key`` set) is short-lived (``expires_at``), may
    write statements only about that actor and read only that actor's statements.
    ``credit_trusted``: its completed/passed statements may award training periods.
    """

    __tablename__ = "lrs_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    can_read: Mapped[bool] = mapped_column(Boolean, default=True)
    can_write: Mapped[bool] = mapped_column(Boolean, default=True)
    credit_trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(10), default="all")
    actor_key: Mapped[str | None] = mapped_column(String(400))
    activity_iri: Mapped[str | None] = mapped_column(String(500))
    registration: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))


class Document(Base):
    """An xAPI document: ``kind`` "state" (activity + agent [+ registration] + stateId),
    "activity_profile" (activity + profileId) or "agent_profile" (agent + profileId).
    Absent parts are "" so the unique constraint holds on every database.
    ``scope_key`` is "" for shared documents, a client's key for an "own"-scoped client."""

    __tablename__ = "lrs_documents"
    __table_args__ = (
        UniqueConstraint(
            "kind",
            "scope_key",
            "activity_iri",
            "agent_key",
            "registration",
            "document_id",
            name="uq_lrs_documents_address",
        ),
        Index("ix_lrs_documents_lookup", "kind", "scope_key", "activity_iri", "agent_key", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(40), default="")
    activity_iri: Mapped[str] = mapped_column(String(500), default="")
    agent_key: Mapped[str] = mapped_column(String(400), default="")
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(200))
    etag: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attachment(Base):
    """An attachment's raw data, by its SHA-256 (statements refer to it by ``sha2``)."""

    __tablename__ = "lrs_attachments"

    sha2: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ForwardState(Base):
    """One row: how far forwarding to the external LRS has got. Every statement stored
    before ``watermark`` minus the forwarding lag has been sent or parked. Nothing is
    sent before ``next_attempt_at``: the backoff after a failure, or the lease of the
    pass running now."""

    __tablename__ = "lrs_forward_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    watermark: Mapped[datetime] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ForwardLog(Base):
    """A statement forwarding has dealt with: "sent" (or already stored there: 409),
    "parked" with the external LRS's ``error`` when it refused that one statement (400),
    or "retry" when an admin asked to send a parked one again."""

    __tablename__ = "lrs_forward_log"
    __table_args__ = (Index("ix_lrs_forward_log_status", "status", "handled_at"),)

    statement_id: Mapped[str] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
