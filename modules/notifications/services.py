"""Notifications, headless: collect the modules' reminders, deliver each key once (the
message log), queue its e-mail, send the outbox, and the inbox use cases.

Who calls:
- ``run`` — the module's scheduled jobs (``modules.notifications.jobs``), once per kind;
- ``deliver_outbox`` — the every-minute outbox job;
- ``inbox``, ``mark_read``, ``set_preferences``… — the pages and the API.

Idempotency: ``run`` inserts each reminder with INSERT … ON CONFLICT (key) DO NOTHING, so
two processes racing on the same kind insert each key once and only the process whose
insert won queues the e-mail (in the same transaction). Delivery: a worker claims one due
e-mail at a time (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, then a conditional
UPDATE that also guards SQLite), commits a lease, sends, and commits the outcome; a failure
of the e-mail is retried with exponential backoff up to ``MAX_ATTEMPTS``, a failure of the
server (connect, login, sender refused) ends the run without charging any e-mail. Session in, results out; only
``deliver_outbox`` commits (per e-mail, see there).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.db import utcnow
from lms_core.errors import N_, NotFound
from lms_core.people import Person
from lms_core.reminders import KINDS, Reminder
from modules.notifications.models import KEY_LENGTH, Message, OutboxEmail, Preference

log = logging.getLogger(__name__)

BATCH = 500  # reminders inserted per statement
LEASE = timedelta(minutes=5)  # a claimed e-mail is due again after this if its worker died
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 8  # about 2 hours of retries (1, 2, 4 … 64 minutes) before "failed"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

FOOTER = N_(
    "Thư này được gửi tự động từ HocVu. Bạn có thể tắt thư tổng hợp hằng tuần tại %(preferences)s; "
    "thông báo về hạn hoàn thành và việc cần duyệt vẫn được gửi."
)


# --- collecting and logging reminders -------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """What one ``run`` did: reminders the modules returned, those skipped (muted
    digests; inactive or unknown accounts; invalid keys), those new in the message log,
    and the e-mails queued."""

    kind: str
    collected: int = 0
    muted: int = 0
    skipped: int = 0
    inserted: int = 0
    queued: int = 0


def collect(session: Session, kind: str, now: datetime, hook: Any) -> list[Reminder]:
    """Every module's reminders of ``kind`` at ``now`` (the ``hocvu_reminders`` hook
    returns one list per module), the first of each key only."""
    seen: set[str] = set()
    reminders = []
    for found in hook.hocvu_reminders(session=session, kind=kind, now=now):
        for reminder in found or ():
            if reminder.key not in seen:
                seen.add(reminder.key)
                reminders.append(reminder)
    return reminders


def _chunks(items: Sequence[Reminder], size: int) -> Iterator[Sequence[Reminder]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Recipient:
    active: bool
    email: str | None
    muted: bool = False


def _recipients(session: Session, account_ids: Iterable[int]) -> dict[int, _Recipient]:
    ids = list(set(account_ids))
    rows = session.execute(
        select(Account.id, Account.active, Person.email, Person.active)
        .outerjoin(Person, Person.id == Account.person_id)
        .where(Account.id.in_(ids))
    ).all()
    found = {
        account_id: _Recipient(bool(active) and person_active is not False, (email or "").strip() or None)
        for account_id, active, email, person_active in rows
    }
    for account_id in session.scalars(
        select(Preference.account_id).where(Preference.account_id.in_(ids), Preference.digests_muted.is_(True))
    ):
        if account_id in found:
            found[account_id].muted = True
    return found


def _insert_new(session: Session, table: Any, rows: list[dict[str, Any]], key: str) -> list[Any]:
    """INSERT ``rows`` into ``table``, skipping those whose ``key`` column already exists
    (committed or being inserted by another transaction, which PostgreSQL waits for);
    returns ``(id, key)`` of the rows this statement inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - HocVu runs on PostgreSQL and SQLite only
        raise RuntimeError(f"notifications: no idempotent insert for {dialect}")
    statement = dialect_insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c.id, table.c[key])
    return list(session.execute(statement, rows).all())


