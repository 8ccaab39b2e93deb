"""The courses pages and JSON API through the app, with the quizzes module alongside:
content import from the CLI, the catalog, lessons, completion through a real quiz pass,
and each official seeing only their own progress."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.accounts import create_account
from lms_core.statements import VERBS, account_key, find_statements
from modules.courses.models import Course, Enrolment
from tests.conftest import TEST_PASSWORD, bearer, login
from tests.modules.courses.helpers import CONTENT, COURSE_IRI, QUIZ_IRI, SITE, SLUG, copy_courses

LESSONS = 5


@pytest.fixture
def courses_app(app: Any) -> Any:
    assert {"quizzes", "courses"} <= set(app.config["MODULES"]), (
        "enable the modules: HOCVU_MODULES=hr,quizzes,courses (or add them to DEFAULT_MODULES)"
    )
    return app


def run_import(app: Any, root: Path) -> Any:
    return app.test_cli_runner().invoke(args=["content", "import", str(root)])


@pytest.fixture
def imported(courses_app: Any, demo: Any) -> Any:
    result = run_import(courses_app, CONTENT)
    assert result.exit_code == 0, result.output
    return demo


def correct_answers(questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The right answer to each drawn question (as the API shows it), from the course's bank."""
    bank = {
        q["id"]: q for q in yaml.safe_load((CONTENT / "courses" / SLUG / "questions.yaml").read_text())["questions"]
    }
    answers: dict[str, Any] = {}
    for question in questions:
        item = bank[question["id"]]
        if item["type"] in ("single", "multiple"):
            # Options are shown shuffled under new ids: answer by their text.
            right = {o["text"] for o in item["options"] if o.get("correct")}
            answers[item["id"]] = [o["id"] for o in question["options"] if o["text"] in right]
        elif item["type"] == "true_false":
            answers[item["id"]] = item["answer"]
        else:
            answers[item["id"]] = item["answers"][0]
    return answers


def test_content_import_command(courses_app: Any, demo: Any, app_db: Session, tmp_path: Path) -> None:
    broken = copy_courses(tmp_path, SLUG)
    (broken / "courses" / SLUG / "lessons" / "02-ke-hoach-lua-chon-nha-thau.md").unlink()
    result = run_import(courses_app, broken)
    assert result.exit_code != 0
    course_yaml = broken / "courses" / SLUG / "course.yaml"
    assert re.search(rf"{re.escape(str(course_yaml))}:\d+: lesson file lessons/02-\S+ does not exist", result.output)
    assert "nothing was imported" in result.output
    assert app_db.scalar(select(func.count()).select_from(Course)) == 0

    first = run_import(courses_app, CONTENT)
    assert first.exit_code == 0, first.output
    assert f"course {SLUG} v1: created" in first.output
    again = run_import(courses_app, CONTENT)
    assert again.exit_code == 0, again.output
    assert f"course {SLUG} v1: unchanged" in again.output and "created" not in again.output
    app_db.rollback()  # end the read snapshot: see what the command committed
    assert app_db.scalar(select(func.count()).select_from(Course)) == 12


def test_catalog_page_lists_required_courses_first(client: Any, imported: Any) -> None:
    login(client, "demo.official")  # KT-TAICHINH
    page = client.get("/courses")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    required = html.index("Bắt buộc cho vị trí của bạn")
    elective = html.index("Tự chọn")
    other = html.index("Các khóa học khác")
    assert required < elective < other
    section = html[required:elective]
    assert "Đấu thầu cho công chức cấp xã" in section and f'href="/courses/{SLUG}"' in section
    # By Vietnamese title: Đ after D and before N (not after Y, as code points would have it).
    assert section.index("Đấu thầu cho công chức cấp xã") < section.index(
        "Ngân sách xã, thanh toán và quyết toán dự án đầu tư công"
    )
    assert "Tài liệu mẫu" in section
    assert "4 tiết" in section and "Tài chính" in section and "Chưa bắt đầu" in section
    assert "Bồi thường" not in section  # a land course: not for this position
    assert 'href="/courses"' in html  # the menu entry


