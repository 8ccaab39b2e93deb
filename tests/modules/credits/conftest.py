from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import live_server  # noqa: F401  (a fixture for the browser tests)
from tests.modules.credits.helpers import World, headless_registry


@pytest.fixture
def world(db_session: Session) -> World:
    """A headless world: events reach the credits module through a plain registry."""
    return World(db_session, headless_registry())


@pytest.fixture
def refusing_world(db_session: Session) -> World:
    """The same, with a module that refuses statements marked REFUSE."""
    return World(db_session, headless_registry(refusing=True))


@pytest.fixture
def credits_app(app: Any) -> Any:
    """The app, which must have the credits module enabled (HOCVU_MODULES=hr,credits)."""
    if "credits" not in app.config["MODULES"]:
        pytest.skip("the credits module is not enabled: run with HOCVU_MODULES=hr,credits")
    return app


@pytest.fixture
def evidence_dir(credits_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the claims' evidence files go during the test."""
    folder = tmp_path / "claims"
    monkeypatch.setitem(credits_app.config, "CREDITS_EVIDENCE_DIR", str(folder))
    return folder
