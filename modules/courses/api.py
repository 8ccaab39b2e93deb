"""The courses JSON API under /api/v1: a course as the caller sees it, its lessons, and
finishing them. Every route acts on the caller's own enrolment only."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String

from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from modules.courses import services
from modules.courses.services import CourseView, LessonView

api = APIBlueprint("courses_api", __name__, url_prefix="/api/v1", tag="Courses")


class CourseProgressOut(Schema):
    done = Integer(metadata={"description": "Lessons finished"})
    total = Integer(metadata={"description": "Lessons in the version taken"})
    percent = Integer()


class CourseLessonItemOut(Schema):
    position = Integer(metadata={"description": "1-based; the n in /lessons/<n>"})
    title = String()
    minutes = Integer()
    done = Boolean()


class CourseQuizOut(Schema):
    id = String(metadata={"description": "The quiz activity IRI; take it at /api/v1/quizzes/<slug>/attempts"})
    passed = Boolean(metadata={"description": "Passed since the caller started the course"})


class CourseEnrolmentOut(Schema):
    registration = String(metadata={"description": "xAPI context.registration of the course statements"})
    started_at = DateTime()
    completed_at = DateTime(allow_none=True)


class CourseOut(Schema):
    id = String(metadata={"description": "The course activity IRI"})
    slug = String()
    title = String()
    description = String()
    version = Integer(metadata={"description": "The version the caller takes (or would start)"})
    periods = Integer()
    field = String(allow_none=True)
    sample = Boolean(metadata={"description": "Sample material, for illustration"})
    status = String(metadata={"description": "not_started, in_progress or completed"})
    progress = Nested(CourseProgressOut)
    next_lesson = Integer(allow_none=True, metadata={"description": "The first unfinished lesson"})
    lessons = List(Nested(CourseLessonItemOut))
    quiz = Nested(CourseQuizOut)
    enrolment = Nested(CourseEnrolmentOut, allow_none=True)


class CourseLessonOut(Schema):
    course = String(metadata={"description": "The course slug"})
    position = Integer()
    of = Integer(metadata={"description": "Lessons in the version"})
    title = String()
    minutes = Integer()
    markdown = String(metadata={"description": "The lesson text (CommonMark, no raw HTML)"})
    done = Boolean()
    previous = Integer(allow_none=True)
    next = Integer(allow_none=True)


class LessonCompleteOut(Schema):
    lesson = Integer()
    progress = Nested(CourseProgressOut)
    status = String(metadata={"description": "completed once every lesson is done and the quiz passed"})
    next_lesson = Integer(allow_none=True)
    quiz = Nested(CourseQuizOut)


def _progress(view: CourseView) -> dict[str, int]:
    return {"done": view.done_count, "total": view.total, "percent": view.percent}


def _quiz(view: CourseView) -> dict[str, Any]:
    return {"id": view.course.quiz_iri, "passed": view.quiz_passed}


def course_out(view: CourseView) -> dict[str, Any]:
    enrolment = view.enrolment
    return {
        "id": view.iri,
        "slug": view.course.slug,
        "title": view.version.title,
        "description": view.version.description,
        "version": view.version.version,
        "periods": view.version.periods,
        "field": view.version.field_code,
        "sample": view.version.sample,
        "status": view.status,
        "progress": _progress(view),
        "next_lesson": view.next_position,
        "lessons": [
            {
                "position": item.position,
                "title": item.title,
                "minutes": item.minutes,
                "done": item.position in view.done,
            }
            for item in view.lessons
        ],
        "quiz": _quiz(view),
        "enrolment": None
        if enrolment is None
        else {
            "registration": enrolment.registration,
            "started_at": enrolment.started_at,
            "completed_at": enrolment.completed_at,
        },
    }


def lesson_out(lesson_view: LessonView) -> dict[str, Any]:
    lesson = lesson_view.lesson
    return {
        "course": lesson_view.view.course.slug,
        "position": lesson.position,
        "of": lesson_view.view.total,
        "title": lesson.title,
        "minutes": lesson.minutes,
        "markdown": lesson.body,
        "done": lesson_view.done,
        "previous": lesson_view.previous_position,
        "next": lesson_view.next_position,
    }


@api.get("/courses/<slug>")
@api.auth_required(token_auth)
@api.output(CourseOut)
@api.doc(summary="A course with the caller's progress", responses={404: "No such course"})
@requires()
def get_course(slug: str) -> Any:
    return course_out(services.course_view(db.session, services.learner(account_or_401()), slug))


@api.post("/courses/<slug>/enrolment")
@api.auth_required(token_auth)
@api.output(CourseOut)
@api.doc(summary="Start the course (writes launched the first time) or resume it", responses={404: "No such course"})
@requires()
def open_course(slug: str) -> Any:
    view = services.open_enrolment(db.session, services.learner(account_or_401()), slug)
    unit_of_work().commit()
    return course_out(view)


@api.get("/courses/<slug>/lessons/<int:position>")
@api.auth_required(token_auth)
@api.output(CourseLessonOut)
@api.doc(summary="One lesson of the version the caller takes", responses={404: "No such course or lesson"})
@requires()
def get_lesson(slug: str, position: int) -> Any:
    return lesson_out(services.lesson_view(db.session, services.learner(account_or_401()), slug, position))


@api.post("/courses/<slug>/lessons/<int:position>/complete")
@api.auth_required(token_auth)
@api.output(LessonCompleteOut)
@api.doc(
    summary="Finish a lesson (idempotent); completes the course when every lesson is done and the quiz passed",
    responses={404: "No such course or lesson"},
)
@requires()
def complete_lesson(slug: str, position: int) -> Any:
    view = services.complete_lesson(db.session, services.learner(account_or_401()), slug, position)
    unit_of_work().commit()
    return {
        "lesson": position,
        "progress": _progress(view),
        "status": view.status,
        "next_lesson": view.next_position,
        "quiz": _quiz(view),
    }