def test_catalog_api_lists_required_courses_first(client: Any, imported: Any) -> None:
    items = client.get("/api/v1/catalog", headers=bearer(client, "demo.official")).get_json()["items"]
    courses = [item for item in items if item["type"] == "course"]
    assert len(courses) == 12 and all(item["module"] == "courses" for item in courses)
    flags = [item["required"] for item in courses]
    assert flags == sorted(flags, reverse=True) and flags.count(True) == 2
    assert courses[0]["id"] in (COURSE_IRI, f"{SITE}/activities/course/ngan-sach-quyet-toan-dau-tu-cong")


def test_learning_through_the_pages(client: Any, imported: Any, app_db: Session) -> None:
    login(client, "demo.official")
    course = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Bắt đầu học" in course and "Tiến độ: 0/5 bài học (0%)" in course
    assert f'href="/quizzes/{SLUG}"' in course
    assert app_db.scalar(select(func.count()).select_from(Enrolment)) == 0  # looking opens nothing

    start = client.post(f"/courses/{SLUG}/start")
    assert start.status_code == 302 and start.headers["Location"].endswith(f"/courses/{SLUG}/lessons/1")
    lesson = client.get(f"/courses/{SLUG}/lessons/1").get_data(as_text=True)
    assert "Bài 1/5" in lesson and "<h2>Đấu thầu là gì</h2>" in lesson
    assert 'name="csrf_token"' in lesson and "Hoàn thành bài học và tiếp tục" in lesson
    assert f'rel="next" href="/courses/{SLUG}/lessons/2"' in lesson and 'rel="prev"' not in lesson

    done = client.post(f"/courses/{SLUG}/lessons/1/complete")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/courses/{SLUG}/lessons/2")
    lesson = client.get(f"/courses/{SLUG}/lessons/1").get_data(as_text=True)
    assert "Bạn đã hoàn thành bài học này." in lesson and "Hoàn thành bài học và tiếp tục" not in lesson
    course = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Tiến độ: 1/5 bài học (20%)" in course and "Đã học" in course
    assert f'href="/courses/{SLUG}/lessons/2">Tiếp tục học' in course

    for position in range(2, LESSONS + 1):
        client.post(f"/courses/{SLUG}/lessons/{position}/complete")
    course = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Tiến độ: 5/5 bài học (100%)" in course and "Hãy làm bài kiểm tra" in course
    assert "Đã hoàn thành</strong>" not in course  # the quiz is still to pass
    assert client.get(f"/courses/{SLUG}/lessons/6").status_code == 404
    assert client.get("/courses/khong-co").status_code == 404


def test_the_lesson_form_needs_its_csrf_token(courses_app: Any, client: Any, imported: Any) -> None:
    login(client, "demo.official")
    courses_app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/courses/{SLUG}/lessons/1/complete")
        assert refused.status_code == 400
        page = client.get(f"/courses/{SLUG}/lessons/1").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        accepted = client.post(f"/courses/{SLUG}/lessons/1/complete", data={"csrf_token": token.group(1)})
        assert accepted.status_code == 302
    finally:
        courses_app.config["WTF_CSRF_ENABLED"] = False


