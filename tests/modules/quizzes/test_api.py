"""The quizzes JSON API with a bearer token: nothing gives an answer away before
submission, the server grades and records, refusals are clear and change nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tincan import Statement as XStatement

from lms_core.catalog import activity_iri
from lms_core.db import utcnow
from lms_core.statements import VERBS, Statement
from modules.quizzes.models import Attempt, Question, Quiz
from tests.conftest import bearer
from tests.modules.quizzes.conftest import SITE, SLUG, answer_key, fresh, snapshot


def start(client: Any, headers: dict[str, str], slug: str = SLUG) -> dict[str, Any]:
    response = client.post(f"/api/v1/quizzes/{slug}/attempts", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def secrets_of(db: Session, slug: str = SLUG) -> tuple[list[str], list[str]]:
    """The bank's explanations and short-text answers, which must not leave before submission."""
    quiz = db.scalar(select(Quiz).where(Quiz.slug == slug))
    assert quiz is not None
    questions = db.scalars(select(Question).where(Question.quiz_id == quiz.id)).all()
    explanations = [q.explanation for q in questions]
    short_answers = [a for q in questions if q.type == "short_text" for a in q.answer]
    return explanations, short_answers


def assert_gives_nothing_away(body: dict[str, Any], db: Session) -> None:
    text = json.dumps(body, ensure_ascii=False)
    assert "correct" not in text and "explanation" not in text and "answer" not in text
    explanations, short_answers = secrets_of(db)
    visible = " ".join(q["text"] + " ".join(o["text"] for o in q["options"]) for q in body["questions"])
    assert not any(e in text for e in explanations)
    assert not any(a in text for a in short_answers if a not in visible)
    for question in body["questions"]:
        assert set(question) == {"id", "type", "text", "options"}
        assert all(set(option) == {"id", "text"} for option in question["options"])


