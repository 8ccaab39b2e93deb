"""The hours API (a fixed contract), the requirement rules API, the pages and the CLI, with
the credits module enabled in the app (HOCVU_MODULES=hr,credits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, activity_iri, upsert_activity
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
from lms_core.uow import UnitOfWork
from modules.credits.models import Credit, RequirementRule
from tests.conftest import bearer, login
from tests.modules.credits.helpers import SITE, parse, snapshot

OTHER_COMMUNE_HR = "demo.hr.quynhon"


def complete(app: Any, session: Session, staff: str, slug: str, at: str, periods: int = 4) -> str:
    """Store a completion through the app's registry, as the courses module would."""
    with app.app_context():
        publish = app.extensions["hocvu_registry"].publish
        activity = session.scalar(select(Activity).where(Activity.iri == activity_iri(SITE, "course", slug)))
        if activity is None:
            activity = upsert_activity(
                session,
                iri=activity_iri(SITE, "course", slug),
                type="course",
                title=f"Khóa học {slug}",
                periods=periods,
                field_code="tai-chinh",
                module="courses",
            )
            UnitOfWork(session, publish).commit()
        statement = build_statement(
            actor=account_agent(SITE, staff),
            verb="completed",
            activity_iri=activity.iri,
            activity_name=activity.title,
            timestamp=parse(at),
        )
        row = store_statement(session, statement, hocvu_authority(SITE, "courses"))
        UnitOfWork(session, publish).commit()
        return row.id


def test_the_hours_api_answers_the_person_and_hr_over_them_only(credits_app: Any, client: Any, demo: Any) -> None:
    mai = demo.people["GL-00001"]  # demo.official, Xã Ia Grai
    url = f"/api/v1/people/{mai.id}/hours?year=2026"
    own = client.get(url, headers=bearer(client, "demo.official"))
    assert own.status_code == 200, own.get_json()
    body = own.get_json()
    assert {"required", "credited", "by_field", "items"} <= set(body)
    assert (body["required"], body["credited"], body["items"]) == (40, 0, [])
    assert client.get(url, headers=bearer(client, "demo.hr")).status_code == 200
    for other in (OTHER_COMMUNE_HR, "demo.mentor"):
        denied = client.get(url, headers=bearer(client, other))
        assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "forbidden"
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/people/987654/hours", headers=bearer(client, "demo.hr")).status_code == 404
    assert client.get(f"{url[:-4]}1800", headers=bearer(client, "demo.hr")).status_code == 400


