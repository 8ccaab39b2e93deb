"""Quiz pages: parse the form, call one service, render. Refusals are shown on the page
they concern, in a ``role="alert"`` box, with the service's status code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.security import account_or_401, requires, unit_of_work
from lms_core.db import utcnow
from lms_core.errors import DomainError, ValidationFailed
from modules.quizzes import forms, services
from modules.quizzes.models import Attempt

bp = Blueprint(
    "quizzes",
    __name__,
    url_prefix="/quizzes",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _site_url() -> str:
    return str(current_app.config["SITE_URL"])


def _quiz_page(slug: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    now = utcnow()
    overview = services.overview(db.session, account_or_401(), slug, now)
    return render_template(
        "quizzes/quiz.html", ov=overview, error=error, status_of=lambda a: services.status_of(a, now)
    ), status


def _attempt_page(attempt: Attempt, errors: dict[str, str] | None = None, answers: Any = None) -> tuple[str, int]:
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        questions=services.public_questions(attempt),
        remaining=services.remaining_seconds(attempt),
        errors=errors or {},
        answers=answers or {},
        field_name=forms.field_name,
    ), 400 if errors else 200


def _review_page(attempt: Attempt, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("quizzes/review.html", attempt=attempt, rows=services.review(attempt), error=error), status


@bp.get("/")
@requires()
def index() -> str:
    return render_template("quizzes/index.html", items=services.quiz_summaries(db.session, account_or_401()))


@bp.get("/<slug>")
@requires()
def quiz_page(slug: str) -> tuple[str, int]:
    return _quiz_page(slug)


@bp.post("/<slug>/attempts")
@requires()
def start(slug: str) -> Any:
    try:
        attempt = services.start_attempt(db.session, account_or_401(), slug, _site_url())
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        db.session.rollback()
        return _quiz_page(slug, translate(exc.message, exc.params), exc.status)
    unit_of_work().commit()
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))


@bp.get("/attempts/<attempt_id>")
@requires()
def attempt_page(attempt_id: str) -> Any:
    attempt = services.get_attempt(db.session, account_or_401(), str(attempt_id))
    if attempt.submitted_at is not None:
        return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))
    if services.status_of(attempt) == "expired":
        return redirect(url_for("quizzes.quiz_page", slug=attempt.slug))
    return _attempt_page(attempt)


@bp.post("/attempts/<attempt_id>/submit")
@requires()
def submit(attempt_id: str) -> Any:
    account = account_or_401()
    attempt = services.get_attempt(db.session, account, str(attempt_id))
    types = {q.key: q.type for q in attempt.quiz.questions}
    answers = forms.answers_from_form(request.form, attempt, types)
    try:
        services.submit_attempt(db.session, account, attempt.id, answers, _site_url())
    except services.AlreadySubmitted as exc:
        db.session.rollback()
        return _review_page(attempt, translate(exc.message, exc.params), exc.status)
    except services.AttemptExpired as exc:
        db.session.rollback()
        return _quiz_page(attempt.slug, translate(exc.message, exc.params), exc.status)
    except ValidationFailed as exc:
        db.session.rollback()
        return _attempt_page(attempt, field_errors(exc), answers)
    unit_of_work().commit()
    return redirect(url_for("quizzes.review_page", attempt_id=attempt.id))


@bp.get("/attempts/<attempt_id>/review")
@requires()
def review_page(attempt_id: str) -> Response | tuple[str, int]:
    attempt = services.get_attempt(db.session, account_or_401(), str(attempt_id))
    if attempt.submitted_at is None:
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
    return _review_page(attempt)
