"""External training claims through the app: submitting with evidence, HR's review in
scope, approval crediting at once (an ``attended`` statement with HR as authority),
rejection with a reason, revocation, duplicates, and nobody deciding on their own claim."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.statements import Statement
from modules.credits.models import Credit, ExternalClaim
from tests.conftest import bearer, login

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
CLAIM = {
    "title": "Bồi dưỡng kỹ năng lãnh đạo, quản lý cấp phòng",
    "organiser": "Trường Chính trị tỉnh Gia Lai",
    "mode": "tap_trung",
    "start_date": "2026-05-11",
    "end_date": "2026-05-15",
    "periods": "40",
    "field": "tai-chinh",
}


def submit(client: Any, username: str, *, body: bytes = PDF, name: str = "giay-chung-nhan.pdf", **changes: Any) -> Any:
    data: dict[str, Any] = {**CLAIM, **changes}
    if body is not None:
        data["evidence"] = (io.BytesIO(body), name)
    return client.post(
        "/api/v1/claims", data=data, headers=bearer(client, username), content_type="multipart/form-data"
    )


def hours(client: Any, person_id: int, username: str = "demo.hr") -> dict[str, Any]:
    response = client.get(f"/api/v1/people/{person_id}/hours?year=2026", headers=bearer(client, username))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_approved_claim_credits_its_periods_at_once_with_hr_as_authority(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    mai = demo.people["GL-00001"]
    created = submit(client, "demo.official")
    assert created.status_code == 201, created.get_json()
    claim = created.get_json()
    assert (claim["status"], claim["periods"], claim["duplicate_of"]) == ("pending", 40, None)
    assert len(list(evidence_dir.iterdir())) == 1
    assert hours(client, mai.id)["credited"] == 0  # nothing before approval

    # HR of another commune neither sees it in the queue nor can act on it.
    other = bearer(client, "demo.hr.quynhon")
    assert client.get("/api/v1/credits/claims", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/claims/{claim['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/credits/claims/{claim['id']}/approve", json={}, headers=other).status_code == 404

    hr = bearer(client, "demo.hr")
    queue = client.get("/api/v1/credits/claims", headers=hr).get_json()["items"]
    assert [c["id"] for c in queue] == [claim["id"]]
    approved = client.post(f"/api/v1/credits/claims/{claim['id']}/approve", json={}, headers=hr)
    assert approved.status_code == 200, approved.get_json()
    statement_id = approved.get_json()["statement_id"]

    body = hours(client, mai.id)
    assert body["credited"] == 40
    [item] = body["items"]
    assert (item["type"], item["periods"], item["statement_id"]) == ("external", 40, statement_id)
    assert item["date"] == "2026-05-15"  # the day the training ended
    assert item["evidence_url"] == f"/api/v1/claims/{claim['id']}/evidence"

    app_db.expire_all()
    row = app_db.get(Statement, statement_id)
    assert row is not None and row.verb_id == "http://adlnet.gov/expapi/verbs/attended"
    assert row.statement["authority"]["account"]["name"] == "hr:demo.hr"
    hr_account = demo.accounts["demo.hr"]
    granted = app_db.scalar(select(AuditEntry).where(AuditEntry.action == "credit.granted"))
    assert granted is not None and granted.account_id == hr_account.id
    assert f"#{claim['id']}" in granted.reason and statement_id in granted.reason

    # The official and HR in scope may download the evidence; the other commune may not.
    assert client.get(item["evidence_url"]).status_code == 401
    own = client.get(item["evidence_url"], headers=bearer(client, "demo.official"))
    assert own.status_code == 200 and own.data == PDF and own.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(item["evidence_url"], headers=hr).status_code == 200
    assert client.get(item["evidence_url"], headers=other).status_code == 404
    page = f"/claims/{claim['id']}/evidence"
    assert client.get(page).status_code == 302  # to the sign-in page
    login(client, "demo.hr.quynhon")
    assert client.get(page).status_code == 404
    login(client, "demo.official")
    assert client.get(page).data == PDF


def test_revoking_an_approved_claim_withdraws_the_credit_and_voids_the_statement(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    mai = demo.people["GL-00001"]
    claim_id = submit(client, "demo.official").get_json()["id"]
    hr = bearer(client, "demo.hr")
    statement_id = client.post(f"/api/v1/credits/claims/{claim_id}/approve", json={}, headers=hr).get_json()[
        "statement_id"
    ]
    assert hours(client, mai.id)["credited"] == 40
    no_reason = client.post(f"/api/v1/credits/claims/{claim_id}/revoke", json={}, headers=hr)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    revoked = client.post(
        f"/api/v1/credits/claims/{claim_id}/revoke", json={"reason": "Giấy chứng nhận không hợp lệ"}, headers=hr
    )
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert hours(client, mai.id)["credited"] == 0
    app_db.expire_all()
    assert app_db.get(Statement, statement_id).voided is True
    assert app_db.scalar(select(func.count()).select_from(Credit)) == 0


def test_a_rejection_needs_a_reason_and_ends_the_claim(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    claim_id = submit(client, "demo.official").get_json()["id"]
    hr = bearer(client, "demo.hr")
    blank = client.post(f"/api/v1/credits/claims/{claim_id}/reject", json={"reason": "  "}, headers=hr)
    assert blank.status_code == 400 and "reason" in blank.get_json()["error"]["fields"]
    rejected = client.post(
        f"/api/v1/credits/claims/{claim_id}/reject", json={"reason": "Thiếu quyết định cử đi học"}, headers=hr
    )
    assert rejected.get_json()["status"] == "rejected"
    mine = client.get("/api/v1/claims", headers=bearer(client, "demo.official")).get_json()["items"]
    assert mine[0]["decision_reason"] == "Thiếu quyết định cử đi học"
    again = client.post(f"/api/v1/credits/claims/{claim_id}/approve", json={}, headers=hr)
    assert again.status_code == 409
    assert app_db.scalar(select(func.count()).select_from(Statement)) == 0


def test_nobody_decides_on_their_own_claim(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    # demo.hr.quynhon is HR over her own ward, so the claim is in her scope: still refused.
    claim_id = submit(client, "demo.hr.quynhon").get_json()["id"]
    own = client.post(f"/api/v1/credits/claims/{claim_id}/approve", json={}, headers=bearer(client, "demo.hr.quynhon"))
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "forbidden"
    assert app_db.scalar(select(ExternalClaim.status).where(ExternalClaim.id == claim_id)) == "pending"
    assert (
        client.post(
            f"/api/v1/credits/claims/{claim_id}/approve", json={}, headers=bearer(client, "demo.hr")
        ).status_code
        == 200
    )


def test_a_claim_with_the_same_title_and_dates_is_flagged(
    credits_app: Any, client: Any, demo: Any, evidence_dir: Path
) -> None:
    first = submit(client, "demo.official").get_json()
    same = submit(client, "demo.official", title="  bồi dưỡng KỸ NĂNG lãnh đạo,  quản lý cấp phòng ").get_json()
    other_dates = submit(client, "demo.official", start_date="2026-06-01", end_date="2026-06-05").get_json()
    assert same["duplicate_of"] == first["id"]
    assert other_dates["duplicate_of"] is None
    queue = client.get("/api/v1/credits/claims", headers=bearer(client, "demo.hr")).get_json()["items"]
    assert {c["id"]: c["duplicate_of"] for c in queue} == {
        first["id"]: None,
        same["id"]: first["id"],
        other_dates["id"]: None,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": "2026-05-01"}, "end_date"),  # before the start
        ({"periods": "41"}, "periods"),  # more than 8 periods a day over 5 days
        ({"mode": "hoc-gia"}, "mode"),
        ({"start_date": "11/05/2026"}, "start_date"),
        ({"title": "   "}, "title"),
        ({"end_date": "2099-01-01"}, "end_date"),  # not finished yet
        ({"field": "khong-co"}, "field_code"),
    ],
)
def test_invalid_claims_are_refused_naming_the_field_and_store_nothing(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path, changes: dict[str, Any], field: str
) -> None:
    response = submit(client, "demo.official", **changes)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert app_db.scalar(select(func.count()).select_from(ExternalClaim)) == 0
    assert not evidence_dir.exists() or not list(evidence_dir.iterdir())


def test_evidence_must_be_an_image_or_pdf_by_its_content(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    disguised = submit(client, "demo.official", body=b"<script>alert(1)</script>", name="gcn.pdf")
    assert disguised.status_code == 415
    assert "JPEG" in disguised.get_json()["error"]["message"]
    english = client.post(
        "/api/v1/claims",
        data={**CLAIM},
        headers={**bearer(client, "demo.official"), "Accept-Language": "en"},
        content_type="multipart/form-data",
    )
    assert english.status_code == 400 and "evidence" in english.get_json()["error"]["fields"]
    assert app_db.scalar(select(func.count()).select_from(ExternalClaim)) == 0
    assert not evidence_dir.exists() or not list(evidence_dir.iterdir())


def test_the_official_withdraws_a_pending_claim_only(
    credits_app: Any, client: Any, demo: Any, evidence_dir: Path
) -> None:
    claim_id = submit(client, "demo.official").get_json()["id"]
    assert client.post(f"/api/v1/claims/{claim_id}/withdraw", headers=bearer(client, "demo.mentor")).status_code == 404
    withdrawn = client.post(f"/api/v1/claims/{claim_id}/withdraw", headers=bearer(client, "demo.official"))
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert (
        client.post(f"/api/v1/claims/{claim_id}/withdraw", headers=bearer(client, "demo.official")).status_code == 409
    )


def test_the_claim_pages_submit_review_and_approve(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    login(client, "demo.official")
    form = client.get("/claims/new")
    assert form.status_code == 200 and "Khai báo bồi dưỡng bên ngoài" in form.get_data(as_text=True)
    bad = client.post("/claims/new", data={**CLAIM, "periods": "abc"}, content_type="multipart/form-data")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Số tiết phải là số nguyên" in page and "Đính kèm minh chứng" in page
    ok = client.post(
        "/claims/new",
        data={**CLAIM, "field_code": "tai-chinh", "evidence": (io.BytesIO(PDF), "gcn.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)
    listing = client.get("/claims").get_data(as_text=True)
    assert CLAIM["title"] in listing and "Chờ duyệt" in listing
    claim_id = app_db.scalar(select(ExternalClaim.id))
    client.post("/logout")

    login(client, "demo.hr.quynhon")
    assert CLAIM["title"] not in client.get("/credits/claims").get_data(as_text=True)
    assert client.get(f"/credits/claims/{claim_id}").status_code == 404
    client.post("/logout")

    login(client, "demo.hr")
    assert CLAIM["title"] in client.get("/credits/claims").get_data(as_text=True)
    assert client.post(f"/credits/claims/{claim_id}/reject", data={"reason": ""}).status_code == 400
    approved = client.post(f"/credits/claims/{claim_id}/approve", data={})
    assert approved.status_code == 302
    assert "Đã duyệt" in client.get(f"/credits/claims/{claim_id}").get_data(as_text=True)
    person = demo.people["GL-00001"]
    assert CLAIM["title"] in client.get(f"/hours/{person.id}?year=2026").get_data(as_text=True)


def test_a_twin_of_an_approved_claim_cannot_be_approved_again(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    first = submit(client, "demo.official").get_json()["id"]
    twin = submit(client, "demo.official").get_json()["id"]
    hr = bearer(client, "demo.hr")
    assert client.post(f"/api/v1/credits/claims/{first}/approve", json={}, headers=hr).status_code == 200
    refused = client.post(f"/api/v1/credits/claims/{twin}/approve", json={}, headers=hr)
    assert refused.status_code == 409 and f"#{first}" in refused.get_json()["error"]["message"]
    assert hours(client, demo.people["GL-00001"].id)["credited"] == 40  # not 80
    login(client, "demo.hr")
    page = client.post(f"/credits/claims/{twin}/approve", data={}, follow_redirects=True)
    assert page.status_code == 200 and f"#{first}" in page.get_data(as_text=True)  # said on the page, not a 500


def test_nobody_rejects_or_revokes_their_own_claim_either(
    credits_app: Any, client: Any, demo: Any, evidence_dir: Path
) -> None:
    own, hr = bearer(client, "demo.hr.quynhon"), bearer(client, "demo.hr")
    pending = submit(client, "demo.hr.quynhon").get_json()["id"]
    reason = {"reason": "Không hợp lệ"}
    assert client.post(f"/api/v1/credits/claims/{pending}/reject", json=reason, headers=own).status_code == 403
    assert client.post(f"/api/v1/credits/claims/{pending}/approve", json={}, headers=hr).status_code == 200
    assert client.post(f"/api/v1/credits/claims/{pending}/revoke", json=reason, headers=own).status_code == 403


def test_a_too_large_evidence_file_is_refused_and_nothing_is_kept(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(credits_app.config, "CREDITS_EVIDENCE_MAX_BYTES", 1024)
    response = submit(client, "demo.official", body=PDF + b"0" * 2048)
    assert response.status_code == 413 and "1024" not in response.get_json()["error"]["message"]
    assert app_db.scalar(select(func.count()).select_from(ExternalClaim)) == 0
    assert not evidence_dir.exists() or not list(evidence_dir.iterdir())


def test_a_failure_after_the_file_is_kept_removes_it(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modules.credits import claims

    def broken(*_args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(claims, "find_duplicate", broken)
    assert submit(client, "demo.official").status_code == 500
    assert list(evidence_dir.iterdir()) == []
    assert app_db.scalar(select(func.count()).select_from(ExternalClaim)) == 0


def test_only_the_approval_of_a_claim_credits_the_claims_activity(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path
) -> None:
    """Another trusted source naming the claim's activity (a course module bug, a crediting
    LRS client) earns nothing: the activity belongs to the claim."""
    from lms_core.catalog import Activity
    from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
    from lms_core.uow import UnitOfWork

    claim_id = submit(client, "demo.hr.quynhon").get_json()["id"]
    client.post(f"/api/v1/credits/claims/{claim_id}/approve", json={}, headers=bearer(client, "demo.hr"))
    activity = app_db.scalar(select(Activity).where(Activity.iri.endswith(f"/external/claim-{claim_id}")))
    assert activity is not None
    with credits_app.app_context():
        statement = build_statement(
            actor=account_agent("https://hocvu.test", "GL-00001"),
            verb="completed",
            activity_iri=activity.iri,
            activity_name=activity.title,
        )
        store_statement(app_db, statement, hocvu_authority("https://hocvu.test", "courses"))
        UnitOfWork(app_db, credits_app.extensions["hocvu_registry"].publish).commit()
    body = hours(client, demo.people["GL-00001"].id)
    assert body["credited"] == 0
    assert [n["reason"] for n in body["not_counted"]] == ["refused"]
    assert "khai báo bồi dưỡng bên ngoài được duyệt" in body["not_counted"][0]["message"]


@pytest.mark.postgres
def test_two_hr_officers_approving_at_once_approve_once(
    credits_app: Any, client: Any, demo: Any, app_db: Session, evidence_dir: Path, engine: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL); SQLite serialises writers")
    from lms_core.accounts import Account
    from modules.credits import claims
    from tests.modules.checklists.test_concurrency import race

    claim_id = submit(client, "demo.official").get_json()["id"]

    def approve(username: str) -> Any:
        def call(session: Session) -> None:
            with credits_app.app_context():
                account = session.scalar(select(Account).where(Account.username == username))
                claims.approve_claim(session, account, claim_id, site_url="https://hocvu.test")

        return call

    assert sorted(race(engine, [approve("demo.hr"), approve("demo.admin")])) == ["Conflict", "ok"]
    app_db.rollback()
    statements = app_db.scalars(select(Statement).where(Statement.verb_id.endswith("/attended"))).all()
    assert len(statements) == 1
