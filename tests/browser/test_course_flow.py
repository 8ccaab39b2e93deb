"""demo.official takes a required course end to end in Chromium: signs in, opens the
course from the catalog, reads every lesson, passes the quiz and sees the course
completed — on a desktop window and on a 390 × 844 phone."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms_core.statements import Statement, account_key
from modules.quizzes.models import Attempt, Question
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
CONTENT = Path(__file__).resolve().parents[2] / "content"


def answer_correctly(page: Any, db: Any, attempt_id: str) -> None:
    """Tick the right answers, read from the server's own records (the page never has them)."""
    db.rollback()
    attempt = db.get(Attempt, attempt_id)
    questions = {q.key: q for q in db.scalars(select(Question).where(Question.quiz_id == attempt.quiz_id))}
    for item in attempt.items:
        question = questions[item["id"]]
        if question.type in ("single", "multiple"):
            shown = {original: "abcdefghij"[n] for n, original in enumerate(item["options"])}
            for option in question.options:
                if option.get("correct"):
                    page.locator(f"#a-{question.key}-{shown[option['id']]}").check()
        elif question.type == "true_false":
            page.locator(f"#a-{question.key}-{'true' if question.answer else 'false'}").check()
        else:
            page.locator(f"#a-{question.key}").fill(question.answer[0])


@pytest.mark.parametrize(
    ("slug", "title", "viewport", "name"),
    [
        ("dau-thau-cap-xa", "Đấu thầu cho công chức cấp xã", {"width": 1280, "height": 800}, "desktop"),
        (
            "ngan-sach-quyet-toan-dau-tu-cong",
            "Ngân sách xã, thanh toán và quyết toán dự án đầu tư công",
            {"width": 390, "height": 844},
            "phone",
        ),
    ],
)
def test_official_completes_a_required_course(
    browser: Any, live_server: str, app: Any, demo: Any, app_db: Any, slug: str, title: str, viewport: dict, name: str
) -> None:
    result = app.test_cli_runner().invoke(args=["content", "import", str(CONTENT)])
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("Tên đăng nhập").fill("demo.official")
        page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Khóa học").click()
        required = page.locator("section", has=page.get_by_role("heading", name="Bắt buộc cho vị trí của bạn"))
        required.get_by_role("link", name=title).click()
        page.get_by_role("button", name="Bắt đầu học").click()

        lessons = 0
        page.wait_for_url("**/lessons/1")
        while "/lessons/" in page.url:
            lessons += 1
            expect(page.get_by_text(f"Bài {lessons}/").first).to_be_visible()
            page.get_by_role("button", name="Hoàn thành bài học và tiếp tục").click()
            page.wait_for_load_state()
        assert lessons >= 3
        screenshot(page, f"course-{name}-lessons-done")

        page.get_by_role("link", name="Làm bài kiểm tra").click()
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        attempt_id = page.url.rstrip("/").split("/")[-1]
        answer_correctly(page, app_db, attempt_id)
        screenshot(page, f"course-{name}-quiz")
        page.get_by_role("button", name="Nộp bài").click()
        page.wait_for_url("**/review")
        expect(page.get_by_text("Đạt").first).to_be_visible()

        page.goto(f"{live_server}/courses/{slug}")
        expect(page.get_by_role("status").filter(has_text="Đã hoàn thành")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]
        screenshot(page, f"course-{name}-completed")
    finally:
        context.close()

    app_db.rollback()
    verbs = set(
        app_db.scalars(
            select(Statement.verb_id).where(
                Statement.actor_key == account_key(app.config["SITE_URL"], "GL-00001"), Statement.voided.is_(False)
            )
        )
    )
    assert {"http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed"} <= verbs
