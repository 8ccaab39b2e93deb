"""HR downloads every certificate of a unit (and below) and year as one zip: one folder per
credited person with a certificate per credited course or checklist (the same code as
the single download) and a transcript; only within HR's scope; nothing half-issued."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from modules.certificates import pdf, services
from modules.certificates.models import KIND_ACTIVITY, KIND_TRANSCRIPT, IssuedCertificate
from tests.conftest import bearer, login
from tests.modules.certificates.conftest import NAME, credit, pdf_text

AT = "2026-03-10T09:00:00+07:00"


def issued(session: Session) -> list[IssuedCertificate]:
    session.rollback()
    return list(session.scalars(select(IssuedCertificate).order_by(IssuedCertificate.id)))


def test_a_unit_zip_holds_every_certificate_and_a_transcript_per_person(
    cert_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    mai = demo.people["GL-00001"]
    course, _ = credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)
    credit(cert_app, app_db, "GL-00001", "mot-cua", AT, title="Tiếp nhận hồ sơ một cửa")
    credit(cert_app, app_db, "GL-00002", "cap-gcn-qsdd", AT)
    credit(cert_app, app_db, "GL-00005", "cap-gcn-qsdd", AT)  # Phường Quy Nhơn: not in Ia Grai's zip
    login(client, "demo.hr")
    single = client.get(f"/certificates/people/{mai.id}/2026/activities/{course.id}.pdf")
    [first] = issued(app_db)

    response = client.post("/certificates/units/GL-X-IAGRAI.zip", data={"year": "2026"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].isascii()
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    folders = {name.split("/")[0] for name in names}
    assert folders == {"gl-00001-nguyen-thi-mai", "gl-00002-tran-van-hung"}
    mai_files = [n for n in names if n.startswith("gl-00001")]
    assert len(mai_files) == 3  # two certificates and the transcript
    certificates = issued(app_db)
    assert sum(c.kind == KIND_ACTIVITY for c in certificates) == 3
    assert sum(c.kind == KIND_TRANSCRIPT for c in certificates) == 2
    # The certificate downloaded before keeps its code in the zip.
    code = services.group_code(first.code)
    assert any(code in pdf_text(archive.read(n)) for n in mai_files)
    transcript = next(n for n in mai_files if "bang-tong-hop" in n)
    assert NAME in pdf_text(archive.read(transcript))
    assert single.status_code == 200

    # Again: nothing new is issued (same statements, unchanged transcripts).
    again = client.post("/certificates/units/GL-X-IAGRAI.zip", data={"year": "2026"})
    assert again.status_code == 200 and len(issued(app_db)) == len(certificates)


def test_the_unit_zip_is_for_hr_within_scope(cert_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)
    ward = bearer(client, "demo.hr.quynhon")
    assert client.get("/api/v1/units/GL-X-IAGRAI/certificates.zip?year=2026", headers=ward).status_code == 403
    assert client.get("/api/v1/units/GL/certificates.zip?year=2026", headers=ward).status_code == 403
    # Nobody of the ward is credited: 404 with a message, not an empty zip.
    empty = client.get("/api/v1/units/GL-P-QUYNHON/certificates.zip?year=2026", headers=ward)
    assert empty.status_code == 404 and empty.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/units/NOPE/certificates.zip", headers=ward).status_code == 404
    assert client.get("/api/v1/units/GL/certificates.zip", headers=bearer(client, "demo.official")).status_code == 403
    province = client.get("/api/v1/units/GL/certificates.zip?year=2026", headers=bearer(client, "demo.hr"))
    assert province.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(province.data)).namelist()
    login(client, "demo.hr.quynhon")
    assert client.post("/certificates/units/GL-X-IAGRAI.zip", data={"year": "2026"}).status_code == 403


def test_nothing_is_issued_when_drawing_fails(
    cert_app: Any, client: Any, demo: Any, app_db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    credit(cert_app, app_db, "GL-00001", "cap-gcn-qsdd", AT)

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(pdf, "transcript_pdf", broken)
    cert_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/api/v1/units/GL/certificates.zip?year=2026", headers=bearer(client, "demo.hr"))
    finally:
        cert_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert issued(app_db) == []


def test_the_page_zip_is_a_post_and_a_get_does_nothing(cert_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    """A link on another site (a GET) must not make a signed-in HR officer's browser issue
    a province's certificates."""
    login(client, "demo.hr")
    assert client.get("/certificates/units/GL-X-IAGRAI.zip?year=2026").status_code == 405
