"""Course use cases, headless: a session and the learner in, results out; the caller commits.

Every learning event is an xAPI statement written here in the same transaction as the
row it goes with: ``launched`` when an official first opens a course, ``experienced`` for
each lesson finished, ``completed`` once every lesson is done and the course quiz is
passed. The quizzes module writes the ``passed``; this module reads it from the
statement store (it never imports the quizzes module).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.catalog import Activity
from lms_core.db import utcnow
from lms_core.errors import N_, NotFound, PermissionDenied
from lms_core.events import Event, StatementStored
from lms_core.people import Field, Person, person_by_staff_code
from lms_core.statements import (
    VERBS,
    Statement,
    account_agent,
    account_key,
    build_statement,
    hocvu_authority,
    store_statement,
)
from modules.courses.models import Course, CourseVersion, Enrolment, Lesson, LessonProgress

COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
LESSON_TYPE = "http://adlnet.gov/expapi/activities/lesson"
PASSED = VERBS["passed"][0]

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
STATUS_LABELS = {
    NOT_STARTED: N_("Chưa bắt đầu"),
    IN_PROGRESS: N_("Đang học"),
    COMPLETED: N_("Đã hoàn thành"),
}


def version_extension(site_url: str) -> str:
    """The context extension that carries the course version a statement is about."""
    return f"{site_url.rstrip('/')}/xapi/extensions/version"


def lesson_iri(course_iri: str, position: int) -> str:
    return f"{course_iri}/lessons/{position}"


@dataclass(frozen=True)
class CourseView:
    """A course as one official sees it: the version they take (or would start), the
    lessons they finished (by position), their enrolment and whether the quiz is passed."""

    course: Course
    version: CourseVersion
    enrolment: Enrolment | None
    done: frozenset[int]
    quiz_passed: bool

    @property
    def iri(self) -> str:
        return self.course.activity.iri

    @property
    def lessons(self) -> list[Lesson]:
        return self.version.lessons

    @property
    def total(self) -> int:
        return len(self.version.lessons)

    @property
    def done_count(self) -> int:
        return len(self.done)

    @property
    def percent(self) -> int:
        return self.done_count * 100 // self.total if self.total else 0

    @property
    def lessons_done(self) -> bool:
        return self.done_count >= self.total

    @property
    def next_position(self) -> int | None:
        """The first lesson not finished yet (``None`` when all are)."""
        return next((lesson.position for lesson in self.lessons if lesson.position not in self.done), None)

    @property
    def status(self) -> str:
        if self.enrolment is None:
            return NOT_STARTED
        return COMPLETED if self.enrolment.completed_at is not None else IN_PROGRESS


@dataclass(frozen=True)
class LessonView:
    view: CourseView
    lesson: Lesson

    @property
    def done(self) -> bool:
        return self.lesson.position in self.view.done

    @property
    def previous_position(self) -> int | None:
        return self.lesson.position - 1 if self.lesson.position > 1 else None

    @property
    def next_position(self) -> int | None:
        return self.lesson.position + 1 if self.lesson.position < self.view.total else None


# --- lookups --------------------------------------------------------------------------


def learner(account: Account) -> Person:
    """The official behind ``account``; courses are taken by people, not bare accounts."""
    person = account.person
    if person is None or not person.active:
        raise PermissionDenied(N_("Tài khoản này không gắn với cán bộ đang công tác nên không thể học khóa học."))
    return person


def get_course(session: Session, slug: str) -> Course:
    """The published course ``slug`` (its catalog activity active)."""
    course = session.scalar(select(Course).join(Course.activity).where(Course.slug == slug, Activity.active.is_(True)))
    if course is None:
        raise NotFound(N_("Không tìm thấy khóa học."))
    return course


def _version(session: Session, course: Course, number: int) -> CourseVersion:
    version = session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.version == number)
    )
    if version is None:  # the import always writes the current version
        raise NotFound(N_("Không tìm thấy khóa học."))
    return version


def _latest_enrolment(session: Session, person: Person, course: Course) -> Enrolment | None:
    return session.scalar(
        select(Enrolment)
        .where(Enrolment.person_id == person.id, Enrolment.course_id == course.id)
        .order_by(Enrolment.number.desc())
        .limit(1)
    )


def _done_positions(session: Session, enrolment: Enrolment | None) -> frozenset[int]:
    if enrolment is None:
        return frozenset()
    return frozenset(
        session.scalars(
            select(Lesson.position)
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.enrolment_id == enrolment.id)
        )
    )


def _actor(course: Course, person: Person) -> dict[str, Any]:
    return account_agent(course.site_url, person.staff_code, person.full_name)


def quiz_pass(session: Session, enrolment: Enrolment) -> Statement | None:
    """The learner's pass of the course quiz during ``enrolment``: a non-voided ``passed``
    statement written by HocVu's quiz server (never an outside client: the pass must be
    the server's own record), for the quiz IRI, with ``result.success`` true, stored
    since the enrolment started."""
    course = enrolment.course
    rows = session.scalars(
        select(Statement)
        .where(
            Statement.actor_key == account_key(course.site_url, enrolment.person.staff_code),
            Statement.verb_id == PASSED,
            Statement.activity_iri == course.quiz_iri,
            Statement.voided.is_(False),
            Statement.source == "hocvu:quizzes",
            Statement.stored >= enrolment.started_at,
        )
        .order_by(Statement.stored)
    )
    for row in rows:
        if (row.statement.get("result") or {}).get("success") is True:
            return row
    return None


def _view(session: Session, course: Course, enrolment: Enrolment | None) -> CourseView:
    version = enrolment.version if enrolment is not None else _version(session, course, course.current_version)
    passed = enrolment is not None and (enrolment.completed_at is not None or quiz_pass(session, enrolment) is not None)
    return CourseView(course, version, enrolment, _done_positions(session, enrolment), passed)


def course_view(session: Session, person: Person, slug: str) -> CourseView:
    """The course as ``person`` sees it (read-only: opening nothing)."""
    course = get_course(session, slug)
    return _view(session, course, _latest_enrolment(session, person, course))


def lesson_view(session: Session, person: Person, slug: str, position: int) -> LessonView:
    """Lesson ``position`` of the version ``person`` takes (or would start)."""
    view = course_view(session, person, slug)
    lesson = next((item for item in view.lessons if item.position == position), None)
    if lesson is None:
        raise NotFound(N_("Không tìm thấy bài học."))
    return LessonView(view, lesson)


# --- learning -------------------------------------------------------------------------


def open_enrolment(session: Session, person: Person, slug: str) -> CourseView:
    """Resume the person's enrolment in the course, or start one in the current version
    (writing ``launched``). Caller commits."""
    course = get_course(session, slug)
    return _view(session, course, _open(session, person, course))


def _open(session: Session, person: Person, course: Course) -> Enrolment:
    enrolment = _latest_enrolment(session, person, course)
    if enrolment is not None:
        return enrolment
    version = _version(session, course, course.current_version)
    enrolment = Enrolment(
        person=person,
        course=course,
        version=version,
        number=1,
        registration=str(uuid.uuid4()),
        started_at=utcnow(),
    )
    session.add(enrolment)
    session.flush()
    _store(session, course, person, "launched", course.activity.iri, version.title, COURSE_TYPE, enrolment)
    return enrolment


def _store(
    session: Session,
    course: Course,
    person: Person,
    verb: str,
    iri: str,
    name: str,
    activity_type: str,
    enrolment: Enrolment,
    *,
    parent: bool = False,
    result: dict[str, Any] | None = None,
) -> Statement:
    context: dict[str, Any] = {
        "registration": enrolment.registration,
        "extensions": {version_extension(course.site_url): enrolment.version.version},
    }
    if parent:
        context["contextActivities"] = {"parent": [{"id": course.activity.iri, "objectType": "Activity"}]}
    statement = build_statement(
        actor=_actor(course, person),
        verb=verb,
        activity_iri=iri,
        activity_name=name,
        activity_type=activity_type,
        result=result,
        context=context,
    )
    return store_statement(session, statement, hocvu_authority(course.site_url, "courses"))


def complete_lesson(session: Session, person: Person, slug: str, position: int) -> CourseView:
    """Mark lesson ``position`` finished (writing ``experienced`` once), opening the
    enrolment first if needed, and complete the course when this was the last step.
    Idempotent: finishing a finished lesson changes nothing. Caller commits."""
    course = get_course(session, slug)
    enrolment = _open(session, person, course)
    lesson = next((item for item in enrolment.version.lessons if item.position == position), None)
    if lesson is None:
        raise NotFound(N_("Không tìm thấy bài học."))
    already = session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id
        )
    )
    if already is None:
        progress = LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow())
        try:
            with session.begin_nested():
                session.add(progress)
                session.flush()
        except IntegrityError:
            progress = None  # a concurrent request finished the same lesson first
        if progress is not None:
            title = f"{enrolment.version.title}: {lesson.title}"
            row = _store(
                session,
                course,
                person,
                "experienced",
                lesson_iri(course.activity.iri, lesson.position),
                title,
                LESSON_TYPE,
                enrolment,
                parent=True,
            )
            progress.statement_id = row.id
        try_complete(session, enrolment)
    return _view(session, course, enrolment)


def try_complete(session: Session, enrolment: Enrolment) -> bool:
    """Write ``completed`` for the enrolment when every lesson is done and the quiz is
    passed; at most once per enrolment, even when two requests race. Caller commits."""
    if enrolment.completed_at is not None:
        return False
    finished = session.scalar(
        select(func.count()).select_from(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id)
    )
    if (finished or 0) < len(enrolment.version.lessons) or quiz_pass(session, enrolment) is None:
        return False
    now = utcnow()
    claimed = session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(enrolment)
        return False
    course = enrolment.course
    row = _store(
        session,
        course,
        enrolment.person,
        "completed",
        course.activity.iri,
        enrolment.version.title,
        COURSE_TYPE,
        enrolment,
        result={"completion": True, "success": True},
    )
    enrolment.completed_at = now
    enrolment.completion_statement_id = row.id
    session.flush()
    return True


def on_events(session: Session, events: Sequence[Event]) -> None:
    """Committed statements: for each pass of a course quiz, complete the learner's open
    enrolment in that course if every lesson is done. The quizzes are looked up in one
    query per batch. Caller commits."""
    passes = [e for e in events if isinstance(e, StatementStored) and e.verb_id == PASSED and e.activity_iri]
    if not passes:
        return
    quiz_iris = {e.activity_iri for e in passes}
    courses = {c.quiz_iri: c for c in session.scalars(select(Course).where(Course.quiz_iri.in_(quiz_iris)))}
    for event in passes:
        course = courses.get(event.activity_iri)
        if course is None:
            continue
        prefix = f"account:{course.site_url}|"
        if not event.actor_key.startswith(prefix):
            continue
        person = person_by_staff_code(session, event.actor_key[len(prefix) :])
        if person is None:
            continue
        enrolment = _latest_enrolment(session, person, course)
        if enrolment is not None:
            try_complete(session, enrolment)


# --- the catalog page -----------------------------------------------------------------


@dataclass(frozen=True)
class CatalogSection:
    key: str
    title: str
    items: list[dict[str, Any]]


SECTION_TITLES = {
    "required": N_("Bắt buộc cho vị trí của bạn"),
    "elective": N_("Tự chọn"),
    "other": N_("Các khóa học khác"),
}


def title_key(text: str) -> tuple[str, str]:
    """Sort key for Vietnamese titles: letters before their marks, and đ after every d
    (plain code-point order would put "Đấu thầu" after "Y tế")."""
    folded = unicodedata.normalize("NFD", text.lower().replace("đ", "d\x7f"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch)), text


def catalog_sections(session: Session, items: Sequence[dict[str, Any]]) -> list[CatalogSection]:
    """The course items of a catalog (``app.catalog.catalog_items``) in three sections,
    each item with its course ``slug``, ``sample`` flag and ``field_name`` added, by title
    within a section; empty sections are left out."""
    courses = [item for item in items if item["type"] == "course"]
    known = {
        iri: (slug, sample)
        for iri, slug, sample in session.execute(
            select(Activity.iri, Course.slug, CourseVersion.sample)
            .join(Course, Course.activity_id == Activity.id)
            .join(
                CourseVersion,
                (CourseVersion.course_id == Course.id) & (CourseVersion.version == Course.current_version),
            )
            .where(Activity.iri.in_([i["id"] for i in courses]))
        )
    }
    fields = dict(session.execute(select(Field.code, Field.name)).all())
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in SECTION_TITLES}
    for item in courses:
        if item["id"] not in known:
            continue  # a course activity this module does not hold
        slug, sample = known[item["id"]]
        key = "required" if item["required"] else "elective" if item["in_curriculum"] else "other"
        grouped[key].append(item | {"slug": slug, "sample": sample, "field_name": fields.get(item["field"] or "")})
    return [
        CatalogSection(key, SECTION_TITLES[key], sorted(grouped[key], key=lambda i: title_key(i["title"])))
        for key in SECTION_TITLES
        if grouped[key]
    ]
