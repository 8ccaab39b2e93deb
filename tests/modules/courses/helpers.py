"""Shared helpers of the courses tests: importing content, passing a quiz, finding statements."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lms_core.content import ContentError
from lms_core.events import Event
from lms_core.people import Person
from lms_core.statements import (
    VERBS,
    Statement,
    account_agent,
    account_key,
    build_statement,
    find_statements,
    hocvu_authority,
    store_statement,
)
from lms_core.uow import UnitOfWork
from modules.courses import plugin

ROOT = Path(__file__).resolve().parents[3]
CONTENT = ROOT / "content"
SITE = "https://hocvu.test"
SLUG = "dau-thau-cap-xa"
COURSE_IRI = f"{SITE}/activities/course/{SLUG}"
QUIZ_IRI = f"{SITE}/activities/quiz/{SLUG}"


def copy_courses(tmp_path: Path, *slugs: str) -> Path:
    """A content folder in ``tmp_path`` holding copies of the given real courses."""
    root = tmp_path / "content"
    for slug in slugs:
        shutil.copytree(CONTENT / "courses" / slug, root / "courses" / slug)
    return root


def validate(session: Session, root: Path) -> list[ContentError]:
    return plugin.hocvu_content_validate(session=session, root=root, site_url=SITE)


def apply(session: Session, root: Path) -> list[str]:
    return plugin.hocvu_content_apply(session=session, root=root, site_url=SITE)


def import_content(session: Session, root: Path) -> list[str]:
    """What ``flask content import`` does for this module: validate, apply, commit."""
    errors = validate(session, root)
    assert errors == [], [str(e) for e in errors]
    lines = apply(session, root)
    session.commit()
    return lines


def publish_to_courses(session: Session, event: Event) -> list[Event]:
    """The registry's publish, for the courses module alone: handle, commit, pass on."""
    from lms_core.events import drain

    plugin.hocvu_events(session=session, events=[event])
    session.commit()
    return drain(session)


def uow(session: Session) -> UnitOfWork:
    return UnitOfWork(session, publish_to_courses)


def store_quiz_result(
    session: Session, person: Person, *, success: bool = True, now: datetime | None = None
) -> Statement:
    """A quiz result as the quizzes module stores it (parent: the course)."""
    statement = build_statement(
        actor=account_agent(SITE, person.staff_code, person.full_name),
        verb="passed" if success else "failed",
        activity_iri=QUIZ_IRI,
        activity_name="Bài kiểm tra",
        activity_type="http://adlnet.gov/expapi/activities/assessment",
        result={"success": success, "completion": True, "score": {"scaled": 0.9 if success else 0.3}},
        context={"contextActivities": {"parent": [{"id": COURSE_IRI}]}},
    )
    return store_statement(session, statement, hocvu_authority(SITE, "quizzes"), now=now)


def statements(session: Session, person: Person, verb: str, iri: str = COURSE_IRI) -> list[dict[str, Any]]:
    rows = find_statements(
        session, actor_key=account_key(SITE, person.staff_code), verb_id=VERBS[verb][0], activity_iri=iri
    )
    return [row.statement for row in rows]
