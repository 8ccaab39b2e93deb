"""Fixtures of the LRS tests: LRS clients and request helpers speaking xAPI."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from modules.lrs import clients

SECRET_KEY = "test-secret"  # the app fixture's
SITE = "https://hocvu.test"
ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def gunicorn(
    database_url: str, *, secret_key: str = SECRET_KEY, site_url: str = SITE, environment: str = "development"
) -> Iterator[str]:
    """The app served as in production (gunicorn, 2 workers) on ``database_url``, for
    tests and benchmarks that need real processes; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "HOCVU_SITE_URL": site_url,
        "HOCVU_ENV": environment,
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/xapi/about", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass(frozen=True)
class Credentials:
    key: str
    secret: str

    def headers(self, version: str | None = "1.0.3", **extra: str) -> dict[str, str]:
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", **extra}
        if version is not None:
            headers["X-Experience-API-Version"] = version
        return headers


def make_client(session: Session, name: str = "Gói học liệu thử", **options: Any) -> Credentials:
    issued = clients.create_client(session, server_key=SECRET_KEY, name=name, **options)
    session.commit()
    return Credentials(issued.key, issued.secret)


@pytest.fixture
def lrs(app: Any, app_db: Session) -> Credentials:
    """A read-write client of scope "all" that cannot award credit."""
    return make_client(app_db)


class Xapi:
    """A test client speaking xAPI with one set of credentials."""

    def __init__(self, client: Any, credentials: Credentials, version: str = "1.0.3") -> None:
        self.client = client
        self.credentials = credentials
        self.version = version

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {**self.credentials.headers(self.version), **(headers or {})}

    def post(self, statements: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            "/xapi/statements",
            data=json.dumps(statements),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def put(self, statement: Any, statement_id: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(
            f"/xapi/statements?statementId={statement_id}",
            data=json.dumps(statement),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def get(self, path: str = "/xapi/statements", headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, query_string=params or None, headers=self._headers(headers))

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=self._headers(headers), **kwargs)


@pytest.fixture
def xapi(client: Any, lrs: Credentials) -> Iterator[Xapi]:
    yield Xapi(client, lrs)


def agent(name: str = "GL-00001") -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": SITE, "name": name}, "name": "Nguyễn Thị Mai"}


def statement(
    verb: str = "experienced",
    activity: str = "https://content.example/xapi/bai-1",
    actor: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor or agent(),
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb, "vi": verb}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {"name": {"vi": "Bài 1", "en-US": "Lesson 1"}},
        },
        **extra,
    }