def test_quiz_settings_and_standing(client: Any, imported: Any) -> None:
    response = client.get(f"/api/v1/quizzes/{SLUG}", headers=bearer(client, "demo.official"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == activity_iri(SITE, "quiz", SLUG)
    assert body["course_id"] == activity_iri(SITE, "course", SLUG)
    assert body["title"] == "Bài kiểm tra: Đấu thầu cho công chức cấp xã"
    assert {k: body[k] for k in ("questions_per_attempt", "pass_mark", "attempts_allowed", "time_limit_minutes")} == {
        "questions_per_attempt": 10,
        "pass_mark": 0.7,
        "attempts_allowed": 3,
        "time_limit_minutes": 20,
    }
    assert (body["attempts_used"], body["attempts_left"], body["best_score"], body["passed"]) == (0, 3, None, False)
    assert body["grading_method"] == "highest"
    assert client.get("/api/v1/quizzes/khong-co", headers=bearer(client, "demo.official")).status_code == 404
    assert client.get(f"/api/v1/quizzes/{SLUG}").status_code == 401


def test_start_gives_questions_without_answers(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    body = start(client, headers)
    assert len(body["questions"]) == 10 and body["status"] == "in_progress" and body["version"] == 1
    assert 0 < body["remaining_seconds"] <= 20 * 60
    assert "review" not in body
    assert_gives_nothing_away(body, app_db)
    again = client.get(f"/api/v1/quiz-attempts/{body['id']}", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["questions"] == body["questions"]  # same draw, same option order
    assert_gives_nothing_away(again.get_json(), app_db)
    overview = client.get(f"/api/v1/quizzes/{SLUG}", headers=headers).get_json()
    assert overview["open_attempt_id"] == body["id"] and overview["attempts_used"] == 1


def test_pass_through_the_api_records_the_pass(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    attempt = start(client, headers)
    response = client.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit",
        json={"answers": answer_key(app_db, attempt["id"])},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["score"], body["passed"], body["correct_count"]) == ("submitted", 1.0, True, 10)
    assert len(body["review"]) == 10 and "questions" not in body
    assert all(item["correct"] and item["explanation"] for item in body["review"])
    fresh(app_db)
    row = app_db.get(Attempt, attempt["id"])
    assert row is not None and row.passed and row.submitted_at is not None
    statements = app_db.scalars(select(Statement).where(Statement.registration == attempt["id"])).all()
    assert sorted(s.verb_id for s in statements) == sorted([VERBS["attempted"][0], VERBS["passed"][0]])
    for statement in statements:
        XStatement(statement.statement)
    overview = client.get(f"/api/v1/quizzes/{SLUG}", headers=headers).get_json()
    assert (overview["best_score"], overview["passed"], overview["attempts_left"]) == (1.0, True, 2)
    review = client.get(f"/api/v1/quiz-attempts/{attempt['id']}", headers=headers).get_json()
    assert review["review"] == body["review"]


def test_fail_through_the_api(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    attempt = start(client, headers)
    answers = answer_key(app_db, attempt["id"], wrong=4)
    body = client.post(f"/api/v1/quiz-attempts/{attempt['id']}/submit", json={"answers": answers}, headers=headers)
    assert body.get_json()["passed"] is False and body.get_json()["score"] == 0.6
    failed = fresh(app_db).scalar(
        select(Statement).where(Statement.registration == attempt["id"], Statement.verb_id == VERBS["failed"][0])
    )
    assert failed is not None and failed.statement["result"]["success"] is False


def test_attempt_limit_in_the_api(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    for _ in range(3):
        attempt = start(client, headers)
        client.post(f"/api/v1/quiz-attempts/{attempt['id']}/submit", json={"answers": {}}, headers=headers)
    before = snapshot(app_db)
    response = client.post(f"/api/v1/quizzes/{SLUG}/attempts", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "attempt_limit_reached"
    assert "3 lượt" in response.get_json()["error"]["message"]
    assert snapshot(app_db) == before


def test_refusals_change_nothing(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    attempt_id = start(client, headers)["id"]
    url = f"/api/v1/quiz-attempts/{attempt_id}/submit"
    answers = answer_key(app_db, attempt_id)

    # A question that is not in the attempt.
    quiz = app_db.scalar(select(Quiz).where(Quiz.slug == SLUG))
    assert quiz is not None
    undrawn = next(q.key for q in quiz.questions if q.key not in answers)
    before = snapshot(app_db, attempt_id)
    response = client.post(url, json={"answers": answers | {undrawn: ["a"]}}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"
    assert list(response.get_json()["error"]["fields"]) == [f"answers.{undrawn}"]
    assert snapshot(app_db, attempt_id) == before
    assert client.post(url, json={"answers": "all"}, headers=headers).status_code == 400
    assert client.post(url, json={}, headers=headers).status_code == 400
    assert snapshot(app_db, attempt_id) == before

    # Past the deadline and the grace.
    row = app_db.get(Attempt, attempt_id)
    assert row is not None
    row.deadline_at = utcnow() - timedelta(seconds=31)
    app_db.commit()
    before = snapshot(app_db, attempt_id)
    response = client.post(url, json={"answers": answers}, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "attempt_expired"
    english = client.post(url, json={"answers": answers}, headers=headers | {"Accept-Language": "en"})
    assert english.status_code == 400
    assert snapshot(app_db, attempt_id) == before
    assert client.get(f"/api/v1/quiz-attempts/{attempt_id}", headers=headers).get_json()["status"] == "expired"

    # Inside the grace it is accepted; a second submission is a conflict.
    row = app_db.get(Attempt, attempt_id)
    assert row is not None
    row.deadline_at = utcnow() - timedelta(seconds=10)
    app_db.commit()
    assert client.post(url, json={"answers": answers}, headers=headers).status_code == 200
    before = snapshot(app_db, attempt_id)
    response = client.post(url, json={"answers": {}}, headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_submitted"
    assert snapshot(app_db, attempt_id) == before
    assert before["attempt"]["score"] == 1.0


def test_another_person_gets_404(client: Any, imported: Any, app_db: Session) -> None:
    attempt_id = start(client, bearer(client, "demo.official"))["id"]
    before = snapshot(app_db, attempt_id)
    for username in ("demo.mentor", "demo.hr"):
        headers = bearer(client, username)
        assert client.get(f"/api/v1/quiz-attempts/{attempt_id}", headers=headers).status_code == 404
        response = client.post(f"/api/v1/quiz-attempts/{attempt_id}/submit", json={"answers": {}}, headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/quiz-attempts/not-a-uuid", headers=bearer(client, "demo.official")).status_code == 404
    assert snapshot(app_db, attempt_id) == before


def test_the_api_is_documented(client: Any, imported: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get"} <= set(paths["/api/v1/quizzes/{slug}"])
    assert {"post"} <= set(paths["/api/v1/quizzes/{slug}/attempts"])
    assert {"get"} <= set(paths["/api/v1/quiz-attempts/{attempt_id}"])
    submit = paths["/api/v1/quiz-attempts/{attempt_id}/submit"]["post"]
    assert "requestBody" in submit and submit["security"]
    assert "Quizzes" in {tag["name"] for tag in spec.get("tags", [])} | set(submit.get("tags", []))
