"""External training claims: an official submits training done elsewhere (an in-person
class, a seminar) with evidence; HR over the official's unit approves it, which writes an
``attended`` statement with the approver as authority (so it credits like any other
trusted statement), or rejects it with a reason. An approved claim can be revoked: its
statement is voided and the credit withdrawn at once.

Rules: nobody decides on their own claim; a claim with the same title and dates as an
earlier pending or approved claim of the same person is flagged as a possible duplicate;
approving or revoking a claim in a year closed for the official's unit needs a reason.

Headless: session in, results out; the caller commits and stores/removes files.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.utils import secure_filename

from lms_core import access, audit, uploads
from lms_core.accounts import Account, Role
from lms_core.catalog import Activity, ActivityType, activity_iri, upsert_activity
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import Field, Person
from lms_core.statements import VOIDED, Authority, account_agent, build_statement, store_statement
from lms_core.units import Unit
from modules.credits import closing
from modules.credits.engine import CLAIMS_SOURCE, TIMEZONE, version_extension
from modules.credits.models import ExternalClaim

DEFAULT_MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_CLAIM_PERIODS = 400
PERIODS_PER_DAY = 8  # one training day is 8 periods (a week: 5 days × 8)
EARLIEST_DAY = date(2000, 1, 1)


class Mode(StrEnum):
    """Hình thức bồi dưỡng."""

    IN_PERSON = "tap_trung"
    BLENDED = "ban_tap_trung"
    DISTANCE = "tu_xa"
    ONLINE = "truc_tuyen"


MODE_LABELS = {
    Mode.IN_PERSON.value: N_("Tập trung"),
    Mode.BLENDED.value: N_("Bán tập trung"),
    Mode.DISTANCE.value: N_("Từ xa"),
    Mode.ONLINE.value: N_("Trực tuyến"),
}


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    Status.PENDING.value: N_("Chờ duyệt"),
    Status.APPROVED.value: N_("Đã duyệt"),
    Status.REJECTED.value: N_("Không duyệt"),
    Status.REVOKED.value: N_("Đã thu hồi"),
    Status.WITHDRAWN.value: N_("Đã rút"),
}


class EvidenceTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class EvidenceTypeRefused(DomainError):
    status = 415
    code = "unsupported_media_type"


def title_key(title: str) -> str:
    """The title as compared for duplicates: NFC, case-folded, single spaces; cut to the
    column's 300 characters (case folding can lengthen a text: "ﬃ" becomes "ffi")."""
    return " ".join(unicodedata.normalize("NFC", title).casefold().split())[:300]


