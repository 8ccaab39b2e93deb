"""The course use cases without Flask: enrolment, lessons, completion through the quiz pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tincan import Statement as XStatement

from lms_core.accounts import Account
from lms_core.db import utcnow
from lms_core.errors import NotFound, PermissionDenied
from lms_core.events import StatementStored
from lms_core.statements import (
    VOIDED,
    Authority,
    Statement,
    account_agent,
    build_statement,
    hocvu_authority,
    store_statement,
)
from modules.courses import services
from modules.courses.models import LessonProgress
from tests.modules.courses.helpers import (
    CONTENT,
    COURSE_IRI,
    QUIZ_IRI,
    SITE,
    SLUG,
    import_content,
    statements,
    store_quiz_result,
    uow,
)

LESSONS = 5  # dau-thau-cap-xa


@pytest.fixture
def imported(db_session: Session, core: Any) -> Any:
    import_content(db_session, CONTENT)
    return core


def finish_lessons(session: Session, person: Any, upto: int = LESSONS) -> services.CourseView:
    view = None
    for position in range(1, upto + 1):
        with uow(session) as work:
            view = services.complete_lesson(session, person, SLUG, position)
            work.commit()
    assert view is not None
    return view


def pass_quiz(session: Session, person: Any, **kwargs: Any) -> Statement:
    with uow(session) as work:
        row = store_quiz_result(session, person, **kwargs)
        work.commit()  # publishes StatementStored to the courses module
    return row


def test_opening_writes_launched_once_and_resumes(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    assert services.course_view(db_session, mai, SLUG).status == "not_started"
    assert statements(db_session, mai, "launched") == []  # looking is not opening

    view = services.open_enrolment(db_session, mai, SLUG)
    db_session.commit()
    again = services.open_enrolment(db_session, mai, SLUG)
    db_session.commit()
    assert again.enrolment is not None and view.enrolment is not None
    assert again.enrolment.id == view.enrolment.id and again.status == "in_progress"
    [launched] = statements(db_session, mai, "launched")
    XStatement(launched)  # valid xAPI 1.0.3
    assert launched["actor"]["account"] == {"homePage": SITE, "name": "GL-00001"}
    assert launched["object"]["id"] == COURSE_IRI
    assert launched["context"]["registration"] == view.enrolment.registration
    assert launched["context"]["extensions"] == {f"{SITE}/xapi/extensions/version": 1}
    assert launched["authority"]["account"]["name"] == "hocvu"


def test_completing_a_lesson_writes_experienced_once(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    view = services.complete_lesson(db_session, mai, SLUG, 2)
    db_session.commit()
    assert (view.done, view.done_count, view.total, view.percent) == ({2}, 1, LESSONS, 20)
    assert view.next_position == 1 and view.status == "in_progress"
    again = services.complete_lesson(db_session, mai, SLUG, 2)
    db_session.commit()
    assert again.done == {2}

    lesson_iri = f"{COURSE_IRI}/lessons/2"
    [experienced] = statements(db_session, mai, "experienced", lesson_iri)
    XStatement(experienced)
    assert experienced["context"]["contextActivities"]["parent"][0]["id"] == COURSE_IRI
    assert experienced["context"]["registration"] == view.enrolment.registration  # type: ignore[union-attr]
    assert experienced["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert len(statements(db_session, mai, "launched")) == 1  # the first lesson opened the course
    progress = db_session.scalar(select(LessonProgress))
    assert progress is not None and progress.statement_id == experienced["id"]


def test_unknown_course_or_lesson_is_not_found(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    with pytest.raises(NotFound):
        services.course_view(db_session, mai, "khong-co")
    with pytest.raises(NotFound):
        services.complete_lesson(db_session, mai, SLUG, LESSONS + 1)
    with pytest.raises(NotFound):
        services.lesson_view(db_session, mai, SLUG, 0)


def test_lessons_alone_do_not_complete_the_course(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    view = finish_lessons(db_session, mai)
    assert view.lessons_done and view.next_position is None
    assert view.status == "in_progress" and not view.quiz_passed
    assert statements(db_session, mai, "completed") == []


def test_passing_the_quiz_after_the_lessons_completes_the_course_once(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    finish_lessons(db_session, mai)
    passed = pass_quiz(db_session, mai)

    view = services.course_view(db_session, mai, SLUG)
    assert view.status == "completed" and view.quiz_passed
    [completed] = statements(db_session, mai, "completed")
    XStatement(completed)
    assert completed["result"] == {"completion": True, "success": True}
    assert completed["context"]["registration"] == view.enrolment.registration  # type: ignore[union-attr]
    assert completed["context"]["extensions"] == {f"{SITE}/xapi/extensions/version": 1}
    assert completed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert view.enrolment is not None and view.enrolment.completion_statement_id == completed["id"]

    # A second pass, a lesson finished again, the same event again: still one completed.
    pass_quiz(db_session, mai)
    finish_lessons(db_session, mai, upto=LESSONS)
    with uow(db_session) as work:
        event = StatementStored(passed.id, passed.actor_key, passed.verb_id, QUIZ_IRI, True)
        services.on_events(db_session, [event])
        work.commit()
    assert len(statements(db_session, mai, "completed")) == 1


def test_a_quiz_passed_first_completes_the_course_with_the_last_lesson(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    finish_lessons(db_session, mai, upto=LESSONS - 1)
    pass_quiz(db_session, mai)
    assert statements(db_session, mai, "completed") == []
    view = finish_lessons(db_session, mai)
    assert view.status == "completed"
    assert len(statements(db_session, mai, "completed")) == 1


def test_a_pass_before_the_enrolment_started_does_not_count(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    store_quiz_result(db_session, mai, now=utcnow() - timedelta(minutes=5))
    db_session.commit()
    view = finish_lessons(db_session, mai)
    assert view.enrolment is not None and services.quiz_pass(db_session, view.enrolment) is None
    assert view.status == "in_progress" and not view.quiz_passed
    assert statements(db_session, mai, "completed") == []


def test_failed_untrusted_and_voided_passes_do_not_complete(db_session: Session, imported: Any) -> None:
    mai = imported.people["GL-00001"]
    finish_lessons(db_session, mai)
    pass_quiz(db_session, mai, success=False)
    with uow(db_session) as work:  # an LRS client not created as crediting
        untrusted = Authority(account_agent(SITE, "lrs-client"), "lrs:abc", False)
        store_statement(
            db_session,
            build_statement(
                actor=account_agent(SITE, mai.staff_code, mai.full_name),
                verb="passed",
                activity_iri=QUIZ_IRI,
                activity_name="Bài kiểm tra",
                result={"success": True},
            ),
            untrusted,
        )
        work.commit()
    with uow(db_session) as work:  # a pass voided in the same transaction
        row = store_quiz_result(db_session, mai)
        voiding = {
            "actor": account_agent(SITE, "hocvu"),
            "verb": {"id": VOIDED},
            "object": {"objectType": "StatementRef", "id": row.id},
        }
        store_statement(db_session, voiding, hocvu_authority(SITE, "quizzes"))
        work.commit()
    assert statements(db_session, mai, "completed") == []
    assert services.course_view(db_session, mai, SLUG).status == "in_progress"

    pass_quiz(db_session, mai)
    assert services.course_view(db_session, mai, SLUG).status == "completed"
    assert len(statements(db_session, mai, "completed")) == 1


def test_progress_is_per_person(db_session: Session, imported: Any) -> None:
    mai, hung = imported.people["GL-00001"], imported.people["GL-00002"]
    finish_lessons(db_session, mai, upto=3)
    assert services.course_view(db_session, mai, SLUG).done == {1, 2, 3}
    other = services.course_view(db_session, hung, SLUG)
    assert other.done == frozenset() and other.enrolment is None and other.status == "not_started"


def test_only_active_officials_learn(db_session: Session, imported: Any) -> None:
    bare = Account(username="khong-ho-so", password_hash="x")
    with pytest.raises(PermissionDenied):
        services.learner(bare)
    mai = imported.people["GL-00001"]
    mai.active = False
    with pytest.raises(PermissionDenied):
        services.learner(imported.accounts["demo.official"])


def test_titles_sort_the_vietnamese_way() -> None:
    titles = ["Y tế cơ sở", "Đấu thầu", "Dự án", "Bảo vệ môi trường", "Đăng ký đất đai", "Ứng dụng", "Em"]
    assert sorted(titles, key=services.title_key) == [
        "Bảo vệ môi trường",
        "Dự án",
        "Đăng ký đất đai",
        "Đấu thầu",
        "Em",
        "Ứng dụng",
        "Y tế cơ sở",
    ]
