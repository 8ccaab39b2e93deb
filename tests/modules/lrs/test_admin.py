"""The LRS admin page ``/admin/lrs/``: admins only; the LRS clients with a revoke button
(CSRF-protected), and how forwarding stands, with the parked statements and "send again"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.audit import entries_for
from lms_core.db import utcnow
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statements
from modules.lrs import forwarding
from modules.lrs.forwarding import Answer, ForwardSettings
from modules.lrs.models import ForwardLog, LrsClient
from tests.conftest import login
from tests.modules.lrs.conftest import SITE, make_client

BAD = "https://lrs.test/extensions/refuse-me"
PAGE = "/admin/lrs/"


@pytest.fixture
def lrs_app(app: Any) -> Iterator[Any]:
    """The test app with the LRS module, forwarding configured; the config is restored."""
    if "lrs_admin" not in app.blueprints:
        pytest.skip("the lrs module is not enabled (HOCVU_MODULES)")
    keys = ("LRS_FORWARD_URL", "LRS_FORWARD_KEY", "LRS_FORWARD_SECRET", "WTF_CSRF_ENABLED")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(
        LRS_FORWARD_URL="https://lrs.gialai.gov.vn/xapi/", LRS_FORWARD_KEY="hocvu", LRS_FORWARD_SECRET="bi-mat-rat-dai"
    )
    yield app
    app.config.update(saved)


def store(session: Session, count: int, *, first: int = 1, bad: tuple[int, ...] = ()) -> list[str]:
    statements = [
        build_statement(
            actor=account_agent(SITE, f"GL-{n:05d}", f"Cán bộ số {n}"),
            verb="completed",
            activity_iri=f"{SITE}/activities/course/khoa-{n}",
            activity_name=f"Khóa học {n}",
            context={"extensions": {BAD: True}} if n in bad else None,
        )
        for n in range(first, first + count)
    ]
    ids = store_statements(session, statements, hocvu_authority(SITE, "courses"))
    session.commit()
    return ids


def refuse_bad(settings: ForwardSettings, body: bytes) -> Answer:
    """An external LRS that refuses a batch holding a statement with ``BAD``."""
    batch = json.loads(body)
    for statement in batch:
        if BAD in ((statement.get("context") or {}).get("extensions") or {}):
            return Answer(400, f"Statement {statement['id']}: extension không được chấp nhận")
    return Answer(200, json.dumps([s["id"] for s in batch]))


@pytest.fixture
def forwarded(lrs_app: Any, app_db: Session, demo: Any) -> dict[str, Any]:
    """Four statements forwarded (the third parked), then two more waiting; two clients,
    one of them revoked."""
    ids = store(app_db, 4, bad=(3,))
    result = forwarding.forward_pending(
        app_db, ForwardSettings("https://lrs.gialai.gov.vn/xapi/"), utcnow() - timedelta(minutes=1), post=refuse_bad
    )
    assert (result.sent, result.parked) == (3, 1)
    waiting = store(app_db, 2, first=10)
    active = make_client(app_db, name="Gói học liệu An toàn thông tin", credit_trusted=True)
    revoked = make_client(app_db, name="Ứng dụng thử nghiệm cũ", can_write=False, scope="own")
    old = app_db.scalar(select(LrsClient).where(LrsClient.key == revoked.key))
    assert old is not None
    old.revoked_at = utcnow()
    app_db.commit()
    return {"parked": ids[2], "waiting": waiting, "active": active.key, "revoked": revoked.key}


def account_id(session: Session, username: str) -> int:
    found = session.scalar(select(Account.id).where(Account.username == username))
    assert found is not None
    return found


def client_row(session: Session, key: str) -> LrsClient:
    session.commit()
    row = session.scalars(select(LrsClient).where(LrsClient.key == key).execution_options(populate_existing=True)).one()
    return row


def fact(html: str, term: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` named ``term``."""
    found = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert found is not None, term
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_admin_sees_the_clients_and_how_forwarding_stands(client: Any, forwarded: dict[str, Any]) -> None:
    login(client, "demo.admin")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Quản trị LRS (xAPI)" in html

    # Forwarding: the host only, never the secret or the key.
    assert "lrs.gialai.gov.vn" in fact(html, "Cấu hình") and "/xapi" not in fact(html, "Cấu hình")
    assert "bi-mat-rat-dai" not in html
    assert fact(html, "Tình trạng") == "Hoạt động bình thường."
    assert fact(html, "Statement chờ gửi") == "2" and fact(html, "Statement bị giữ lại") == "1"
    assert fact(html, "Lỗi gần nhất") == "Không có"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", fact(html, "Gửi thành công gần nhất"))

    # The parked statement, with the remote's error, its verb and actor, and a button.
    assert forwarded["parked"] in html and "extension không được chấp nhận" in html
    assert "đã hoàn thành" in html and "Cán bộ số 3" in html
    assert f'action="/admin/lrs/forwarding/{forwarded["parked"]}/retry"' in html

    # The clients: active with a revoke button, revoked as text.
    assert "Gói học liệu An toàn thông tin" in html and forwarded["active"] in html
    assert "Ứng dụng thử nghiệm cũ" in html and "Đã thu hồi lúc" in html and "Chỉ đọc" in html
    assert "Đang hoạt động" in html and 'name="csrf_token"' in html
    assert html.count("/revoke") == 1
    assert '<th scope="col">' in html and 'data-label="' in html  # headers; stacked on a phone


