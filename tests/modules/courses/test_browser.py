"""A course on a 390 px phone in a real Chromium: the catalog, a lesson, finishing it.

Playwright's sync API refuses to start while another instance runs in the same thread
(tests/browser keeps one open for the whole session), so this test drives its own
Chromium from a worker thread.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, in_own_thread, live_server, screenshot  # noqa: F401  (live_server: a fixture)
from tests.conftest import TEST_PASSWORD
from tests.modules.courses.helpers import CONTENT, SLUG

pytestmark = pytest.mark.browser


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"


def test_a_lesson_on_a_phone(live_server: str, app: Any, demo: Any) -> None:  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    assert "courses" in app.config["MODULES"], "enable the modules: HOCVU_MODULES=hr,quizzes,courses"
    result = app.test_cli_runner().invoke(args=["content", "import", str(CONTENT)])
    assert result.exit_code == 0, result.output

    def scenario(page: Any) -> None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Tên đăng nhập").fill("demo.official")
        page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()

        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Khóa học").click()
        # is_visible() does not wait: let the catalog load after the click first.
        page.wait_for_url("**/courses")
        page.get_by_role("heading", name="Bắt buộc cho vị trí của bạn").wait_for()
        assert page.get_by_role("heading", name="Bắt buộc cho vị trí của bạn").is_visible()
        fits(page)
        screenshot(page, "courses-catalog-390")

        page.get_by_role("link", name="Đấu thầu cho công chức cấp xã").click()
        page.get_by_role("button", name="Bắt đầu học").click()
        assert page.get_by_role("heading", name="Tổng quan về đấu thầu ở cấp xã").is_visible()
        assert page.get_by_text("Bài 1/5").is_visible()
        fits(page)
        button = page.get_by_role("button", name="Hoàn thành bài học và tiếp tục")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] > 300
        screenshot(page, "courses-lesson-390")
        button.click()
        assert page.url.endswith(f"/courses/{SLUG}/lessons/2")

        page.get_by_role("link", name="Mục lục khóa học").click()
        progress = page.get_by_role("progressbar", name="Tiến độ: 1/5 bài học (20%)")
        assert progress.get_attribute("value") == "1"
        assert page.get_by_role("link", name="Tiếp tục học: bài 2").is_visible()
        fits(page)
        screenshot(page, "courses-course-390")

    in_own_thread(scenario, width=390, height=844)
