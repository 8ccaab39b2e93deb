"""The hr module's table: people imports run as background jobs from the page.

The uploaded file is kept in the row, not on disk: the dry run and the confirmed import
may be served by different app servers (a city runs several on one PostgreSQL), and
each of them must read the same file. It is dropped when the import is done or refused.
Progress is in the row too, so whichever process answers the page's polling sees it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow

# Statuses. A job is checked (dry run) first; confirming queues the real import.
QUEUED = "queued"  # waiting for its runner
RUNNING = "running"  # a runner claimed it; ``phase`` says how far it is
CHECKED = "checked"  # dry run done, no errors: may be confirmed
REFUSED = "refused"  # the file has errors: ``errors`` lists them, nothing was written
DONE = "done"  # imported (in the writes' transaction); phase "publishing" while notifying
FAILED = "failed"  # stopped by an unexpected error; nothing was written
FINISHED = (CHECKED, REFUSED, DONE, FAILED)


class ImportJob(Base):
    """One uploaded file and what became of it."""

    __tablename__ = "hr_import_jobs"
    __table_args__ = (Index("ix_hr_import_jobs_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_format: Mapped[str] = mapped_column(String(10))
    # Deferred: up to 5 MB, and every poll of the status loads the row; only the runner
    # reads the file (``undefer``).
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    digest: Mapped[str] = mapped_column(String(16))
    deactivate_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    # True while the job is (or was) a dry run; confirming sets it to False.
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    phase: Mapped[str] = mapped_column(String(20), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # Summary.as_dict() of the dry run or of the import.
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    # [{"row", "column", "message", "params"}], messages as msgids.
    errors: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Every progress report touches it, so a job whose runner died can be told apart.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
