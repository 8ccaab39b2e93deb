"""Every HR route × every role: only HR whose scope covers the target may act.

The target always lies in Xã Ia Grai. ``demo.hr`` (province) may act; ``demo.hr.quynhon``
(HR of another ward) gets 403, as do the learner and the mentor; nobody signed in gets
401 on the API and the sign-in page on the UI.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from lms_core.accounts import account_for_person
from tests.conftest import bearer, login

OTHER_COMMUNE_HR = "demo.hr.quynhon"
ROLES = ["demo.official", "demo.mentor", OTHER_COMMUNE_HR, "anonymous", "demo.hr"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, Any] | None = None
    # Roles other than province HR that may legitimately use the route (read-only lists).
    also_allowed: tuple[str, ...] = ()

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def targets(demo: Any, db: Any) -> dict[str, Any]:
    official = demo.people["GL-00001"]
    account = account_for_person(db, official.id)
    return {
        "unit_b": demo.units["GL-X-IAGRAI"].id,
        "unit_b_code": "GL-X-IAGRAI",
        "province": demo.units["GL"].id,
        "person_b": official.id,
        "person_b_free": demo.people["GL-00102"].id,  # Xã Ia Grai, no account yet
        "account_b": account.id,
        "grant_b": account.grants[0].id,
        "position": demo.positions["KT-TAICHINH"].id,
        "category": "cong_chuc",
    }


UNIT_FORM = {"code": "GL-X-IAGRAI", "name": "Xã Ia Grai", "kind": "commune", "parent_id": "{province}", "active": "1"}
PERSON_FORM = {
    "staff_code": "GL-77777",
    "full_name": "Đỗ Thị Hồng Nhung",
    "email": "nhung@gialai.gov.vn",
    "category": "cong_chuc",
    "unit_id": "{unit_b}",
    "position_id": "{position}",
    "active": "1",
}

ROUTES = [
    # pages
    Route("GET", "/hr/units/{unit_b}"),
    Route("GET", "/hr/units/{unit_b}/edit"),
    Route("POST", "/hr/units/{unit_b}/edit", UNIT_FORM),
    Route("POST", "/hr/units/new", {"code": "GL-X-MOI", "name": "Xã Mới", "kind": "commune", "parent_id": "{unit_b}"}),
    Route("GET", "/hr/people?unit={unit_b}"),
    Route("GET", "/hr/people/{person_b}"),
    Route("GET", "/hr/people/{person_b}/edit"),
    Route("POST", "/hr/people/{person_b}/edit", PERSON_FORM | {"staff_code": "GL-00001"}),
    Route("POST", "/hr/people/new", PERSON_FORM),
    Route("POST", "/hr/people/{person_b_free}/account", {"username": "nguoi.moi", "password": "mat-khau-moi-1"}),
    Route("POST", "/hr/people/{person_b}/grants", {"role": "mentor", "unit_id": "{unit_b}"}),
    Route("POST", "/hr/grants/{grant_b}/revoke", {"person_id": "{person_b}"}),
    Route("POST", "/hr/positions/new", {"code": "KT-MOI", "name": "Vị trí mới", "field_code": "tai-chinh"}),
    Route("POST", "/hr/positions/{position}/edit", {"code": "KT-TAICHINH", "name": "Tài chính", "active": "1"}),
    Route("GET", "/hr/units", also_allowed=(OTHER_COMMUNE_HR,)),
    Route("GET", "/hr/people", also_allowed=(OTHER_COMMUNE_HR,)),
    Route("GET", "/hr/positions", also_allowed=(OTHER_COMMUNE_HR,)),
    # API
    Route("GET", "/api/v1/units/{unit_b}"),
    Route("PATCH", "/api/v1/units/{unit_b}", {"name": "Xã Ia Grai (mới)"}),
    Route("POST", "/api/v1/units", {"code": "GL-X-MOI", "name": "Xã Mới", "kind": "commune", "parent_id": "{unit_b}"}),
    Route("GET", "/api/v1/people?unit={unit_b_code}"),
    Route("GET", "/api/v1/people/{person_b}", also_allowed=("demo.official",)),  # oneself
    Route("PATCH", "/api/v1/people/{person_b}", {"full_name": "Nguyễn Thị Mai Anh"}),
    Route("POST", "/api/v1/people", PERSON_FORM | {"unit_id": "{unit_b}", "position_id": "{position}"}),
    Route("GET", "/api/v1/people/{person_b}/account"),
    Route("POST", "/api/v1/people/{person_b_free}/account", {"username": "nguoi.moi", "password": "mat-khau-moi-1"}),
    Route("POST", "/api/v1/accounts/{account_b}/grants", {"role": "mentor", "unit_id": "{unit_b}"}),
    Route("DELETE", "/api/v1/grants/{grant_b}"),
    Route("POST", "/api/v1/positions", {"code": "KT-MOI", "name": "Vị trí mới", "field_code": "tai-chinh"}),
    Route("PATCH", "/api/v1/positions/{position}", {"name": "Tài chính - kế hoạch"}),
    Route("GET", "/api/v1/units", also_allowed=(OTHER_COMMUNE_HR,)),
    Route("GET", "/api/v1/people", also_allowed=(OTHER_COMMUNE_HR,)),
    Route("GET", "/api/v1/positions", also_allowed=("demo.official", "demo.mentor", OTHER_COMMUNE_HR)),
]


def fill(value: Any, ids: dict[str, Any], api: bool) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, ids, api) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        resolved = ids[value[1:-1]]
        return resolved if api else str(resolved)
    return value


def call(client: Any, route: Route, ids: dict[str, Any], headers: dict[str, str]) -> Any:
    path = route.path.format(**ids)
    body = fill(route.body, ids, route.is_api) if route.body else None
    if route.is_api:
        return client.open(path, method=route.method, json=body, headers=headers)
    return client.open(path, method=route.method, data=body)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_checks_role_and_unit_scope(app: Any, demo: Any, app_db: Any, route: Route) -> None:
    ids = targets(demo, app_db)
    for role in ROLES:
        client = app.test_client()
        headers: dict[str, str] = {}
        if role != "anonymous":
            if route.is_api:
                headers = bearer(client, role)
            else:
                login(client, role)
        response = call(client, route, ids, headers)
        status = response.status_code
        if role == "anonymous":
            expected = 401 if route.is_api else 302
            assert status == expected, (role, status)
            if not route.is_api:
                assert "/login" in response.headers["Location"]
        elif role == "demo.hr" or role in route.also_allowed:
            assert status in (200, 201, 204, 302), (role, status, response.get_data(as_text=True)[:500])
        else:
            assert status == 403, (role, status, response.get_data(as_text=True)[:300])
            if route.is_api:
                assert response.get_json()["error"]["code"] == "forbidden"


def test_other_commune_hr_lists_only_their_own_people_and_units(app: Any, demo: Any, client: Any) -> None:
    headers = bearer(client, OTHER_COMMUNE_HR)
    people = client.get("/api/v1/people?per_page=200", headers=headers).get_json()
    assert people["total"] > 0
    assert {p["unit"]["code"] for p in people["items"]} == {"GL-P-QUYNHON"}
    units = client.get("/api/v1/units", headers=headers).get_json()["items"]
    assert [u["code"] for u in units] == ["GL-P-QUYNHON"]
    login(client, OTHER_COMMUNE_HR)
    page = client.get("/hr/people").get_data(as_text=True)
    assert "Nguyễn Thị Mai" not in page  # demo.official works in Xã Ia Grai
    assert "Phường Quy Nhơn" in page