def run(
    session: Session,
    kind: str,
    now: datetime,
    hook: Any,
    *,
    queue_email: bool = False,
) -> RunResult:
    """Collect the reminders of ``kind`` from every module and deliver the new ones: a
    message in the account's inbox and, when ``queue_email`` (SMTP is configured) and the
    account's person has an e-mail address, an e-mail in the outbox. Digests
    (``mutable``) of accounts that muted them are skipped, as are inactive accounts.

    A key already in the message log is skipped, also when another process inserts it at
    the same moment, so running a job twice sends nothing new. Does not commit. Links
    are stored as site paths; ``deliver_outbox`` makes them absolute."""
    if kind not in KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}; known: {', '.join(KINDS)}")
    reminders = collect(session, kind, now, hook)
    muted = skipped = inserted = queued = 0
    for chunk in _chunks(reminders, BATCH):
        recipients = _recipients(session, (r.account_id for r in chunk))
        rows = []
        for reminder in chunk:
            recipient = recipients.get(reminder.account_id)
            if recipient is None or not recipient.active or not reminder.key or len(reminder.key) > KEY_LENGTH:
                skipped += 1
                continue
            if reminder.mutable and recipient.muted:
                muted += 1
                continue
            rows.append(
                {
                    "key": reminder.key,
                    "account_id": reminder.account_id,
                    "kind": reminder.kind[:40],
                    "subject": reminder.subject[:300],
                    "body": reminder.body,
                    "link": (reminder.link or "/")[:500],
                    "created_at": now,
                    "read_at": None,
                }
            )
        # The same order in every process: two racing inserts then wait on each other
        # row by row instead of deadlocking.
        rows.sort(key=lambda row: row["key"])
        new = _insert_new(session, Message.__table__, rows, "key")
        inserted += len(new)
        if not queue_email or not new:
            continue
        account_of = {row["key"]: row["account_id"] for row in rows}
        emails = [
            {
                "message_id": message_id,
                "recipient": recipients[account_of[key]].email,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
                "sent_at": None,
            }
            for message_id, key in new
            if recipients[account_of[key]].email
        ]
        if emails:
            session.execute(insert(OutboxEmail.__table__), emails)
            queued += len(emails)
    result = RunResult(kind, len(reminders), muted, skipped, inserted, queued)
    log.info("notifications %s: %s", kind, result)
    return result


