"""Closing a year: the totals are kept, later changes of the year are corrections with
their reason, HR actions on a closed year need a reason; and what the position's
curriculum still requires, with its due day."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.catalog import Activity, activity_iri, set_curriculum_item
from lms_core.people import Position
from modules.credits.models import ClosingTotal, Correction
from tests.conftest import bearer, login
from tests.modules.credits.helpers import SITE
from tests.modules.credits.test_api import complete as complete_in_app
from tests.modules.credits.test_claims import CLAIM, PDF


def complete(app: Any, session: Session, staff: str, slug: str, at: str, periods: int = 4) -> str:
    # End this session's read first: on SQLite a write from a transaction that began before
    # the app's last commit is refused.
    session.rollback()
    return complete_in_app(app, session, staff, slug, at, periods)


def close(client: Any, username: str, unit_id: int, year: int = 2026, note: str = "Chốt số liệu báo cáo năm") -> Any:
    return client.post(
        "/api/v1/credits/closings",
        json={"unit_id": unit_id, "year": year, "note": note},
        headers=bearer(client, username),
    )


def test_closing_keeps_the_totals_and_later_credits_are_corrections(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai, commune = demo.people["GL-00001"], demo.units["GL-X-IAGRAI"]
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00", periods=4)

    assert close(client, "demo.hr.quynhon", commune.id).status_code == 403  # another ward's HR
    closed = close(client, "demo.hr", commune.id)
    assert closed.status_code == 201, closed.get_json()
    body = closed.get_json()
    people_in_commune = sum(1 for p in demo.people.values() if p.unit_id == commune.id)
    assert body["people"] == people_in_commune and body["corrections"] == []
    assert app_db.get(ClosingTotal, (body["id"], mai.id)).credited == 4
    assert close(client, "demo.hr", commune.id).status_code == 409  # once
    assert close(client, "demo.hr", commune.id, year=2099).status_code == 400

    # A completion that arrives after closing is applied, and shown as a correction.
    late = complete(credits_app, app_db, "GL-00001", "ngan-sach", "2026-11-20T09:00:00+07:00", periods=6)
    hours = client.get(f"/api/v1/people/{mai.id}/hours?year=2026", headers=bearer(client, "demo.official")).get_json()
    assert hours["credited"] == 10
    assert (hours["closing"]["credited"], hours["closing"]["required"]) == (4, hours["required"])
    [correction] = hours["closing"]["corrections"]
    assert (correction["periods_before"], correction["periods_after"], correction["statement_id"]) == (0, 6, late)
    assert late in correction["reason"]
    detail = client.get(f"/api/v1/credits/closings/{body['id']}", headers=bearer(client, "demo.hr")).get_json()
    assert [c["statement_id"] for c in detail["corrections"]] == [late]
    # Other years and other units are not corrections.
    complete(credits_app, app_db, "GL-00001", "quy-hoach", "2025-06-01T09:00:00+07:00")
    complete(credits_app, app_db, "GL-00005", "quy-hoach", "2026-06-01T09:00:00+07:00")
    assert len(app_db.scalars(select(Correction)).all()) == 1
    # The province may still close the year above the commune; its people are then covered too.
    assert close(client, "demo.hr", demo.units["GL"].id).status_code == 201
    complete(credits_app, app_db, "GL-00005", "dau-thau", "2026-06-01T09:00:00+07:00")
    assert len(app_db.scalars(select(Correction)).all()) == 2

    login(client, "demo.hr")
    page = client.get(f"/credits/closings/{body['id']}").get_data(as_text=True)
    assert "Điều chỉnh số tiết sau khi chốt" in page and late in page
    assert "đã chốt số liệu" in client.get(f"/hours/{mai.id}?year=2026").get_data(as_text=True)


def test_hr_actions_on_a_closed_year_need_a_reason(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    commune = demo.units["GL-X-IAGRAI"]
    claim = client.post(
        "/api/v1/claims",
        data={**CLAIM, "evidence": (io.BytesIO(PDF), "gcn.pdf")},
        headers=bearer(client, "demo.official"),
        content_type="multipart/form-data",
    ).get_json()
    assert close(client, "demo.hr", commune.id).status_code == 201
    hr = bearer(client, "demo.hr")

    refused = client.post(f"/api/v1/credits/claims/{claim['id']}/approve", json={}, headers=hr)
    assert refused.status_code == 400 and "reason" in refused.get_json()["error"]["fields"]
    reason = "Cán bộ nộp bổ sung giấy chứng nhận sau khi chốt"
    approved = client.post(f"/api/v1/credits/claims/{claim['id']}/approve", json={"reason": reason}, headers=hr)
    assert approved.status_code == 200, approved.get_json()
    [correction] = app_db.scalars(select(Correction)).all()
    assert correction.periods_after == 40 and reason in correction.reason
    assert correction.account_id == demo.accounts["demo.hr"].id

    rule = {"year": 2026, "name": "Công chức Xã Ia Grai bổ sung", "periods": 36, "unit_id": commune.id}
    no_reason = client.post("/api/v1/credits/rules", json=rule, headers=hr)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    # A rule for a unit nobody closed is not a correction.
    other = {**rule, "name": "Phường Quy Nhơn", "unit_id": demo.units["GL-P-QUYNHON"].id}
    assert client.post("/api/v1/credits/rules", json=other, headers=hr).status_code == 201
    created = client.post("/api/v1/credits/rules", json={**rule, "reason": "Điều chỉnh theo văn bản mới"}, headers=hr)
    assert created.status_code == 201
    rule_id = created.get_json()["id"]
    assert client.delete(f"/api/v1/credits/rules/{rule_id}", headers=hr).status_code == 400
    assert client.delete(f"/api/v1/credits/rules/{rule_id}?reason=Nhập%20nhầm", headers=hr).status_code == 204
    app_db.rollback()  # a fresh snapshot
    entries = app_db.scalars(select(AuditEntry).where(AuditEntry.target_type == "credits_rule")).all()
    assert [(e.action, e.reason, e.data["closed_year"]) for e in entries] == [
        ("credits.rule_created", "", False),
        ("credits.rule_created", "Điều chỉnh theo văn bản mới", True),
        ("credits.rule_deleted", "Nhập nhầm", True),
    ]
    login(client, "demo.hr")
    closing_id = client.get("/api/v1/credits/closings", headers=hr).get_json()["items"][0]["id"]
    assert "Nhập nhầm" in client.get(f"/credits/closings/{closing_id}").get_data(as_text=True)


def test_the_closing_page_closes_a_year_and_refuses_bad_input(credits_app: Any, client: Any, demo: Any) -> None:
    login(client, "demo.hr.quynhon")
    page = client.get("/credits/closings").get_data(as_text=True)
    assert "Phường Quy Nhơn" in page and "Xã Ia Grai" not in page  # only units in scope to choose
    bad = client.post("/credits/closings", data={"unit_id": "", "year": "năm"})
    assert bad.status_code == 400 and "Chọn đơn vị" in bad.get_data(as_text=True)
    denied = client.post("/credits/closings", data={"unit_id": demo.units["GL-X-IAGRAI"].id, "year": "2026"})
    assert denied.status_code == 403
    done = client.post("/credits/closings", data={"unit_id": demo.units["GL-P-QUYNHON"].id, "year": "2026"})
    assert done.status_code == 302
    assert "Chốt số liệu năm 2026" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_the_hours_say_what_the_curriculum_still_requires_and_by_when(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00")  # creates the activity
    complete(credits_app, app_db, "GL-00002", "ngan-sach", "2026-03-10T09:00:00+07:00")
    position = app_db.get(Position, mai.position_id)
    for slug, rule in (("dau-thau", "year_end"), ("ngan-sach", "year_end")):
        activity = app_db.scalar(select(Activity).where(Activity.iri == activity_iri(SITE, "course", slug)))
        set_curriculum_item(app_db, position, activity, required=True, due_rule=rule)
    app_db.commit()
    hours = client.get(f"/api/v1/people/{mai.id}/hours?year=2026", headers=bearer(client, "demo.official")).get_json()
    assert [(d["title"], d["due"]) for d in hours["curriculum_due"]] == [("Khóa học ngan-sach", "2026-12-31")]
    assert hours["curriculum_due"][0]["periods"] == 4
    complete(credits_app, app_db, "GL-00001", "ngan-sach", "2026-04-01T09:00:00+07:00")
    hours = client.get(f"/api/v1/people/{mai.id}/hours?year=2026", headers=bearer(client, "demo.official")).get_json()
    assert hours["curriculum_due"] == []
    # A new year asks again for what is due by the year's end.
    hours = client.get(f"/api/v1/people/{mai.id}/hours?year=2027", headers=bearer(client, "demo.official")).get_json()
    assert [(d["title"], d["due"]) for d in hours["curriculum_due"]] == [
        ("Khóa học dau-thau", "2027-12-31"),
        ("Khóa học ngan-sach", "2027-12-31"),
    ]


def test_an_item_due_days_after_the_start_is_due_once_and_can_be_overdue(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    from datetime import date

    mai = demo.people["GL-00001"]
    complete(credits_app, app_db, "GL-00002", "nhap-mon", "2026-03-10T09:00:00+07:00")  # creates the activity
    activity = app_db.scalar(select(Activity).where(Activity.iri == activity_iri(SITE, "course", "nhap-mon")))
    set_curriculum_item(app_db, app_db.get(Position, mai.position_id), activity, required=True, due_rule="days:30")
    app_db.get(type(mai), mai.id).start_date = None
    app_db.commit()
    url = f"/api/v1/people/{mai.id}/hours?year=2026"
    [due] = client.get(url, headers=bearer(client, "demo.official")).get_json()["curriculum_due"]
    assert (due["due"], due["overdue"]) == (None, False)  # no start date: no day to show
    app_db.get(type(mai), mai.id).start_date = date(2026, 1, 5)
    app_db.commit()
    [due] = client.get(url, headers=bearer(client, "demo.official")).get_json()["curriculum_due"]
    assert (due["due"], due["overdue"]) == ("2026-02-04", True)
    complete(credits_app, app_db, "GL-00001", "nhap-mon", "2025-06-01T09:00:00+07:00")  # done once, in 2025
    assert client.get(url, headers=bearer(client, "demo.official")).get_json()["curriculum_due"] == []


def test_a_province_closing_over_a_closed_commune_lists_the_corrections_too(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    commune_closing = close(client, "demo.hr", demo.units["GL-X-IAGRAI"].id).get_json()["id"]
    province_closing = close(client, "demo.hr", demo.units["GL"].id).get_json()["id"]
    late = complete(credits_app, app_db, "GL-00001", "ngan-sach", "2026-11-20T09:00:00+07:00", periods=6)
    hr = bearer(client, "demo.hr")
    for closing_id in (commune_closing, province_closing):
        detail = client.get(f"/api/v1/credits/closings/{closing_id}", headers=hr).get_json()
        assert [c["statement_id"] for c in detail["corrections"]] == [late]


def test_someone_who_moved_after_the_closing_is_still_corrected_against_it(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai_id, commune_id, ward_id = (
        demo.people["GL-00001"].id,
        demo.units["GL-X-IAGRAI"].id,
        demo.units["GL-P-QUYNHON"].id,
    )
    closing_id = close(client, "demo.hr", commune_id).get_json()["id"]
    moved = client.patch(f"/api/v1/people/{mai_id}", json={"unit_id": ward_id}, headers=bearer(client, "demo.hr"))
    assert moved.status_code == 200, moved.get_json()
    late = complete(credits_app, app_db, "GL-00001", "ngan-sach", "2026-11-20T09:00:00+07:00", periods=6)
    detail = client.get(f"/api/v1/credits/closings/{closing_id}", headers=bearer(client, "demo.hr")).get_json()
    assert [c["statement_id"] for c in detail["corrections"]] == [late]
    hours = client.get(f"/api/v1/people/{mai_id}/hours?year=2026", headers=bearer(client, "demo.hr")).get_json()
    assert hours["closing"] is not None and hours["closing"]["credited"] == 0


def test_a_closing_page_lists_only_the_rule_changes_that_touch_its_units(
    credits_app: Any, client: Any, demo: Any
) -> None:
    hr = bearer(client, "demo.hr")
    ward = close(client, "demo.hr", demo.units["GL-P-QUYNHON"].id).get_json()["id"]
    close(client, "demo.hr", demo.units["GL-X-IAGRAI"].id)
    rule = {"year": 2026, "name": "Xã Ia Grai", "periods": 30, "unit_id": demo.units["GL-X-IAGRAI"].id}
    assert (
        client.post(
            "/api/v1/credits/rules", json={**rule, "reason": "Lý do bí mật của Ia Grai"}, headers=hr
        ).status_code
        == 201
    )
    login(client, "demo.hr.quynhon")
    assert "Lý do bí mật của Ia Grai" not in client.get(f"/credits/closings/{ward}").get_data(as_text=True)


def test_a_rebuild_that_changes_a_closed_year_records_the_corrections(
    credits_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    from sqlalchemy import delete

    from modules.credits.models import Credit

    mai_id = demo.people["GL-00001"].id
    sid = complete(credits_app, app_db, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00")
    closing_id = close(client, "demo.hr", demo.units["GL-X-IAGRAI"].id).get_json()["id"]
    app_db.rollback()
    app_db.execute(delete(Credit).where(Credit.person_id == mai_id))  # a lost update, say
    app_db.commit()
    result = credits_app.test_cli_runner().invoke(args=["credits", "rebuild", "--year", "2026"])
    assert result.exit_code == 0, result.output
    app_db.rollback()
    [correction] = app_db.scalars(select(Correction)).all()
    assert (correction.closing_id, correction.statement_id) == (closing_id, sid)
    assert (correction.periods_before, correction.periods_after) == (0, 4) and "credits rebuild" in correction.reason
    again = credits_app.test_cli_runner().invoke(args=["credits", "rebuild", "--year", "2026"])
    assert again.exit_code == 0
    app_db.rollback()
    assert len(app_db.scalars(select(Correction)).all()) == 1  # nothing changed the second time
