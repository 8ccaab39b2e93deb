"""The LRS admin page in a real Chromium on a phone-sized screen: the clients, revoking
one, and how forwarding stands."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import in_own_thread, live_server, screenshot  # noqa: F401
from tests.modules.credits.test_pages_browser import assert_fits_the_screen, sign_in
from tests.modules.lrs.conftest import make_client

pytestmark = pytest.mark.browser


def test_an_admin_revokes_a_client_on_a_phone(live_server: str, demo: Any, app_db: Session) -> None:  # noqa: F811
    make_client(app_db, name="Phần mềm mô phỏng PCCC")

    def scenario(page: Any) -> None:
        sign_in(page, live_server, "demo.admin")
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="LRS").click()
        clients = page.get_by_role("table", name="Client LRS")
        assert "Phần mềm mô phỏng PCCC" in clients.inner_text()
        forwarding = page.get_by_role("region", name="Chuyển tiếp tới LRS bên ngoài").inner_text()
        assert "Chưa bật" in forwarding
        assert_fits_the_screen(page)
        page.get_by_role("button", name="Thu hồi Phần mềm mô phỏng PCCC").click()
        assert "Đã thu hồi client Phần mềm mô phỏng PCCC." in page.get_by_role("status").inner_text()
        assert page.get_by_role("button", name="Thu hồi Phần mềm mô phỏng PCCC").count() == 0
        screenshot(page, "lrs-admin-360")

    in_own_thread(scenario)
