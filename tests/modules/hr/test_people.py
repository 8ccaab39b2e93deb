"""Creating and changing people through the API and the pages: clear errors, nothing half-written."""

from typing import Any

from sqlalchemy import func, select

from lms_core.audit import AuditEntry
from lms_core.people import Person
from tests.conftest import bearer, login


def person_json(demo: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "staff_code": "GL-90001",
        "full_name": "Huỳnh Thị Kim Oanh",
        "email": "oanh@gialai.gov.vn",
        "category": "cong_chuc",
        "unit_id": demo.units["GL-X-PHUCAT"].id,
        "position_id": demo.positions["KT-DATDAI"].id,
        "start_date": "2026-07-01",
    } | overrides


def count_people(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(Person))


def test_create_person_through_the_api(client: Any, demo: Any, app_db: Any) -> None:
    response = client.post("/api/v1/people", json=person_json(demo), headers=bearer(client, "demo.hr"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["full_name"] == "Huỳnh Thị Kim Oanh" and body["unit"]["code"] == "GL-X-PHUCAT"
    actions = app_db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(body["id"]))).all()
    assert actions == ["person.created"]


def test_duplicate_code_unknown_unit_and_bad_email_write_nothing(client: Any, demo: Any, app_db: Any) -> None:
    before = count_people(app_db)
    headers = bearer(client, "demo.hr")
    cases = {
        "staff_code": person_json(demo, staff_code="GL-00001"),
        "unit_id": person_json(demo, unit_id=987654),
        "email": person_json(demo, email="oanh@@gialai"),
    }
    for field, payload in cases.items():
        response = client.post("/api/v1/people", json=payload, headers=headers)
        assert response.status_code == 400, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "validation_error"
        assert set(error["fields"]) == {field}
    english = client.post(
        "/api/v1/people", json=cases["staff_code"], headers=headers | {"Accept-Language": "en"}
    ).get_json()
    assert "already exists" in english["error"]["fields"]["staff_code"]
    assert count_people(app_db) == before
    assert app_db.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_wrong_types_are_a_400_naming_the_field(client: Any, demo: Any) -> None:
    response = client.post(
        "/api/v1/people",
        json=person_json(demo, unit_id="xã", start_date="31/12/2026"),
        headers=bearer(client, "demo.hr"),
    )
    assert response.status_code == 400
    assert {"unit_id", "start_date"} <= set(response.get_json()["error"]["fields"])


def test_moving_a_person_out_of_scope_is_refused(client: Any, demo: Any, app_db: Any) -> None:
    person = demo.people["GL-00005"]  # Phường Quy Nhơn
    response = client.patch(
        f"/api/v1/people/{person.id}",
        json={"unit_id": demo.units["GL-X-IAGRAI"].id},
        headers=bearer(client, "demo.hr.quynhon"),
    )
    assert response.status_code == 403
    app_db.expire_all()
    assert app_db.get(Person, person.id).unit_id == demo.units["GL-P-QUYNHON"].id


def test_person_form_shows_every_error_in_vietnamese(client: Any, demo: Any, app_db: Any) -> None:
    login(client, "demo.hr")
    before = count_people(app_db)
    response = client.post(
        "/hr/people/new",
        data={"staff_code": "GL-00001", "full_name": "", "email": "sai", "category": "cong_chuc", "unit_id": "999999"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Mã cán bộ GL-00001 đã tồn tại.",
        "Họ và tên không được để trống.",
        "Địa chỉ email không hợp lệ.",
        "Đơn vị không tồn tại.",
    ):
        assert message in page
    assert 'aria-invalid="true"' in page
    assert count_people(app_db) == before


def test_hr_creates_a_person_an_account_and_a_mentor_grant_through_pages(client: Any, demo: Any, app_db: Any) -> None:
    login(client, "demo.hr")
    unit = demo.units["GL-X-PHUCAT"]
    response = client.post(
        "/hr/people/new",
        data={
            "staff_code": "GL-90002",
            "full_name": "Đinh Văn Blin",
            "category": "can_bo",
            "unit_id": str(unit.id),
            "active": "1",
        },
    )
    assert response.status_code == 302
    person = app_db.scalar(select(Person).where(Person.staff_code == "GL-90002"))
    assert (
        client.post(
            f"/hr/people/{person.id}/account", data={"username": "dv.blin", "password": "mat-khau-1234"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/hr/people/{person.id}/grants", data={"role": "mentor", "unit_id": str(unit.id)}).status_code
        == 302
    )
    page = client.get(f"/hr/people/{person.id}").get_data(as_text=True)
    assert "dv.blin" in page and "Người hướng dẫn" in page and "Xã Phù Cát" in page
    me = client.get("/api/v1/me", headers=bearer(client, "dv.blin", "mat-khau-1234")).get_json()
    assert sorted(me["roles"]) == ["learner", "mentor"]


def test_unit_tree_page_and_moving_a_unit(client: Any, demo: Any) -> None:
    login(client, "demo.hr")
    tree = client.get("/hr/units").get_data(as_text=True)
    assert tree.index("Tỉnh Gia Lai") < tree.index("Xã Ia Grai")
    headers = bearer(client, "demo.hr")
    response = client.patch(
        f"/api/v1/units/{demo.units['GL-X-IAGRAI'].id}", json={"parent_id": demo.units["GL-SNV"].id}, headers=headers
    )
    assert response.status_code == 200
    people = client.get("/api/v1/people?unit=GL-SNV&per_page=200", headers=headers).get_json()
    assert "GL-00001" in {p["staff_code"] for p in people["items"]}  # demo.official moved with the commune
