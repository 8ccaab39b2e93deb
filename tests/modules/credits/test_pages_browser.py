"""The hours page and the rules form in a real Chromium on a phone-sized screen.

Playwright's sync API refuses to start while another instance runs in the same thread
(tests/browser keeps one open for the whole session), so each scenario drives its own
Chromium from a worker thread, as tests/modules/courses does.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import in_own_thread, screenshot
from tests.conftest import TEST_PASSWORD
from tests.modules.credits.test_api import complete

pytestmark = pytest.mark.browser
SCAN = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def assert_fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide on a {page.viewport_size['width']}px screen"


def test_an_official_reads_their_hours_on_a_phone(
    credits_app: Any, live_server: str, demo: Any, app_db: Session
) -> None:
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00", periods=8)
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-05-10T09:00:00+07:00", periods=8)

    def scenario(page: Any) -> None:
        sign_in(page, live_server, "demo.official")
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Giờ học của tôi").click()
        page.get_by_label("Năm", exact=True).select_option("2026")
        page.get_by_role("button", name="Xem").click()
        progress = page.get_by_role("progressbar")
        assert progress.get_attribute("value") == "8" and progress.get_attribute("max") == "40"
        assert "8 / 40 tiết" in page.get_by_role("region", name="Số tiết năm 2026").inner_text()
        assert page.get_by_text("Còn thiếu 32 tiết.").is_visible()
        not_counted = page.get_by_role("region", name="Kết quả không được tính").inner_text()
        assert "mỗi hoạt động chỉ tính một lần" in not_counted
        assert_fits_the_screen(page)
        screenshot(page, "credits-hours-360")

    in_own_thread(scenario)


def test_hr_sets_a_rule_on_a_phone(credits_app: Any, live_server: str, demo: Any) -> None:
    def scenario(page: Any) -> None:
        sign_in(page, live_server, "demo.hr")
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Quy định số tiết").click()
        page.get_by_role("link", name="Thêm quy định").click()
        page.get_by_label("Tên quy định").fill("")
        page.get_by_role("button", name="Lưu").click()
        assert "Tên quy định không được để trống" in page.get_by_role("alert").inner_text()
        assert page.get_by_label("Tên quy định").get_attribute("aria-invalid") == "true"
        page.get_by_label("Tên quy định").fill("Công chức cấp xã 2026")
        page.get_by_label("Loại cán bộ").select_option("cong_chuc")
        page.get_by_text("Giới hạn số tiết được tính (không bắt buộc)").click()
        page.get_by_label("Tối đa số tiết học trực tuyến").fill("24")
        assert_fits_the_screen(page)
        screenshot(page, "credits-rule-form-360")
        page.get_by_role("button", name="Lưu").click()
        assert page.get_by_role("status").inner_text() == "Đã lưu quy định."
        assert page.get_by_role("link", name="Sửa Công chức cấp xã 2026").is_visible()
        assert_fits_the_screen(page)
        screenshot(page, "credits-rules-360")

    in_own_thread(scenario)


def test_an_official_claims_external_training_and_hr_approves_it_on_a_phone(
    credits_app: Any, live_server: str, demo: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(credits_app.config, "CREDITS_EVIDENCE_DIR", str(tmp_path / "claims"))

    def official(page: Any) -> None:
        sign_in(page, live_server, "demo.official")
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Bồi dưỡng bên ngoài").click()
        page.get_by_role("link", name="Khai báo mới").click()
        page.get_by_role("button", name="Gửi khai báo").click()
        alert = page.get_by_role("alert").inner_text()
        assert "Nhập tên khóa, lớp bồi dưỡng." in alert and "Đính kèm minh chứng" in alert
        assert page.get_by_label("Tên khóa, lớp bồi dưỡng").get_attribute("aria-invalid") == "true"
        page.get_by_label("Tên khóa, lớp bồi dưỡng").fill("Tập huấn nghiệp vụ kế toán ngân sách xã")
        page.get_by_label("Cơ quan, đơn vị tổ chức").fill("Sở Tài chính tỉnh Gia Lai")
        page.get_by_label("Hình thức").select_option("tap_trung")
        page.get_by_label("Từ ngày").fill("2026-06-08")
        page.get_by_label("Đến ngày").fill("2026-06-09")
        page.get_by_label("Số tiết").fill("16")
        page.get_by_label("Minh chứng").set_input_files(
            {"name": "giay-chung-nhan.pdf", "mimeType": "application/pdf", "buffer": SCAN}
        )
        page.get_by_role("button", name="Gửi khai báo").click()
        assert "Đã gửi khai báo" in page.get_by_role("status").first.inner_text()
        assert "Chờ duyệt" in page.get_by_role("table").inner_text()
        assert_fits_the_screen(page)
        screenshot(page, "credits-claims-360")  # last: a full-page shot can leave later clicks unanswered

    def hr(page: Any) -> None:
        sign_in(page, live_server, "demo.hr")
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Duyệt khai báo").click()
        page.get_by_role("link", name="Tập huấn nghiệp vụ kế toán ngân sách xã").click()
        assert "Nguyễn Thị Mai" in page.get_by_role("main").inner_text()
        assert_fits_the_screen(page)
        page.get_by_role("button", name="Duyệt và ghi nhận 16 tiết").click()
        assert "Đã duyệt" in page.get_by_role("status").first.inner_text()
        screenshot(page, "credits-claim-approved-360")

    def hours(page: Any) -> None:
        sign_in(page, live_server, "demo.official")
        page.goto(f"{live_server}/hours?year=2026")
        assert "16 / 40 tiết" in page.get_by_role("region", name="Số tiết năm 2026").inner_text()
        assert page.get_by_role("link", name="minh chứng Tập huấn nghiệp vụ kế toán ngân sách xã").is_visible()

    for scenario in (official, hr, hours):
        in_own_thread(scenario)
