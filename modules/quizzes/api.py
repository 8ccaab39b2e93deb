"""The quizzes JSON API under /api/v1: a quiz's settings and the caller's standing, starting
an attempt, submitting it, and reading it back. Before submission an attempt carries its
questions without answers; after submission it carries the review."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, List, Nested, Raw, String
from flask import current_app

from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core.catalog import activity_iri
from lms_core.db import utcnow
from modules.quizzes import services
from modules.quizzes.models import Attempt

api = APIBlueprint("quizzes_api", __name__, url_prefix="/api/v1", tag="Quizzes")

ANSWER_DOC = "Option ids (list) for single and multiple, true or false for true_false, text for short_text"


class AttemptBriefOut(Schema):
    id = String(metadata={"description": "Attempt id; also the xAPI context.registration of its statements"})
    number = Integer()
    version = Integer(metadata={"description": "The quiz version the attempt was drawn from"})
    status = String(metadata={"description": "in_progress, submitted or expired"})
    started_at = DateTime()
    deadline_at = DateTime()
    submitted_at = DateTime(allow_none=True)
    score = Float(allow_none=True, metadata={"description": "Share of correct answers, 0..1"})
    passed = Boolean(allow_none=True)


class QuizOut(Schema):
    slug = String()
    id = String(metadata={"description": "The quiz activity IRI (the xAPI object id)"})
    course_id = String(metadata={"description": "The IRI of the course the quiz belongs to"})
    title = String()
    version = Integer()
    questions_per_attempt = Integer()
    pass_mark = Float(metadata={"description": "Share of correct answers needed to pass, 0..1"})
    attempts_allowed = Integer()
    time_limit_minutes = Integer()
    attempts_used = Integer()
    attempts_left = Integer()
    best_score = Float(allow_none=True)
    passed = Boolean()
    grading_method = String(metadata={"description": "highest: the best attempt counts"})
    open_attempt_id = String(allow_none=True, metadata={"description": "The attempt in progress, if any"})
    attempts = List(Nested(AttemptBriefOut))


class OptionOut(Schema):
    id = String()
    text = String()


class QuestionOut(Schema):
    id = String(metadata={"description": "Question id, the key of its answer on submission"})
    type = String(metadata={"description": "single, multiple, true_false or short_text"})
    text = String()
    options = List(Nested(OptionOut), metadata={"description": "single and multiple only, in the order to show"})


class ReviewOptionOut(Schema):
    id = String()
    text = String()
    correct = Boolean()


class ReviewItemOut(Schema):
    id = String()
    type = String()
    text = String()
    options = List(Nested(ReviewOptionOut))
    your_answer = Raw(allow_none=True, metadata={"description": ANSWER_DOC})
    correct_answer = Raw(metadata={"description": "Like an answer; for short_text the accepted answers"})
    correct = Boolean()
    explanation = String()


class AttemptOut(AttemptBriefOut):
    quiz = String(metadata={"description": "The quiz slug"})
    remaining_seconds = Integer(metadata={"description": "Seconds left before the deadline (server clock)"})
    total = Integer()
    correct_count = Integer(metadata={"description": "After submission"})
    questions = List(Nested(QuestionOut), metadata={"description": "Before submission: no answers in them"})
    review = List(Nested(ReviewItemOut), metadata={"description": "After submission"})


class SubmitIn(Schema):
    answers = Dict(
        keys=String(),
        values=Raw(allow_none=True),
        required=True,
        metadata={"description": f"By question id. {ANSWER_DOC}. Leave a question out to leave it unanswered."},
    )


def _site_url() -> str:
    return str(current_app.config["SITE_URL"])


def _brief(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "version": attempt.quiz.version,
        "status": services.status_of(attempt),
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "submitted_at": attempt.submitted_at,
        "score": attempt.score,
        "passed": attempt.passed,
    }


def _attempt_out(attempt: Attempt) -> dict[str, Any]:
    body = _brief(attempt) | {
        "quiz": attempt.slug,
        "remaining_seconds": services.remaining_seconds(attempt) if attempt.submitted_at is None else 0,
        "total": len(attempt.items),
    }
    if attempt.submitted_at is None:
        body["questions"] = services.public_questions(attempt)
    else:
        body["correct_count"] = attempt.correct_count
        body["review"] = services.review(attempt)
    return body


@api.get("/quizzes/<slug>")
@api.auth_required(token_auth)
@api.output(QuizOut)
@api.doc(summary="A quiz's settings and the caller's attempts", responses={404: "No such active quiz"})
@requires()
def get_quiz(slug: str) -> Any:
    overview = services.overview(db.session, account_or_401(), slug, utcnow())
    quiz = overview.quiz
    return {
        "slug": quiz.slug,
        "id": quiz.activity.iri,
        "course_id": activity_iri(_site_url(), "course", quiz.slug),
        "title": quiz.activity.title,
        "version": quiz.version,
        "questions_per_attempt": quiz.questions_per_attempt,
        "pass_mark": quiz.pass_mark,
        "attempts_allowed": quiz.attempts_allowed,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_used": overview.used,
        "attempts_left": overview.left,
        "best_score": overview.best_score,
        "passed": overview.passed,
        "grading_method": overview.grading_method,
        "open_attempt_id": overview.open_attempt.id if overview.open_attempt else None,
        "attempts": [_brief(a) for a in overview.attempts],
    }


@api.post("/quizzes/<slug>/attempts")
@api.auth_required(token_auth)
@api.output(AttemptOut, status_code=201)
@api.doc(
    summary="Start an attempt: questions drawn at random, options shuffled, the clock starts",
    responses={404: "No such active quiz", 409: "No attempts left, or an attempt is in progress"},
)
@requires()
def start_attempt(slug: str) -> Any:
    attempt = services.start_attempt(db.session, account_or_401(), slug, _site_url())
    unit_of_work().commit()
    return _attempt_out(attempt)


@api.get("/quiz-attempts/<attempt_id>")
@api.auth_required(token_auth)
@api.output(AttemptOut)
@api.doc(summary="One of the caller's attempts: its questions, or after submission its review")
@requires()
def get_attempt(attempt_id: str) -> Any:
    return _attempt_out(services.get_attempt(db.session, account_or_401(), str(attempt_id)))


@api.post("/quiz-attempts/<attempt_id>/submit")
@api.auth_required(token_auth)
@api.input(SubmitIn, arg_name="data")
@api.output(AttemptOut)
@api.doc(
    summary="Submit the answers: graded on the server, the review comes back",
    responses={
        400: "Past the deadline, or answers to questions not in the attempt: nothing is recorded",
        404: "No such attempt of the caller's",
        409: "Already submitted",
    },
)
@requires()
def submit_attempt(attempt_id: str, data: dict[str, Any]) -> Any:
    attempt = services.submit_attempt(db.session, account_or_401(), str(attempt_id), data["answers"], _site_url())
    unit_of_work().commit()
    return _attempt_out(attempt)
