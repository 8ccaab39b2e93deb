"""Fixtures for the plans module: the core demo data headless, a fake answer to the
``hocvu_people_hours`` hook, and the app with the module enabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms_core.demo import DemoData, seed_core
from lms_core.plugins import hookimpl
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def core(db_session: Session) -> DemoData:
    """The core demo province, committed, without Flask."""
    data = seed_core(db_session, password=TEST_PASSWORD)
    db_session.commit()
    return data


def hours_row(person: Any, *, required: int = 40, credited: int = 0, by_field: dict[str, int] | None = None) -> dict:
    """A row as ``hocvu_people_hours`` yields it (the fields the plans module reads)."""
    return {
        "person_id": person.id,
        "staff_code": person.staff_code,
        "category": person.category,
        "is_leader": person.is_leader,
        "active": person.active,
        "unit_id": person.unit_id,
        "unit_path": person.unit.path,
        "required": required,
        "credited": credited,
        "by_field": by_field or {},
    }


class FakeHours:
    """A module answering ``hocvu_people_hours`` from a fixed list of rows (those of
    people under the asked unit), so report tests do not depend on the credits engine."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls = 0

    def __call__(self, unit: Any, year: int) -> Iterator[dict[str, Any]]:
        self.calls += 1
        return iter([row for row in self.rows if row["unit_path"].startswith(unit.path)])

    @hookimpl
    def hocvu_people_hours(self, session: Session, unit: Any, year: int) -> Iterator[dict[str, Any]]:
        return self(unit, year)


@pytest.fixture
def plans_app(app: Any) -> Any:
    """The app, which must have the plans module enabled."""
    if "plans" not in app.config["MODULES"]:
        pytest.skip("the plans module is not enabled: add it to HOCVU_MODULES")
    return app


@pytest.fixture
def fake_hours(plans_app: Any) -> Iterator[FakeHours]:
    """Register a FakeHours plugin on the app's registry (called before the credits
    module's answer, and the hook takes the first answer); unregistered afterwards."""
    fake = FakeHours([])
    registry = plans_app.extensions["hocvu_registry"]
    registry.pm.register(fake, name="fake-hours")
    yield fake
    registry.pm.unregister(name="fake-hours")
