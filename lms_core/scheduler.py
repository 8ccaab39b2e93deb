"""The scheduler contract: each module job runs once per time slot, however many
processes run the scheduler.

APScheduler 3 has no coordination between processes, so every run first claims its
slot — (job name, scheduled minute) — by inserting a ``JobRun`` row under a unique
constraint. The process whose insert commits runs the job; the others see the
constraint fail and skip. HocVu runs the scheduler in one dedicated process
(``flask --app wsgi scheduler``); the claim makes a second one harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from lms_core.db import Base, UtcDateTime, utcnow
from lms_core.uow import Publisher, UnitOfWork

log = logging.getLogger(__name__)


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    slot: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str] = mapped_column(Text, default="")


def slot_for(now: datetime) -> str:
    """The slot a scheduled firing belongs to: its minute in UTC."""
    return now.strftime("%Y-%m-%dT%H:%M")


def run_once(
    session_factory: sessionmaker,
    job: str,
    func: Callable[[Session], object],
    slot: str,
    publish: Publisher | None = None,
) -> bool:
    """Run ``func`` for ``(job, slot)`` unless another process already claimed it.

    Returns True when this call ran the job. ``func`` gets a fresh session and its work
    is committed when it returns, through a unit of work so the events it records
    reach the modules (``publish``); a failure is recorded on the ``JobRun`` row.
    """
    with session_factory() as session:
        run = JobRun(job=job, slot=slot, started_at=utcnow())
        session.add(run)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            log.info("job %s slot %s already claimed by another process", job, slot)
            return False
        try:
            func(session)
            UnitOfWork(session, publish).commit()
            run.status = "done"
        except Exception as exc:
            session.rollback()
            log.exception("job %s failed", job)
            run.status, run.error = "failed", repr(exc)
        run.finished_at = utcnow()
        session.add(run)
        session.commit()
        return True
