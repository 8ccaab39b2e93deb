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


def test_the_lrs_revision_indexes_statements_stored_before_it(migration_app: Any) -> None:
    import json

    from flask_migrate import upgrade
    from sqlalchemy import text

    url = migration_app.config["SQLALCHEMY_DATABASE_URI"]
    with migration_app.app_context():
        upgrade(revision="e7d1a2b3c4f5")
    engine = make_engine(url)
    mai = {"objectType": "Agent", "account": {"homePage": "https://hocvu.test", "name": "GL-00001"}}
    course = "https://hocvu.test/activities/course/dau-thau"
    stored = {
        "id": "6f1c0b7e-34a5-4d3c-9a8e-0d3f8c1b2a01",
        "actor": mai,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": course},
        "context": {"contextActivities": {"parent": [{"id": "https://hocvu.test/activities/plan/2026"}]}},
    }
    voiding = {
        "id": "6f1c0b7e-34a5-4d3c-9a8e-0d3f8c1b2a02",
        "actor": mai,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": stored["id"]},
    }
    with engine.begin() as conn:
        for statement in (stored, voiding):
            conn.execute(
                text(
                    "INSERT INTO statements (id, statement, actor_key, verb_id, activity_iri, timestamp, stored,"
                    " voided, source, credit_trusted) VALUES (:id, :statement, :actor, :verb, :activity, :at, :at,"
                    " false, 'hocvu:test', true)"
                ),
                {
                    "id": statement["id"],
                    "statement": json.dumps(statement),
                    "actor": "account:https://hocvu.test|GL-00001",
                    "verb": statement["verb"]["id"],
                    "activity": course if statement is stored else None,
                    "at": "2026-11-20T02:00:00+00:00",
                },
            )
    with migration_app.app_context():
        upgrade()
    with engine.connect() as conn:
        refs = dict(conn.execute(text("SELECT id, statement_ref FROM statements")).all())
        activities = set(conn.execute(text("SELECT statement_id, activity_iri FROM statement_activities")).all())
        agents = set(conn.execute(text("SELECT statement_id, agent_key FROM statement_agents")).all())
    engine.dispose()
    assert refs == {stored["id"]: None, voiding["id"]: stored["id"]}
    assert activities == {(stored["id"], course), (stored["id"], "https://hocvu.test/activities/plan/2026")}
    assert agents == {(s["id"], "account:https://hocvu.test|GL-00001") for s in (stored, voiding)}
