"""Evidence files: size limit, type by content, safe names, storage, and who may download."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.demo import DemoData
from lms_core.errors import ValidationFailed
from lms_core.uploads import sniff
from modules.checklists import services
from modules.checklists.models import Evidence
from tests.conftest import bearer, login
from tests.modules.checklists.conftest import PDF, PNG, SLUG, account, add_account, assign

FILE_ITEM = "s1-1"  # evidence: file
NO_EVIDENCE_ITEM = "s1-3"  # evidence: none
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)
HTML = b"<!doctype html><script>alert(1)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def evidence_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Evidence)) or 0


def upload(session: Session, who: Any, data: bytes, name: str, folder: Path, max_bytes: int = 5 * 1024 * 1024) -> Any:
    return services.add_file(
        session, who, SLUG, FILE_ITEM, filename=name, stream=io.BytesIO(data), folder=folder, max_bytes=max_bytes
    )


def test_types_are_recognised_by_content() -> None:
    assert [sniff(data) for data in (PNG, JPEG, PDF, WEBP)] == [
        "image/png",
        "image/jpeg",
        "application/pdf",
        "image/webp",
    ]
    assert [sniff(data) for data in (EXE, HTML, SVG, b"", b"RIFF\x00\x00\x00\x00WAVE")] == [None] * 5


def test_too_large_or_a_forbidden_type_is_refused_and_nothing_is_stored(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official = account(db_session, "demo.official")
    with pytest.raises(services.EvidenceTooLarge) as large:
        upload(db_session, official, PNG + bytes(1024 * 1024), "anh.png", folder, max_bytes=1024 * 1024)
    assert large.value.status == 413
    assert str(large.value) == "Tệp quá lớn: mỗi tệp minh chứng tối đa 1 MB."
    db_session.rollback()

    for data, name in [(EXE, "bien-ban.pdf"), (HTML, "anh.png"), (SVG, "so-do.svg")]:
        with pytest.raises(services.EvidenceTypeRefused) as refused:
            upload(db_session, official, data, name, folder)
        assert refused.value.status == 415
        assert str(refused.value) == "Loại tệp không được chấp nhận: chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF."
        db_session.rollback()

    with pytest.raises(ValidationFailed):
        upload(db_session, official, b"", "rong.pdf", folder)
    db_session.rollback()
    assert stored_files(folder) == []
    assert evidence_count(db_session) == 0


def test_accepted_files_get_random_names_and_sanitised_display_names(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official = account(db_session, "demo.official")
    rows = [
        upload(db_session, official, PDF, "../../etc/Biên bản kiểm tra.pdf", folder),
        upload(db_session, official, JPEG, "anh chup.JPG", folder),
        upload(db_session, official, WEBP, "", folder),
    ]
    db_session.commit()
    assert [r.content_type for r in rows] == ["application/pdf", "image/jpeg", "image/webp"]
    assert rows[0].original_name == "etc_Bien_ban_kiem_tra.pdf"
    assert rows[1].original_name == "anh_chup.JPG"
    assert rows[2].original_name == "minh-chung.webp"
    names = {path.name for path in stored_files(folder)}
    assert names == {r.stored_name for r in rows}
    for row in rows:
        assert len(row.stored_name.split(".")[0]) == 32 and "/" not in row.stored_name
        assert (folder / row.stored_name).read_bytes() in (PDF, JPEG, WEBP)

    with pytest.raises(ValidationFailed):
        services.add_file(
            db_session,
            official,
            SLUG,
            NO_EVIDENCE_ITEM,
            filename="x.png",
            stream=io.BytesIO(PNG),
            folder=folder,
        )


# --- through the app ------------------------------------------------------------------


def api_upload(web: Any, headers: dict[str, str], data: bytes, name: str, key: str = FILE_ITEM) -> Any:
    return web.post(
        f"/api/v1/checklists/{SLUG}/items/{key}/evidence",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_the_api_refuses_large_and_forbidden_files_with_a_clear_message(web: Any, app_db: Session) -> None:
    folder = Path(web.application.config["CHECKLISTS_EVIDENCE_DIR"])
    headers = bearer(web, "demo.official")
    large = api_upload(web, headers, PNG + bytes(6 * 1024 * 1024), "lon.png")
    assert large.status_code == 413
    assert large.get_json() == {
        "error": {"code": "payload_too_large", "message": "Tệp quá lớn: mỗi tệp minh chứng tối đa 5 MB."}
    }
    forbidden = api_upload(web, headers, EXE, "bien-ban.pdf")
    assert forbidden.status_code == 415
    assert forbidden.get_json()["error"] == {
        "code": "unsupported_media_type",
        "message": "Loại tệp không được chấp nhận: chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF.",
    }
    assert stored_files(folder) == []
    assert evidence_count(app_db) == 0

    ok = api_upload(web, headers, PNG, "anh.png")
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["items"][0]["content_type"] == "image/png"
    case = web.post(
        f"/api/v1/checklists/{SLUG}/items/{FILE_ITEM}/evidence",
        data={"case_number": "000.00.12.H23-1"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert case.status_code == 400
    assert case.get_json()["error"]["fields"] == {"case_number": "Mục này cần tệp minh chứng, không nhận số hồ sơ."}


def test_the_page_shows_why_a_file_was_refused(web: Any) -> None:
    login(web, "demo.official")
    response = web.post(
        f"/checklists/{SLUG}/items/{FILE_ITEM}/evidence",
        data={"file": (io.BytesIO(HTML), "anh.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Loại tệp không được chấp nhận: chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF." in response.get_data(
        as_text=True
    )
    response = web.post(
        f"/checklists/{SLUG}/items/{FILE_ITEM}/evidence",
        data={"file": (io.BytesIO(PDF), "bien-ban.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Đã lưu minh chứng cho mục s1-1." in page and "bien-ban.pdf" in page


def test_evidence_is_served_only_to_the_official_their_mentors_and_hr(web: Any, app_db: Session) -> None:
    demo = web.demo
    add_account(app_db, demo, "GL-00102", "dong.nghiep")  # same commune, not involved
    add_account(app_db, demo, "GL-00106", "mentor.cu", ("mentor", "GL-X-IAGRAI"))
    assign(app_db, demo, "GL-00106", "GL-00001", date(2025, 1, 1), services.today() - timedelta(days=1))
    app_db.commit()
    created = api_upload(web, bearer(web, "demo.official"), PNG, "anh.png")
    evidence_id = created.get_json()["items"][0]["id"]
    url = f"/api/v1/checklists/evidence/{evidence_id}"

    allowed = {"demo.official", "demo.mentor", "demo.hr", "demo.admin"}
    for username in sorted(allowed | {"demo.hr.quynhon", "dong.nghiep", "mentor.cu"}):
        response = web.get(url, headers=bearer(web, username))
        if username in allowed:
            assert response.status_code == 200, username
            assert response.data == PNG
            assert response.headers["Content-Type"] == "image/png"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        else:
            assert response.status_code == 404, username
            assert response.get_json()["error"]["code"] == "not_found"
    assert web.get(url).status_code == 401
    assert (
        web.get(f"/api/v1/checklists/evidence/{evidence_id + 1000}", headers=bearer(web, "demo.hr")).status_code == 404
    )

    page_url = f"/checklists/evidence/{evidence_id}"
    login(web, "dong.nghiep")
    assert web.get(page_url).status_code == 404
    web.post("/logout")
    login(web, "demo.mentor")
    assert web.get(page_url).data == PNG


def test_the_official_removes_their_own_evidence_until_it_is_signed_off(web: Any, app_db: Session) -> None:
    folder = Path(web.application.config["CHECKLISTS_EVIDENCE_DIR"])
    official = bearer(web, "demo.official")
    first = api_upload(web, official, PNG, "nham.png").get_json()["items"][0]
    second = api_upload(web, official, PDF, "dung.pdf").get_json()["items"][0]
    assert len(stored_files(folder)) == 2
    assert (
        web.delete(f"/api/v1/checklists/evidence/{first['id']}", headers=bearer(web, "demo.mentor")).status_code == 404
    )
    assert web.delete(f"/api/v1/checklists/evidence/{first['id']}", headers=official).status_code == 204
    assert len(stored_files(folder)) == 1
    assert web.get(f"/api/v1/checklists/evidence/{first['id']}", headers=official).status_code == 404

    web.put(f"/api/v1/checklists/{SLUG}/items/{FILE_ITEM}/mark", json={"checked": True}, headers=official)
    person_id = web.demo.people["GL-00001"].id
    signed = web.post(
        f"/api/v1/people/{person_id}/checklists/{SLUG}/items/{FILE_ITEM}/sign-off",
        json={},
        headers=bearer(web, "demo.mentor"),
    )
    assert signed.status_code == 200, signed.get_json()
    assert web.delete(f"/api/v1/checklists/evidence/{second['id']}", headers=official).status_code == 409
    assert len(stored_files(folder)) == 1
