"""The ``hocvu_credit_refusal`` hook for checklist statements, called through the registry
as the credits module calls it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import activity_iri, upsert_activity
from lms_core.demo import DemoData
from lms_core.plugins.registry import Registry
from lms_core.statements import Statement, account_agent, build_statement, hocvu_authority, store_statement
from modules.checklists import services
from modules.checklists.models import MentorAssignment
from tests.modules.checklists.conftest import SITE, SLUG, account, submit_all

OTHER_SLUG = "ck-tiep-nhan-ho-so-tthc"


@pytest.fixture(scope="module")
def registry() -> Registry:
    loaded = Registry()
    loaded.load(["hr", "checklists"])
    return loaded


def refusal(registry: Registry, session: Session, row: Statement) -> str | None:
    from lms_core.catalog import activity_by_iri

    activity = activity_by_iri(session, row.activity_iri or "")
    assert activity is not None
    return registry.hook.hocvu_credit_refusal(session=session, statement=row, activity=activity)


def completed(
    session: Session, slug: str, actor: str, instructor: str | None, at: datetime, home: str = SITE
) -> Statement:
    """A ``completed`` statement as an outside tool might send it (through a crediting LRS client)."""
    checklist = services.get_checklist(session, slug)
    context: dict[str, Any] = {}
    if instructor is not None:
        context["instructor"] = account_agent(home, instructor)
    statement = build_statement(
        actor=account_agent(SITE, actor),
        verb="completed",
        activity_iri=checklist.activity.iri,
        activity_name="x",
        result={"completion": True, "success": True},
        context=context or None,
        timestamp=at,
    )
    return store_statement(session, statement, hocvu_authority(SITE, "lrs"))


def set_assignment(session: Session, demo: DemoData, start: date, end: date | None, slug: str | None = None) -> None:
    """demo.mentor's one assignment to demo.official, moved to these dates (and checklist)."""
    row = session.scalars(select(MentorAssignment)).one()
    row.start_date, row.end_date = start, end
    row.checklist_id = services.get_checklist(session, slug).id if slug else None
    session.commit()


def test_hocvus_own_completed_statement_credits(
    registry: Registry, db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    for item in submit_all(db_session, official, folder):
        services.sign_off(db_session, mentor, seeded.people["GL-00001"].id, SLUG, item.key)
    db_session.commit()
    row = db_session.scalars(select(Statement).where(Statement.verb_id.endswith("/completed"))).one()
    assert refusal(registry, db_session, row) is None


def test_refused_without_an_instructor_or_with_one_not_assigned(
    registry: Registry, db_session: Session, seeded: DemoData
) -> None:
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    missing = completed(db_session, SLUG, "GL-00001", None, at)
    assert refusal(registry, db_session, missing) == services.REFUSAL_NO_INSTRUCTOR
    assert "người hướng dẫn" in services.REFUSAL_NO_INSTRUCTOR

    for instructor, home in [
        ("GL-00102", SITE),  # a colleague who is nobody's mentor
        ("GL-00001", SITE),  # the official themself
        ("GL-99999", SITE),  # nobody
        ("GL-00002", "https://khac.example"),  # the right staff code on another site
    ]:
        row = completed(db_session, SLUG, "GL-00001", instructor, at, home)
        assert refusal(registry, db_session, row) == services.REFUSAL_NOT_ASSIGNED, instructor
    # demo.mentor is not GL-00100's mentor.
    row = completed(db_session, SLUG, "GL-00100", "GL-00002", at)
    assert refusal(registry, db_session, row) == services.REFUSAL_NOT_ASSIGNED
    assert refusal(registry, db_session, completed(db_session, SLUG, "GL-00001", "GL-00002", at)) is None


def test_the_assignment_must_cover_the_statement_day_in_ho_chi_minh_time(
    registry: Registry, db_session: Session, seeded: DemoData
) -> None:
    # 20:00 UTC on 30 June is 03:00 on 1 July in Asia/Ho_Chi_Minh.
    late = completed(db_session, SLUG, "GL-00001", "GL-00002", datetime(2026, 6, 30, 20, 0, tzinfo=UTC))
    early = completed(db_session, SLUG, "GL-00001", "GL-00002", datetime(2026, 6, 30, 10, 0, tzinfo=UTC))
    db_session.commit()

    set_assignment(db_session, seeded, date(2026, 1, 1), date(2026, 6, 30))
    assert refusal(registry, db_session, early) is None  # ended since: the past stays credited
    assert refusal(registry, db_session, late) == services.REFUSAL_NOT_ASSIGNED

    set_assignment(db_session, seeded, date(2026, 7, 1), None)
    assert refusal(registry, db_session, early) == services.REFUSAL_NOT_ASSIGNED
    assert refusal(registry, db_session, late) is None

    set_assignment(db_session, seeded, date(2026, 1, 1), None, OTHER_SLUG)
    assert refusal(registry, db_session, early) == services.REFUSAL_NOT_ASSIGNED
    other = completed(db_session, OTHER_SLUG, "GL-00001", "GL-00002", datetime(2026, 6, 30, 10, 0, tzinfo=UTC))
    assert refusal(registry, db_session, other) is None


def test_other_activity_types_are_not_the_modules_to_judge(
    registry: Registry, db_session: Session, seeded: DemoData
) -> None:
    course = upsert_activity(
        db_session,
        iri=activity_iri(SITE, "course", "dau-thau-cap-xa"),
        type="course",
        title="Đấu thầu",
        periods=4,
        field_code="tai-chinh",
        module="courses",
    )
    row = store_statement(
        db_session,
        build_statement(
            actor=account_agent(SITE, "GL-00001"), verb="completed", activity_iri=course.iri, activity_name="x"
        ),
        hocvu_authority(SITE, "courses"),
    )
    assert refusal(registry, db_session, row) is None
    assert services.credit_refusal(db_session, row, course) is None