def test_a_completion_shows_in_the_hours_with_the_rule_that_applies(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    sid = complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00")
    hr = bearer(client, "demo.hr")
    created = client.post(
        "/api/v1/credits/rules",
        json={
            "year": 2026,
            "name": "Công chức cấp xã 2026",
            "periods": 48,
            "category": "cong_chuc",
            "unit_id": demo.units["GL-X-IAGRAI"].id,
            "caps": [{"kind": "online", "max_periods": 32}],
        },
        headers=hr,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["caps"] == [{"kind": "online", "value": None, "max_periods": 32}]
    body = client.get(f"/api/v1/people/{mai.id}/hours?year=2026", headers=bearer(client, "demo.official")).get_json()
    assert (body["required"], body["credited"]) == (48, 4)
    assert body["explanation"] == "48 tiết: quy định 'Công chức cấp xã 2026'"
    assert body["by_field"] == [{"field": "tai-chinh", "name": "Tài chính", "periods": 4}]
    [item] = body["items"]
    assert (item["statement_id"], item["date"], item["periods"], item["counted"]) == (sid, "2026-03-10", 4, 4)


def test_rules_api_within_hr_scope(credits_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    province_hr, ward_hr = bearer(client, "demo.hr"), bearer(client, OTHER_COMMUNE_HR)
    ward = demo.units["GL-P-QUYNHON"].id
    province_wide = client.post(
        "/api/v1/credits/rules", json={"year": 2026, "name": "Toàn tỉnh", "periods": 40}, headers=province_hr
    )
    assert province_wide.status_code == 201
    rule_id = province_wide.get_json()["id"]
    assert (
        client.post(
            "/api/v1/credits/rules", json={"year": 2026, "name": "Của tôi", "periods": 30}, headers=ward_hr
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/credits/rules",
            json={"year": 2026, "name": "Xã khác", "periods": 30, "unit_id": demo.units["GL-X-IAGRAI"].id},
            headers=ward_hr,
        ).status_code
        == 403
    )
    own = client.post(
        "/api/v1/credits/rules",
        json={"year": 2026, "name": "Phường Quy Nhơn", "periods": 36, "unit_id": ward, "pro_rata": True},
        headers=ward_hr,
    )
    assert own.status_code == 201
    listed = client.get("/api/v1/credits/rules?year=2026", headers=ward_hr).get_json()
    assert listed["default_periods"] == 40
    assert [(r["name"], r["editable"]) for r in listed["items"]] == [("Phường Quy Nhơn", True), ("Toàn tỉnh", False)]
    assert client.patch(f"/api/v1/credits/rules/{rule_id}", json={"periods": 1}, headers=ward_hr).status_code == 403
    patched = client.patch(f"/api/v1/credits/rules/{rule_id}", json={"periods": 44}, headers=province_hr)
    assert patched.status_code == 200 and patched.get_json()["periods"] == 44
    bad = client.post(
        "/api/v1/credits/rules",
        json={
            "year": 2026,
            "name": "Toàn tỉnh",
            "periods": 40,
            "caps": [{"kind": "field", "value": "khong-co", "max_periods": 2}],
        },
        headers=province_hr,
    )
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"name", "caps"}
    assert client.get("/api/v1/credits/rules?year=2026", headers=bearer(client, "demo.official")).status_code == 403
    assert client.delete(f"/api/v1/credits/rules/{rule_id}", headers=province_hr).status_code == 204
    app_db.rollback()
    assert app_db.scalar(select(func.count()).select_from(RequirementRule)) == 1


def test_my_hours_page(credits_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00")
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-04-10T09:00:00+07:00")
    login(client, "demo.official")
    page = client.get("/hours?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Giờ học của tôi" in html and '<progress max="40"' in html and 'value="4"' in html
    assert "Khóa học dau-thau" in html and "10/03/2026" in html
    assert "mỗi hoạt động chỉ tính một lần" in html  # the retake, with its reason
    assert "Còn thiếu 36 tiết." in html
    assert client.get("/hours?year=nam-ngoai").status_code == 200  # an odd year falls back to this year
    mai = demo.people["GL-00001"]
    login(client, OTHER_COMMUNE_HR)
    assert client.get(f"/hours/{mai.id}").status_code == 403
    login(client, "demo.hr")
    assert "Nguyễn Thị Mai" in client.get(f"/hours/{mai.id}?year=2026").get_data(as_text=True)


def test_rules_pages(credits_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    login(client, "demo.official")
    assert client.get("/credits/rules").status_code == 403
    province_wide = client.post(
        "/api/v1/credits/rules",
        json={"year": 2026, "name": "Toàn tỉnh", "periods": 40},
        headers=bearer(client, "demo.hr"),
    ).get_json()["id"]
    login(client, OTHER_COMMUNE_HR)
    assert client.get(f"/credits/rules/{province_wide}/edit").status_code == 403
    assert client.post(f"/credits/rules/{province_wide}/delete").status_code == 403
    assert "cấp trên quy định" in client.get("/credits/rules?year=2026").get_data(as_text=True)
    client.delete(f"/api/v1/credits/rules/{province_wide}", headers=bearer(client, "demo.hr"))
    login(client, "demo.hr")
    form = {
        "year": "2026",
        "name": "Lãnh đạo cấp xã 2026",
        "periods": "56",
        "category": "can_bo",
        "is_leader": "1",
        "pro_rata": "1",
        "cap_online": "24",
        "cap_field_tai-chinh": "8",
    }
    created = client.post("/credits/rules/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)
    rule = app_db.scalar(select(RequirementRule))
    assert rule is not None and (rule.periods, rule.is_leader, rule.pro_rata) == (56, True, True)
    assert sorted((c.kind, c.value, c.max_periods) for c in rule.caps) == [
        ("field", "tai-chinh", 8),
        ("online", None, 24),
    ]
    listing = client.get("/credits/rules?year=2026").get_data(as_text=True)
    assert "Lãnh đạo cấp xã 2026" in listing and "Tối đa 24 tiết học trực tuyến được tính" in listing
    wrong = client.post("/credits/rules/new", data=form | {"periods": "nhiều", "name": ""})
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in wrong.get_data(as_text=True)
    edit = client.post(f"/credits/rules/{rule.id}/edit", data=form | {"periods": "60", "cap_online": ""})
    assert edit.status_code == 302
    app_db.rollback()  # end the read transaction, to see what the app committed
    assert app_db.get(RequirementRule, rule.id).periods == 60
    assert [c.kind for c in app_db.get(RequirementRule, rule.id).caps] == ["field"]
    assert client.post(f"/credits/rules/{rule.id}/delete").status_code == 302
    app_db.rollback()
    assert app_db.scalar(select(func.count()).select_from(RequirementRule)) == 0


def test_credits_rebuild_command_equals_the_incremental_ledger(credits_app: Any, demo: Any, app_db: Session) -> None:
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00")
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-12-31T17:30:00Z")
    complete(credits_app, app_db, "GL-00002", "dau-thau", "2025-06-01T09:00:00+07:00")
    incremental = snapshot(app_db)
    assert len(incremental[0]) == 3
    runner = credits_app.test_cli_runner()
    result = runner.invoke(args=["credits", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 credits (+0 -0 ~0)" in result.output
    assert snapshot(app_db) == incremental
    app_db.execute(Credit.__table__.delete())
    app_db.commit()
    result = runner.invoke(args=["credits", "rebuild", "--year", "2027"])
    assert result.exit_code == 0 and "1 credits (+1 -0 ~0)" in result.output
    assert [c.year for c in app_db.scalars(select(Credit))] == [2027]
