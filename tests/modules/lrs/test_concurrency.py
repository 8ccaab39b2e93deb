"""Concurrent ingestion: 8 processes POST 1,000 statements each to a server started like
production (gunicorn, 2 workers) on PostgreSQL, and re-send each other's batches while
doing so; exactly 8,000 statements are stored."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.statements import Statement
from tests.modules.lrs.conftest import SECRET_KEY, SITE, Credentials, make_client, statement

ROOT = Path(__file__).resolve().parents[3]
PROCESSES, BATCHES, BATCH = 8, 20, 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn(database_url: str, app: Any, app_db: Session) -> Any:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "HOCVU_SITE_URL": SITE,
        "HOCVU_ENV": "development",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/xapi/about", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=30)


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


def test_eight_processes_store_exactly_eight_thousand(gunicorn: str, app_db: Session, is_postgres: bool) -> None:
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
        results = list(pool.map(sender, [gunicorn] * PROCESSES, [credentials] * PROCESSES, work, others))
    assert all(status == 200 for statuses in results for status in statuses)
    app_db.rollback()
    assert app_db.scalar(select(func.count()).select_from(Statement)) == PROCESSES * BATCHES * BATCH
    sent = {s["id"] for batches in work for batch in batches for s in batch}
    assert len(sent) == 8000
    assert set(app_db.scalars(select(Statement.id))) == {str(uuid.UUID(i)) for i in sent}
