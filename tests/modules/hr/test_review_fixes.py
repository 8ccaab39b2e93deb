"""Regressions found in review: redirects, tokens, grant scope, search and odd input."""

from typing import Any

from lms_core.accounts import create_account, grant_role
from tests.conftest import TEST_PASSWORD, bearer, login


def test_redirect_targets_stay_on_the_site(client: Any, demo: Any) -> None:
    for target in ("/%09/evil.example", "//evil.example", "https://evil.example/", "/\\evil.example"):
        assert client.get(f"/lang/en?next={target}").headers["Location"] == "/"
    response = client.post("/login?next=/%09/evil.example", data={"username": "demo.hr", "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/"


def test_tokens_stop_working_after_a_password_change(client: Any, demo: Any) -> None:
    headers = bearer(client, "demo.official")
    login(client, "demo.official")
    client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "mat-khau-moi", "confirm_password": "mat-khau-moi"},
    )
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_commune_hr_cannot_touch_accounts_or_grants_outside_their_commune(client: Any, demo: Any, app_db: Any) -> None:
    service = create_account(app_db, username="dich.vu", password="mat-khau-dich-vu")  # no person, no unit
    official = demo.accounts["demo.official"]  # works in Xã Ia Grai
    foreign_grant = grant_role(app_db, official, "mentor", demo.units["GL-P-QUYNHON"])
    app_db.commit()
    headers = bearer(client, "demo.hr.quynhon")
    quynhon = demo.units["GL-P-QUYNHON"].id
    grant = client.post(
        f"/api/v1/accounts/{service.id}/grants", json={"role": "hr", "unit_id": quynhon}, headers=headers
    )
    assert grant.status_code == 403
    assert client.delete(f"/api/v1/grants/{foreign_grant.id}", headers=headers).status_code == 403
    province = client.post(
        f"/api/v1/accounts/{service.id}/grants",
        json={"role": "hr", "unit_id": quynhon},
        headers=bearer(client, "demo.admin"),
    )
    assert province.status_code == 201


def test_hr_sees_only_grants_in_their_scope(client: Any, demo: Any, app_db: Any) -> None:
    grant_role(app_db, demo.accounts["demo.hr.quynhon"], "mentor", demo.units["GL-X-IAGRAI"])
    app_db.commit()
    person = demo.accounts["demo.hr.quynhon"].person_id
    account = client.get(f"/api/v1/people/{person}/account", headers=bearer(client, "demo.hr.quynhon")).get_json()
    assert {g["unit"]["code"] for g in account["grants"]} == {"GL-P-QUYNHON"}


def test_search_folds_vietnamese_case_and_escapes_wildcards(client: Any, demo: Any) -> None:
    headers = bearer(client, "demo.hr")
    found = client.get("/api/v1/people?q=LÊ THỊ THU HÀ", headers=headers).get_json()
    assert [p["staff_code"] for p in found["items"]] == ["GL-00003"]
    assert client.get("/api/v1/people?q=%25", headers=headers).get_json()["total"] == 0


def test_odd_numbers_in_forms_are_errors_not_crashes(client: Any, demo: Any) -> None:
    login(client, "demo.hr")
    person = client.post(
        "/hr/people/new", data={"staff_code": "GL-1", "full_name": "A", "category": "cong_chuc", "unit_id": "²"}
    )
    assert person.status_code == 400 and "Đơn vị không tồn tại." in person.get_data(as_text=True)
    unit = client.post("/hr/units/new", data={"code": "X-1", "name": "Xã", "kind": "commune", "parent_id": "abc"})
    assert unit.status_code == 400 and "Đơn vị không tồn tại." in unit.get_data(as_text=True)
    duplicate = client.post(
        "/hr/units/new", data={"code": "GL-SNV", "name": "Xã", "kind": "commune", "parent_id": str(demo.units["GL"].id)}
    )
    assert duplicate.status_code == 400 and "Mã đơn vị GL-SNV đã tồn tại." in duplicate.get_data(as_text=True)
