"""Statements from the LRS feed the same store as HocVu's own: a ``completed``
statement POSTed for a catalog activity by a crediting client credits the official exactly
like one a course writes; one from a client that may not award credit does not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import activity_iri, upsert_activity
from lms_core.statements import account_agent
from modules.credits.models import Credit, NotCounted
from tests.modules.lrs.conftest import SITE, Xapi, make_client, statement


def catalog_course(session: Session) -> str:
    iri = activity_iri(SITE, "course", "an-toan-thong-tin-co-ban")
    upsert_activity(
        session,
        iri=iri,
        type="course",
        title="An toàn thông tin cơ bản",
        periods=4,
        field_code="chuyen-doi-so",
        module="courses",
    )
    session.commit()
    return iri


def test_completed_from_a_crediting_client_credits_the_official(client: Any, app_db: Session, demo: Any) -> None:
    iri = catalog_course(app_db)
    official = demo.people["GL-00001"]
    xapi = Xapi(client, make_client(app_db, name="Phần mềm mô phỏng", credit_trusted=True))
    done = statement(
        verb="completed",
        activity=iri,
        actor=account_agent(SITE, official.staff_code),
        timestamp="2026-11-20T09:00:00+07:00",
    )
    assert xapi.post(done).status_code == 200
    app_db.rollback()
    [credit] = app_db.scalars(select(Credit).where(Credit.person_id == official.id)).all()
    assert (credit.periods, credit.year, credit.statement_id) == (4, 2026, done["id"])

    # Voiding it over the LRS withdraws the credit, as for a course's statement.
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": done["id"]}
    assert xapi.post(voiding).status_code == 200
    app_db.rollback()
    assert app_db.scalars(select(Credit).where(Credit.person_id == official.id)).all() == []


def test_a_client_not_created_as_crediting_awards_nothing(client: Any, app_db: Session, demo: Any) -> None:
    iri = catalog_course(app_db)
    official = demo.people["GL-00002"]
    xapi = Xapi(client, make_client(app_db, name="Ứng dụng thử"))
    done = statement(verb="completed", activity=iri, actor=account_agent(SITE, official.staff_code))
    assert xapi.post(done).status_code == 200
    app_db.rollback()
    assert app_db.scalars(select(Credit).where(Credit.person_id == official.id)).all() == []
    [why] = app_db.scalars(select(NotCounted).where(NotCounted.statement_id == done["id"])).all()
    assert why.reason
