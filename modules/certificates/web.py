"""What the pages and the API share: asking the registry for a person's hours, issuing
a PDF download, and turning an issued certificate or a verification into plain data.

The Flask end of the module (``current_app``, ``url_for``); the rules themselves are in
``services`` and the drawing in ``pdf``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, current_app

from app.errors import translate
from app.extensions import db
from app.security import unit_of_work
from lms_core.accounts import Account
from lms_core.errors import N_, NotFound
from lms_core.people import Person
from lms_core.units import Unit
from modules.certificates import pdf, services
from modules.certificates.models import KIND_TRANSCRIPT, IssuedCertificate

MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_ISSUER = "Hệ thống bồi dưỡng trực tuyến HocVu"


def identity(text: str) -> str:
    return text


def person_hours(person: Person, year: int, translate_text: Callable[[str], str] = identity) -> dict[str, Any] | None:
    """``person``'s hours of ``year`` from whichever module keeps credits (the
    ``hocvu_person_hours`` hook); None when none does. Issued documents use the
    Vietnamese texts (``identity``), pages the reader's language."""
    hook = current_app.extensions["hocvu_registry"].hook
    result: dict[str, Any] | None = hook.hocvu_person_hours(
        session=db.session, person=person, year=year, translate=translate_text
    )
    return result


def credited_activities(person_id: int, year: int) -> set[int] | None:
    """The activities credited to the person in ``year`` now (for the live verification);
    None when no module keeps credits or the person is gone."""
    person = db.session.get(Person, person_id)
    hours = person_hours(person, year) if person is not None else None
    return None if hours is None else {item["activity_id"] for item in hours.get("items") or []}


def verify(code: str) -> services.Verification | None:
    return services.verify(db.session, code, credited_activities)


def parse_year(value: Any) -> int:
    """A year from a query string, the current year when missing or out of range."""
    try:
        year = int(value or "")
    except (TypeError, ValueError):
        return services.current_year()
    return year if MIN_YEAR <= year <= MAX_YEAR else services.current_year()


def require_year(year: int) -> int:
    """``year`` from a URL path; ``NotFound`` when it cannot hold any credit."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFound(N_("Không tìm thấy trang hoặc tài nguyên yêu cầu."))
    return year


def site_url() -> str:
    return str(current_app.config["SITE_URL"])


def issuer() -> str:
    return str(current_app.config.get("CERTIFICATES_ISSUER") or DEFAULT_ISSUER)


def verify_url(code: str) -> str:
    return services.verify_url(site_url(), code)


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF as an attachment; ``filename`` is already ASCII-safe."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def download_activity(account: Account, person: Person, year: int, activity_id: int) -> Response:
    """Issue (or find) the certificate of one credited course or checklist, draw it, and
    commit only once the PDF exists. The caller checked that ``account`` may see ``person``."""
    certificate = services.issue_activity(
        db.session, person, activity_id, year, person_hours(person, year), issued_by=account.id
    )
    data = pdf.activity_pdf(certificate, url=verify_url(certificate.code), issuer=issuer())
    unit_of_work().commit()
    name = services.ascii_filename("giay-chung-nhan", certificate.staff_code, services.group_code(certificate.code))
    return pdf_response(data, name)


def download_transcript(account: Account, person: Person, year: int) -> Response:
    """Issue a new transcript of ``person``'s year and answer its PDF."""
    certificate = services.issue_transcript(db.session, person, year, person_hours(person, year), issued_by=account.id)
    data = pdf.transcript_pdf(certificate, url=verify_url(certificate.code), issuer=issuer())
    unit_of_work().commit()
    name = services.ascii_filename("bang-tong-hop", str(year), certificate.staff_code, certificate.code[:4])
    return pdf_response(data, name)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def certificate_data(certificate: IssuedCertificate) -> dict[str, Any]:
    """The public facts of an issued certificate (no staff code, no statement ids)."""
    data: dict[str, Any] = {
        "code": services.group_code(certificate.code),
        "kind": certificate.kind,
        "verify_url": verify_url(certificate.code),
        "person_name": certificate.person_name,
        "unit_name": certificate.unit_name,
        "year": certificate.year,
        "periods": certificate.periods,
        "issued_at": _iso(certificate.issued_at),
    }
    if certificate.kind == KIND_TRANSCRIPT:
        data["required"] = certificate.required
        data["explanation"] = certificate.explanation
    else:
        data["activity_title"] = certificate.activity_title
        data["activity_type"] = certificate.activity_type
        data["earned_on"] = certificate.earned_on.isoformat() if certificate.earned_on else None
    return data