# --- e-mail ---------------------------------------------------------------------------


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server. ``ssl``: implicit TLS (port 465); ``starttls``:
    upgrade a plain connection (port 587); login only when ``username`` is set."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False
    sender: str = "hocvu@localhost"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """From the app config keys ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USERNAME``,
        ``SMTP_PASSWORD``, ``SMTP_STARTTLS``, ``SMTP_SSL``, ``SMTP_SENDER`` and
        ``SMTP_TIMEOUT``; None when ``SMTP_HOST`` is not set (e-mail is off)."""
        host = str(config.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        use_ssl = _flag(config.get("SMTP_SSL"))
        port = config.get("SMTP_PORT")
        return cls(
            host=host,
            port=int(port) if port else (465 if use_ssl else 25),
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=_flag(config.get("SMTP_STARTTLS")) and not use_ssl,
            ssl=use_ssl,
            sender=config.get("SMTP_SENDER") or "hocvu@localhost",
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
        )


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, authenticated SMTP connection."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.ssl:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.starttls:
            smtp.starttls(context=context)
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp


def build_email(message: Message, recipient: str, settings: SmtpSettings, site_url: str, now: datetime) -> EmailMessage:
    """The e-mail of ``message``: UTF-8 text, the subject RFC 2047-encoded by the default
    policy, the link made absolute, and a Message-ID fixed per message so a resend after
    a lost reply can be recognised by the receiving side."""
    site = site_url.rstrip("/")
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = settings.sender
    email["To"] = recipient
    email["Date"] = format_datetime(now)
    domain = settings.sender.rpartition("@")[2].strip("> ") or "hocvu.local"
    email["Message-ID"] = f"<hocvu-notification-{message.id}@{domain}>"
    link = message.link if message.link.startswith(("http://", "https://")) else f"{site}{message.link}"
    footer = FOOTER % {"preferences": f"{site}/notifications/preferences"}
    email.set_content(f"{message.body}\n\n{link}\n\n-- \n{footer}\n")
    return email


def backoff(attempts: int, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base × 2^(attempts − 1), at most ``cap``."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


# Errors of the server or of our settings, not of one e-mail: a refused connection or
# greeting, a failed EHLO, STARTTLS or login, a refused sender. They stop the run
# without charging an attempt, else an outage would use up (and fail) every e-mail.
SERVER_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)


def server_fault(error: Exception) -> bool:
    """Whether ``error``, raised while sending one e-mail on an open connection, is the
    server's or the settings' rather than the e-mail's: a refused sender (MAIL FROM),
    except 552 (the e-mail is too large for the server's SIZE limit)."""
    if isinstance(error, smtplib.SMTPSenderRefused):
        return error.smtp_code != 552
    return isinstance(error, SERVER_ERRORS)


def permanent(error: Exception) -> bool:
    """Whether an error charged to one e-mail (a refused recipient or content) is final:
    a 5xx answer means the server will never take this e-mail; anything else (a 4xx, a
    dropped connection, a timeout) may pass later. Server errors (``server_fault``) are
    never final for an e-mail: they are not charged to it at all."""
    if server_fault(error):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


@dataclass
class DeliveryResult:
    """What one ``deliver_outbox`` did. ``deferred``: e-mails handed back uncharged
    because the server or the settings failed; ``stopped``: why the run ended early
    ("server": see ``deferred``; "time": the run neared ``LEASE``), else ""."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    stopped: str = ""


def _due(now: datetime) -> Any:
    return and_(OutboxEmail.status.in_((PENDING, SENDING)), OutboxEmail.next_attempt_at <= now)


def claim_next(session: Session, now: datetime) -> OutboxEmail | None:
    """Claim the next due e-mail and commit the claim: its lease (``next_attempt_at`` =
    now + ``LEASE``) keeps every other worker off it while this one sends, so ``now``
    must be the real time of the claim. On PostgreSQL the row is read FOR UPDATE SKIP
    LOCKED, so concurrent workers take different rows without waiting; the UPDATE's own
    condition makes the claim safe on SQLite too."""
    for _ in range(10):  # another worker may win a row between our read and our update
        query = select(OutboxEmail.id).where(_due(now)).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        email_id = session.scalar(query)
        if email_id is None:
            session.rollback()
            return None
        claimed = session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, _due(now))
            .values(status=SENDING, attempts=OutboxEmail.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if claimed == 1:
            return session.scalars(
                select(OutboxEmail).where(OutboxEmail.id == email_id).execution_options(populate_existing=True)
            ).one()
    return None


def _run_budget(settings: SmtpSettings) -> timedelta:
    """How long a run may keep claiming: ``LEASE`` less room for one more e-mail (a
    connection, STARTTLS, login and one transaction, each up to ``timeout``), at least
    half the lease, so a long run ends before the job's next minutes pile onto it."""
    return max(LEASE / 2, LEASE - timedelta(seconds=8 * settings.timeout))


def deliver_outbox(
    session: Session,
    smtp_settings: SmtpSettings,
    clock: Callable[[], datetime] = utcnow,
    *,
    site_url: str = "",
    limit: int = 200,
    max_attempts: int = MAX_ATTEMPTS,
    connector: Callable[[SmtpSettings], smtplib.SMTP] = connect,
) -> DeliveryResult:
    """Send up to ``limit`` due e-mails over one SMTP connection (reopened after an error).

    ``clock`` is read for each claim and each outcome: a run of many e-mails, each up to
    the SMTP timeout, lasts minutes, and a lease or a ``sent_at`` taken from the run's
    start would be stale (another worker would take e-mails still being sent). The run
    stops claiming once it nears ``LEASE`` (see ``_run_budget``); the next run goes on.

    Commits after each e-mail, unlike other services: an e-mail handed to the server must
    be recorded as sent before the next is tried. A worker that dies between sending and
    that commit leaves the e-mail to be sent again when its lease ends (SMTP can only give
    at-least-once; the fixed Message-ID lets receivers spot it).

    Failing to connect or log in, or a refused sender, is the server's or the settings'
    fault: the claimed e-mail is handed back without using an attempt and the run stops
    (logged; the next run tries again). Other failures (a refused recipient or content,
    a dropped connection) count against the e-mail: retried after ``backoff(attempts)``;
    a permanent refusal (5xx) or the ``max_attempts``-th failure marks it "failed"."""
    started = clock()
    budget = _run_budget(smtp_settings)
    result = DeliveryResult()
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            if clock() - started >= budget:
                result.stopped = "time"
                break
            email = claim_next(session, clock())
            if email is None:
                break
            try:
                if smtp is None:
                    try:
                        smtp = connector(smtp_settings)
                    except Exception as error:  # noqa: BLE001  (whatever it is, no e-mail caused it)
                        raise _ServerDown(error) from error
                smtp.send_message(build_email(email.message, email.recipient, smtp_settings, site_url, clock()))
            except Exception as error:  # noqa: BLE001  (any failure is recorded on the e-mail, never lost)
                _close(smtp)
                smtp = None  # reconnect for the next e-mail
                cause = error.cause if isinstance(error, _ServerDown) else error
                email.last_error = f"{type(cause).__name__}: {cause}"[:2000]
                if isinstance(error, _ServerDown) or server_fault(error):
                    # Hand it back as it was: due now, this attempt not counted.
                    email.status, email.attempts, email.next_attempt_at = PENDING, email.attempts - 1, clock()
                    result.deferred += 1
                    result.stopped = "server"
                    session.commit()
                    log.warning("notifications outbox: SMTP unavailable, retrying next run: %s", email.last_error)
                    break
                if permanent(error) or email.attempts >= max_attempts:
                    email.status = FAILED
                    result.failed += 1
                    log.warning("e-mail %s to %s failed for good: %s", email.id, email.recipient, email.last_error)
                else:
                    email.status, email.next_attempt_at = PENDING, clock() + backoff(email.attempts)
                    result.retried += 1
            else:
                email.status, email.sent_at, email.last_error = SENT, clock(), ""
                result.sent += 1
            session.commit()
    finally:
        _close(smtp)
    if result.sent or result.retried or result.failed or result.deferred or result.stopped:
        log.info("notifications outbox: %s", result)
    return result


class _ServerDown(Exception):
    """Opening the connection (connect, STARTTLS, login) failed with ``cause``."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


# --- the inbox ------------------------------------------------------------------------


def inbox(
    session: Session, account: Account, *, unread_only: bool = False, before_id: int | None = None, limit: int = 50
) -> list[Message]:
    """The account's messages, newest first (``before_id``: those older than that one)."""
    query = select(Message).where(Message.account_id == account.id)
    if unread_only:
        query = query.where(Message.read_at.is_(None))
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return list(session.scalars(query.order_by(Message.id.desc()).limit(max(1, min(limit, 200)))))


def unread_count(session: Session, account_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Message.id)).where(Message.account_id == account_id, Message.read_at.is_(None))
        )
        or 0
    )


