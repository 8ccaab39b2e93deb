"""A quiz on a 360 px phone in a real Chromium: start, the running clock, answering by
label, the review; and the countdown submitting by itself when time is up.

Playwright's sync API refuses to start while another instance runs in the same thread
(tests/browser keeps one open for the whole session), so each scenario drives its own
Chromium from a worker thread; the test's thread only waits for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms_core.db import utcnow
from modules.quizzes.models import Attempt
from tests.browser.conftest import CHROMIUM, in_own_thread, live_server, screenshot  # noqa: F401  (live_server: a fixture)
from tests.conftest import TEST_PASSWORD
from tests.modules.quizzes.conftest import CONTENT, SLUG, fresh

pytestmark = pytest.mark.browser
WIDTH = 360


@pytest.fixture
def content_imported(quizzes_app: Any, demo: Any) -> Any:
    result = quizzes_app.test_cli_runner().invoke(args=["content", "import", str(CONTENT)])
    assert result.exit_code == 0, result.output
    return demo


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Tên đăng nhập").fill("demo.official")
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"page is {width}px wide on a {WIDTH}px screen"


def test_a_quiz_on_a_phone(live_server: str, content_imported: Any) -> None:  # noqa: F811
    def scenario(page: Any) -> None:
        sign_in(page, live_server)
        page.goto(f"{live_server}/quizzes/{SLUG}")
        assert page.get_by_role("heading", name="Bài kiểm tra: Đấu thầu cho công chức cấp xã").is_visible()
        fits(page)
        screenshot(page, "quizzes-quiz-360")
        page.get_by_role("button", name="Bắt đầu làm bài").click()

        clock = page.get_by_role("timer")
        first = clock.inner_text()
        page.wait_for_timeout(1500)
        assert clock.inner_text() != first  # it counts down
        assert page.locator("fieldset").count() == 10
        fits(page)
        screenshot(page, "quizzes-attempt-360")

        # Answer every question by its label, as a learner would (not necessarily rightly).
        for fieldset in page.locator("fieldset").all():
            if fieldset.locator("input[type=radio], input[type=checkbox]").count():
                label = fieldset.locator("label").first
                box = label.bounding_box()
                assert box is not None and box["height"] >= 44
                label.click()
            else:
                fieldset.get_by_label("Câu trả lời của bạn").fill("thông thầu")
        page.get_by_role("button", name="Nộp bài").click()
        assert page.url.endswith("/review")
        assert page.get_by_role("heading", name="Bài làm và đáp án").is_visible()
        assert page.get_by_text("Giải thích:").count() == 10
        fits(page)
        screenshot(page, "quizzes-review-360")

    in_own_thread(scenario)


def test_the_countdown_submits_when_time_is_up(live_server: str, content_imported: Any, app_db: Session) -> None:  # noqa: F811
    submitted: list[str] = []

    def scenario(page: Any) -> None:
        sign_in(page, live_server)
        page.goto(f"{live_server}/quizzes/{SLUG}")
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        attempt_id = page.url.rstrip("/").split("/")[-1]
        # The test's thread is blocked in join(): the session is used by one thread at a time.
        attempt = app_db.get(Attempt, attempt_id)
        assert attempt is not None
        attempt.deadline_at = utcnow() + timedelta(seconds=3)
        app_db.commit()
        page.reload()
        page.wait_for_url("**/review", timeout=10_000)
        assert page.get_by_role("heading", name="Bài làm và đáp án").is_visible()
        submitted.append(attempt_id)

    in_own_thread(scenario)
    fresh(app_db)
    assert app_db.get(Attempt, submitted[0]).submitted_at is not None  # type: ignore[union-attr]
