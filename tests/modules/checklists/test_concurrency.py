"""Two sign-offs at once, in two threads with their own sessions and connections, on
PostgreSQL (SQLite serialises writers, so there is no race to test there)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms_core.db import make_session_factory
from lms_core.demo import DemoData
from lms_core.statements import Statement
from modules.checklists import services
from modules.checklists.models import SignOff
from tests.modules.checklists.conftest import SLUG, account, add_account, assign, submit_all

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL); SQLite serialises writers")


def race(engine: Engine, calls: list[Callable[[Session], Any]]) -> list[str]:
    """Run each call in its own thread and session, released together; "ok" or the error class."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(index: int, call: Callable[[Session], Any]) -> None:
        session = make_session_factory(engine)()
        try:
            barrier.wait(timeout=10)
            call(session)
            session.commit()
            results[index] = "ok"
        except Exception as exc:  # noqa: BLE001  (reported to the test)
            session.rollback()
            results[index] = type(exc).__name__
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def two_mentors(db_session: Session, seeded: DemoData, folder: Path) -> list[Any]:
    official = account(db_session, "demo.official")
    items = submit_all(db_session, official, folder)
    add_account(db_session, seeded, "GL-00102", "mentor.hai", ("mentor", "GL-X-IAGRAI"))
    assign(db_session, seeded, "GL-00102", "GL-00001", date(2026, 1, 1))
    db_session.commit()
    return items


def sign(username: str, person_id: int, key: str) -> Callable[[Session], Any]:
    return lambda session: services.sign_off(session, account(session, username), person_id, SLUG, key, username)


@pytest.mark.parametrize("row_lock", [True, False], ids=["with-row-lock", "constraint-only"])
def test_two_mentors_signing_off_the_same_item_leave_one_sign_off(
    db_session: Session,
    seeded: DemoData,
    two_mentors: list[Any],
    engine: Engine,
    row_lock: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not row_lock:
        # Without the progress row lock both inserts run at once; the unique constraint decides.
        monkeypatch.setattr(services, "_lock", lambda session, progress: progress)
    person_id = seeded.people["GL-00001"].id
    key = two_mentors[0].key
    results = race(engine, [sign("demo.mentor", person_id, key), sign("mentor.hai", person_id, key)])
    assert sorted(results) == ["AlreadySignedOff", "ok"]
    db_session.expire_all()
    rows = db_session.scalars(select(SignOff).where(SignOff.item_id == two_mentors[0].id)).all()
    assert len(rows) == 1


def test_two_clicks_at_once_leave_one_sign_off(
    db_session: Session, seeded: DemoData, two_mentors: list[Any], engine: Engine
) -> None:
    person_id = seeded.people["GL-00001"].id
    key = two_mentors[1].key
    results = race(engine, [sign("demo.mentor", person_id, key)] * 2)
    assert sorted(results) == ["AlreadySignedOff", "ok"]
    db_session.expire_all()
    assert len(db_session.scalars(select(SignOff)).all()) == 1


def test_the_last_two_items_signed_at_once_complete_the_checklist_once(
    db_session: Session, seeded: DemoData, two_mentors: list[Any], engine: Engine
) -> None:
    person_id = seeded.people["GL-00001"].id
    mentor = account(db_session, "demo.mentor")
    for item in two_mentors[:-2]:
        services.sign_off(db_session, mentor, person_id, SLUG, item.key)
    db_session.commit()
    before_last, last = two_mentors[-2].key, two_mentors[-1].key
    results = race(engine, [sign("demo.mentor", person_id, before_last), sign("mentor.hai", person_id, last)])
    assert results == ["ok", "ok"]
    db_session.expire_all()
    completed = db_session.scalars(select(Statement).where(Statement.verb_id.endswith("/completed"))).all()
    assert len(completed) == 1
