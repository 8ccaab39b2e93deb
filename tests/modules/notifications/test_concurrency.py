"""Two app processes at once, on PostgreSQL: two runs of the same reminder job insert each
key once (and queue each e-mail once), and two outbox workers never send one e-mail twice.
Threads with their own sessions and connections stand for the processes (SQLite
serialises writers, so there is no race to test there)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms_core.db import make_session_factory
from lms_core.reminders import WEEKLY_DIGEST
from modules.notifications import services
from modules.notifications.models import Message, OutboxEmail
from tests.modules.notifications.conftest import SmtpServer, fresh, remind, vn

pytestmark = pytest.mark.postgres

NOW = vn("2026-07-06T07:00:00+07:00")


@pytest.fixture(autouse=True)
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL); SQLite serialises writers")


def race(app: Any, engine: Engine, calls: list[Callable[[Session], Any]]) -> list[Any]:
    """Run each call in its own thread, app context and session; its result or the error."""
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[Session], Any]) -> None:
        session = make_session_factory(engine)()
        try:
            with app.app_context():
                results[index] = call(session)
            session.commit()
        except Exception as exc:  # noqa: BLE001  (reported to the test)
            session.rollback()
            results[index] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class Gate:
    """The app's hook, but each caller waits for the other after collecting its
    reminders, so both insert the same keys at the same moment."""

    def __init__(self, hook: Any, parties: int) -> None:
        self.hook = hook
        self.barrier = threading.Barrier(parties)

    def hocvu_reminders(self, **kwargs: Any) -> list[Any]:
        found = self.hook.hocvu_reminders(**kwargs)
        self.barrier.wait(timeout=20)
        return found


def test_two_runs_at_once_insert_each_key_once(notif_app: Any, app_db: Session, demo: Any, engine: Engine) -> None:
    gate = Gate(notif_app.extensions["hocvu_registry"].hook, 2)

    def job(session: Session) -> services.RunResult:
        return services.run(session, WEEKLY_DIGEST, NOW, gate, queue_email=True)

    results = race(notif_app, engine, [job, job])
    assert all(isinstance(r, services.RunResult) for r in results), results
    assert [r.collected for r in results] == [5, 5]
    assert sum(r.inserted for r in results) == 5 and sum(r.queued for r in results) == 5
    fresh(app_db)
    assert app_db.scalar(select(func.count(Message.id))) == 5
    assert app_db.scalar(select(func.count(OutboxEmail.id))) == 5


def test_two_outbox_workers_never_send_one_email_twice(
    notif_app: Any, app_db: Session, demo: Any, engine: Engine, smtp_server: SmtpServer
) -> None:
    assert remind(notif_app, app_db, WEEKLY_DIGEST, NOW, queue_email=True).queued == 5
    smtp_server.mailbox.delay = 0.2  # each e-mail keeps its worker busy while the other claims
    barrier = threading.Barrier(2)

    def worker(session: Session) -> services.DeliveryResult:
        barrier.wait(timeout=10)
        return services.deliver_outbox(session, smtp_server.settings(), lambda: NOW)

    results = race(notif_app, engine, [worker, worker])
    assert all(isinstance(r, services.DeliveryResult) for r in results), results
    assert sum(r.sent for r in results) == 5 and all(r.sent > 0 for r in results)
    assert len(smtp_server.mailbox.received) == 5
    assert len({tuple(r) for r in smtp_server.mailbox.recipients}) == 5
    fresh(app_db)
    assert {row.status for row in app_db.scalars(select(OutboxEmail))} == {"sent"}
