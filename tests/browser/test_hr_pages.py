"""HR work in a real Chromium on a phone-sized screen, with the keyboard where it matters."""

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def assert_fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a {page.viewport_size['width']}px screen"


def test_hr_adds_a_person_on_a_phone(phone: Any, live_server: str, demo: Any) -> None:
    page = phone
    sign_in(page, live_server, "demo.hr")
    assert page.get_by_role("heading", name="Xin chào, Lê Thị Thu Hà").is_visible()
    assert_fits_the_screen(page)

    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Đơn vị").click()
    page.get_by_role("link", name="Xã Ia Grai").click()
    assert page.get_by_role("heading", name="Xã Ia Grai").is_visible()
    assert_fits_the_screen(page)
    screenshot(page, "hr-unit-360")

    page.get_by_role("link", name="Thêm cán bộ").click()
    page.get_by_label("Mã cán bộ").fill("GL-95001")
    page.get_by_label("Họ và tên").fill("Rơ Châm Thị Hoa")
    page.get_by_label("Email").fill("khong-hop-le")
    page.get_by_role("button", name="Lưu").click()
    summary = page.get_by_role("alert")
    assert "Địa chỉ email không hợp lệ." in summary.inner_text()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    screenshot(page, "hr-person-errors-360")

    page.get_by_label("Email").fill("hoa@gialai.gov.vn")
    page.get_by_role("button", name="Lưu").click()
    assert page.get_by_role("heading", name="Rơ Châm Thị Hoa").is_visible()
    assert page.get_by_role("status").inner_text() == "Đã lưu thông tin cán bộ."
    assert_fits_the_screen(page)
    screenshot(page, "hr-person-saved-360")


def test_keyboard_reaches_the_content_first_and_language_switches(phone: Any, live_server: str, demo: Any) -> None:
    page = phone
    sign_in(page, live_server, "demo.official")
    page.goto(f"{live_server}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, tới nội dung chính")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("button", name="Sign out (demo.official)").is_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
