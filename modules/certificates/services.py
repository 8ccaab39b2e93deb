"""Issuing, finding, verifying and revoking certificates. Headless: a ``Session`` and
plain data in, rows and dataclasses out; never reads a request, never commits.

Where the credited items come from: the caller (a page, the API) asks the plugin
registry's ``hocvu_person_hours`` hook for the person's hours of the year and passes
the dict in as ``hours``. This module never imports the credits module.
"""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.db import utcnow
from lms_core.errors import N_, NotFound
from lms_core.people import Person
from lms_core.statements import Statement
from modules.certificates.models import KIND_ACTIVITY, KIND_TRANSCRIPT, IssuedCertificate

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Activity types that get a certificate of their own; every credited type is on the transcript.
CERTIFIED_TYPES = ("course", "checklist")
CODE_BYTES = 10  # 80 random bits: 16 base32 characters, no padding
CODE_LENGTH = 16
_CODE_PATTERN = re.compile(r"^[A-Z2-7]{16}$")
# Characters people misread for base32 letters when typing a code from paper.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})

NOT_CREDITED = N_("Hoạt động này chưa được ghi nhận số tiết cho cán bộ trong năm %(year)s.")
NO_CREDITS = N_("Chưa có mô-đun ghi nhận số tiết bồi dưỡng.")
UNKNOWN_CODE = N_("Không tìm thấy giấy chứng nhận với mã này.")
VOIDED_REASON = N_("Kết quả bồi dưỡng đã bị hủy (statement %(statement)s).")
NO_LONGER_CREDITED = N_("Kết quả bồi dưỡng này không còn được ghi nhận số tiết.")

STATUS_VALID = "valid"
STATUS_REVOKED = "revoked"
STATUS_OUTDATED = "outdated"


def nfc(text: str | None) -> str:
    """``text`` in Unicode NFC: Vietnamese typed on some keyboards arrives decomposed."""
    return unicodedata.normalize("NFC", text or "")


def current_year() -> int:
    """The current year in Vietnam (credit years are Asia/Ho_Chi_Minh years)."""
    return datetime.now(TIMEZONE).year


def new_code() -> str:
    """A fresh unguessable verification code: 16 base32 characters."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def group_code(code: str) -> str:
    """The code as printed and typed: ABCD-EFGH-JKLM-NPQR."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """The stored form of a code someone typed or scanned (any case, with or without
    dashes and spaces, 0/1/8 for O/I/B), or None when it cannot be a code."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper().translate(_LOOKALIKES)
    return cleaned if _CODE_PATTERN.match(cleaned) else None


def verify_url(site_url: str, code: str) -> str:
    """The public page that verifies ``code``; what the QR code on the PDF encodes."""
    return f"{site_url.rstrip('/')}/verify/{group_code(code)}"


