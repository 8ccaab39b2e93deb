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

The import's writes and the job's DONE (with its summary) are one transaction, so a
job can never be "written" without saying so; the events are published after that
commit, with ``phase`` "publishing" until they are all delivered (a runner that dies
then leaves a DONE job whose notifying was interrupted, never a FAILED one).

Headless: no Flask here; the caller gives the session factory and the event publisher.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker, undefer

from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, DomainError, NotFound, PermissionDenied
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
    """Queue the real import of a checked dry run (``Conflict`` when it is not one any
    more). Caller commits, then starts a runner."""
    if job.account_id != account.id:
        raise NotFound(N_("Không tìm thấy lần nhập này."))
    # One conditional UPDATE, not a check of the loaded object: two requests (a double
    # click) may both have loaded the job as checked; only one of them may queue it, and
    # a job already running or done must never go back to queued.
    queued = session.execute(
        update(ImportJob)
        .where(
            ImportJob.id == job.id,
            ImportJob.status == CHECKED,
            ImportJob.dry_run.is_(True),
            ImportJob.content.is_not(None),
        )
        .values(dry_run=False, status=QUEUED, phase="", done=0, total=0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if queued != 1:
        raise Conflict(N_("Lần nhập này không thể xác nhận nữa; hãy tải tệp lên lại."))
    session.expire(job)  # the row changed behind the ORM's back


PUBLISHING_LABEL = N_("Đã ghi dữ liệu; đang cập nhật các mô-đun liên quan")
PUBLISHING_LOST = N_("Dữ liệu đã được ghi; việc cập nhật các mô-đun liên quan bị gián đoạn.")
PUBLISHING_FAILED = N_("Dữ liệu đã được ghi; việc cập nhật các mô-đun liên quan gặp lỗi.")


def _stale(job: ImportJob) -> bool:
    return utcnow() - job.updated_at > STALE_AFTER


def effective_status(job: ImportJob) -> str:
    """The job's status, FAILED when its runner stopped reporting (the process ended).
    A DONE job stays DONE: its writes are committed with that status."""
    if job.status in (QUEUED, RUNNING) and _stale(job):
        return FAILED
    return job.status


def status_of(job: ImportJob) -> dict[str, Any]:
    """What the page's polling shows (labels are msgids: the caller translates them)."""
    status = effective_status(job)
    message = job.message
    phase_label = PHASE_LABELS.get(job.phase, "")
    # Written, still notifying the modules: the page keeps polling until that ends.
    publishing = status == DONE and job.phase == "publishing"
    if publishing:
        phase_label = PUBLISHING_LABEL
        if _stale(job):
            publishing, message = False, message or PUBLISHING_LOST
    finished = status in FINISHED and not publishing
    # Events recorded in turn are delivered too, so ``done`` may pass ``total``.
    done = min(job.done, job.total) if job.total else job.done
    percent = 100 if finished else (min(100, int(100 * done / job.total)) if job.total else 0)
    if status == FAILED and not message:
        message = N_("Việc nhập bị gián đoạn; không có dữ liệu nào được ghi. Hãy tải tệp lên lại.")
    summary = job.summary or {}
    return {
        "id": job.id,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "dry_run": job.dry_run,
        "phase": job.phase,
        "phase_label": phase_label,
        "done": done,
        "total": job.total,
        "percent": percent,
        "finished": finished,
        "counts": {key: summary.get(key, 0) for key in ("rows", "created", "updated", "deactivated", "unchanged")},
        "errors": len(job.errors or []),
        "message": message,
        "message_params": summary.get("message_params") or {},
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
        self._written: tuple[str, int, int] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (phase == self._phase and now - self._last < REPORT_EVERY and done < total):
            return
        # The same report again (events delivered past the count, all at done == total)
        # would be one write per event for nothing.
        if (phase, done, total) == self._written:
            return
        self._phase, self._last, self._written = phase, now, (phase, done, total)
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

    def finish(self, status: str, **values: Any) -> bool:
        """The final state of a running job; the file is dropped unless the job waits for
        confirmation. Never raises (``run`` promises that): a failed write is logged and
        the job, left running, is reported as interrupted once stale. False when nothing
        was written (the job was not running any more, or the database failed)."""
        keep_file = status == CHECKED
        return self._end(
            update(ImportJob)
            .where(ImportJob.id == self.job_id, ImportJob.status == RUNNING)
            .values(
                status=status,
                updated_at=utcnow(),
                finished_at=utcnow(),
                **({} if keep_file else {"content": None}),
                **values,
            )
        )

    def published(self, **values: Any) -> bool:
        """The events of a DONE job are delivered (``values``: a message, if some failed)."""
        return self._end(
            update(ImportJob)
            .where(ImportJob.id == self.job_id, ImportJob.status == DONE, ImportJob.phase == "publishing")
            .values(phase="", updated_at=utcnow(), **values)
        )

    def _end(self, statement: Any) -> bool:
        try:
            with self.session_factory() as session:
                written = session.execute(statement).rowcount == 1
                session.commit()
        except SQLAlchemyError:
            log.exception("import job %s: final state not written", self.job_id)
            return False
        if not written:
            log.warning("import job %s: final state not written (the job moved on)", self.job_id)
        return written


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
    except DomainError as exc:
        # An expected refusal (the account lost its HR role, say): its own message, not
        # "a system error".
        work.rollback()
        log.info("import job %s refused: %s", job_id, exc)
        params = {"summary": {"message_params": exc.params}} if exc.params else {}
        reporter.finish(FAILED, message=exc.message, phase="", **params)
        return FAILED
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
    # The file is deferred (polling never loads it); the runner is what needs it.
    job = work.get(ImportJob, job_id, options=[undefer(ImportJob.content)])
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
    # DONE goes into the import's own transaction: committed people and a job that says
    # so are one fact. (No progress report may run from here to the commit: on PostgreSQL
    # it would wait for this transaction's lock on the job row.)
    now = utcnow()
    marked = work.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == RUNNING)
        .values(
            status=DONE,
            summary=result,
            phase="publishing",
            done=0,
            total=events,
            content=None,
            message="",
            updated_at=now,
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked != 1:
        raise Conflict(N_("Lần nhập này không còn chạy nữa; không có dữ liệu nào được ghi."))
    importer.release(work)
    work.commit()

    def delivered(count: int) -> None:
        reporter.quiet = False  # committed: the database is free for progress again
        reporter("publishing", min(count, events), events)

    try:
        # Nothing left to commit: this publishes the events the import recorded (they
        # stay on the session across the commit above).
        UnitOfWork(work, counting_publisher(publish, delivered) if events else publish).commit()
    except Exception:
        log.exception("import job %s: written, but notifying the modules failed", job_id)
        work.rollback()
        reporter.published(message=PUBLISHING_FAILED)
        return DONE
    reporter.published()
    return DONE
