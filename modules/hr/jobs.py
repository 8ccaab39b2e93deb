"""People imports as background jobs (the page's path; the CLI and the API import at once).

``create_job`` keeps the uploaded file in an ``ImportJob`` row; ``run`` (called by a
runner thread the page starts, with a session factory of its own) claims the job, does
the dry run or the import, and writes its progress to the row in short transactions of
their own, so every app process answering the page's polling sees the same progress.

Transactions: on PostgreSQL the validation and the writes share one transaction. SQLite
cannot let a transaction that has read turn into a writer once another connection has
committed (the progress updates did), so there the validation reads in one transaction
and the writes happen in a second one; a staff code created in between makes the insert
fail, and the job then fails with nothing written. On SQLite the progress stays at
"writing" while the write transaction holds the database (under a second for 10,000 rows).

Headless: no Flask here; the caller gives the session factory and the event publisher.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, NotFound, PermissionDenied
from lms_core.events import Event
from lms_core.uow import Publisher, UnitOfWork
from modules.hr import importer
from modules.hr.models import CHECKED, DONE, FAILED, FINISHED, QUEUED, REFUSED, RUNNING, ImportJob

log = logging.getLogger(__name__)

# A queued or running job not heard from for this long lost its runner (a restarted worker).
STALE_AFTER = timedelta(minutes=10)
REPORT_EVERY = 0.5  # seconds between progress writes
RECENT_JOBS = 10

PHASE_LABELS = {
    "": N_("Đang chờ xử lý"),
    "reading": N_("Đang đọc tệp"),
    "validating": N_("Đang kiểm tra dữ liệu"),
    "writing": N_("Đang ghi dữ liệu"),
    "publishing": N_("Đang cập nhật các mô-đun liên quan"),
}
STATUS_LABELS = {
    QUEUED: N_("Đang chờ xử lý"),
    RUNNING: N_("Đang xử lý"),
    CHECKED: N_("Đã kiểm tra, chưa nhập"),
    REFUSED: N_("Có lỗi, không nhập"),
    DONE: N_("Đã nhập"),
    FAILED: N_("Bị gián đoạn"),
}


def create_job(
    session: Session, account: Account, data: bytes, *, filename: str, deactivate_missing: bool
) -> ImportJob:
    """Keep ``data`` as a queued dry run of ``account``; the file's size and type are checked
    at once (``ImportRefused``). Caller commits, then starts a runner."""
    if not access.has_role(account, Role.HR):
        raise PermissionDenied(N_("Bạn không có quyền truy cập trang này."))
    file_format = importer.sniff_format(data)
    job = ImportJob(
        account_id=account.id,
        filename=importer.clean_filename(filename),
        file_format=file_format,
        content=data,
        digest=importer.file_digest(data),
        deactivate_missing=deactivate_missing,
        dry_run=True,
        status=QUEUED,
        summary={},
        errors=[],
    )
    session.add(job)
    session.flush()
    return job


def job_for(session: Session, account: Account, job_id: int) -> ImportJob:
    """The account's own job (an HR officer sees only the imports they started)."""
    job = session.get(ImportJob, job_id)
    if job is None or job.account_id != account.id:
        raise NotFound(N_("Không tìm thấy lần nhập này."))
    return job


def recent_jobs(session: Session, account: Account) -> list[ImportJob]:
    return list(
        session.scalars(
            select(ImportJob)
            .where(ImportJob.account_id == account.id)
            .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
            .limit(RECENT_JOBS)
        )
    )


def confirm(session: Session, account: Account, job: ImportJob) -> None:
    """Queue the real import of a checked dry run. Caller commits, then starts a runner."""
    if job.account_id != account.id:
        raise NotFound(N_("Không tìm thấy lần nhập này."))
    if job.status != CHECKED or not job.dry_run or job.content is None:
        raise Conflict(N_("Lần nhập này không thể xác nhận nữa; hãy tải tệp lên lại."))
    job.dry_run = False
    job.status, job.phase, job.done, job.total = QUEUED, "", 0, 0
    job.updated_at = utcnow()


def effective_status(job: ImportJob) -> str:
    """The job's status, FAILED when its runner stopped reporting (the process ended)."""
    if job.status in (QUEUED, RUNNING) and utcnow() - job.updated_at > STALE_AFTER:
        return FAILED
    return job.status


def status_of(job: ImportJob) -> dict[str, Any]:
    """What the page's polling shows (labels are msgids: the caller translates them)."""
    status = effective_status(job)
    finished = status in FINISHED
    percent = 100 if finished else (int(100 * job.done / job.total) if job.total else 0)
    message = job.message
    if status == FAILED and not message:
        message = N_("Việc nhập bị gián đoạn; không có dữ liệu nào được ghi. Hãy tải tệp lên lại.")
    return {
        "id": job.id,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "dry_run": job.dry_run,
        "phase": job.phase,
        "phase_label": PHASE_LABELS.get(job.phase, ""),
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "finished": finished,
        "counts": {key: job.summary.get(key, 0) for key in ("rows", "created", "updated", "deactivated", "unchanged")},
        "errors": len(job.errors or []),
        "message": message,
    }