def ascii_filename(*parts: str) -> str:
    """A download name safe in any Content-Disposition: ASCII letters, digits and dashes
    ("Nguyễn Thị Mai" -> "nguyen-thi-mai"), ending in ``.pdf``."""
    words = []
    for part in parts:
        text = unicodedata.normalize("NFKD", nfc(part).replace("đ", "d").replace("Đ", "D"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
        if slug:
            words.append(slug)
    return ("-".join(words) or "hocvu")[:150] + ".pdf"


# --- what can be certified -------------------------------------------------------------


@dataclass
class CertifiableItem:
    """A credited course or checklist of the year, and its certificate once issued."""

    activity_id: int
    activity: str
    title: str
    type: str
    source: str
    periods: int
    earned_on: date
    statement_id: str
    certificate: IssuedCertificate | None = None


def _items(hours: dict[str, Any] | None) -> list[dict[str, Any]]:
    if hours is None:
        raise NotFound(NO_CREDITS)
    return list(hours.get("items") or [])


def certifiable_items(
    session: Session, person: Person, year: int, hours: dict[str, Any] | None
) -> list[CertifiableItem]:
    """The credited courses and checklists of ``person`` in ``year`` (from ``hours``, the
    ``hocvu_person_hours`` answer), each with its certificate if one was issued for the
    same statement. Called by the "my certificates" page and the list API."""
    items = [item for item in _items(hours) if item.get("type") in CERTIFIED_TYPES]
    issued = {
        (c.activity_id, c.statement_id): c
        for c in session.scalars(
            select(IssuedCertificate).where(
                IssuedCertificate.person_id == person.id,
                IssuedCertificate.kind == KIND_ACTIVITY,
                IssuedCertificate.year == year,
            )
        )
    }
    return [
        CertifiableItem(
            activity_id=item["activity_id"],
            activity=item.get("activity", ""),
            title=nfc(item.get("title")),
            type=item["type"],
            source=nfc(item.get("source")),
            periods=int(item.get("periods") or 0),
            earned_on=date.fromisoformat(item["date"]),
            statement_id=item["statement_id"],
            certificate=issued.get((item["activity_id"], item["statement_id"])),
        )
        for item in items
    ]


def transcripts_of(session: Session, person: Person, year: int) -> list[IssuedCertificate]:
    """The transcripts issued for ``person`` and ``year``, newest first."""
    return list(
        session.scalars(
            select(IssuedCertificate)
            .where(
                IssuedCertificate.person_id == person.id,
                IssuedCertificate.kind == KIND_TRANSCRIPT,
                IssuedCertificate.year == year,
            )
            .order_by(IssuedCertificate.issued_at.desc(), IssuedCertificate.id.desc())
        )
    )


# --- issuing ---------------------------------------------------------------------------


def _snapshot(person: Person) -> dict[str, Any]:
    return {
        "person_id": person.id,
        "person_name": nfc(person.full_name),
        "staff_code": person.staff_code,
        "unit_name": nfc(person.unit.name),
    }


def issue_activity(
    session: Session,
    person: Person,
    activity_id: int,
    year: int,
    hours: dict[str, Any] | None,
    *,
    issued_by: int | None,
    now: datetime | None = None,
) -> IssuedCertificate:
    """The certificate of ``person``'s credited course or checklist ``activity_id`` in
    ``year``: the one already issued for the same statement, else a new one (audited).
    ``NotFound`` when the activity is not a credited course or checklist of that year;
    nothing is written then. Called by the PDF downloads; caller commits."""
    match = next(
        (item for item in certifiable_items(session, person, year, hours) if item.activity_id == activity_id),
        None,
    )
    if match is None:
        raise NotFound(NOT_CREDITED, year=year)
    if match.certificate is not None:
        return match.certificate
    certificate = IssuedCertificate(
        code=new_code(),
        kind=KIND_ACTIVITY,
        activity_id=activity_id,
        year=year,
        statement_id=match.statement_id,
        statement_ids=[match.statement_id],
        activity_title=match.title,
        activity_type=match.type,
        periods=match.periods,
        explanation="",
        details=[],
        earned_on=match.earned_on,
        issued_at=now or utcnow(),
        issued_by=issued_by,
        revoke_reason="",
        **_snapshot(person),
    )
    try:
        # A savepoint, so losing a race with a simultaneous first download keeps the
        # caller's transaction usable and returns the winner's row.
        with session.begin_nested():
            session.add(certificate)
    except IntegrityError:
        existing = session.scalar(
            select(IssuedCertificate).where(
                IssuedCertificate.person_id == person.id,
                IssuedCertificate.activity_id == activity_id,
                IssuedCertificate.statement_id == match.statement_id,
            )
        )
        if existing is None:
            raise
        return existing
    _audit_issue(session, certificate)
    return certificate


def issue_transcript(
    session: Session,
    person: Person,
    year: int,
    hours: dict[str, Any] | None,
    *,
    issued_by: int | None,
    now: datetime | None = None,
) -> IssuedCertificate:
    """A transcript of ``person``'s year: every credited item (any type) with its periods,
    the total credited, the requirement and its explanation, as ``hours`` says now. The
    latest transcript is returned again while nothing in it has changed, so downloading
    twice neither adds a row nor changes the code; otherwise a new row and code (the older
    transcripts stay verifiable as they were). Caller commits."""
    items = _items(hours)
    assert hours is not None  # _items raised otherwise
    details = [
        {
            "activity_id": item.get("activity_id"),
            "title": nfc(item.get("title")),
            "type": item.get("type"),
            "source": nfc(item.get("source")),
            "field_name": nfc(item.get("field_name")),
            "periods": int(item.get("periods") or 0),
            "counted": int(item.get("counted", item.get("periods")) or 0),
            "date": item.get("date"),
            "statement_id": item.get("statement_id"),
        }
        for item in items
    ]
    statement_ids = [d["statement_id"] for d in details if d["statement_id"]]
    periods, required = int(hours.get("credited") or 0), int(hours.get("required") or 0)
    explanation = nfc(hours.get("explanation"))
    latest = next(iter(transcripts_of(session, person, year)), None)
    if (
        latest is not None
        and latest.revoked_at is None
        and (latest.details, latest.periods, latest.required, latest.explanation)
        == (details, periods, required, explanation)
        and latest.person_name == nfc(person.full_name)
    ):
        return latest
    certificate = IssuedCertificate(
        code=new_code(),
        kind=KIND_TRANSCRIPT,
        activity_id=None,
        year=year,
        statement_id=None,
        statement_ids=statement_ids,
        activity_title=None,
        activity_type=None,
        periods=periods,
        required=required,
        explanation=explanation,
        details=details,
        earned_on=None,
        issued_at=now or utcnow(),
        issued_by=issued_by,
        revoke_reason="",
        **_snapshot(person),
    )
    session.add(certificate)
    session.flush()
    _audit_issue(session, certificate)
    return certificate


def _audit_issue(session: Session, certificate: IssuedCertificate) -> None:
    session.flush()
    audit.log(
        session,
        account_id=certificate.issued_by,
        action=f"certificates.issued_{certificate.kind}",
        target_type="certificate",
        target_id=certificate.code,
        data={
            "person_id": certificate.person_id,
            "year": certificate.year,
            "activity_id": certificate.activity_id,
            "statement_id": certificate.statement_id,
            "periods": certificate.periods,
        },
    )


# --- finding and verifying ---------------------------------------------------------------


def find(session: Session, code_text: str) -> IssuedCertificate | None:
    """The certificate with the code someone typed or scanned, or None."""
    code = normalise_code(code_text)
    if code is None:
        return None
    return session.scalar(select(IssuedCertificate).where(IssuedCertificate.code == code))


@dataclass
class Verification:
    """What the public verification says about a certificate right now.

    ``status``: ``valid``; ``revoked`` (an activity certificate whose statement was voided
    or is gone; ``reason`` and, when recorded, ``revoked_at``); ``outdated`` (a transcript
    listing items withdrawn since, in ``withdrawn``)."""

    certificate: IssuedCertificate
    status: str
    reason: str = ""
    reason_params: dict[str, Any] = field(default_factory=dict)
    revoked_at: datetime | None = None
    withdrawn: list[dict[str, Any]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.status == STATUS_VALID


def _withdrawn_ids(session: Session, statement_ids: list[str]) -> set[str]:
    """Which of ``statement_ids`` are voided or no longer stored."""
    if not statement_ids:
        return set()
    found = dict(
        session.execute(select(Statement.id, Statement.voided).where(Statement.id.in_(statement_ids))).tuples().all()
    )
    return {sid for sid in statement_ids if found.get(sid, True)}


def verify(
    session: Session, code_text: str, credited: Callable[[int, int], set[int] | None] | None = None
) -> Verification | None:
    """The live verification of a code, or None when no certificate has it. Checks the
    statements behind it in the store, not only the recorded revocation, so a
    certificate is never shown valid after its result was withdrawn; and, with
    ``credited(person_id, year)`` (the ids of the activities credited now, None when
    unknown), that the activity still is credited (a credit can be withdrawn without a
    void, e.g. by a rebuild after a mentor assignment was corrected). Writes nothing.
    Called by the public page and the public API."""
    certificate = find(session, code_text)
    if certificate is None:
        return None
    if certificate.revoked_at is not None:
        return Verification(
            certificate, STATUS_REVOKED, reason=certificate.revoke_reason, revoked_at=certificate.revoked_at
        )
    withdrawn = _withdrawn_ids(session, [str(s) for s in certificate.statement_ids or []])
    if certificate.kind == KIND_ACTIVITY:
        if certificate.statement_id in withdrawn:
            params = {"statement": certificate.statement_id}
            return Verification(certificate, STATUS_REVOKED, reason=VOIDED_REASON, reason_params=params)
        now_credited = credited(certificate.person_id, certificate.year) if credited else None
        if now_credited is not None and certificate.activity_id not in now_credited:
            return Verification(certificate, STATUS_REVOKED, reason=NO_LONGER_CREDITED)
        return Verification(certificate, STATUS_VALID)
    if withdrawn:
        items = [d for d in certificate.details or [] if d.get("statement_id") in withdrawn]
        return Verification(certificate, STATUS_OUTDATED, withdrawn=items)
    return Verification(certificate, STATUS_VALID)


# --- revoking ----------------------------------------------------------------------------


def revoke_for_voided(
    session: Session, statement_id: str, voiding_statement_id: str, now: datetime | None = None
) -> list[IssuedCertificate]:
    """Revoke every activity certificate earned by ``statement_id``, which was just
    voided, with the reason in the row and in the audit log; returns them. Called by the
    ``hocvu_event`` hook for ``StatementVoided`` (the registry commits). Transcripts are
    not changed: their verification reports the withdrawn items live."""
    now = now or utcnow()
    revoked = list(
        session.scalars(
            select(IssuedCertificate).where(
                IssuedCertificate.kind == KIND_ACTIVITY,
                IssuedCertificate.statement_id == statement_id,
                IssuedCertificate.revoked_at.is_(None),
            )
        )
    )
    # Stored in Vietnamese: the reason is part of the record, like the certificate itself.
    reason = VOIDED_REASON % {"statement": statement_id}
    for certificate in revoked:
        certificate.revoked_at = now
        certificate.revoke_reason = reason
        audit.log(
            session,
            account_id=None,
            action="certificates.revoked",
            target_type="certificate",
            target_id=certificate.code,
            reason=reason,
            data={
                "person_id": certificate.person_id,
                "activity_id": certificate.activity_id,
                "statement_id": statement_id,
                "voiding_statement_id": voiding_statement_id,
            },
        )
    return revoked


# --- every certificate of a unit ------------------------------------------------------------

NOTHING_TO_ARCHIVE = N_("Không có cán bộ nào của đơn vị được ghi nhận số tiết trong năm %(year)s.")


def people_with_credits(rows: Any) -> list[int]:
    """The ids of the people with at least one credited item, from a ``hocvu_people_hours``
    answer (consumed to the end here, so the caller may write afterwards). ``NotFound``
    when no module keeps credits."""
    if rows is None:
        raise NotFound(NO_CREDITS)
    return [row["person_id"] for row in rows if row.get("activity_ids")]


def issue_all(
    session: Session, person: Person, year: int, hours: dict[str, Any] | None, *, issued_by: int | None
) -> tuple[list[IssuedCertificate], IssuedCertificate]:
    """Every certificate of ``person``'s year, as the single downloads issue them: one per
    credited course or checklist (the existing one for the same statement, else new) and
    a transcript (the latest while unchanged, else new). Called by the unit archive;
    caller commits."""
    activities = [
        issue_activity(session, person, item.activity_id, year, hours, issued_by=issued_by)
        for item in certifiable_items(session, person, year, hours)
    ]
    return activities, issue_transcript(session, person, year, hours, issued_by=issued_by)


def archive_folder(person: Person) -> str:
    """The folder of a person's files in the unit archive: "GL-00001-nguyen-thi-mai"."""
    return ascii_filename(person.staff_code, person.full_name)[: -len(".pdf")]