# --- submitting -----------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    filename: str
    stream: BinaryIO


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def _clean(session: Session, data: dict[str, Any], now: date, has_evidence: bool) -> dict[str, Any]:
    """Every field checked at once; ``ValidationFailed`` lists all the problems."""
    errors: list[FieldError] = []
    if not has_evidence:
        errors.append(FieldError("evidence", N_("Đính kèm minh chứng (giấy chứng nhận, quyết định cử đi học…).")))
    title = " ".join(str(data.get("title") or "").split())
    organiser = " ".join(str(data.get("organiser") or "").split())
    if not title:
        errors.append(FieldError("title", N_("Nhập tên khóa, lớp bồi dưỡng.")))
    elif len(title) > 300:
        errors.append(FieldError("title", N_("Tên khóa bồi dưỡng tối đa 300 ký tự.")))
    if not organiser:
        errors.append(FieldError("organiser", N_("Nhập cơ quan, đơn vị tổ chức.")))
    elif len(organiser) > 300:
        errors.append(FieldError("organiser", N_("Tên đơn vị tổ chức tối đa 300 ký tự.")))
    mode = data.get("mode")
    if mode not in MODE_LABELS:
        errors.append(FieldError("mode", N_("Chọn hình thức bồi dưỡng.")))
    start, end = _parse_date(data.get("start_date")), _parse_date(data.get("end_date"))
    if start is None:
        errors.append(FieldError("start_date", N_("Ngày bắt đầu không hợp lệ (định dạng YYYY-MM-DD).")))
    if end is None:
        errors.append(FieldError("end_date", N_("Ngày kết thúc không hợp lệ (định dạng YYYY-MM-DD).")))
    if start and end:
        if end < start:
            errors.append(FieldError("end_date", N_("Ngày kết thúc phải từ ngày bắt đầu trở đi.")))
        elif end > now:
            errors.append(FieldError("end_date", N_("Chỉ khai báo khóa bồi dưỡng đã kết thúc.")))
        elif start < EARLIEST_DAY:
            errors.append(FieldError("start_date", N_("Ngày bắt đầu quá xa trong quá khứ.")))
    periods = data.get("periods")
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_CLAIM_PERIODS:
        errors.append(
            FieldError("periods", N_("Số tiết phải là số nguyên từ 1 đến %(max)s."), {"max": MAX_CLAIM_PERIODS})
        )
    elif start and end and end >= start:
        days = (end - start).days + 1
        if periods > days * PERIODS_PER_DAY:
            errors.append(
                FieldError(
                    "periods",
                    N_("%(periods)s tiết trong %(days)s ngày là quá %(per_day)s tiết mỗi ngày."),
                    {"periods": periods, "days": days, "per_day": PERIODS_PER_DAY},
                )
            )
    field_code = data.get("field_code") or None
    if field_code is not None and session.get(Field, field_code) is None:
        errors.append(FieldError("field_code", N_("Lĩnh vực %(code)s không tồn tại."), {"code": field_code}))
    if errors:
        raise ValidationFailed(errors)
    return {
        "title": title,
        "organiser": organiser,
        "mode": mode,
        "start_date": start,
        "end_date": end,
        "periods": periods,
        "field_code": field_code,
    }


def find_duplicate(session: Session, person_id: int, key: str, start: date, end: date) -> ExternalClaim | None:
    """The earliest pending or approved claim of the person with the same title and dates."""
    return session.scalar(
        select(ExternalClaim)
        .where(
            ExternalClaim.person_id == person_id,
            ExternalClaim.title_key == key,
            ExternalClaim.start_date == start,
            ExternalClaim.end_date == end,
            ExternalClaim.status.in_([Status.PENDING.value, Status.APPROVED.value]),
        )
        .order_by(ExternalClaim.id)
        .limit(1)
    )


def submit_claim(
    session: Session,
    account: Account,
    data: dict[str, Any],
    evidence: Upload | None,
    *,
    folder: Path,
    max_bytes: int = DEFAULT_MAX_EVIDENCE_BYTES,
    now: datetime | None = None,
) -> ExternalClaim:
    """The signed-in official submits a claim with an evidence file (required: a JPEG,
    PNG, WebP or PDF of at most ``max_bytes``). The fields are checked before the file is
    kept, and the file is removed again if recording the claim fails. Caller commits; if
    the commit fails the caller removes ``claim.evidence_name`` from ``folder``."""
    if account.person is None:
        raise PermissionDenied(N_("Tài khoản này không gắn với cán bộ nào nên không thể khai báo."))
    now = now or utcnow()
    clean = _clean(session, data, now.astimezone(TIMEZONE).date(), evidence is not None and bool(evidence.filename))
    assert evidence is not None
    megabytes = f"{max_bytes / (1024 * 1024):g}"
    try:
        stored = uploads.store(folder, evidence.stream, max_bytes)
    except uploads.UploadTooLarge:
        raise EvidenceTooLarge(N_("Tệp quá lớn: mỗi tệp minh chứng tối đa %(mb)s MB."), mb=megabytes) from None
    except uploads.UploadEmpty:
        raise ValidationFailed.single("evidence", N_("Tệp rỗng, không có nội dung.")) from None
    except uploads.UploadTypeRefused:
        raise EvidenceTypeRefused(
            N_("Loại tệp không được chấp nhận: chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF.")
        ) from None
    try:
        return _record_claim(session, account, clean, evidence.filename, stored, now)
    except BaseException:
        uploads.remove(folder, stored.name)  # nothing half-written: not even the file
        raise


