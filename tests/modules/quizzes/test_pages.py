"""The quiz pages: settings and the grading method, an attempt form that gives nothing
away, the review after submission, and refusals shown in an alert."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.db import utcnow
from lms_core.statements import Statement
from modules.quizzes.models import Attempt, Question, Quiz
from tests.conftest import login
from tests.modules.quizzes.conftest import SLUG, answer_key, fresh, snapshot


def start_from_the_page(client: Any, app_db: Session) -> str:
    response = client.post(f"/quizzes/{SLUG}/attempts")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/quizzes/attempts/([0-9a-f-]{36})$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def form_data(answers: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in answers.items():
        data[f"answer-{key}"] = str(value).lower() if isinstance(value, bool) else value
    return data


def test_quiz_page_explains_the_rules(client: Any, imported: Any) -> None:
    login(client, "demo.official")
    response = client.get(f"/quizzes/{SLUG}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bài kiểm tra: Đấu thầu cho công chức cấp xã" in page
    assert "10 câu, chọn ngẫu nhiên từ ngân hàng 15 câu" in page
    assert "20 phút" in page and "70%" in page
    assert "lấy lần làm bài có điểm cao nhất" in page
    assert "0/3 lần" in page
    assert f'action="/quizzes/{SLUG}/attempts"' in page and 'name="csrf_token"' in page
    listing = client.get("/quizzes/").get_data(as_text=True)
    assert f'href="/quizzes/{SLUG}"' in listing and listing.count('class="quiz-card"') == 12


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, imported: Any) -> None:
    response = client.get(f"/quizzes/{SLUG}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_attempt_page_gives_nothing_away(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    attempt_id = start_from_the_page(client, app_db)
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<fieldset") == 10 and page.count("<legend>") == 10
    assert 'aria-live="polite"' in page and 'role="timer"' in page
    assert "correct" not in page.lower() and "checked" not in page
    quiz = app_db.scalar(select(Quiz).where(Quiz.slug == SLUG))
    assert quiz is not None
    questions = app_db.scalars(select(Question).where(Question.quiz_id == quiz.id)).all()
    for question in questions:
        assert question.explanation not in page
    attempt = app_db.get(Attempt, attempt_id)
    assert attempt is not None
    drawn = {item["id"] for item in attempt.items}
    for question in questions:
        if question.type == "short_text" and question.key in drawn:
            assert f'id="a-{question.key}"' in page and 'value=""' in page
    # Every input has its own label.
    for input_id in re.findall(r'<input type="(?:radio|checkbox|text)" id="([^"]+)"', page):
        assert f'for="{input_id}"' in page


def test_submitting_the_form_shows_the_review(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    attempt_id = start_from_the_page(client, app_db)
    answers = answer_key(app_db, attempt_id, wrong=1)
    response = client.post(f"/quizzes/attempts/{attempt_id}/submit", data=form_data(answers))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/quizzes/attempts/{attempt_id}/review"
    )
    page = client.get(f"/quizzes/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Lần 1: Đạt" in page and "9/10" in page and "90%" in page
    assert "Đáp án đúng" in page and "Giải thích" in page
    fresh(app_db)
    attempt = app_db.get(Attempt, attempt_id)
    assert attempt is not None and attempt.correct_count == 9 and attempt.passed
    quiz_questions = {q.key: q for q in attempt.quiz.questions}
    for item in attempt.items:
        assert quiz_questions[item["id"]].explanation in page
    # The attempt page now leads to the review; the quiz page shows the best score.
    assert client.get(f"/quizzes/attempts/{attempt_id}").headers["Location"].endswith("/review")
    quiz_page = client.get(f"/quizzes/{SLUG}").get_data(as_text=True)
    assert "90%" in quiz_page and "Đã đạt" in quiz_page and "1/3 lần" in quiz_page


def test_refusals_are_shown_in_an_alert_and_change_nothing(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    attempt_id = start_from_the_page(client, app_db)
    # Starting a second one while the first runs.
    response = client.post(f"/quizzes/{SLUG}/attempts")
    assert response.status_code == 409 and 'role="alert"' in response.get_data(as_text=True)
    assert "chưa nộp" in response.get_data(as_text=True)

    # Too late.
    row = app_db.get(Attempt, attempt_id)
    assert row is not None
    row.deadline_at = utcnow() - timedelta(minutes=1)
    app_db.commit()
    before = snapshot(app_db, attempt_id)
    response = client.post(f"/quizzes/attempts/{attempt_id}/submit", data=form_data(answer_key(app_db, attempt_id)))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in page and "hết giờ" in page.lower()
    assert snapshot(app_db, attempt_id) == before
    assert "Hết giờ, không nộp bài" in page

    # A second, submitted attempt cannot be submitted again.
    second = start_from_the_page(client, app_db)
    assert client.post(f"/quizzes/attempts/{second}/submit", data={}).status_code == 302
    before = snapshot(app_db, second)
    response = client.post(f"/quizzes/attempts/{second}/submit", data=form_data(answer_key(app_db, second)))
    assert response.status_code == 409 and "đã được nộp" in response.get_data(as_text=True)
    assert snapshot(app_db, second) == before

    # The third and last attempt, then no more.
    third = start_from_the_page(client, app_db)
    client.post(f"/quizzes/attempts/{third}/submit", data={})
    statements = snapshot(app_db)["statements"]
    response = client.post(f"/quizzes/{SLUG}/attempts")
    assert response.status_code == 409 and "hết 3 lượt" in response.get_data(as_text=True)
    assert snapshot(app_db)["statements"] == statements == app_db.query(Statement).count()


def test_another_person_gets_404_on_the_pages(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    attempt_id = start_from_the_page(client, app_db)
    client.post("/logout")
    login(client, "demo.mentor")
    before = snapshot(app_db, attempt_id)
    assert client.get(f"/quizzes/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/quizzes/attempts/{attempt_id}/review").status_code == 404
    assert client.post(f"/quizzes/attempts/{attempt_id}/submit", data={}).status_code == 404
    assert snapshot(app_db, attempt_id) == before


def test_a_tampered_form_is_refused_on_the_attempt_page(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    attempt_id = start_from_the_page(client, app_db)
    attempt = app_db.get(Attempt, attempt_id)
    assert attempt is not None
    single = next(item["id"] for item in attempt.items if item["options"])
    before = snapshot(app_db, attempt_id)
    response = client.post(f"/quizzes/attempts/{attempt_id}/submit", data={f"answer-{single}": "z"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in page and f'href="#q-{single}"' in page
    assert snapshot(app_db, attempt_id) == before