def test_completing_a_course_through_the_api(client: Any, imported: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.official")
    course = client.get(f"/api/v1/courses/{SLUG}", headers=headers).get_json()
    assert course["id"] == COURSE_IRI and course["version"] == 1 and course["periods"] == 4
    assert course["status"] == "not_started" and course["enrolment"] is None
    assert course["progress"] == {"done": 0, "total": LESSONS, "percent": 0}
    assert course["quiz"] == {"id": QUIZ_IRI, "passed": False}
    assert [lesson["done"] for lesson in course["lessons"]] == [False] * LESSONS

    lesson = client.get(f"/api/v1/courses/{SLUG}/lessons/2", headers=headers).get_json()
    assert lesson["of"] == LESSONS and lesson["previous"] == 1 and lesson["next"] == 3
    assert lesson["markdown"].strip() and lesson["done"] is False

    for position in range(1, LESSONS + 1):
        response = client.post(f"/api/v1/courses/{SLUG}/lessons/{position}/complete", headers=headers)
        assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["progress"] == {"done": LESSONS, "total": LESSONS, "percent": 100}
    assert body["status"] == "in_progress" and body["next_lesson"] is None and body["quiz"]["passed"] is False

    attempt = client.post(f"/api/v1/quizzes/{SLUG}/attempts", headers=headers)
    assert attempt.status_code == 201, attempt.get_json()
    attempt_body = attempt.get_json()
    submitted = client.post(
        f"/api/v1/quiz-attempts/{attempt_body['id']}/submit",
        json={"answers": correct_answers(attempt_body["questions"])},
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["passed"] is True

    course = client.get(f"/api/v1/courses/{SLUG}", headers=headers).get_json()
    assert course["status"] == "completed" and course["quiz"]["passed"] is True
    assert course["enrolment"]["completed_at"] is not None

    actor = account_key(SITE, "GL-00001")
    [completed] = find_statements(app_db, actor_key=actor, verb_id=VERBS["completed"][0], activity_iri=COURSE_IRI)
    [passed] = find_statements(app_db, actor_key=actor, verb_id=VERBS["passed"][0], activity_iri=QUIZ_IRI)
    assert completed.statement["result"] == {"completion": True, "success": True}
    assert completed.registration == course["enrolment"]["registration"]
    assert completed.statement["context"]["extensions"] == {f"{SITE}/xapi/extensions/version": 1}
    assert completed.credit_trusted and completed.source == "hocvu:courses"
    assert passed.statement["result"]["success"] is True
    assert passed.statement["context"]["contextActivities"]["parent"][0]["id"] == COURSE_IRI
    experienced = find_statements(app_db, actor_key=actor, verb_id=VERBS["experienced"][0])
    assert sorted(s.activity_iri for s in experienced) == [f"{COURSE_IRI}/lessons/{n}" for n in range(1, 6)]

    # Finishing a lesson again completes nothing twice; the catalog shows the course done.
    client.post(f"/api/v1/courses/{SLUG}/lessons/5/complete", headers=headers)
    assert len(find_statements(app_db, actor_key=actor, verb_id=VERBS["completed"][0])) == 1
    items = client.get("/api/v1/catalog", headers=headers).get_json()["items"]
    assert next(i for i in items if i["id"] == COURSE_IRI)["status"] == "completed"

    login(client, "demo.official")
    page = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Đã hoàn thành</strong>" in page and "Bạn đã đạt bài kiểm tra." in page


def test_each_official_sees_only_their_own_progress(client: Any, imported: Any, app_db: Session) -> None:
    mai = bearer(client, "demo.official")
    for position in (1, 2):
        client.post(f"/api/v1/courses/{SLUG}/lessons/{position}/complete", headers=mai)
    hung = bearer(client, "demo.mentor")
    theirs = client.get(f"/api/v1/courses/{SLUG}", headers=hung).get_json()
    assert theirs["progress"]["done"] == 0 and theirs["enrolment"] is None
    assert client.get(f"/api/v1/courses/{SLUG}", headers=mai).get_json()["progress"]["done"] == 2

    login(client, "demo.mentor")
    page = client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert "Tiến độ: 0/5 bài học (0%)" in page

    # No token: 401 as JSON; no session: the sign-in page.
    anonymous = client.application.test_client()
    response = anonymous.get(f"/api/v1/courses/{SLUG}")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert anonymous.get(f"/courses/{SLUG}").status_code == 302

    # An account with no official behind it cannot take courses.
    create_account(app_db, username="may.chu", password=TEST_PASSWORD)
    app_db.commit()
    refused = client.post(f"/api/v1/courses/{SLUG}/lessons/1/complete", headers=bearer(client, "may.chu"))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_the_api_is_documented(client: Any, courses_app: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/courses/{slug}",
        "/api/v1/courses/{slug}/enrolment",
        "/api/v1/courses/{slug}/lessons/{position}",
        "/api/v1/courses/{slug}/lessons/{position}/complete",
    } <= set(paths)
    assert paths["/api/v1/courses/{slug}"]["get"]["security"] == [{"BearerAuth": []}]
