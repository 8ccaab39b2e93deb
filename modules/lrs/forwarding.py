"""Forwarding every stored statement to an external LRS (``LRS_FORWARD_URL``).

The statement store is the durable outbox: storing a statement writes nothing extra
(ingestion stays fast) and statements from every source are covered — HocVu's own
modules, LRS clients, launched content. ``ForwardState.watermark`` says how far forwarding
has got: every statement with ``stored < watermark - LAG`` is either sent or parked. A
pass selects the statements in the window (``stored > watermark - LAG``) that have no
``ForwardLog`` row, ordered by ``(stored, id)``, and POSTs them in batches to
``<LRS_FORWARD_URL>/statements``. LAG covers a transaction that commits late with an
earlier ``stored`` (and clock skew between app servers): it is still in the window when
it becomes visible. Once a pass drains the window, the watermark moves to the time the
pass started and the "sent" log rows that fell out of the window are pruned.

What the external LRS answers (lessons from other LMSs' xAPI senders):
- each statement is sent as stored, with its own ``id``, never rebuilt from today's data,
  so a resend is recognised there as the same statement;
- 2xx: sent; 409 for one statement: it is already stored there, so sent too;
- 400/409/413 for a batch: split in halves until the refused statement is isolated;
  400/413 for one statement: "parked" with the remote's error, the others go on;
- anything else (network error, timeout, redirect, 401/403, 404, 429, 5xx) is not the
  statement's fault: the pass stops, nothing of that request is logged, and the next pass
  waits ``backoff(failures)``.

Concurrency: a pass first claims a lease on the state row (a conditional UPDATE of
``next_attempt_at``, committed) and commits after each batch, so two scheduler processes
never send the same batch and progress survives a crash (a dead pass's lease lapses
after ``LEASE``). A lease rather than a row lock held for the pass: committing per
batch would release the lock, and on SQLite holding the write lock during an HTTP call
would stall every statement being stored.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import random
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.db import utcnow
from lms_core.errors import N_, NotFound
from lms_core.statements import XAPI_VERSION, Statement
from modules.lrs.models import ForwardLog, ForwardState

log = logging.getLogger(__name__)

STATE_ID = 1
LAG = timedelta(minutes=10)
# How long a claimed pass keeps others off; a pass stops starting requests well before.
LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# The initial watermark: the whole history is sent on the first passes.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ERROR_LIMIT = 1000  # characters of the remote's error text kept
RESPONSE_LIMIT = 64 * 1024  # bytes of a response read
SENT, PARKED, RETRY = "sent", "parked", "retry"
# Answers meaning "something in this batch is refused": split it to find out what.
SPLIT = frozenset({400, 409, 413})
# Answers meaning "this one statement is refused": park it.
REFUSED = frozenset({400, 413})


@dataclass(frozen=True)
class ForwardSettings:
    """Where to forward: the external LRS's xAPI endpoint and its HTTP Basic credentials."""

    url: str
    key: str = ""
    secret: str = field(default="", repr=False)
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ForwardSettings | None:
        """From ``LRS_FORWARD_URL`` / ``LRS_FORWARD_KEY`` / ``LRS_FORWARD_SECRET``; None when
        the URL is not set (forwarding is off). Raises ``ValueError`` for a URL that is not
        http(s) with a host, or that carries credentials (they belong in KEY/SECRET)."""
        url = str(config.get("LRS_FORWARD_URL") or "").strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("LRS_FORWARD_URL must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("LRS_FORWARD_URL must not carry credentials; use LRS_FORWARD_KEY and LRS_FORWARD_SECRET")
        return cls(
            url=url,
            key=str(config.get("LRS_FORWARD_KEY") or ""),
            secret=str(config.get("LRS_FORWARD_SECRET") or ""),
        )

    @property
    def statements_url(self) -> str:
        """``<url>/statements`` with one slash, whether or not the URL ends with one; a URL
        already naming the statements resource is taken as it is."""
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        if not path.endswith("/statements"):
            path += "/statements"
        return parts._replace(path=path, fragment="").geturl()

    @property
    def host(self) -> str:
        """The host (and port) only, for the admin page: never a path, query or secret."""
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


# --- HTTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The external LRS's HTTP status and (the start of) its body."""

    status: int
    text: str


class TransportError(Exception):
    """The external LRS could not be reached or did not answer (no HTTP status)."""


# Sends one JSON body to the statements URL; tests may pass their own.
Post = Callable[[ForwardSettings, bytes], Answer]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without the body, whose 200 would look
    # like "sent": a redirect is reported as its own 3xx answer instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener() -> urllib.request.OpenerDirector:
    # Certificates and host names are verified; proxies from the environment apply.
    return urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=ssl.create_default_context()))


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        # A JSON error body with \\u escapes is re-written so Vietnamese stays readable.
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def http_post(settings: ForwardSettings, body: bytes) -> Answer:
    """POST ``body`` (a JSON array of statements) to the external LRS's statements URL."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Experience-API-Version": XAPI_VERSION,
        "Accept": "application/json",
        "User-Agent": "HocVu-LRS-forwarder",
    }
    if settings.key or settings.secret:
        token = base64.b64encode(f"{settings.key}:{settings.secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(settings.statements_url, data=body, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=settings.timeout) as response:
            return Answer(response.status, _text(response.read(RESPONSE_LIMIT)))
    except urllib.error.HTTPError as error:
        try:
            text = _text(error.read(RESPONSE_LIMIT))
        except (OSError, http.client.HTTPException):
            text = ""
        finally:
            error.close()
        if 300 <= error.code < 400:
            text = f"redirected to {error.headers.get('Location', '?')}; set LRS_FORWARD_URL to the final address"
        return Answer(error.code, text or str(error.reason))
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, TLS, resets
        reason = getattr(error, "reason", None) or error
        raise TransportError(f"{type(error).__name__}: {reason}") from error


# --- a pass -------------------------------------------------------------------------------


@dataclass
class ForwardResult:
    """What one ``forward_pending`` did. ``not_due``: nothing tried (backoff, or another
    pass holds the lease); ``error``: why the pass stopped early, "" when it did not."""

    sent: int = 0
    parked: int = 0
    requests: int = 0
    batches: int = 0
    drained: bool = False
    not_due: bool = False
    error: str = ""

    @property
    def stopped_by_error(self) -> bool:
        return bool(self.error)


def backoff(failures: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """The wait after the ``failures``-th failed pass in a row: base × 2^(failures − 1),
    at most ``cap``, plus up to 10 % jitter so several HocVu sites do not retry in step."""
    delay = min(cap, base * (2 ** max(0, min(failures, 30) - 1)))
    return delay + delay * random.uniform(0, 0.1)


class _Stop(Exception):
    """The pass ends here: the external LRS failed (``error``) or time ran out."""

    def __init__(self, error: str = "") -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Pass:
    settings: ForwardSettings
    post: Post
    started: datetime
    result: ForwardResult
    # Monotonic time after which no new request starts (the lease must outlast the pass).
    deadline: float
    t0: float = field(default_factory=time.monotonic)
    answered: bool = False  # the external LRS answered something meaningful this pass

    def clock(self) -> datetime:
        return self.started + timedelta(seconds=time.monotonic() - self.t0)

    def deliver(self, rows: Sequence[Any], outcome: dict[str, tuple[str, str]]) -> None:
        """Send ``rows`` and record each one's outcome in ``outcome`` (id → status, error),
        splitting the batch while the external LRS refuses part of it. Raises ``_Stop``;
        what was decided before stays in ``outcome``."""
        if time.monotonic() > self.deadline:
            raise _Stop()
        body = json.dumps([row.statement for row in rows], ensure_ascii=False, separators=(",", ":")).encode()
        self.result.requests += 1
        try:
            answer = self.post(self.settings, body)
        except TransportError as error:
            raise _Stop(str(error)[:ERROR_LIMIT]) from error
        error = f"HTTP {answer.status}: {answer.text}".strip()[:ERROR_LIMIT]
        if 200 <= answer.status < 300 or (answer.status == 409 and len(rows) == 1):
            self.answered = True
            outcome.update((row.id, (SENT, "")) for row in rows)
        elif answer.status in SPLIT and len(rows) > 1:
            self.answered = True
            half = len(rows) // 2
            self.deliver(rows[:half], outcome)
            self.deliver(rows[half:], outcome)
        elif answer.status in REFUSED and len(rows) == 1:
            self.answered = True
            outcome[rows[0].id] = (PARKED, error)
        else:
            raise _Stop(error)


def _ensure_state(session: Session) -> None:
    """Create the state row on the first pass (two first passes racing: one insert wins).
    Each step ends its transaction: on SQLite (WAL) a transaction that read before another
    connection wrote can no longer write, so the insert and the claim begin their own."""
    found = session.scalar(select(ForwardState.id).where(ForwardState.id == STATE_ID))
    session.commit()
    if found is not None:
        return
    session.add(
        ForwardState(id=STATE_ID, watermark=EPOCH, failures=0, next_attempt_at=EPOCH, last_error="", last_sent_at=None)
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def _save(session: Session, **values: Any) -> None:
    session.execute(
        update(ForwardState)
        .where(ForwardState.id == STATE_ID)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _claim(session: Session, now: datetime) -> tuple[datetime, int] | None:
    """Take the lease when forwarding is due (no backoff, no other pass), committed; the
    watermark and failures then, or None."""
    _ensure_state(session)
    claimed = session.execute(
        update(ForwardState)
        .where(ForwardState.id == STATE_ID, ForwardState.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    found = None
    if claimed == 1:
        found = session.execute(
            select(ForwardState.watermark, ForwardState.failures).where(ForwardState.id == STATE_ID)
        ).one()
    session.commit()
    return (found.watermark, found.failures) if found is not None else None


_COLUMNS = (Statement.id, Statement.stored, Statement.statement)


def _retries(session: Session, limit: int) -> list[Any]:
    query = (
        select(*_COLUMNS)
        .join(ForwardLog, ForwardLog.statement_id == Statement.id)
        .where(ForwardLog.status == RETRY)
        .order_by(Statement.stored, Statement.id)
        .limit(limit)
    )
    return list(session.execute(query))


def _in_window(watermark: datetime) -> Any:
    """Statements in the window without a log row."""
    return and_(Statement.stored > watermark - LAG, ForwardLog.statement_id.is_(None))


def _unsent(session: Session, watermark: datetime, after: tuple[datetime, str] | None, limit: int) -> list[Any]:
    query = (
        select(*_COLUMNS).outerjoin(ForwardLog, ForwardLog.statement_id == Statement.id).where(_in_window(watermark))
    )
    if after is not None:
        # Within a pass, go on from the last row instead of re-reading the window; a
        # late commit behind it is in the next pass's window.
        stored, statement_id = after
        query = query.where(
            or_(Statement.stored > stored, and_(Statement.stored == stored, Statement.id > statement_id))
        )
    return list(session.execute(query.order_by(Statement.stored, Statement.id).limit(limit)))


def _record(session: Session, outcome: dict[str, tuple[str, str]], existing: bool, at: datetime) -> None:
    """Write the log rows of a batch: new rows, or the retried rows updated."""
    for statement_id, (status, error) in outcome.items():
        if existing:
            session.execute(
                update(ForwardLog)
                .where(ForwardLog.statement_id == statement_id)
                .values(status=status, error=error, handled_at=at)
                .execution_options(synchronize_session=False)
            )
        else:
            session.add(ForwardLog(statement_id=statement_id, status=status, error=error, handled_at=at))


def _prune(session: Session, watermark: datetime) -> None:
    """Drop the "sent" rows of statements out of the window for good (parked and retried
    ones stay). The sent rows are few (about the window's), each checked by primary key."""
    cutoff = watermark - LAG
    session.execute(
        delete(ForwardLog)
        .where(
            ForwardLog.status == SENT,
            exists().where(Statement.id == ForwardLog.statement_id, Statement.stored < cutoff),
        )
        .execution_options(synchronize_session=False)
    )


def forward_pending(
    session: Session,
    settings: ForwardSettings,
    now: datetime | None = None,
    *,
    batch_size: int = 100,
    max_batches: int = 50,
    post: Post = http_post,
) -> ForwardResult:
    """One forwarding pass: statements parked then sent again by an admin first, then the
    window, ``batch_size`` statements per request, at most ``max_batches`` batches.

    Commits (the claim, then each batch with its log rows and the watermark), unlike
    other services: what the external LRS accepted must be recorded before the next
    request. A crash between a request and its commit means that batch is sent again,
    which the external LRS recognises by the statements' ids (409: counted as sent)."""
    started = now or utcnow()
    result = ForwardResult()
    claimed = _claim(session, started)
    if claimed is None:
        result.not_due = True
        return result
    watermark, failures = claimed
    run = _Pass(
        settings,
        post,
        started,
        result,
        deadline=time.monotonic() + (LEASE - timedelta(seconds=2 * settings.timeout)).total_seconds(),
    )
    window_start = watermark  # the window of this pass, whatever the watermark becomes
    try:
        after: tuple[datetime, str] | None = None
        retrying = True
        while result.batches < max_batches:
            if retrying:
                rows, is_retry = _retries(session, batch_size), True
                retrying = len(rows) == batch_size  # more may follow; else the window is next
                if not rows:
                    continue
            else:
                rows, is_retry = _unsent(session, window_start, after, batch_size), False
                if not rows:
                    result.drained = True
                    break
            # End the read before waiting on the network: no transaction is held open
            # meanwhile, and SQLite could not write after a read that others wrote past.
            session.commit()
            result.batches += 1
            outcome: dict[str, tuple[str, str]] = {}
            stopped = False
            try:
                run.deliver(rows, outcome)
            except _Stop as stop:  # the external LRS failed, or the pass ran out of time
                result.error, stopped = stop.error, True
            # Whatever the external LRS decided is kept, also when the pass stops here.
            _record(session, outcome, existing=is_retry, at=run.clock())
            _count(result, outcome)
            values: dict[str, Any] = {}
            if run.answered:
                failures = 0
                values.update(failures=0, last_error="")
            if any(status == SENT for status, _ in outcome.values()):
                values["last_sent_at"] = run.clock()
            if stopped:
                if values:
                    _save(session, **values)
                break  # the rest of this batch stays pending; the end of the pass commits
            if not is_retry:
                last = rows[-1]
                after = (last.stored, last.id)
                if len(rows) < batch_size:
                    result.drained = True
                else:
                    # Everything before this row, and stored before the pass began (so
                    # visible to its first read), is dealt with.
                    watermark = max(watermark, min(last.stored, started))
            _save(session, watermark=watermark, next_attempt_at=run.clock() + LEASE, **values)
            session.commit()
            if result.drained:
                break
    except Exception:
        session.rollback()
        _release(session, run.clock())
        raise
    if result.drained:
        watermark = max(watermark, started)
    if result.error:
        failures += 1
        next_attempt = run.clock() + backoff(failures)
        _save(session, watermark=watermark, failures=failures, last_error=result.error, next_attempt_at=next_attempt)
    else:
        _save(session, watermark=watermark, next_attempt_at=started)  # the lease ends
    _prune(session, watermark)
    session.commit()
    log.info("lrs forwarding: %s", result)
    return result


def _count(result: ForwardResult, outcome: dict[str, tuple[str, str]]) -> None:
    for status, _ in outcome.values():
        if status == SENT:
            result.sent += 1
        else:
            result.parked += 1


def _release(session: Session, now: datetime) -> None:
    """After an unexpected error (logged by the caller): count a failure and end the lease
    with a short backoff, so the next pass neither waits for the lease nor retries a
    broken setup in a tight loop."""
    try:
        _save(
            session,
            failures=ForwardState.failures + 1,
            last_error="internal error (see the log)",
            next_attempt_at=now + BACKOFF_BASE,
        )
        session.commit()
    except Exception:  # the lease then lapses by itself
        session.rollback()
        log.exception("lrs forwarding: could not end the lease")


# --- status and actions for the admin page ---------------------------------------------


@dataclass(frozen=True)
class ParkedStatement:
    """A statement the external LRS refused, with what it said."""

    statement_id: str
    verb: str
    actor: str
    error: str
    handled_at: datetime


@dataclass(frozen=True)
class Backlog:
    """Where forwarding stands: ``pending`` statements still to send (the window without a
    log row, and parked ones an admin sent again), the newest ``parked`` ones
    (``parked_total`` in all), and the state row (None before the first pass)."""

    pending: int
    parked: list[ParkedStatement]
    parked_total: int
    state: ForwardState | None


def _display(language_map: Any) -> str:
    if isinstance(language_map, dict) and language_map:
        for language in ("vi", "vi-VN", "en-US", "en"):
            if isinstance(language_map.get(language), str):
                return str(language_map[language])
        return str(next(iter(language_map.values())))
    return ""


def verb_label(statement: dict[str, Any]) -> str:
    verb = statement.get("verb") or {}
    return _display(verb.get("display")) or str(verb.get("id") or "")


def actor_label(statement: dict[str, Any]) -> str:
    actor = statement.get("actor") or {}
    if actor.get("name"):
        return str(actor["name"])
    account = actor.get("account") or {}
    if isinstance(account, dict) and account.get("name"):
        return str(account["name"])
    for key in ("mbox", "openid", "mbox_sha1sum"):
        if actor.get(key):
            return str(actor[key]).removeprefix("mailto:")
    return str(actor.get("objectType") or "")


def backlog(session: Session, *, limit: int = 100) -> Backlog:
    state = session.get(ForwardState, STATE_ID)
    watermark = state.watermark if state is not None else EPOCH
    unsent = session.scalar(
        select(func.count())
        .select_from(Statement)
        .outerjoin(ForwardLog, ForwardLog.statement_id == Statement.id)
        .where(_in_window(watermark))
    )
    retries = session.scalar(select(func.count()).where(ForwardLog.status == RETRY)) or 0
    parked_total = session.scalar(select(func.count()).where(ForwardLog.status == PARKED)) or 0
    rows = session.execute(
        select(ForwardLog.statement_id, ForwardLog.error, ForwardLog.handled_at, Statement.statement)
        .join(Statement, Statement.id == ForwardLog.statement_id)
        .where(ForwardLog.status == PARKED)
        .order_by(ForwardLog.handled_at.desc(), ForwardLog.statement_id)
        .limit(limit)
    )
    parked = [
        ParkedStatement(
            row.statement_id, verb_label(row.statement), actor_label(row.statement), row.error, row.handled_at
        )
        for row in rows
    ]
    return Backlog(int(unsent or 0) + int(retries), parked, int(parked_total), state)


def retry_parked(session: Session, statement_id: str, account_id: int | None) -> ForwardLog:
    """Send a parked statement again on the next pass (e.g. once the external LRS was
    fixed to accept it), audited. Its log row becomes "retry" rather than going away, so
    it is sent also when it is older than the window. Caller commits."""
    row = session.get(ForwardLog, statement_id)
    if row is None or row.status != PARKED:
        raise NotFound(N_("Không tìm thấy statement bị giữ lại này."))
    audit.log(
        session,
        account_id=account_id,
        action="lrs.forward_retry",
        target_type="statement",
        target_id=statement_id,
        data={"error": row.error},
    )
    row.status = RETRY
    return row


# --- the scheduled job --------------------------------------------------------------------


def forward(session: Session) -> None:
    """The every-minute job (``lrs.forward``): one pass with the running app's settings;
    nothing while ``LRS_FORWARD_URL`` is not set."""
    from flask import current_app  # the job runs in the app context the scheduler gives

    settings = ForwardSettings.from_config(current_app.config)
    if settings is not None:
        forward_pending(session, settings)
