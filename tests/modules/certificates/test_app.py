"""The pages, the PDF downloads and the JSON API with the credits module crediting real
statements in the app; the public verification before and after voiding; access."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.accounts import Account
from modules.certificates import services
from modules.certificates.models import IssuedCertificate
from tests.conftest import bearer, login
from tests.modules.certificates.conftest import NAME, SITE, TITLE, credit, pdf_links, pdf_text, void

OTHER_COMMUNE_HR = "demo.hr.quynhon"
AT = "2026-03-10T09:00:00+07:00"


def issued(session: Session) -> list[IssuedCertificate]:
    session.rollback()  # see what the app committed
    return list(session.scalars(select(IssuedCertificate).order_by(IssuedCertificate.id)))


def test_my_certificates_page_lists_credited_courses_and_the_pdf_says_it_in_vietnamese(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    activity, sid = credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)
    login(client, "demo.official")
    page = client.get("/certificates?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Giấy chứng nhận của tôi" in html and TITLE in html
    assert "Tải bảng tổng hợp năm" in html and 'scope="col"' in html
    url = f"/certificates/people/{mai.id}/2026/activities/{activity.id}.pdf"
    assert url in html
    assert 'href="/certificates"' in client.get("/").get_data(as_text=True)  # the menu links it

    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.isascii()
    [certificate] = issued(app_db)
    code = services.group_code(certificate.code)
    text = pdf_text(response.data)
    for expected in (NAME, TITLE, "Số tiết được ghi nhận: 4 tiết", "Ngày hoàn thành: 10/03/2026", code, "Xã Ia Grai"):
        assert expected in text, expected
    verify_url = f"{SITE}/verify/{code}"
    assert verify_url in text and pdf_links(response.data) == [verify_url]
    assert (certificate.statement_id, certificate.person_id, certificate.year) == (sid, mai.id, 2026)

    # (e) The same code on the second download, on the page and on the API.
    again = client.get(url)
    assert code in pdf_text(again.data) and len(issued(app_db)) == 1
    api = client.get(f"/api/v1/people/{mai.id}/certificates?year=2026", headers=bearer(client, "demo.official"))
    assert api.status_code == 200, api.get_json()
    [item] = api.get_json()["items"]
    assert (item["code"], item["verify_url"], item["title"], item["periods"]) == (code, verify_url, TITLE, 4)
    pdf = client.get(item["download_url"], headers=bearer(client, "demo.official"))
    assert pdf.status_code == 200 and code in pdf_text(pdf.data) and len(issued(app_db)) == 1
    assert code in client.get("/certificates?year=2026").get_data(as_text=True)


def test_the_transcript_lists_every_credited_item_with_the_total_and_requirement(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT, periods=4)
    credit(
        cert_app,
        app_db,
        "GL-00001",
        "kiem-tra-dat-dai",
        "2026-04-02T10:00:00+07:00",
        title="Học liệu điện tử: thủ tục đất đai",
        periods=2,
        type="package",
    )
    login(client, "demo.official")
    url = f"/certificates/people/{mai.id}/2026/transcript.pdf"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200 and first.mimetype == "application/pdf"
    rows = issued(app_db)
    assert [r.kind for r in rows] == ["transcript"]  # nothing changed between the two downloads
    assert services.group_code(rows[0].code) in pdf_text(second.data)
    text = pdf_text(first.data)
    for expected in (
        "BẢNG TỔNG HỢP KẾT QUẢ BỒI DƯỠNG NĂM 2026",
        f"Họ và tên: {NAME}",
        TITLE,
        "Học liệu điện tử: thủ tục đất đai",
        "10/03/2026",
        "Tổng số tiết được tính 6",
        "Số tiết yêu cầu của năm: 40 tiết",
        "còn thiếu 34 tiết",
        services.group_code(rows[0].code),
    ):
        assert expected in text, text
    assert rows[0].explanation in text
    listed = client.get(f"/api/v1/people/{mai.id}/certificates?year=2026", headers=bearer(client, "demo.official"))
    body = listed.get_json()
    assert [i["type"] for i in body["items"]] == ["course"]  # a package has no certificate of its own
    assert [t["code"] for t in body["transcripts"]] == [services.group_code(r.code) for r in reversed(rows)]
    api_pdf = client.get(body["transcript_download_url"], headers=bearer(client, "demo.official"))
    assert api_pdf.status_code == 200 and api_pdf.mimetype == "application/pdf" and len(issued(app_db)) == 1


def test_verify_shows_a_valid_certificate_then_revoked_after_voiding(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    activity, sid = credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)
    login(client, "demo.official")
    assert client.get(f"/certificates/people/{mai.id}/2026/activities/{activity.id}.pdf").status_code == 200
    assert client.get(f"/certificates/people/{mai.id}/2026/transcript.pdf").status_code == 200
    certificate, transcript = issued(app_db)
    code = services.group_code(certificate.code)
    client.post("/logout")

    page = client.get(f"/verify/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Giấy chứng nhận hợp lệ" in html
    for expected in (NAME, TITLE, "10/03/2026", "Xã Ia Grai", code):
        assert expected in html, expected
    assert '<meta name="robots" content="noindex, nofollow">' in html and page.headers["X-Robots-Tag"].startswith(
        "noindex"
    )
    assert "GL-00001" not in html  # the public page needs no staff code
    assert client.get(f"/verify/{certificate.code.lower()}").status_code == 200
    api = client.get(f"/api/v1/certificates/{code}")
    assert api.status_code == 200
    assert (
        api.get_json().items()
        >= {
            "status": "valid",
            "valid": True,
            "person_name": NAME,
            "activity_title": TITLE,
            "periods": 4,
            "earned_on": "2026-03-10",
            "kind": "activity",
        }.items()
    )
    assert client.get(f"/verify/{transcript.code}").status_code == 200

    voiding = void(cert_app, app_db, sid)
    [revoked, transcript] = issued(app_db)
    assert revoked.revoked_at is not None and sid in revoked.revoke_reason
    [entry] = [e for e in audit.entries_for(app_db, "certificate", revoked.code) if e.action == "certificates.revoked"]
    assert entry.data["voiding_statement_id"] == voiding
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Giấy chứng nhận đã bị thu hồi" in html and "Kết quả bồi dưỡng đã bị hủy" in html and sid in html
    assert "Ngày thu hồi" in html and "Giấy chứng nhận hợp lệ" not in html
    body = client.get(f"/api/v1/certificates/{code}").get_json()
    assert (body["status"], body["valid"]) == ("revoked", False) and body["revoked_at"] and sid in body["reason"]
    outdated = client.get(f"/verify/{services.group_code(transcript.code)}").get_data(as_text=True)
    assert "Bảng tổng hợp không còn giá trị" in outdated
    body = client.get(f"/api/v1/certificates/{transcript.code}").get_json()
    assert body["status"] == "outdated" and [i["withdrawn"] for i in body["items"]] == [True]

    # The voided course is no longer credited: no certificate to download any more.
    login(client, "demo.official")
    gone = client.get(f"/certificates/people/{mai.id}/2026/activities/{activity.id}.pdf")
    assert gone.status_code == 404


def test_unknown_codes_are_404_in_readable_vietnamese(cert_app: Any, client: Any, demo: Any) -> None:
    page = client.get("/verify/AAAA-BBBB-CCCC-DDDD")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "Không tìm thấy giấy chứng nhận" in html and "noindex" in html
    assert client.get("/verify/not-a-code").status_code == 404
    assert client.get("/verify?code=zz").status_code == 404
    assert client.get("/verify").status_code == 200
    typed = client.get("/verify?code=aaaa bbbb cccc dddd")
    assert typed.status_code == 302 and typed.headers["Location"].endswith("/verify/AAAA-BBBB-CCCC-DDDD")
    api = client.get("/api/v1/certificates/AAAA-BBBB-CCCC-DDDD")
    assert api.status_code == 404
    assert api.get_json()["error"] == {"code": "not_found", "message": "Không tìm thấy giấy chứng nhận với mã này."}


def test_nothing_is_issued_for_an_activity_the_person_was_not_credited_with(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai, hung = demo.people["GL-00001"], demo.people["GL-00002"]
    activity, _sid = credit(cert_app, app_db, "GL-00002", "cap-gcn-qsdd", AT)  # Hùng's, not Mai's
    package, _ = credit(cert_app, app_db, "GL-00001", "hl", AT, title="Học liệu", type="package")
    login(client, "demo.official")
    for url in (
        f"/certificates/people/{mai.id}/2026/activities/{activity.id}.pdf",
        f"/certificates/people/{mai.id}/2025/activities/{activity.id}.pdf",
        f"/certificates/people/{mai.id}/2026/activities/{package.id}.pdf",
        f"/certificates/people/{mai.id}/2026/activities/987654.pdf",
        f"/certificates/people/{mai.id}/1800/transcript.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "text/html" in response.content_type
    token = bearer(client, "demo.official")
    api = client.get(f"/api/v1/people/{mai.id}/certificates/2026/activities/{activity.id}.pdf", headers=token)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert issued(app_db) == []
    assert hung.id != mai.id


def test_only_the_person_and_hr_over_their_unit_get_their_certificates(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    activity, _sid = credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)
    pages = [
        f"/certificates/people/{mai.id}?year=2026",
        f"/certificates/people/{mai.id}/2026/activities/{activity.id}.pdf",
        f"/certificates/people/{mai.id}/2026/transcript.pdf",
    ]
    apis = [
        f"/api/v1/people/{mai.id}/certificates?year=2026",
        f"/api/v1/people/{mai.id}/certificates/2026/activities/{activity.id}.pdf",
        f"/api/v1/people/{mai.id}/certificates/2026/transcript.pdf",
    ]
    # Anonymous: pages redirect to sign-in, the API answers 401 in JSON.
    for url in [*pages, "/certificates"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in apis:
        response = client.get(url)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized", url

    # Another official (same commune, no HR role) and HR of another commune: 403.
    for username in ("demo.mentor", OTHER_COMMUNE_HR):
        login(client, username)
        for url in pages:
            assert client.get(url).status_code == 403, (username, url)
        token = bearer(client, username)
        for url in apis:
            response = client.get(url, headers=token)
            assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden", (username, url)
        client.post("/logout")
        # Their own list shows none of Mai's.
        login(client, username)
        assert TITLE not in client.get("/certificates?year=2026").get_data(as_text=True)
        client.post("/logout")
    assert issued(app_db) == []

    # HR of the province may download them.
    login(client, "demo.hr")
    listed = client.get(pages[0])
    assert listed.status_code == 200 and f"Giấy chứng nhận của {NAME}" in listed.get_data(as_text=True)
    assert client.get(pages[1]).status_code == 200
    token = bearer(client, "demo.hr")
    assert client.get(apis[0], headers=token).get_json()["items"][0]["code"]
    assert client.get(apis[2], headers=token).status_code == 200
    rows = issued(app_db)
    hr_account = app_db.scalar(select(Account.id).where(Account.username == "demo.hr"))
    assert {c.kind for c in rows} == {"activity", "transcript"} and {c.issued_by for c in rows} == {hr_account}


def test_the_api_is_documented(cert_app: Any, client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "/api/v1/people/{person_id}/certificates" in paths
    assert "/api/v1/certificates/{code}" in paths
    pdf = paths["/api/v1/people/{person_id}/certificates/{year}/activities/{activity_id}.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert "security" not in paths["/api/v1/certificates/{code}"]["get"]  # public
    assert paths["/api/v1/people/{person_id}/certificates"]["get"]["security"]


def test_verification_is_rate_limited_per_client(cert_app: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(cert_app.config, "CERTIFICATES_VERIFY_RATE_LIMIT", "3 per minute")
    statuses = [client.get("/verify/AAAA-BBBB-CCCC-DDDD").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    answers = [client.get("/api/v1/certificates/AAAA-BBBB-CCCC-DDDD") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]  # the API has its own limit
    assert answers[-1].get_json()["error"]["code"] == "too_many_requests"
