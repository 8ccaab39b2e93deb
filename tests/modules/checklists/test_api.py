"""The JSON API: the official's work, the mentor queue contract, sign-off, HR."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.catalog import Activity
from lms_core.statements import VOIDED, Statement
from modules.checklists.models import SignOff
from tests.conftest import bearer
from tests.modules.checklists.conftest import PNG, SITE, SLUG, add_account

IRI = f"{SITE}/activities/checklist/{SLUG}"


def submit_everything(web: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The official gives evidence, checks every item and sends them for review, by the API."""
    detail = web.get(f"/api/v1/checklists/{SLUG}", headers=headers).get_json()
    items = [item for section in detail["sections"] for item in section["items"]]
    for item in items:
        base = f"/api/v1/checklists/{SLUG}/items/{item['id']}"
        if item["evidence"] in ("file", "file_or_case_number"):
            response = web.post(
                f"{base}/evidence",
                data={"file": (io.BytesIO(PNG), "anh.png")},
                headers=headers,
                content_type="multipart/form-data",
            )
            assert response.status_code == 201, response.get_json()
        assert web.put(f"{base}/mark", json={"checked": True}, headers=headers).status_code == 200
    sent = web.post(f"/api/v1/checklists/{SLUG}/review-requests", json={}, headers=headers)
    assert sent.status_code == 201, sent.get_json()
    assert {item["status"] for item in sent.get_json()["items"]} == {"submitted"}
    return items


def test_the_official_sees_their_checklists_and_progress(web: Any) -> None:
    headers = bearer(web, "demo.official")
    listing = web.get("/api/v1/checklists", headers=headers).get_json()["items"]
    assert [(c["slug"], c["required"], c["status"], c["done"], c["total"]) for c in listing] == [
        (SLUG, True, "not_started", 0, 12)
    ]
    assert listing[0]["id"] == IRI and listing[0]["periods"] == 4 and listing[0]["field"] == "tai-chinh"

    marked = web.put(f"/api/v1/checklists/{SLUG}/items/s2-4/mark", json={"checked": True}, headers=headers)
    assert marked.get_json()["status"] == "done"
    detail = web.get(f"/api/v1/checklists/{SLUG}", headers=headers).get_json()
    assert detail["status"] == "in_progress" and detail["done"] == 1
    item = detail["sections"][1]["items"][3]
    assert item["id"] == "s2-4" and item["sign_off"] == "self" and item["own_mark"]["marked_at"]
    assert item["mentor_sign_off"] is None
    assert web.get("/api/v1/checklists/khong-co", headers=headers).status_code == 404
    assert web.get("/api/v1/checklists").status_code == 401


def test_mentor_queue_contract_and_sign_off(web: Any, app_db: Session) -> None:
    official, mentor = bearer(web, "demo.official"), bearer(web, "demo.mentor")
    assert web.get("/api/v1/mentor/queue", headers=mentor).get_json() == {"items": []}
    submit_everything(web, official)

    queue = web.get("/api/v1/mentor/queue", headers=mentor)
    assert queue.status_code == 200
    body = queue.get_json()
    assert set(body) == {"items"}
    assert len(body["items"]) == 10
    first = body["items"][0]
    assert first["person"] == {"id": web.demo.people["GL-00001"].id, "staff_code": "GL-00001", "name": "Nguyễn Thị Mai"}
    assert first["checklist"]["id"] == IRI and first["checklist"]["slug"] == SLUG
    assert first["item"]["id"] == "s1-1" and first["item"]["status"] == "submitted"
    assert first["item"]["sign_off"] == "mentor" and first["item"]["evidence_ok"] is True
    assert first["item"]["evidence_list"][0]["url"].startswith("/api/v1/checklists/evidence/")
    assert first["requested_at"]
    assert {item["item"]["sign_off"] for item in body["items"]} == {"mentor"}

    for username in ("demo.official", "demo.hr"):
        assert web.get("/api/v1/mentor/queue", headers=bearer(web, username)).get_json() == {"items": []}
    assert web.get("/api/v1/mentor/queue").status_code == 401

    signed = web.post(first["sign_off_url"], json={"comment": "Đạt"}, headers=mentor)
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["mentor_sign_off"]["mentor"]["staff_code"] == "GL-00002"
    again = web.post(first["sign_off_url"], json={"comment": "Lần hai"}, headers=mentor)
    assert again.status_code == 409
    assert again.get_json()["error"] == {"code": "already_signed_off", "message": "Mục này đã được xác nhận."}
    assert len(web.get("/api/v1/mentor/queue", headers=mentor).get_json()["items"]) == 9

    returned = web.post(body["items"][1]["return_url"], json={"message": "Bổ sung bảng tính."}, headers=mentor)
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["returned"]["message"] == "Bổ sung bảng tính."
    assert web.post(body["items"][2]["return_url"], json={"message": ""}, headers=mentor).status_code == 400


