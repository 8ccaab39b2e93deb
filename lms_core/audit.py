"""The append-only audit log: who did what, when, to what, and why.

Rows are only ever inserted; the ORM refuses updates and deletes of ``AuditEntry``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)


def log(
    session: Session,
    *,
    account_id: int | None,
    action: str,
    target_type: str,
    target_id: object,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (so it is kept only if the change is)."""
    entry = AuditEntry(
        account_id=account_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        data=data or {},
        at=utcnow(),
    )
    session.add(entry)
    return entry


def entries_for(session: Session, target_type: str, target_id: object) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == target_type, AuditEntry.target_id == str(target_id))
            .order_by(AuditEntry.id)
        )
    )


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise RuntimeError(f"audit entry {target.id} is append-only")
