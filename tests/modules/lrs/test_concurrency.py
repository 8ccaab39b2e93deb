"""Concurrent ingestion: 8 processes POST 1,000 statements each to a server started like
production (gunicorn, 2 workers) on PostgreSQL, and re-send each other's batches while
doing so; exactly 8,000 statements are stored."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.statements import Statement
from tests.modules.lrs.conftest import Credentials, gunicorn, make_client, statement

PROCESSES, BATCHES, BATCH = 8, 20, 50


@pytest.fixture
def server(database_url: str, app: Any, app_db: Session) -> Iterator[str]:
    with gunicorn(database_url) as base:
        yield base


def post(base: str, credentials: Credentials, batch: list[dict[str, Any]]) -> int:
    request = urllib.request.Request(
        f"{base}/xapi/statements",
        data=json.dumps(batch).encode(),
        method="POST",
        headers={**credentials.headers(), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status)


def sender(
    base: str, credentials: Credentials, batches: list[list[dict[str, Any]]], others: list[list[dict[str, Any]]]
) -> list[int]:
    """Send this process's batches, each followed by a re-send of another process's."""
    statuses = []
    for own, other in zip(batches, others, strict=True):
        statuses.append(post(base, credentials, own))
        statuses.append(post(base, credentials, other))
    return statuses


def test_eight_processes_store_exactly_eight_thousand(server: str, app_db: Session, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL); SQLite serialises writers")
    credentials = make_client(app_db, name="Tải đồng thời")
    work = [
        [
            [statement(actor={"objectType": "Agent", "mbox": f"mailto:p{p}-{b}@example.vn"}) for _ in range(BATCH)]
            for b in range(BATCHES)
        ]
        for p in range(PROCESSES)
    ]
    # Process p re-sends process p+1's batches, most of them while p+1 is still sending.
    others = [work[(p + 1) % PROCESSES] for p in range(PROCESSES)]
    with ProcessPoolExecutor(PROCESSES) as pool:
        results = list(pool.map(sender, [server] * PROCESSES, [credentials] * PROCESSES, work, others))
    assert all(status == 200 for statuses in results for status in statuses)
    app_db.rollback()
    assert app_db.scalar(select(func.count()).select_from(Statement)) == PROCESSES * BATCHES * BATCH
    sent = {s["id"] for batches in work for batch in batches for s in batch}
    assert len(sent) == 8000
    assert set(app_db.scalars(select(Statement.id))) == {str(uuid.UUID(i)) for i in sent}