def test_refused_sign_offs_answer_403_and_are_audited(web: Any, app_db: Session) -> None:
    add_account(app_db, web.demo, "GL-00102", "mentor.khac", ("mentor", "GL-X-IAGRAI"))
    app_db.commit()
    submit_everything(web, bearer(web, "demo.official"))
    person_id = web.demo.people["GL-00001"].id
    url = f"/api/v1/people/{person_id}/checklists/{SLUG}/items/s1-1/sign-off"
    for username in ("mentor.khac", "demo.official", "demo.hr"):
        response = web.post(url, json={"comment": "Tôi xác nhận"}, headers=bearer(web, username))
        assert response.status_code == 403, username
        assert response.get_json()["error"]["code"] == "forbidden"
    app_db.rollback()  # end the read snapshot: see what the requests committed
    assert app_db.scalars(select(SignOff)).all() == []
    refused = app_db.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.sign_off_refused")).all()
    assert len(refused) == 3
    assert {e.data["why"] for e in refused} == {"not_assigned", "own_item"}
    # Not a mentee: the checklist itself is not shown either.
    response = web.get(f"/api/v1/people/{person_id}/checklists/{SLUG}", headers=bearer(web, "mentor.khac"))
    assert response.status_code == 403


def test_completion_by_api_then_hr_revokes_it(web: Any, app_db: Session) -> None:
    official, mentor, hr = bearer(web, "demo.official"), bearer(web, "demo.mentor"), bearer(web, "demo.hr")
    submit_everything(web, official)
    for entry in web.get("/api/v1/mentor/queue", headers=mentor).get_json()["items"]:
        assert web.post(entry["sign_off_url"], json={}, headers=mentor).status_code == 200
    detail = web.get(f"/api/v1/checklists/{SLUG}", headers=official).get_json()
    assert detail["status"] == "completed" and detail["done"] == detail["total"] == 12
    catalog = web.get("/api/v1/catalog", headers=official).get_json()["items"]
    assert next(i for i in catalog if i["id"] == IRI)["status"] == "completed"

    person_id = web.demo.people["GL-00001"].id
    url = f"/api/v1/people/{person_id}/checklists/{SLUG}/items/s3-2/revoke"
    other_hr = web.post(url, json={"reason": "Thử"}, headers=bearer(web, "demo.hr.quynhon"))
    assert other_hr.status_code == 403
    assert web.post(url, json={"reason": "Thử"}, headers=mentor).status_code == 403
    refused = app_db.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.revoke_refused")).all()
    assert len(refused) == 2
    revoked = web.post(url, json={"reason": "Tờ trình chưa đúng mẫu."}, headers=hr)
    assert revoked.status_code == 200, revoked.get_json()
    assert revoked.get_json()["status"] == "revoked"
    assert revoked.get_json()["revoked"]["reason"] == "Tờ trình chưa đúng mẫu."
    app_db.rollback()  # end the read snapshot: see what the requests committed
    completed = app_db.scalars(select(Statement).where(Statement.verb_id.endswith("/completed"))).one()
    assert completed.voided
    assert app_db.scalars(select(Statement).where(Statement.verb_id == VOIDED)).one()
    detail = web.get(f"/api/v1/people/{person_id}/checklists/{SLUG}", headers=hr).get_json()
    assert detail["status"] == "in_progress" and detail["done"] == 11
    assert web.post(url, json={"reason": "Lần nữa"}, headers=hr).status_code == 404