def test_only_admins_reach_the_page(client: Any, forwarded: dict[str, Any], app_db: Session) -> None:
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    active_id = client_row(app_db, forwarded["active"]).id
    for username in ("demo.hr", "demo.official", "demo.mentor"):
        login(client, username)
        assert client.get(PAGE).status_code == 403, username
        assert client.post(f"/admin/lrs/clients/{active_id}/revoke").status_code == 403, username
        assert client.post(f"/admin/lrs/forwarding/{forwarded['parked']}/retry").status_code == 403, username
        client.post("/logout")
    assert client_row(app_db, forwarded["active"]).revoked_at is None
    assert app_db.get(ForwardLog, forwarded["parked"]).status == "parked"  # type: ignore[union-attr]


def test_revoking_a_client_needs_the_csrf_token(
    lrs_app: Any, client: Any, forwarded: dict[str, Any], app_db: Session
) -> None:
    login(client, "demo.admin")
    target = client_row(app_db, forwarded["active"])
    lrs_app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(f"/admin/lrs/clients/{target.id}/revoke")
    assert refused.status_code == 400
    assert client_row(app_db, forwarded["active"]).revoked_at is None

    page = client.get(PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    done = client.post(f"/admin/lrs/clients/{target.id}/revoke", data={"csrf_token": token.group(1)})
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    assert client_row(app_db, forwarded["active"]).revoked_at is not None
    [entry] = entries_for(app_db, "lrs_client", target.id)[-1:]
    assert entry.action == "lrs.client_revoked" and entry.account_id == account_id(app_db, "demo.admin")
    after = client.get(PAGE).get_data(as_text=True)
    assert "Đã thu hồi client Gói học liệu An toàn thông tin." in after and "/revoke" not in after

    missing = client.post("/admin/lrs/clients/999999/revoke", data={"csrf_token": token.group(1)})
    assert missing.status_code == 404


def test_send_again_puts_a_parked_statement_back_in_the_queue(
    client: Any, forwarded: dict[str, Any], app_db: Session
) -> None:
    login(client, "demo.admin")
    parked = forwarded["parked"]
    response = client.post(f"/admin/lrs/forwarding/{parked}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith("#parked")
    app_db.commit()
    row = app_db.get(ForwardLog, parked)
    assert row is not None
    app_db.refresh(row)
    assert row.status == "retry"
    [entry] = entries_for(app_db, "statement", parked)
    assert entry.action == "lrs.forward_retry" and entry.account_id == account_id(app_db, "demo.admin")

    html = client.get(PAGE).get_data(as_text=True)
    assert fact(html, "Statement chờ gửi") == "3" and fact(html, "Statement bị giữ lại") == "0"
    assert "Không có statement nào bị từ chối." in html
    # Only a parked statement can be sent again.
    assert client.post(f"/admin/lrs/forwarding/{parked}/retry").status_code == 404
    assert client.post(f"/admin/lrs/forwarding/{forwarded['waiting'][0]}/retry").status_code == 404


def test_the_page_says_when_forwarding_is_off_or_misconfigured(lrs_app: Any, client: Any, demo: Any) -> None:
    login(client, "demo.admin")
    lrs_app.config["LRS_FORWARD_URL"] = None
    html = client.get(PAGE).get_data(as_text=True)
    assert fact(html, "Cấu hình") == "Chưa bật (chưa đặt LRS_FORWARD_URL)."
    assert fact(html, "Tình trạng").startswith("Không chuyển tiếp.")
    assert fact(html, "Statement chờ gửi") == "0" and "Chưa có client LRS nào." in html

    lrs_app.config["LRS_FORWARD_URL"] = "https://hocvu:mat-khau-lo@lrs.gialai.gov.vn/xapi/"
    html = client.get(PAGE).get_data(as_text=True)
    assert "LRS_FORWARD_URL không hợp lệ" in fact(html, "Cấu hình") and "mat-khau-lo" not in html

    lrs_app.config["LRS_FORWARD_URL"] = "http://10.0.0.5:8080/xapi"
    html = client.get(PAGE).get_data(as_text=True)
    assert "10.0.0.5:8080" in fact(html, "Cấu hình") and "không mã hóa" in fact(html, "Cấu hình")
    assert fact(html, "Tình trạng") == "Chưa chạy lượt chuyển tiếp nào."


def test_a_failing_external_lrs_shows_its_error_and_the_next_attempt(
    lrs_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    store(app_db, 2)

    def down(settings: ForwardSettings, body: bytes) -> Answer:
        return Answer(503, "Dịch vụ tạm ngừng")

    result = forwarding.forward_pending(app_db, ForwardSettings("https://lrs.gialai.gov.vn/xapi/"), post=down)
    assert result.stopped_by_error
    login(client, "demo.admin")
    html = client.get(PAGE).get_data(as_text=True)
    assert fact(html, "Tình trạng") == "Đang lỗi: 1 lượt liên tiếp không gửi được."
    assert fact(html, "Lỗi gần nhất") == "HTTP 503: Dịch vụ tạm ngừng"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", fact(html, "Lần thử tiếp theo"))
    assert fact(html, "Statement chờ gửi") == "2" and fact(html, "Gửi thành công gần nhất") == "Chưa có"