def _record_claim(
    session: Session,
    account: Account,
    clean: dict[str, Any],
    filename: str,
    stored: uploads.StoredFile,
    now: datetime,
) -> ExternalClaim:
    assert account.person is not None
    person = account.person
    key = title_key(clean["title"])
    duplicate = find_duplicate(session, person.id, key, clean["start_date"], clean["end_date"])
    name = secure_filename(filename) or f"minh-chung{uploads.ALLOWED_TYPES[stored.content_type]}"
    claim = ExternalClaim(
        person_id=person.id,
        **clean,
        title_key=key,
        evidence_name=stored.name,
        evidence_type=stored.content_type,
        evidence_size=stored.size,
        evidence_filename=name[:200],
        status=Status.PENDING.value,
        submitted_at=now,
        submitted_by=account.id,
        decision_reason="",
        duplicate_of_id=duplicate.id if duplicate else None,
    )
    session.add(claim)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="credits.claim_submitted",
        target_type="person",
        target_id=person.id,
        data={
            "claim_id": claim.id,
            "title": claim.title,
            "periods": claim.periods,
            "duplicate_of": claim.duplicate_of_id,
        },
    )
    return claim


def withdraw_claim(session: Session, account: Account, claim_id: int) -> ExternalClaim:
    """The official withdraws their own pending claim."""
    claim = _locked(session, claim_id)
    if account.person_id != claim.person_id:
        raise NotFound(N_("Không tìm thấy yêu cầu."))
    _require_status(claim, Status.PENDING)
    claim.status = Status.WITHDRAWN.value
    claim.decided_at = utcnow()
    audit.log(
        session,
        account_id=account.id,
        action="credits.claim_withdrawn",
        target_type="person",
        target_id=claim.person_id,
        data={"claim_id": claim.id},
    )
    return claim


# --- reading --------------------------------------------------------------------------


def get_claim(session: Session, account: Account, claim_id: int) -> ExternalClaim:
    """A claim the account may see: its own, or one of a person in its HR scope."""
    claim = session.get(ExternalClaim, claim_id, options=[joinedload(ExternalClaim.person)])
    if claim is None or not access.can_view_person(account, claim.person):
        raise NotFound(N_("Không tìm thấy yêu cầu."))
    return claim


def claims_of(session: Session, person_id: int) -> Sequence[ExternalClaim]:
    return session.scalars(
        select(ExternalClaim).where(ExternalClaim.person_id == person_id).order_by(ExternalClaim.id.desc())
    ).all()


def review_queue(
    session: Session, account: Account, *, status: str = Status.PENDING.value, limit: int = 500
) -> Sequence[ExternalClaim]:
    """Claims of people in the account's HR scope with ``status``, oldest first."""
    return session.scalars(
        select(ExternalClaim)
        .join(Person, Person.id == ExternalClaim.person_id)
        .join(Unit, Unit.id == Person.unit_id)
        .where(access.scope_filter(account, Role.HR), ExternalClaim.status == status)
        .options(joinedload(ExternalClaim.person).joinedload(Person.unit))
        .order_by(ExternalClaim.submitted_at, ExternalClaim.id)
        .limit(limit)
    ).all()


# --- deciding -------------------------------------------------------------------------


