"""Sign-in, tokens, lock-out, rate limiting, CSRF, errors and language."""

import re
from typing import Any

from tests.conftest import TEST_PASSWORD, bearer, login


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_token_and_me_for_demo_hr(client: Any, demo: Any) -> None:
    me = client.get("/api/v1/me", headers=bearer(client, "demo.hr")).get_json()
    assert me["username"] == "demo.hr"
    assert "hr" in me["roles"]
    assert me["name"] == "Lê Thị Thu Hà"
    assert me["unit"]["code"] == "GL-SNV"
    assert me["actor"] == {
        "objectType": "Agent",
        "name": "Lê Thị Thu Hà",
        "account": {"homePage": "https://hocvu.test", "name": me["staff_code"]},
    }


def test_wrong_password_is_401_json_in_vietnamese_or_english(client: Any, demo: Any) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "demo.hr", "password": "sai"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "mật khẩu không đúng" in response.get_json()["error"]["message"]
    english = client.post(
        "/api/v1/auth/token", json={"username": "demo.hr", "password": "sai"}, headers={"Accept-Language": "en"}
    )
    assert english.get_json()["error"]["message"] == "Wrong username or password."


def test_missing_or_bad_token_is_401_json(client: Any, demo: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_ten_wrong_passwords_lock_the_account(client: Any, demo: Any) -> None:
    for _ in range(10):
        response = client.post("/api/v1/auth/token", json={"username": "demo.official", "password": "sai"})
        assert response.status_code == 401
    locked = client.post("/api/v1/auth/token", json={"username": "demo.official", "password": TEST_PASSWORD})
    assert locked.status_code == 401
    assert locked.get_json()["error"]["code"] == "account_locked"
    page = client.post("/login", data={"username": "demo.official", "password": TEST_PASSWORD})
    assert page.status_code == 401
    assert "tạm khóa" in page.get_data(as_text=True)


def test_login_is_rate_limited_per_address(app: Any, client: Any, demo: Any) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code for _ in range(4)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    assert statuses == [401, 401, 401, 429]


def test_bad_json_is_a_400_naming_the_field(client: Any) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "demo.hr"})
    assert response.status_code == 400
    assert "password" in response.get_json()["error"]["fields"]


def test_pages_sign_in_and_out(client: Any, demo: Any) -> None:
    assert client.get("/").status_code == 302
    login(client, "demo.official")
    home = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Mai" in home and "Xã Ia Grai" in home
    assert 'lang="vi"' in home
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_password_change(client: Any, demo: Any) -> None:
    login(client, "demo.official")
    bad = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "ngan", "confirm_password": "ngan"},
    )
    assert bad.status_code == 400
    assert "ít nhất 8 ký tự" in bad.get_data(as_text=True)
    good = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "mat-khau-moi", "confirm_password": "mat-khau-moi"},
    )
    assert good.status_code == 302
    assert client.get("/").status_code == 200  # this session follows the new password
    client.post("/logout")
    login(client, "demo.official", "mat-khau-moi")


def test_forms_need_a_csrf_token(app: Any, client: Any, demo: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"username": "demo.hr", "password": TEST_PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def test_english_ui_on_request(client: Any, demo: Any) -> None:
    login(client, "demo.official")
    client.get("/lang/en?next=/")
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign out" in page
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_unknown_page_is_friendly_and_unknown_api_is_json(client: Any) -> None:
    page = client.get("/khong-co")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/v1/khong-co")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_openapi_documents_every_api_route(app: Any, client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)
    assert "BearerAuth" in spec["components"]["securitySchemes"]