class Reporter:
    """Writes a job's progress in short transactions of its own, at most every
    ``REPORT_EVERY`` seconds (and at every phase change). Best effort: a report that finds
    the database busy is skipped, never allowed to stop the import."""

    def __init__(self, session_factory: sessionmaker[Session], job_id: int) -> None:
        self.session_factory = session_factory
        self.job_id = job_id
        self.quiet = False
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (phase == self._phase and now - self._last < REPORT_EVERY and done < total):
            return
        self._phase, self._last = phase, now
        self._write(phase=phase, done=done, total=total)

    def _write(self, **values: Any) -> None:
        with self.session_factory() as session:
            try:
                session.execute(
                    update(ImportJob).where(ImportJob.id == self.job_id).values(updated_at=utcnow(), **values)
                )
                session.commit()
            except OperationalError:
                session.rollback()
                log.info("import job %s: progress not written (database busy)", self.job_id)

    def finish(self, status: str, **values: Any) -> None:
        """The final state; the file is dropped unless the job waits for confirmation."""
        keep_file = status == CHECKED
        with self.session_factory() as session:
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == self.job_id)
                .values(
                    status=status,
                    updated_at=utcnow(),
                    finished_at=utcnow(),
                    **({} if keep_file else {"content": None}),
                    **values,
                )
            )
            session.commit()


def counting_publisher(publish: Publisher, report: Callable[[int], None]) -> Publisher:
    """``publish``, calling ``report(events delivered so far)`` after each event."""
    delivered = 0

    def counted(session: Session, event: Event) -> list[Event]:
        nonlocal delivered
        recorded = publish(session, event)
        delivered += 1
        report(delivered)
        return recorded

    return counted


def run(session_factory: sessionmaker[Session], publish: Publisher, job_id: int) -> str:
    """Claim the queued job ``job_id`` and carry it out; returns its final status (or ""
    when another runner has it). Never raises: failures end up in the job's row."""
    with session_factory() as session:
        claimed = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == QUEUED)
            .values(status=RUNNING, phase="reading", done=0, total=0, updated_at=utcnow())
        ).rowcount
        session.commit()
    if not claimed:
        return ""
    reporter = Reporter(session_factory, job_id)
    work = session_factory()
    try:
        return _carry_out(work, publish, reporter, job_id)
    except importer.ImportRefused as exc:
        work.rollback()
        reporter.finish(REFUSED, errors=[error.as_dict() for error in exc.rows], phase="")
        return REFUSED
    except IntegrityError:
        work.rollback()
        log.warning("import job %s: the data changed during the import", job_id)
        reporter.finish(FAILED, message=N_("Dữ liệu vừa được người khác thay đổi; không có dữ liệu nào được ghi."))
        return FAILED
    except Exception:
        work.rollback()
        log.exception("import job %s failed", job_id)
        reporter.finish(FAILED, message=N_("Đã có lỗi hệ thống; không có dữ liệu nào được ghi."))
        return FAILED
    finally:
        work.close()


def _carry_out(work: Session, publish: Publisher, reporter: Reporter, job_id: int) -> str:
    job = work.get(ImportJob, job_id)
    assert job is not None and job.content is not None
    data, dry_run, deactivate_missing, filename = job.content, job.dry_run, job.deactivate_missing, job.filename
    account = work.get(Account, job.account_id)
    work.expunge(job)  # the runner never writes the job row through this session
    if account is None or not account.active:
        raise PermissionDenied(N_("Tài khoản không còn hoạt động."))
    sqlite = work.get_bind().dialect.name == "sqlite"
    table = importer.read_table(data)
    planned = importer.plan(work, account, table, deactivate_missing=deactivate_missing, progress=reporter)
    if dry_run:
        work.rollback()
        reporter.finish(CHECKED, summary=planned.summary.as_dict(limit=importer.PREVIEW_LIMIT), phase="")
        return CHECKED
    if sqlite:
        # See the module docstring: the writes need a transaction of their own, begun
        # after the last progress report (SQLite refuses a writer whose snapshot predates
        # another connection's commit), and no report may commit while it runs.
        reporter("writing", 0, planned.write_count())
        reporter.quiet = True
        work.rollback()
    summary = importer.apply(work, account, planned, digest=importer.file_digest(data), filename=filename)
    events = planned.event_count()
    result = summary.as_dict(limit=importer.PREVIEW_LIMIT)

    def published(delivered: int) -> None:
        reporter.quiet = False  # committed: the database is free for progress again
        reporter("publishing", delivered, events)

    importer.release(work)
    UnitOfWork(work, counting_publisher(publish, published) if events else publish).commit()
    reporter.finish(DONE, summary=result, phase="")
    return DONE
