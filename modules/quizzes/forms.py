"""Turn the submitted quiz form into the answers the services expect. Only the attempt's
own questions are read; a value that does not parse is passed on as it came, so the
service reports it."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from modules.quizzes.models import Attempt

BOOLEANS = {"true": True, "false": False}


def field_name(question_id: str) -> str:
    return f"answer-{question_id}"


def answers_from_form(form: MultiDict[str, str], attempt: Attempt, types: dict[str, str]) -> dict[str, Any]:
    """``{question id: answer}`` from the fields ``answer-<question id>``; ``types`` maps
    question ids to their type. Unanswered questions are left out."""
    answers: dict[str, Any] = {}
    for item in attempt.items:
        question_id = item["id"]
        values = [v for v in form.getlist(field_name(question_id)) if v != ""]
        if not values:
            continue
        kind = types[question_id]
        if kind == "multiple":
            answers[question_id] = values
        elif kind == "true_false":
            answers[question_id] = BOOLEANS.get(values[0], values[0])
        else:
            answers[question_id] = values[0] if len(values) == 1 else values
    return answers
