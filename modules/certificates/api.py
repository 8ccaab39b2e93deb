"""The certificates JSON API under /api/v1: a person's certificates of a year, the PDF
downloads, and the public verification of a code."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.schemas import FileSchema
from apiflask.validators import Range
from flask import current_app, url_for
from flask_babel import gettext

from app.extensions import db, limiter
from app.security import account_or_401, requires, token_auth
from lms_core import access, units
from lms_core.accounts import Role
from lms_core.errors import N_, NotFound
from lms_core.people import get_person
from modules.certificates import services, web

api = APIBlueprint("certificates_api", __name__, url_prefix="/api/v1", tag="Certificates")


def _verify_limit() -> str:
    return str(current_app.config.get("CERTIFICATES_VERIFY_RATE_LIMIT", "60 per minute"))


class YearQuery(Schema):
    year = Integer(
        validate=Range(min=web.MIN_YEAR, max=web.MAX_YEAR),
        metadata={"description": "Year in Asia/Ho_Chi_Minh; the current year when omitted"},
    )


class CertificateItem(Schema):
    activity = String(metadata={"description": "The activity IRI"})
    activity_id = Integer()
    title = String()
    type = String(metadata={"description": "course or checklist"})
    periods = Integer(metadata={"description": "Periods the activity earned"})
    date = String(metadata={"description": "Day earned, ISO 8601, in Asia/Ho_Chi_Minh"})
    statement_id = String(metadata={"description": "The xAPI statement that earned the credit"})
    code = String(
        allow_none=True,
        metadata={"description": "Verification code (ABCD-EFGH-JKLM-NPQR); null until the PDF is first downloaded"},
    )
    verify_url = String(allow_none=True, metadata={"description": "The public verification page"})
    download_url = String(metadata={"description": "The PDF (bearer token); issues the certificate the first time"})


class TranscriptRef(Schema):
    code = String()
    verify_url = String()
    issued_at = String()
    periods = Integer(metadata={"description": "Periods credited when it was issued"})
    required = Integer()


class CertificateList(Schema):
    person_id = Integer()
    year = Integer()
    items = List(Nested(CertificateItem), metadata={"description": "The year's credited courses and checklists"})
    transcript_download_url = String(metadata={"description": "A new transcript of the year (PDF, bearer token)"})
    transcripts = List(Nested(TranscriptRef), metadata={"description": "Transcripts issued for the year, newest first"})


class VerifiedItem(Schema):
    title = String()
    type = String()
    periods = Integer()
    counted = Integer()
    date = String()
    withdrawn = Boolean(metadata={"description": "Its result was voided after the transcript was issued"})


class VerificationOut(Schema):
    code = String()
    kind = String(metadata={"description": "activity or transcript"})
    status = String(metadata={"description": "valid, revoked (activity) or outdated (transcript)"})
    valid = Boolean()
    verify_url = String()
    person_name = String()
    unit_name = String(metadata={"description": "The person's unit when it was issued"})
    year = Integer()
    periods = Integer(metadata={"description": "Activity: periods earned; transcript: periods credited in the year"})
    activity_title = String()
    activity_type = String()
    earned_on = String(allow_none=True, metadata={"description": "Day earned (activity), ISO 8601"})
    required = Integer(metadata={"description": "Transcript: periods required in the year"})
    explanation = String(metadata={"description": "Transcript: which rule set the requirement"})
    items = List(Nested(VerifiedItem), metadata={"description": "Transcript: the items it lists"})
    issued_at = String()
    revoked_at = String(allow_none=True)
    reason = String(allow_none=True, metadata={"description": "Why it is revoked"})


@api.get("/people/<int:person_id>/certificates")
@api.auth_required(token_auth)
@api.input(YearQuery, location="query", arg_name="query")
@api.output(CertificateList)
@api.doc(
    summary="A person's certificates of a year: one per credited course or checklist, and the transcript",
    responses={403: "Neither the person nor HR over the person's unit", 404: "No such person"},
)
@requires()
def list_certificates(person_id: int, query: dict[str, Any]) -> Any:
    person = get_person(db.session, person_id)
    access.require_person_view(account_or_401(), person)
    year = query.get("year") or services.current_year()
    items = services.certifiable_items(db.session, person, year, web.person_hours(person, year, gettext))
    return {
        "person_id": person.id,
        "year": year,
        "items": [
            {
                "activity": item.activity,
                "activity_id": item.activity_id,
                "title": item.title,
                "type": item.type,
                "periods": item.periods,
                "date": item.earned_on.isoformat(),
                "statement_id": item.statement_id,
                "code": services.group_code(item.certificate.code) if item.certificate else None,
                "verify_url": web.verify_url(item.certificate.code) if item.certificate else None,
                "download_url": url_for(
                    ".activity_pdf", person_id=person.id, year=year, activity_id=item.activity_id, _external=True
                ),
            }
            for item in items
        ],
        "transcript_download_url": url_for(".transcript_pdf", person_id=person.id, year=year, _external=True),
        "transcripts": [
            {
                "code": services.group_code(t.code),
                "verify_url": web.verify_url(t.code),
                "issued_at": t.issued_at.isoformat(),
                "periods": t.periods,
                "required": t.required,
            }
            for t in services.transcripts_of(db.session, person, year)
        ],
    }


@api.get("/people/<int:person_id>/certificates/<int:year>/activities/<int:activity_id>.pdf")
@api.auth_required(token_auth)
@api.output(FileSchema(), content_type="application/pdf", description="The certificate (PDF)")
@api.doc(
    summary="Download the certificate of a credited course or checklist (issued once: the same code every time)",
    responses={403: "Neither the person nor HR over the person's unit", 404: "Not credited that year"},
)
@requires()
def activity_pdf(person_id: int, year: int, activity_id: int) -> Any:
    account = account_or_401()
    person = get_person(db.session, person_id)
    access.require_person_view(account, person)
    return web.download_activity(account, person, web.require_year(year), activity_id)


@api.get("/people/<int:person_id>/certificates/<int:year>/transcript.pdf")
@api.auth_required(token_auth)
@api.output(FileSchema(), content_type="application/pdf", description="The transcript (PDF)")
@api.doc(
    summary="Download a new transcript of the year (every credited item, the total and the requirement)",
    responses={403: "Neither the person nor HR over the person's unit", 404: "No such person"},
)
@requires()
def transcript_pdf(person_id: int, year: int) -> Any:
    account = account_or_401()
    person = get_person(db.session, person_id)
    access.require_person_view(account, person)
    return web.download_transcript(account, person, web.require_year(year))


@api.get("/certificates/<code>")
@api.output(VerificationOut)
@api.doc(
    summary="Verify a certificate code (public, no authentication, rate-limited)",
    description="Checks the statements behind it live: a voided result shows as revoked (activity) or "
    "outdated (transcript).",
    responses={404: "Unknown code", 429: "Too many requests"},
)
@limiter.limit(_verify_limit)
def verify(code: str) -> Any:
    verification = web.verify(code)
    if verification is None:
        raise NotFound(services.UNKNOWN_CODE)
    return web.verification_data(verification)


@api.get("/units/<code>/certificates.zip")
@api.auth_required(token_auth)
@api.input(YearQuery, location="query", arg_name="query")
@api.output(FileSchema(), content_type="application/zip", description="One folder per person: certificates, transcript")
@api.doc(
    summary="Every certificate of a unit and the units below it for a year, as one zip (HR over the unit)",
    description="Issues the certificates not issued yet, as the single downloads do, and a transcript per person.",
    responses={403: "The unit is outside the caller's HR scope", 404: "No such unit, or nobody credited that year"},
)
@requires(Role.HR)
def unit_archive(code: str, query: dict[str, Any]) -> Any:
    account = account_or_401()
    unit = units.unit_by_code(db.session, code)
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    access.require(account, Role.HR, unit)
    return web.unit_archive(account, unit, query.get("year") or services.current_year())