def verification_data(verification: services.Verification) -> dict[str, Any]:
    """``certificate_data`` with the live status, the revocation and (transcripts) the items."""
    certificate = verification.certificate
    data = certificate_data(certificate) | {
        "status": verification.status,
        "valid": verification.valid,
        "revoked_at": _iso(verification.revoked_at),
        "reason": translate(verification.reason, verification.reason_params or None) if verification.reason else None,
    }
    # Always present: marshmallow would otherwise read ``dict.items`` for the field.
    data["items"] = []
    if certificate.kind == KIND_TRANSCRIPT:
        withdrawn = {item.get("statement_id") for item in verification.withdrawn}
        data["items"] = [
            {
                "title": item.get("title"),
                "type": item.get("type"),
                "periods": item.get("periods"),
                "counted": item.get("counted"),
                "date": item.get("date"),
                "withdrawn": item.get("statement_id") in withdrawn,
            }
            for item in certificate.details or []
        ]
    return data


def people_hours_of_unit(unit: Unit, year: int) -> Any:
    """The ``hocvu_people_hours`` answer for ``unit`` and below (None: no module keeps credits)."""
    hook = current_app.extensions["hocvu_registry"].hook
    return hook.hocvu_people_hours(session=db.session, unit=unit, year=year)


def unit_archive(account: Account, unit: Unit, year: int) -> Response:
    """Every certificate and a transcript of each person of ``unit`` and below credited in
    ``year``, issued as needed, as one zip: written into a temporary file (one PDF in
    memory at a time), committed once it is complete (nothing is issued when drawing
    fails half-way), then streamed and removed. The caller checked HR over ``unit``."""
    ids = services.people_with_credits(people_hours_of_unit(unit, year))
    if not ids:
        raise NotFound(services.NOTHING_TO_ARCHIVE, year=year)
    handle, path = tempfile.mkstemp(prefix="hocvu-certificates-", suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for person_id in ids:
                person = db.session.get(Person, person_id)
                if person is None:
                    continue
                activities, transcript = services.issue_all(
                    db.session, person, year, person_hours(person, year), issued_by=account.id
                )
                folder = services.archive_folder(person)
                for certificate in activities:
                    name = services.ascii_filename("giay-chung-nhan", services.group_code(certificate.code))
                    data = pdf.activity_pdf(certificate, url=verify_url(certificate.code), issuer=issuer())
                    archive.writestr(f"{folder}/{name}", data)
                name = services.ascii_filename("bang-tong-hop", str(year), transcript.code[:4])
                data = pdf.transcript_pdf(transcript, url=verify_url(transcript.code), issuer=issuer())
                archive.writestr(f"{folder}/{name}", data)
        unit_of_work().commit()
    except BaseException:
        os.unlink(path)
        raise

    def stream() -> Iterator[bytes]:
        with open(path, "rb") as body:
            while block := body.read(64 * 1024):
                yield block

    response = Response(stream(), mimetype="application/zip")
    # Removed when the response closes, also when its body is never read (HEAD, a client gone).
    response.call_on_close(lambda: os.path.exists(path) and os.unlink(path))
    filename = services.ascii_filename("giay-chung-nhan", unit.code, str(year))[: -len(".pdf")] + ".zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Length"] = str(os.path.getsize(path))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
