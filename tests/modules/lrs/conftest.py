"""Fixtures of the LRS tests: LRS clients and request helpers speaking xAPI."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from modules.lrs import clients

SECRET_KEY = "test-secret"  # the app fixture's
SITE = "https://hocvu.test"


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
