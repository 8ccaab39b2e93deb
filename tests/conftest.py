"""Shared fixtures. The database is SQLite (a fresh file) unless TEST_DATABASE_URL
points at PostgreSQL; `make test` runs the whole suite once on each.

This file imports no Flask at module level, so tests/core stays headless: the app
fixtures import the shell only when a test asks for them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

import modules
from lms_core import accounts, models  # noqa: F401  (every core table on the metadata)
from lms_core.db import Base, make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent
TEST_PASSWORD = "mat-khau-thu-nghiem"
# Cheap hashing keeps hundreds of test accounts fast; production uses scrypt.
FAST_HASH = "pbkdf2:sha256:1000"
accounts.PASSWORD_HASH_METHOD = FAST_HASH


def _import_module_models() -> None:
    for info in pkgutil.iter_modules(modules.__path__):
        if (Path(modules.__path__[0]) / info.name / "models.py").exists():
            importlib.import_module(f"modules.{info.name}.models")


def database_url_for_tests(tmp_root: Path, suffix: str = "") -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / f'hocvu{suffix}.db'}"
    if suffix:
        parsed = make_url(url)
        url = parsed.set(database=f"{parsed.database}{suffix}").render_as_string(hide_password=False)
    return url


def reset_database(url: str) -> None:
    """Make ``url`` an empty database (PostgreSQL: create it, or empty its schema)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    admin = make_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_url_for_tests(tmp_path_factory.mktemp("db"))
    reset_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    _import_module_models()
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def clear_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A plain SQLAlchemy session (no Flask); every table is emptied afterwards."""
    session = make_session_factory(engine)()
    yield session
    session.close()
    clear_tables(engine)


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


# --- the Flask app --------------------------------------------------------------------


@pytest.fixture(scope="session")
def app(engine: Engine, database_url: str) -> Any:
    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "SITE_URL": "https://hocvu.test",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    return app


@pytest.fixture
def app_db(app: Any, db_session: Session) -> Iterator[Session]:
    """A plain session on the app's database for setting up and checking app tests.

    Deliberately not the app's ``db.session`` in a pushed app context: requests made
    inside an outer app context would share ``flask.g`` (and its signed-in user)."""
    from app.extensions import limiter

    yield db_session
    limiter.reset()


@pytest.fixture
def client(app: Any, app_db: Session) -> Any:
    return app.test_client()


@pytest.fixture
def demo(app: Any, app_db: Session) -> Any:
    """The core demo data, committed, with every demo account's password TEST_PASSWORD."""
    from lms_core.demo import seed_core

    data = seed_core(app_db, password=TEST_PASSWORD)
    app_db.commit()
    return data


def bearer(client: Any, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def login(client: Any, username: str, password: str = TEST_PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
