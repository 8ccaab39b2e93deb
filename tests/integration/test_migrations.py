"""The Alembic revisions build exactly the schema the models declare, and go down again."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lms_core.db import Base, make_engine
from tests.conftest import FAST_HASH, database_url_for_tests, reset_database


@pytest.fixture
def migration_app(tmp_path: Path) -> Any:
    from app import create_app

    url = database_url_for_tests(tmp_path, suffix="_migrations")
    reset_database(url)
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True, "PASSWORD_HASH_METHOD": FAST_HASH}
    )


def test_upgrade_matches_models_and_downgrade_removes_everything(migration_app: Any) -> None:
    from flask_migrate import downgrade, upgrade

    url = migration_app.config["SQLALCHEMY_DATABASE_URI"]
    with migration_app.app_context():
        upgrade()
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "models and migrations disagree: add a revision (flask db migrate) and review it"
    with migration_app.app_context():
        downgrade(revision="base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with migration_app.app_context():
        upgrade()
    assert {"units", "people", "statements", "audit_log"} <= set(inspect(engine).get_table_names())
    engine.dispose()
