"""Forwarding every stored statement to an external LRS, against a local fake LRS (a
werkzeug server on 127.0.0.1) that can be down, refuse a marked statement, or already
hold some: nothing is lost, each statement arrives once, as stored, with its own id."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from lms_core.audit import entries_for
from lms_core.db import make_session_factory
from lms_core.errors import NotFound
from lms_core.statements import Statement, account_agent, build_statement, hocvu_authority, store_statements
from modules.lrs import forwarding
from modules.lrs.forwarding import LAG, Answer, ForwardSettings, backlog, forward_pending, retry_parked
from modules.lrs.models import ForwardLog, ForwardState

SITE = "https://hocvu.test"
AUTHORITY = hocvu_authority(SITE, "courses")
BAD = "https://lrs.test/extensions/refuse-me"  # the fake refuses any statement carrying it
KEY, SECRET = "hocvu-gialai", "bi-mat-chuyen-tiep"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


# --- the fake external LRS ------------------------------------------------------------


@dataclass
class Received:
    authorization: str
    version: str
    content_type: str
    ids: list[str]
    status: int


@dataclass
class FakeLrs:
    """An xAPI statements endpoint at ``/xapi/statements``. ``fail_with``: the status of
    every answer (e.g. 503) while set; ``refuse_bad``: 400 for a batch holding a statement
    with the ``BAD`` extension; 409 for a batch holding an id it already has; else 200
    and it keeps them. ``delay``: seconds before answering."""

    port: int = 0
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted: Counter[str] = field(default_factory=Counter)
    requests: list[Received] = field(default_factory=list)
    fail_with: int | None = None
    refuse_bad: bool = True
    delay: float = 0.0
    during: Callable[[], None] | None = None  # run while answering (e.g. store a statement)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: BaseWSGIServer | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        if self.during is not None:
            self.during()
        if request.path == "/moved/statements":
            return Response(status=307, headers={"Location": "/xapi/statements"})
        if request.path != "/xapi/statements" or request.method != "POST":
            return Response("not found", status=404)
        body = json.loads(request.get_data())
        batch = body if isinstance(body, list) else [body]
        status, text = self.decide(request, batch)
        with self.lock:
            self.requests.append(
                Received(
                    request.headers.get("Authorization", ""),
                    request.headers.get("X-Experience-API-Version", ""),
                    request.headers.get("Content-Type", ""),
                    [s["id"] for s in batch],
                    status,
                )
            )
        return Response(text, status=status, content_type="application/json")

    def decide(self, request: Request, batch: list[dict[str, Any]]) -> tuple[int, str]:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return 401, json.dumps({"error": "bad credentials"})
        if self.fail_with is not None:
            return self.fail_with, json.dumps({"error": "LRS đang bảo trì"})
        if self.refuse_bad:
            for statement in batch:
                if BAD in ((statement.get("context") or {}).get("extensions") or {}):
                    return 400, json.dumps({"error": f"Statement {statement['id']}: extension không được chấp nhận"})
        with self.lock:
            known = [s["id"] for s in batch if s["id"] in self.stored]
            if known:
                return 409, json.dumps({"error": f"Statement {known[0]} đã có"})
            for statement in batch:
                self.stored[statement["id"]] = statement
                self.accepted[statement["id"]] += 1
        return 200, json.dumps([s["id"] for s in batch])

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self, threaded=True)
        self.port = self.server.port
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: the port then refuses connections until ``start()``."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def settings(self, base: str = "/xapi/", **overrides: Any) -> ForwardSettings:
        values: dict[str, Any] = {
            "url": f"http://127.0.0.1:{self.port}{base}",
            "key": KEY,
            "secret": SECRET,
            "timeout": 5.0,
        }
        return ForwardSettings(**{**values, **overrides})


@pytest.fixture
def fake_lrs() -> Iterator[FakeLrs]:
    fake = FakeLrs()
    fake.start()
    yield fake
    fake.stop()


# --- helpers ----------------------------------------------------------------------------


def statement(number: int, *, bad: bool = False) -> dict[str, Any]:
    return build_statement(
        actor=account_agent(SITE, f"GL-{number:05d}", f"Cán bộ số {number}"),
        verb="completed",
        activity_iri=f"{SITE}/activities/course/khoa-{number}",
        activity_name=f"Khóa học {number}",
        activity_type="http://adlnet.gov/expapi/activities/course",
        result={"success": True, "completion": True},
        context={"extensions": {BAD: True}} if bad else None,
    )


def store(session: Session, at: datetime, count: int = 1, *, first: int = 1, bad: tuple[int, ...] = ()) -> list[str]:
    """``count`` statements stored at ``at`` (numbers from ``first``; those in ``bad``
    carry the extension the fake refuses), committed."""
    ids = store_statements(
        session, [statement(n, bad=n in bad) for n in range(first, first + count)], AUTHORITY, now=at
    )
    session.commit()
    return ids


@dataclass(frozen=True)
class State:
    watermark: datetime
    failures: int
    next_attempt_at: datetime
    last_error: str
    last_sent_at: datetime | None


def state(session: Session) -> State:
    """A snapshot of the state row as committed (the ORM object would change under it)."""
    session.commit()
    row = session.scalars(select(ForwardState).execution_options(populate_existing=True)).one()
    return State(row.watermark, row.failures, row.next_attempt_at, row.last_error, row.last_sent_at)


def log_rows(session: Session) -> dict[str, ForwardLog]:
    session.commit()
    query = select(ForwardLog).execution_options(populate_existing=True)
    return {row.statement_id: row for row in session.scalars(query)}


def stored_json(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {row.id: row.statement for row in session.scalars(select(Statement).where(Statement.id.in_(ids)))}


def forward(session: Session, fake: FakeLrs, now: datetime, **kwargs: Any) -> forwarding.ForwardResult:
    settings = kwargs.pop("settings", None) or fake.settings()
    return forward_pending(session, settings, now, **kwargs)


# --- settings -----------------------------------------------------------------------------


def test_settings_come_from_the_config_and_join_the_url_carefully() -> None:
    assert ForwardSettings.from_config({}) is None
    assert ForwardSettings.from_config({"LRS_FORWARD_URL": "  "}) is None
    for url in (
        "https://lrs.example.gov.vn/xapi",
        "https://lrs.example.gov.vn/xapi/",
        "https://lrs.example.gov.vn/xapi/statements",
    ):
        settings = ForwardSettings.from_config(
            {"LRS_FORWARD_URL": url, "LRS_FORWARD_KEY": "k", "LRS_FORWARD_SECRET": "s"}
        )
        assert settings is not None
        assert settings.statements_url == "https://lrs.example.gov.vn/xapi/statements"
        assert settings.host == "lrs.example.gov.vn" and settings.key == "k" and settings.secret == "s"
    root = ForwardSettings.from_config({"LRS_FORWARD_URL": "http://10.0.0.5:8080"})
    assert (
        root is not None and root.statements_url == "http://10.0.0.5:8080/statements" and root.host == "10.0.0.5:8080"
    )
    assert "s3cret" not in repr(ForwardSettings("https://lrs.example/xapi/", "k", "s3cret"))
    for bad in ("ftp://lrs.example/xapi/", "file:///etc/passwd", "lrs.example/xapi", "https://u:p@lrs.example/xapi/"):
        with pytest.raises(ValueError):
            ForwardSettings.from_config({"LRS_FORWARD_URL": bad})


def test_backoff_grows_from_30_seconds_and_is_capped_at_an_hour() -> None:
    for failures, base in ((1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (50, 3600)):
        delay = forwarding.backoff(failures).total_seconds()
        assert base <= delay <= base * 1.1, (failures, delay)


# --- passes -------------------------------------------------------------------------------


def test_the_history_is_sent_in_batches_each_statement_once_as_stored(db_session: Session, fake_lrs: FakeLrs) -> None:
    # 130 at one moment (ties on ``stored`` across a batch boundary), 120 later.
    ids = store(db_session, T0 - timedelta(days=400), 130) + store(
        db_session, T0 - timedelta(minutes=1), 120, first=131
    )
    assert backlog(db_session).pending == 250 and backlog(db_session).state is None

    result = forward(db_session, fake_lrs, T0)
    assert (result.sent, result.parked, result.error, result.drained) == (250, 0, "", True)
    assert [len(r.ids) for r in fake_lrs.requests] == [100, 100, 50]
    assert set(fake_lrs.accepted) == set(ids) and set(fake_lrs.accepted.values()) == {1}
    # Exactly the statement as stored, its own id, stored and authority included.
    assert fake_lrs.stored == stored_json(db_session, ids)
    first = fake_lrs.requests[0]
    assert first.authorization == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert first.version == "1.0.3" and first.content_type.startswith("application/json")

    current = state(db_session)
    assert current.watermark == T0 and current.failures == 0 and current.last_error == ""
    assert current.last_sent_at is not None and current.next_attempt_at <= T0
    assert backlog(db_session).pending == 0
    # Sent rows of statements that left the window are pruned; the recent ones stay.
    assert set(log_rows(db_session)) == set(ids[130:])

    again = forward(db_session, fake_lrs, T0 + timedelta(minutes=1))
    assert again.sent == 0 and again.requests == 0 and len(fake_lrs.requests) == 3


def test_nothing_is_lost_while_the_external_lrs_is_down(db_session: Session, fake_lrs: FakeLrs) -> None:
    ids = store(db_session, T0 - timedelta(minutes=5), 5)
    fake_lrs.fail_with = 503

    first = forward(db_session, fake_lrs, T0)
    assert first.stopped_by_error and "503" in first.error and "bảo trì" in first.error
    assert first.sent == 0 and log_rows(db_session) == {}
    down = state(db_session)
    assert down.failures == 1 and "503" in down.last_error and down.watermark == forwarding.EPOCH
    assert timedelta(seconds=30) <= down.next_attempt_at - T0 <= timedelta(seconds=35)

    # Before the backoff ends nothing is tried.
    waiting = forward(db_session, fake_lrs, T0 + timedelta(seconds=10))
    assert waiting.not_due and waiting.requests == 0 and len(fake_lrs.requests) == 1

    # Statements keep arriving meanwhile; the failures grow the backoff.
    ids += store(db_session, T0 + timedelta(seconds=20), 3, first=6)
    second = forward(db_session, fake_lrs, down.next_attempt_at)
    again = state(db_session)
    assert second.stopped_by_error and again.failures == 2
    assert timedelta(seconds=60) <= again.next_attempt_at - down.next_attempt_at <= timedelta(seconds=70)

    # Connection refused: the port does not listen any more.
    fake_lrs.stop()
    third = forward(db_session, fake_lrs, again.next_attempt_at)
    refused = state(db_session)
    assert third.stopped_by_error and "refused" in third.error.lower() and refused.failures == 3
    assert timedelta(seconds=120) <= refused.next_attempt_at - again.next_attempt_at <= timedelta(seconds=135)
    assert backlog(db_session).pending == 8 and log_rows(db_session) == {}

    # It comes back: everything goes, once, and the failures reset.
    fake_lrs.fail_with = None
    fake_lrs.start()
    back = forward(db_session, fake_lrs, refused.next_attempt_at)
    assert (back.sent, back.error, back.drained) == (8, "", True)
    assert set(fake_lrs.accepted) == set(ids) and set(fake_lrs.accepted.values()) == {1}
    recovered = state(db_session)
    assert (
        recovered.failures == 0 and recovered.last_error == "" and recovered.next_attempt_at <= refused.next_attempt_at
    )
    assert backlog(db_session).pending == 0


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
def test_errors_not_of_a_statement_stop_the_pass_without_logging(db_session: Session, status: int) -> None:
    store(db_session, T0 - timedelta(minutes=1), 4)
    calls: list[int] = []

    def post(settings: ForwardSettings, body: bytes) -> Answer:
        calls.append(len(json.loads(body)))
        return Answer(status, "không được")

    result = forward_pending(db_session, ForwardSettings("https://lrs.example/xapi/"), T0, post=post)
    assert result.stopped_by_error and result.error == f"HTTP {status}: không được" and calls == [4]
    assert log_rows(db_session) == {} and state(db_session).failures == 1


def test_what_was_decided_before_an_error_is_kept(db_session: Session) -> None:
    ids = store(db_session, T0 - timedelta(minutes=1), 4)
    answers = [Answer(400, "bad"), Answer(204, ""), Answer(503, "down")]
    sizes: list[int] = []

    def post(settings: ForwardSettings, body: bytes) -> Answer:
        sizes.append(len(json.loads(body)))
        return answers.pop(0)

    result = forward_pending(db_session, ForwardSettings("https://lrs.example/xapi/"), T0, post=post)
    assert sizes == [4, 2, 2] and result.sent == 2 and result.error == "HTTP 503: down"
    first_two = sorted(ids)[:2]  # one ``stored``: sent in id order
    assert {k: v.status for k, v in log_rows(db_session).items()} == {i: "sent" for i in first_two}
    assert backlog(db_session).pending == 2 and state(db_session).failures == 1


def test_a_timeout_stops_the_pass(db_session: Session, fake_lrs: FakeLrs) -> None:
    store(db_session, T0 - timedelta(minutes=1), 2)
    fake_lrs.delay = 1.0
    result = forward(db_session, fake_lrs, T0, settings=fake_lrs.settings(timeout=0.2))
    assert result.stopped_by_error and "timed out" in result.error.lower()
    assert log_rows(db_session) == {} and state(db_session).failures == 1

    # The fake stored them after all (the answer came too late): the next pass resends,
    # is told 409 for each, and counts them as sent, each stored there once.
    time.sleep(1.0)
    fake_lrs.delay = 0.0
    again = forward(db_session, fake_lrs, state(db_session).next_attempt_at)
    assert (again.sent, again.error) == (2, "") and set(fake_lrs.accepted.values()) == {1}
    assert [r.status for r in fake_lrs.requests[-3:]] == [409, 409, 409]


def test_a_redirect_is_not_followed(db_session: Session, fake_lrs: FakeLrs) -> None:
    store(db_session, T0 - timedelta(minutes=1), 2)
    result = forward(db_session, fake_lrs, T0, settings=fake_lrs.settings("/moved"))
    assert result.stopped_by_error and "307" in result.error and "redirected" in result.error
    assert fake_lrs.stored == {} and log_rows(db_session) == {}


def test_wrong_credentials_stop_the_pass(db_session: Session, fake_lrs: FakeLrs) -> None:
    store(db_session, T0 - timedelta(minutes=1), 2)
    result = forward(db_session, fake_lrs, T0, settings=fake_lrs.settings(secret="sai"))
    assert result.stopped_by_error and "401" in result.error
    assert fake_lrs.stored == {} and log_rows(db_session) == {} and backlog(db_session).pending == 2


def test_a_refused_statement_is_parked_and_the_others_are_sent(db_session: Session, fake_lrs: FakeLrs) -> None:
    # The refused one is the 7th sent (``stored`` orders them), in the first batch.
    ids = store(db_session, T0 - timedelta(minutes=3), 6)
    [bad_id] = store(db_session, T0 - timedelta(minutes=2), 1, first=7, bad=(7,))
    ids += [bad_id] + store(db_session, T0 - timedelta(minutes=1), 13, first=8)

    result = forward(db_session, fake_lrs, T0, batch_size=16)
    assert (result.sent, result.parked, result.error, result.drained) == (19, 1, "", True)
    assert set(fake_lrs.accepted) == set(ids) - {bad_id} and set(fake_lrs.accepted.values()) == {1}
    # The first batch of 16 was split down to the refused statement: 16 → 8 → 4 → 2 → 1.
    assert [len(r.ids) for r in fake_lrs.requests if bad_id in r.ids] == [16, 8, 4, 2, 1]
    rows = log_rows(db_session)
    assert rows[bad_id].status == "parked" and f"Statement {bad_id}" in rows[bad_id].error
    assert rows[bad_id].error.startswith("HTTP 400: ")

    status = backlog(db_session)
    assert status.pending == 0 and status.parked_total == 1
    [parked] = status.parked
    assert parked.statement_id == bad_id and parked.verb == "đã hoàn thành" and parked.actor == "Cán bộ số 7"
    assert "extension không được chấp nhận" in parked.error
    assert state(db_session).failures == 0

    # Parked is final: later passes do not send it again (until an admin asks).
    store(db_session, T0 + timedelta(seconds=30), 1, first=21)
    later = forward(db_session, fake_lrs, T0 + timedelta(minutes=1))
    assert later.sent == 1 and [len(r.ids) for r in fake_lrs.requests[result.requests :]] == [1]


def test_statements_the_external_lrs_already_has_count_as_sent(db_session: Session, fake_lrs: FakeLrs) -> None:
    ids = store(db_session, T0 - timedelta(minutes=1), 10)
    # As after a crash between a request and its commit: some arrived already.
    fake_lrs.stored.update(stored_json(db_session, ids[2:5]))

    result = forward(db_session, fake_lrs, T0)
    assert (result.sent, result.parked, result.error) == (10, 0, "")
    assert {row.status for row in log_rows(db_session).values()} == {"sent"}
    assert set(fake_lrs.accepted) == set(ids) - set(ids[2:5]) and set(fake_lrs.accepted.values()) == {1}
    assert any(r.status == 409 and len(r.ids) == 1 for r in fake_lrs.requests)


def test_a_late_commit_within_lag_is_not_skipped(db_session: Session, fake_lrs: FakeLrs) -> None:
    store(db_session, T0 - timedelta(minutes=3), 2)
    forward(db_session, fake_lrs, T0)
    assert state(db_session).watermark == T0

    # A transaction that began before the pass (``stored`` earlier than the watermark)
    # commits only now.
    late = store(db_session, T0 - timedelta(minutes=4), 1, first=50)
    assert backlog(db_session).pending == 1
    result = forward(db_session, fake_lrs, T0 + timedelta(minutes=1))
    assert result.sent == 1 and fake_lrs.accepted[late[0]] == 1
    assert state(db_session).watermark == T0 + timedelta(minutes=1)


def test_an_unfinished_pass_moves_the_watermark_only_past_what_was_sent(db_session: Session, fake_lrs: FakeLrs) -> None:
    early = store(db_session, T0 - timedelta(hours=2), 3)
    later = store(db_session, T0 - timedelta(hours=1), 3, first=4)

    first = forward(db_session, fake_lrs, T0, batch_size=3, max_batches=1)
    assert first.sent == 3 and not first.drained
    assert state(db_session).watermark == T0 - timedelta(hours=2)  # the last sent row's ``stored``
    assert backlog(db_session).pending == 3

    second = forward(db_session, fake_lrs, T0 + timedelta(minutes=1), batch_size=3)
    assert second.sent == 3 and second.drained
    assert set(fake_lrs.accepted) == set(early + later) and set(fake_lrs.accepted.values()) == {1}
    assert state(db_session).watermark == T0 + timedelta(minutes=1)


def test_old_sent_rows_are_pruned_and_parked_ones_kept(db_session: Session, fake_lrs: FakeLrs) -> None:
    ids = store(db_session, T0 - timedelta(minutes=1), 4, bad=(2,))
    forward(db_session, fake_lrs, T0)
    assert len(log_rows(db_session)) == 4

    forward(db_session, fake_lrs, T0 + LAG + timedelta(minutes=2))
    rows = log_rows(db_session)
    assert set(rows) == {ids[1]} and rows[ids[1]].status == "parked"
    assert backlog(db_session).parked_total == 1


def test_retry_parked_sends_it_again_even_when_it_is_old(db_session: Session, fake_lrs: FakeLrs) -> None:
    ids = store(db_session, T0 - timedelta(minutes=1), 3, bad=(3,))
    forward(db_session, fake_lrs, T0)
    bad_id = ids[2]
    assert log_rows(db_session)[bad_id].status == "parked"

    with pytest.raises(NotFound):
        retry_parked(db_session, ids[0], None)  # sent, not parked
    with pytest.raises(NotFound):
        retry_parked(db_session, str(uuid.uuid4()), None)

    later = T0 + timedelta(days=3)  # long out of the window
    forward(db_session, fake_lrs, later)
    fake_lrs.refuse_bad = False  # the external LRS was fixed
    retry_parked(db_session, bad_id, None)
    db_session.commit()
    assert [e.action for e in entries_for(db_session, "statement", bad_id)] == ["lrs.forward_retry"]
    assert backlog(db_session).pending == 1 and backlog(db_session).parked == []

    result = forward(db_session, fake_lrs, later + timedelta(minutes=1))
    assert result.sent == 1 and fake_lrs.accepted[bad_id] == 1
    assert fake_lrs.stored[bad_id] == stored_json(db_session, [bad_id])[bad_id]
    assert backlog(db_session).pending == 0 and backlog(db_session).parked_total == 0

    # Refused again: parked again, with the new error.
    store(db_session, later, 1, first=9, bad=(9,))
    fake_lrs.refuse_bad = True
    forward(db_session, fake_lrs, later + timedelta(minutes=2))
    assert backlog(db_session).parked_total == 1


def race(engine: Engine, fake: FakeLrs, now: datetime) -> list[Any]:
    """Two passes at the same moment, each in its own thread, session and connection (as
    two scheduler processes would): their results, or the error each raised."""
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        session = make_session_factory(engine)()
        try:
            barrier.wait()
            results[index] = forward(session, fake, now, batch_size=10)
        except Exception as exc:  # noqa: BLE001  (reported to the test)
            results[index] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_passes_at_once_send_each_statement_once(engine: Engine, db_session: Session, fake_lrs: FakeLrs) -> None:
    fake_lrs.delay = 0.05  # each pass takes a while: the other one starts meanwhile
    # The very first passes race to create the state row, later ones to claim it.
    for moment in (T0, T0 + timedelta(minutes=1)):
        ids = store(db_session, moment - timedelta(seconds=30), 60, first=len(fake_lrs.accepted) + 1)
        results = race(engine, fake_lrs, moment)
        assert all(isinstance(r, forwarding.ForwardResult) for r in results), results
        assert sorted(r.not_due for r in results) == [False, True]
        assert set(ids) <= set(fake_lrs.accepted) and set(fake_lrs.accepted.values()) == {1}
    assert len(fake_lrs.accepted) == 120 and all(r.status == 200 for r in fake_lrs.requests)


def test_statements_stored_while_a_request_is_in_flight_go_on_the_next_pass(
    engine: Engine, db_session: Session, fake_lrs: FakeLrs
) -> None:
    # Ingestion goes on during a pass: on SQLite a pass that kept its read open across
    # the request could not write its log rows afterwards ("database is locked").
    first = store(db_session, T0 - timedelta(minutes=1), 3)
    other = make_session_factory(engine)()
    stored: list[str] = []
    fake_lrs.during = lambda: stored.extend(store(other, T0 - timedelta(seconds=1), 1, first=100 + len(stored)))
    try:
        result = forward(db_session, fake_lrs, T0)
        assert result.error == "" and result.sent == 3 and len(stored) == 1
        fake_lrs.during = None
        later = forward(db_session, fake_lrs, T0 + timedelta(minutes=1))
        assert later.sent == 1 and set(fake_lrs.accepted) == set(first + stored)
    finally:
        other.close()


def test_a_pass_never_run_before_creates_the_state_and_sends_nothing_without_statements(
    db_session: Session, fake_lrs: FakeLrs
) -> None:
    result = forward(db_session, fake_lrs, T0)
    assert result.drained and result.requests == 0
    assert state(db_session).watermark == T0
    assert db_session.scalar(select(func.count()).select_from(ForwardState)) == 1


def test_the_job_reads_the_app_config(app: Any, db_session: Session, fake_lrs: FakeLrs) -> None:
    ids = store(db_session, T0 - timedelta(minutes=1), 2)
    keys = ("LRS_FORWARD_URL", "LRS_FORWARD_KEY", "LRS_FORWARD_SECRET")
    saved = {key: app.config.get(key) for key in keys}
    try:
        app.config.update(LRS_FORWARD_URL=None)
        with app.app_context():
            forwarding.forward(db_session)
        assert db_session.get(ForwardState, forwarding.STATE_ID) is None  # off: nothing at all

        app.config.update(LRS_FORWARD_URL=fake_lrs.settings().url, LRS_FORWARD_KEY=KEY, LRS_FORWARD_SECRET=SECRET)
        with app.app_context():
            forwarding.forward(db_session)
        db_session.commit()
        assert set(fake_lrs.accepted) == set(ids)
    finally:
        app.config.update(saved)


def test_the_job_is_declared_every_minute() -> None:
    from modules.lrs.plugin import MANIFEST

    [job] = [job for job in MANIFEST.jobs if job.func == "modules.lrs.forwarding:forward"]
    assert job.trigger == {"trigger": "cron", "minute": "*"}