def _locked(session: Session, claim_id: int) -> ExternalClaim:
    # A row lock (PostgreSQL) so two HR officers cannot both approve the same claim.
    claim = session.scalar(
        select(ExternalClaim)
        .where(ExternalClaim.id == claim_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if claim is None:
        raise NotFound(N_("Không tìm thấy yêu cầu."))
    return claim


def _require_status(claim: ExternalClaim, status: Status) -> None:
    if claim.status != status.value:
        raise Conflict(N_("Yêu cầu này không còn ở trạng thái cho phép thao tác này."))


def _require_decider(account: Account, claim: ExternalClaim) -> Person:
    person = claim.person
    if not access.can(account, Role.HR, person.unit):
        raise NotFound(N_("Không tìm thấy yêu cầu."))
    if account.person_id == claim.person_id:
        raise PermissionDenied(N_("Không ai được tự duyệt yêu cầu của chính mình."))
    return person


def _authority(site_url: str, account: Account) -> Authority:
    """The approving HR officer vouches for the statement; HocVu trusts it to credit."""
    name = account.person.full_name if account.person else account.username
    return Authority(account_agent(site_url, f"hr:{account.username}", name), CLAIMS_SOURCE, True)


def _reason_for_closed_year(session: Session, person: Person, year: int, reason: str) -> None:
    if not reason and closing.closing_for(session, person, year) is not None:
        raise ValidationFailed.single(
            "reason", N_("Năm %(year)s đã chốt số liệu: cần nêu lý do điều chỉnh."), year=year
        )


def claim_moment(claim: ExternalClaim) -> datetime:
    """When the training counts: noon of its last day in Vietnam (the credit year is the
    year the training ended)."""
    return datetime.combine(claim.end_date, time(12, 0), TIMEZONE).astimezone(UTC)


def approve_claim(
    session: Session, account: Account, claim_id: int, *, site_url: str, reason: str = "", now: datetime | None = None
) -> ExternalClaim:
    """HR approves: a catalog activity of type external is made for the claim and an
    ``attended`` statement is stored for the official, with the approver as authority.
    Caller commits (the credit follows at once, from the statement event)."""
    now = now or utcnow()
    reason = reason.strip()
    claim = _locked(session, claim_id)
    person = _require_decider(account, claim)
    _require_status(claim, Status.PENDING)
    approved_twin = session.scalar(
        select(ExternalClaim.id).where(
            ExternalClaim.id != claim.id,
            ExternalClaim.person_id == claim.person_id,
            ExternalClaim.title_key == claim.title_key,
            ExternalClaim.start_date == claim.start_date,
            ExternalClaim.end_date == claim.end_date,
            ExternalClaim.status == Status.APPROVED.value,
        )
    )
    if approved_twin is not None:
        # Each claim is its own activity, so the once-a-year rule cannot catch a twin.
        raise Conflict(
            N_("Khóa bồi dưỡng này (cùng tên và thời gian) đã được duyệt ở khai báo #%(id)s."), id=approved_twin
        )
    _reason_for_closed_year(session, person, claim.end_date.year, reason)
    activity = upsert_activity(
        session,
        iri=activity_iri(site_url, ActivityType.EXTERNAL.value, f"claim-{claim.id}"),
        type=ActivityType.EXTERNAL.value,
        title=claim.title,
        periods=claim.periods,
        field_code=claim.field_code,
        description=claim.organiser,
        module="credits",
        active=False,  # one person's training: not offered in anyone's catalog
    )
    statement = build_statement(
        actor=account_agent(site_url, person.staff_code, person.full_name),
        verb="attended",
        activity_iri=activity.iri,
        activity_name=claim.title,
        activity_type="http://adlnet.gov/expapi/activities/meeting",
        result={"completion": True, "success": True},
        context={
            "extensions": {
                version_extension(site_url): activity.version,
                f"{site_url}/xapi/extensions/claim": claim.id,
                f"{site_url}/xapi/extensions/mode": claim.mode,
            }
        },
        timestamp=claim_moment(claim),
    )
    row = store_statement(session, statement, _authority(site_url, account), now=now)
    claim.status = Status.APPROVED.value
    claim.decided_at, claim.decided_by, claim.decision_reason = now, account.id, reason
    claim.activity_id, claim.statement_id = activity.id, row.id
    audit.log(
        session,
        account_id=account.id,
        action="credits.claim_approved",
        target_type="person",
        target_id=person.id,
        reason=reason,
        data={"claim_id": claim.id, "statement_id": row.id, "periods": claim.periods, "activity_id": activity.id},
    )
    return claim


def reject_claim(session: Session, account: Account, claim_id: int, *, reason: str) -> ExternalClaim:
    """HR rejects a pending claim; the reason is required and shown to the official."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", N_("Nêu lý do không duyệt để cán bộ biết cần bổ sung gì."))
    claim = _locked(session, claim_id)
    person = _require_decider(account, claim)
    _require_status(claim, Status.PENDING)
    claim.status = Status.REJECTED.value
    claim.decided_at, claim.decided_by, claim.decision_reason = utcnow(), account.id, reason
    audit.log(
        session,
        account_id=account.id,
        action="credits.claim_rejected",
        target_type="person",
        target_id=person.id,
        reason=reason,
        data={"claim_id": claim.id},
    )
    return claim


def revoke_claim(
    session: Session, account: Account, claim_id: int, *, site_url: str, reason: str, now: datetime | None = None
) -> ExternalClaim:
    """HR withdraws an approved claim (evidence found false, entered twice…): the
    ``attended`` statement is voided, so the credit goes at once. Reason required."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", N_("Nêu lý do thu hồi."))
    now = now or utcnow()
    claim = _locked(session, claim_id)
    person = _require_decider(account, claim)
    _require_status(claim, Status.APPROVED)
    assert claim.statement_id is not None
    voiding = {
        "actor": account_agent(site_url, f"hr:{account.username}", account.username),
        "verb": {"id": VOIDED, "display": {"vi": "đã hủy", "en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": claim.statement_id},
        "timestamp": now.isoformat(),
    }
    store_statement(session, voiding, _authority(site_url, account), now=now)
    claim.status = Status.REVOKED.value
    claim.decided_at, claim.decided_by, claim.decision_reason = now, account.id, reason
    audit.log(
        session,
        account_id=account.id,
        action="credits.claim_revoked",
        target_type="person",
        target_id=person.id,
        reason=reason,
        data={"claim_id": claim.id, "statement_id": claim.statement_id},
    )
    return claim


# --- demo -----------------------------------------------------------------------------

# A minimal, valid one-page PDF standing in for a scanned certificate.
DEMO_EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# (staff code, title, organiser, mode, start, end, periods, field, approved by)
DEMO_CLAIMS = [
    (
        "GL-00001",
        "Bồi dưỡng nghiệp vụ bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất",
        "Sở Nông nghiệp và Môi trường tỉnh Gia Lai",
        Mode.IN_PERSON.value,
        date(2026, 3, 16),
        date(2026, 3, 18),
        24,
        "dat-dai-moi-truong",
        None,
    ),
    (
        "GL-00002",
        "Tập huấn chuyển đổi số trong công tác lưu trữ",
        "Sở Nội vụ tỉnh Gia Lai",
        Mode.BLENDED.value,
        date(2026, 4, 6),
        date(2026, 4, 7),
        16,
        "chuyen-doi-so",
        "demo.hr",
    ),
]


def seed_demo_claims(session: Session, demo: Any, *, folder: Path, site_url: str) -> None:
    """The demo's claims (idempotent): one waiting for HR, one approved and credited.
    Caller commits."""
    for staff, title, organiser, mode, start, end, periods, field, approver in DEMO_CLAIMS:
        person = demo.people.get(staff)
        if person is None or session.scalar(
            select(ExternalClaim.id).where(ExternalClaim.person_id == person.id, ExternalClaim.title == title)
        ):
            continue
        account = session.scalar(select(Account).where(Account.person_id == person.id))
        if account is None or (field and session.get(Field, field) is None):
            continue
        data = {"title": title, "organiser": organiser, "mode": mode, "start_date": start, "end_date": end}
        data |= {"periods": periods, "field_code": field}
        claim = submit_claim(
            session, account, data, Upload("giay-chung-nhan.pdf", io.BytesIO(DEMO_EVIDENCE)), folder=folder
        )
        if approver is not None:
            approve_claim(session, demo.accounts[approver], claim.id, site_url=site_url)


NOT_FROM_A_CLAIM = N_("Chỉ khai báo bồi dưỡng bên ngoài được duyệt mới được ghi nhận số tiết cho hoạt động này.")


def credit_refusal(statement: Any, activity: Activity) -> str | None:
    """A claim's activity credits only through the statement its approval wrote (any
    other trusted source naming ``…/external/claim-N`` is refused). Looks at the
    statement only for claim activities, so a rebuild asks once per other activity."""
    if activity.type != ActivityType.EXTERNAL.value or activity.module != "credits":
        return None
    return None if statement.source == CLAIMS_SOURCE else NOT_FROM_A_CLAIM