def get_message(session: Session, account: Account, message_id: int) -> Message:
    """One of the account's own messages; another account's is not found, not forbidden."""
    message = session.get(Message, message_id)
    if message is None or message.account_id != account.id:
        raise NotFound(N_("Không tìm thấy thông báo."))
    return message


def mark_read(session: Session, account: Account, message_id: int, now: datetime | None = None) -> Message:
    """Mark one message read (again: unchanged). Caller commits."""
    message = get_message(session, account, message_id)
    if message.read_at is None:
        message.read_at = now or utcnow()
    session.flush()
    return message


def mark_all_read(session: Session, account: Account, now: datetime | None = None) -> int:
    """Mark every unread message of the account read; how many. Caller commits."""
    return session.execute(
        update(Message)
        .where(Message.account_id == account.id, Message.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def preferences(session: Session, account: Account) -> Preference:
    """The account's preferences (the defaults, not stored, when it never chose)."""
    return session.get(Preference, account.id) or Preference(account_id=account.id, digests_muted=False)


def set_preferences(
    session: Session, account: Account, *, digests_muted: bool, now: datetime | None = None
) -> Preference:
    """Mute or unmute the weekly digest. Caller commits."""
    preference = session.get(Preference, account.id)
    if preference is None:
        preference = Preference(account_id=account.id)
        session.add(preference)
    preference.digests_muted = bool(digests_muted)
    preference.updated_at = now or utcnow()
    session.flush()
    return preference