def test_a_revoked_sign_off_withdraws_the_credited_periods_at_once(web: Any, app_db: Session) -> None:
    if "credits" not in web.application.config["MODULES"]:
        pytest.skip("the credits module is not enabled")
    official, mentor, hr = bearer(web, "demo.official"), bearer(web, "demo.mentor"), bearer(web, "demo.hr")
    person_id = web.demo.people["GL-00001"].id
    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    hours_url = f"/api/v1/people/{person_id}/hours?year={year}"
    before = web.get(hours_url, headers=official).get_json()["credited"]
    submit_everything(web, official)
    for entry in web.get("/api/v1/mentor/queue", headers=mentor).get_json()["items"]:
        assert web.post(entry["sign_off_url"], json={}, headers=mentor).status_code == 200
    periods = app_db.scalar(select(Activity.periods).where(Activity.iri == IRI))
    assert web.get(hours_url, headers=official).get_json()["credited"] == before + periods
    revoke = f"/api/v1/people/{person_id}/checklists/{SLUG}/items/s3-2/revoke"
    assert web.post(revoke, json={"reason": "Tờ trình chưa đúng mẫu."}, headers=hr).status_code == 200
    assert web.get(hours_url, headers=official).get_json()["credited"] == before


def test_hr_assigns_and_ends_mentors(web: Any, app_db: Session) -> None:
    demo = web.demo
    hr, other_hr = bearer(web, "demo.hr"), bearer(web, "demo.hr.quynhon")
    official_id = demo.people["GL-00102"].id
    body = {"official_id": official_id, "mentor_staff_code": "GL-00002", "checklist": SLUG, "start_date": "2026-02-01"}
    assert web.post("/api/v1/mentor-assignments", json=body, headers=other_hr).status_code == 403
    assert web.post("/api/v1/mentor-assignments", json=body, headers=bearer(web, "demo.mentor")).status_code == 403
    bad = web.post("/api/v1/mentor-assignments", json=body | {"mentor_staff_code": "GL-00102"}, headers=hr)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["fields"] == {"mentor": "Cán bộ không thể là người hướng dẫn của chính mình."}

    created = web.post("/api/v1/mentor-assignments", json=body, headers=hr)
    assert created.status_code == 201, created.get_json()
    out = created.get_json()
    assert out["mentor"]["staff_code"] == "GL-00002" and out["checklist"] == SLUG
    assert out["start_date"] == "2026-02-01" and out["end_date"] is None and out["active"] is True
    assert web.post("/api/v1/mentor-assignments", json=body, headers=hr).status_code == 400  # overlaps

    listed = web.get(f"/api/v1/people/{official_id}/mentor-assignments", headers=hr).get_json()["items"]
    assert [a["id"] for a in listed] == [out["id"]]
    assert web.get(f"/api/v1/people/{official_id}/mentor-assignments", headers=other_hr).status_code == 403

    ended = web.post(f"/api/v1/mentor-assignments/{out['id']}/end", json={"end_date": "2026-03-01"}, headers=hr)
    assert ended.status_code == 200
    assert ended.get_json()["end_date"] == "2026-03-01" and ended.get_json()["active"] is False
    actions = app_db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(official_id))).all()
    assert actions == ["checklists.mentor_assigned", "checklists.mentor_assignment_ended"]


def test_the_openapi_document_lists_the_checklist_routes(web: Any) -> None:
    spec = web.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/mentor/queue" in spec["paths"]
    assert "/api/v1/checklists/{slug}/items/{key}/evidence" in spec["paths"]
    assert "/api/v1/people/{person_id}/checklists/{slug}/items/{key}/sign-off" in spec["paths"]
