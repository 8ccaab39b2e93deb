"""Checklist use cases, headless: each takes the session and the acting account, checks
access, changes rows and records statements and audit entries; the caller commits.

Who may do what:
- the official marks their own items, adds evidence and asks for review;
- only a mentor whose assignment covers today (Asia/Ho_Chi_Minh) for that official and
  checklist (or all their checklists) signs off or returns an item, never their own; a
  refused attempt raises ``Refused``, which the caller writes to the audit log after
  rolling everything else back (``refusals_audited``);
- HR of the official's unit assigns mentors and revokes sign-offs (voiding the checklist's
  ``completed`` statement, so its credit is withdrawn at once).

When every item is done (mentor items signed off, self items checked) the checklist's
``completed`` statement is written in the same transaction, with the signing mentor in
``context.instructor``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from lms_core import access, audit
from lms_core import uploads as files
from lms_core.accounts import Account, Role
from lms_core.catalog import Activity, ActivityType, CurriculumItem
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import Person, get_person, person_by_staff_code
from lms_core.statements import (
    VERBS,
    VOIDED,
    Statement,
    account_agent,
    build_statement,
    hocvu_authority,
    store_statement,
)
from lms_core.units import Unit
from modules.checklists.models import (
    Checklist,
    ChecklistVersion,
    Evidence,
    Item,
    ItemReturn,
    MentorAssignment,
    OwnMark,
    Progress,
    ReviewRequest,
    RevokedSignOff,
    Section,
    SignOff,
)

MODULE = "checklists"
LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# The xAPI activity type of a checklist: a task performed and observed on the job.
CHECKLIST_TYPE = "http://adlnet.gov/expapi/activities/performance"
DEFAULT_MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_PER_ITEM = 10
CASE_NUMBER_MAX = 80
TEXT_MAX = 2000

TODO, MARKED, SUBMITTED, RETURNED, REVOKED, SIGNED_OFF, DONE = (
    "todo",
    "marked",
    "submitted",
    "returned",
    "revoked",
    "signed_off",
    "done",
)
STATUS_LABELS = {
    TODO: N_("Chưa làm"),
    MARKED: N_("Đã tự đánh dấu"),
    SUBMITTED: N_("Chờ người hướng dẫn xem xét"),
    RETURNED: N_("Được trả lại để hoàn thiện"),
    REVOKED: N_("Xác nhận đã bị thu hồi"),
    SIGNED_OFF: N_("Người hướng dẫn đã xác nhận"),
    DONE: N_("Đã hoàn thành"),
}
EVIDENCE_LABELS = {
    "none": N_("Không cần minh chứng"),
    "file": N_("Cần tệp minh chứng (ảnh hoặc PDF)"),
    "case_number": N_("Cần số hồ sơ"),
    "file_or_case_number": N_("Cần tệp minh chứng hoặc số hồ sơ"),
}
SIGN_OFF_LABELS = {"mentor": N_("Người hướng dẫn xác nhận"), "self": N_("Tự đánh dấu")}

REFUSAL_NO_INSTRUCTOR = N_(
    "Danh mục thực hành chỉ được tính khi có người hướng dẫn xác nhận; bản ghi hoàn thành không ghi người hướng dẫn."
)
REFUSAL_NOT_ASSIGNED = N_(
    "Người xác nhận không phải người hướng dẫn được phân công cho cán bộ này vào thời điểm hoàn thành danh mục."
)


# --- errors ---------------------------------------------------------------------------


class Refused(PermissionDenied):
    """A refused attempt (403) that must reach the audit log although nothing else is
    written: catch it with ``refusals_audited``."""

    def __init__(self, message: str, *, account: Account, action: str, official: Person, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.account_id = account.id
        self.action = action
        self.official_id = official.id
        self.data = data

    def log(self, session: Session) -> None:
        audit.log(
            session,
            account_id=self.account_id,
            action=self.action,
            target_type="person",
            target_id=self.official_id,
            reason=self.message,
            data=self.data,
        )


@contextmanager
def refusals_audited(session: Session, commit: Callable[[], None]) -> Iterator[None]:
    """Run a use case; on ``Refused``, roll back whatever it did, write the refusal to the
    audit log, commit that alone, and re-raise (the caller answers 403)."""
    try:
        yield
    except Refused as exc:
        session.rollback()
        exc.log(session)
        commit()
        raise


class AlreadySignedOff(Conflict):
    code = "already_signed_off"


class EvidenceTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class EvidenceTypeRefused(DomainError):
    status = 415
    code = "unsupported_media_type"


# --- time -----------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in Asia/Ho_Chi_Minh (assignment dates are local)."""
    return moment.astimezone(LOCAL_TIMEZONE).date()


def today(now: datetime | None = None) -> date:
    return local_date(now or utcnow())


# --- lookups --------------------------------------------------------------------------


def get_checklist(session: Session, slug: str) -> Checklist:
    checklist = session.scalar(select(Checklist).where(Checklist.slug == slug))
    if checklist is None or not checklist.activity.active:
        raise NotFound(N_("Không tìm thấy danh mục thực hành."))
    return checklist


def current_version(session: Session, checklist: Checklist) -> ChecklistVersion:
    version = session.scalar(
        select(ChecklistVersion).where(
            ChecklistVersion.checklist_id == checklist.id, ChecklistVersion.version == checklist.current_version
        )
    )
    assert version is not None, f"checklist {checklist.slug} has no version {checklist.current_version}"
    return version


def find_progress(session: Session, person_id: int, checklist_id: int) -> Progress | None:
    return session.scalar(
        select(Progress).where(Progress.person_id == person_id, Progress.checklist_id == checklist_id)
    )


def _item_of(session: Session, version: ChecklistVersion, key: str) -> Item:
    item = session.scalar(select(Item).where(Item.version_id == version.id, Item.key == key))
    if item is None:
        raise NotFound(N_("Không tìm thấy mục này trong danh mục."))
    return item


def person_of(account: Account) -> Person:
    if account.person is None:
        raise PermissionDenied(N_("Tài khoản của bạn chưa gắn với cán bộ nào."))
    return account.person


def active_assignment(
    session: Session, mentor_id: int, official_id: int, checklist_id: int | None, day: date
) -> MentorAssignment | None:
    """The assignment that makes ``mentor_id`` the mentor of ``official_id`` on ``day`` for
    ``checklist_id`` (an assignment for all checklists counts; ``checklist_id`` None: any)."""
    query = select(MentorAssignment).where(
        MentorAssignment.mentor_id == mentor_id,
        MentorAssignment.official_id == official_id,
        MentorAssignment.start_date <= day,
        or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
    )
    if checklist_id is not None:
        query = query.where(or_(MentorAssignment.checklist_id.is_(None), MentorAssignment.checklist_id == checklist_id))
    return session.scalars(query.order_by(MentorAssignment.checklist_id.is_(None), MentorAssignment.id)).first()


def active_mentors(session: Session, official: Person, checklist: Checklist, day: date) -> list[Person]:
    """Mentors assigned to ``official`` for ``checklist`` (or all) on ``day``."""
    assignments = session.scalars(
        select(MentorAssignment).where(
            MentorAssignment.official_id == official.id,
            or_(MentorAssignment.checklist_id.is_(None), MentorAssignment.checklist_id == checklist.id),
            MentorAssignment.start_date <= day,
            or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
        )
    ).all()
    return list({a.mentor_id: a.mentor for a in assignments}.values())


# --- access ---------------------------------------------------------------------------


def can_view(session: Session, account: Account, official: Person, checklist: Checklist | None, day: date) -> bool:
    """The official, HR of their unit, and their mentors assigned on ``day`` (for
    ``checklist``, or for any checklist when None)."""
    if account.person_id == official.id or access.can(account, Role.HR, official.unit):
        return True
    if account.person_id is None:
        return False
    return (
        active_assignment(session, account.person_id, official.id, checklist.id if checklist else None, day) is not None
    )


def require_view(session: Session, account: Account, official: Person, checklist: Checklist | None, day: date) -> None:
    if not can_view(session, account, official, checklist, day):
        raise PermissionDenied(N_("Bạn không có quyền xem danh mục thực hành của cán bộ này."))


def is_hr_for(account: Account, official: Person) -> bool:
    return access.can(account, Role.HR, official.unit)


# --- progress views -------------------------------------------------------------------


@dataclass
class ItemState:
    """One item as the official, their mentor and HR see it: the official's own mark and
    the mentor's sign-off side by side, with evidence, the open review request and the
    latest return or revocation."""

    item: Item
    section: Section
    status: str
    own_mark: OwnMark | None = None
    sign_off: SignOff | None = None
    open_request: ReviewRequest | None = None
    last_return: ItemReturn | None = None
    last_revocation: RevokedSignOff | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status in (SIGNED_OFF, DONE)

    @property
    def evidence_ok(self) -> bool:
        return evidence_satisfied(self.item.evidence, self.evidence)


def evidence_satisfied(kind: str, evidence: Iterable[Evidence]) -> bool:
    kinds = {e.kind for e in evidence}
    return {
        "none": True,
        "file": "file" in kinds,
        "case_number": "case_number" in kinds,
        "file_or_case_number": bool(kinds),
    }.get(kind, False)


@dataclass
class ChecklistView:
    checklist: Checklist
    version: ChecklistVersion
    person: Person
    progress: Progress | None
    sections: list[tuple[Section, list[ItemState]]]
    required: bool | None = None  # True: required for the position, False: elective, None: neither

    @property
    def items(self) -> list[ItemState]:
        return [state for _, states in self.sections for state in states]

    @property
    def done_count(self) -> int:
        return sum(1 for state in self.items if state.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def completed(self) -> bool:
        return self.progress is not None and self.progress.completed_statement_id is not None

    def state(self, key: str) -> ItemState:
        for state in self.items:
            if state.item.key == key:
                return state
        raise NotFound(N_("Không tìm thấy mục này trong danh mục."))


def _latest(rows: Iterable[Any], attribute: str) -> dict[int, Any]:
    latest: dict[int, Any] = {}
    for row in rows:
        current = latest.get(row.item_id)
        if current is None or (getattr(row, attribute), row.id) > (getattr(current, attribute), current.id):
            latest[row.item_id] = row
    return latest


def _status(item: Item, state: ItemState, last_request_at: datetime | None) -> str:
    if item.sign_off == "self":
        return DONE if state.own_mark else TODO
    if state.sign_off is not None:
        return SIGNED_OFF
    if state.open_request is not None:
        return SUBMITTED
    events = [
        (state.last_return.returned_at, RETURNED) if state.last_return else None,
        (state.last_revocation.revoked_at, REVOKED) if state.last_revocation else None,
    ]
    newest = max((e for e in events if e is not None), default=None)
    if newest is not None and (last_request_at is None or newest[0] >= last_request_at):
        return newest[1]
    return MARKED if state.own_mark else TODO


def build_view(session: Session, person: Person, checklist: Checklist, required: bool | None = None) -> ChecklistView:
    """The checklist as ``person`` is doing it (the current version when not started)."""
    progress = find_progress(session, person.id, checklist.id)
    version = progress.version if progress else current_version(session, checklist)
    marks: dict[int, OwnMark] = {}
    signoffs: dict[int, SignOff] = {}
    requests: dict[int, ReviewRequest] = {}
    last_requests: dict[int, ReviewRequest] = {}
    returns: dict[int, ItemReturn] = {}
    revocations: dict[int, RevokedSignOff] = {}
    evidence: dict[int, list[Evidence]] = {}
    if progress is not None:
        pid = progress.id
        marks = {m.item_id: m for m in session.scalars(select(OwnMark).where(OwnMark.progress_id == pid))}
        signoffs = {s.item_id: s for s in session.scalars(select(SignOff).where(SignOff.progress_id == pid))}
        all_requests = session.scalars(select(ReviewRequest).where(ReviewRequest.progress_id == pid)).all()
        requests = _latest((r for r in all_requests if r.closed_at is None), "requested_at")
        last_requests = _latest(all_requests, "requested_at")
        returns = _latest(session.scalars(select(ItemReturn).where(ItemReturn.progress_id == pid)), "returned_at")
        revocations = _latest(
            session.scalars(select(RevokedSignOff).where(RevokedSignOff.progress_id == pid)), "revoked_at"
        )
        for row in session.scalars(select(Evidence).where(Evidence.progress_id == pid).order_by(Evidence.id)):
            evidence.setdefault(row.item_id, []).append(row)
    sections = []
    for section in version.sections:
        states = []
        for item in section.items:
            state = ItemState(
                item=item,
                section=section,
                status=TODO,
                own_mark=marks.get(item.id),
                sign_off=signoffs.get(item.id),
                open_request=requests.get(item.id),
                last_return=returns.get(item.id),
                last_revocation=revocations.get(item.id),
                evidence=evidence.get(item.id, []),
            )
            last = last_requests.get(item.id)
            state.status = _status(item, state, last.requested_at if last else None)
            states.append(state)
        sections.append((section, states))
    return ChecklistView(checklist, version, person, progress, sections, required)


def checklists_for(session: Session, person: Person) -> list[ChecklistView]:
    """The person's checklists: required for their position, then electives, then any
    other they started; each by title."""
    plan: dict[int, bool] = {}
    if person.position_id is not None:
        plan = dict(
            session.execute(
                select(CurriculumItem.activity_id, CurriculumItem.required)
                .join(Activity, Activity.id == CurriculumItem.activity_id)
                .where(
                    CurriculumItem.position_id == person.position_id,
                    Activity.type == ActivityType.CHECKLIST,
                    Activity.active.is_(True),
                )
            ).all()
        )
    started = set(session.scalars(select(Progress.checklist_id).where(Progress.person_id == person.id)))
    checklists = session.scalars(
        select(Checklist)
        .join(Activity, Activity.id == Checklist.activity_id)
        .where(Activity.active.is_(True), or_(Checklist.activity_id.in_(list(plan)), Checklist.id.in_(started)))
    ).all()
    views = [build_view(session, person, c, plan.get(c.activity_id)) for c in checklists]
    order = {True: 0, False: 1, None: 2}
    views.sort(key=lambda v: (order[v.required], v.version.title))
    return views


# --- writing statements ----------------------------------------------------------------


def version_extension(site_url: str) -> str:
    """The context extension that carries the checklist version a statement is about (the
    same IRI the courses module uses)."""
    return f"{site_url.rstrip('/')}/xapi/extensions/version"


def _agent(site_url: str, person: Person) -> dict[str, Any]:
    return account_agent(site_url, person.staff_code, person.full_name)


def _open_progress(session: Session, person: Person, checklist: Checklist) -> Progress:
    """The person's progress on the checklist, started on the current version (with an
    ``attempted`` statement) when there is none."""
    progress = find_progress(session, person.id, checklist.id)
    if progress is not None:
        return progress
    version = current_version(session, checklist)
    progress = Progress(person=person, checklist=checklist, version=version, registration=str(uuid.uuid4()))
    session.add(progress)
    try:
        session.flush()
    except IntegrityError:
        # Another request started the same progress at the same moment.
        session.rollback()
        raise Conflict(N_("Có thao tác khác vừa được thực hiện cùng lúc. Vui lòng thử lại.")) from None
    statement = build_statement(
        actor=_agent(checklist.site_url, person),
        verb="attempted",
        activity_iri=checklist.activity.iri,
        activity_name=version.title,
        activity_type=CHECKLIST_TYPE,
        context={
            "registration": progress.registration,
            "extensions": {version_extension(checklist.site_url): version.version},
        },
    )
    store_statement(session, statement, hocvu_authority(checklist.site_url, MODULE))
    return progress


def _lock(session: Session, progress: Progress) -> Progress:
    """Serialise changes to one progress (PostgreSQL row lock; SQLite serialises writers),
    so two sign-offs of the last two items cannot both miss the completion."""
    locked = session.scalars(
        select(Progress).where(Progress.id == progress.id).with_for_update().execution_options(populate_existing=True)
    ).one()
    return locked


def _complete_if_done(session: Session, account: Account, progress: Progress, now: datetime) -> Statement | None:
    """Write the checklist's ``completed`` statement when every item is done and none is
    written yet. The instructor is the latest signing mentor still assigned today."""
    if progress.completed_statement_id is not None:
        return None
    view = build_view(session, progress.person, progress.checklist)
    if not view.items or not all(state.done for state in view.items):
        return None
    signoffs = sorted(
        (state.sign_off for state in view.items if state.sign_off is not None),
        key=lambda s: (s.signed_at, s.id),
        reverse=True,
    )
    if not signoffs:
        return None
    day = local_date(now)
    mentor = next(
        (
            s.mentor
            for s in signoffs
            if active_assignment(session, s.mentor_id, progress.person_id, progress.checklist_id, day)
        ),
        signoffs[0].mentor,
    )
    checklist, version = progress.checklist, progress.version
    statement = build_statement(
        actor=_agent(checklist.site_url, progress.person),
        verb="completed",
        activity_iri=checklist.activity.iri,
        activity_name=version.title,
        activity_type=CHECKLIST_TYPE,
        result={"completion": True, "success": True},
        context={
            "registration": progress.registration,
            "instructor": _agent(checklist.site_url, mentor),
            "extensions": {version_extension(checklist.site_url): version.version},
        },
        timestamp=now,
    )
    row = store_statement(session, statement, hocvu_authority(checklist.site_url, MODULE), now=now)
    progress.completed_at = now
    progress.completed_statement_id = row.id
    audit.log(
        session,
        account_id=account.id,
        action="checklists.completed",
        target_type="person",
        target_id=progress.person_id,
        data={
            "checklist": checklist.slug,
            "version": version.version,
            "statement_id": row.id,
            "instructor": mentor.staff_code,
        },
    )
    return row


# --- the official ---------------------------------------------------------------------


def _own_progress(session: Session, account: Account, slug: str) -> tuple[Person, Progress]:
    person = person_of(account)
    checklist = get_checklist(session, slug)
    progress = _lock(session, _open_progress(session, person, checklist))
    return person, progress


def _not_signed_off(session: Session, progress: Progress, item: Item) -> None:
    if session.scalar(select(SignOff.id).where(SignOff.progress_id == progress.id, SignOff.item_id == item.id)):
        raise Conflict(N_("Mục này đã được người hướng dẫn xác nhận, không thể thay đổi."))


def mark_item(
    session: Session, account: Account, slug: str, key: str, checked: bool, now: datetime | None = None
) -> ItemState:
    """The official checks (or unchecks) an item as done. A self item needs its evidence
    first and may complete the checklist; a signed-off item cannot be unchecked."""
    now = now or utcnow()
    person, progress = _own_progress(session, account, slug)
    item = _item_of(session, progress.version, key)
    mark = session.scalar(select(OwnMark).where(OwnMark.progress_id == progress.id, OwnMark.item_id == item.id))
    if checked:
        if item.sign_off == "self" and mark is None:
            rows = session.scalars(
                select(Evidence).where(Evidence.progress_id == progress.id, Evidence.item_id == item.id)
            ).all()
            if not evidence_satisfied(item.evidence, rows):
                raise ValidationFailed.single(
                    "evidence", N_("Hãy nộp minh chứng cho mục này trước khi đánh dấu đã làm.")
                )
        if mark is None:
            session.add(OwnMark(progress_id=progress.id, item_id=item.id, marked_at=now))
            session.flush()
        if item.sign_off == "self":
            _complete_if_done(session, account, progress, now)
    elif mark is not None:
        _not_signed_off(session, progress, item)
        if item.sign_off == "self" and progress.completed_statement_id is not None:
            raise Conflict(N_("Danh mục đã hoàn thành, không thể bỏ đánh dấu."))
        for request in session.scalars(
            select(ReviewRequest).where(
                ReviewRequest.progress_id == progress.id,
                ReviewRequest.item_id == item.id,
                ReviewRequest.closed_at.is_(None),
            )
        ):
            request.closed_at, request.outcome = now, "withdrawn"
        session.delete(mark)
        session.flush()
    return build_view(session, person, progress.checklist).state(key)


def _evidence_target(session: Session, account: Account, slug: str, key: str, kind: str) -> tuple[Progress, Item]:
    _, progress = _own_progress(session, account, slug)
    item = _item_of(session, progress.version, key)
    if item.evidence == "none":
        raise ValidationFailed.single(kind, N_("Mục này không cần minh chứng."))
    if kind == "file" and item.evidence == "case_number":
        raise ValidationFailed.single(kind, N_("Mục này cần số hồ sơ, không nhận tệp."))
    if kind == "case_number" and item.evidence == "file":
        raise ValidationFailed.single(kind, N_("Mục này cần tệp minh chứng, không nhận số hồ sơ."))
    _not_signed_off(session, progress, item)
    count = len(
        session.scalars(
            select(Evidence.id).where(Evidence.progress_id == progress.id, Evidence.item_id == item.id)
        ).all()
    )
    if count >= MAX_EVIDENCE_PER_ITEM:
        raise ValidationFailed.single(kind, N_("Mỗi mục có tối đa %(n)s minh chứng."), n=MAX_EVIDENCE_PER_ITEM)
    return progress, item


def add_case_number(session: Session, account: Account, slug: str, key: str, case_number: str) -> Evidence:
    """Record a case number (số hồ sơ) as evidence for an item."""
    value = " ".join((case_number or "").split())
    if not value:
        raise ValidationFailed.single("case_number", N_("Hãy nhập số hồ sơ."))
    if len(value) > CASE_NUMBER_MAX or any(not ch.isprintable() for ch in value):
        raise ValidationFailed.single(
            "case_number", N_("Số hồ sơ không hợp lệ (tối đa %(n)s ký tự)."), n=CASE_NUMBER_MAX
        )
    progress, item = _evidence_target(session, account, slug, key, "case_number")
    row = Evidence(
        progress_id=progress.id, item_id=item.id, kind="case_number", case_number=value, uploaded_by_id=account.id
    )
    session.add(row)
    session.flush()
    return row


def add_file(
    session: Session,
    account: Account,
    slug: str,
    key: str,
    *,
    filename: str,
    stream: BinaryIO,
    folder: Path,
    max_bytes: int = DEFAULT_MAX_EVIDENCE_BYTES,
) -> Evidence:
    """Store an uploaded file as evidence for an item: at most ``max_bytes``, a JPEG, PNG,
    WebP or PDF by its content, kept under a random name in ``folder``. Nothing is stored
    when it is refused."""
    progress, item = _evidence_target(session, account, slug, key, "file")
    megabytes = f"{max_bytes / (1024 * 1024):g}"
    try:
        stored = files.store(folder, stream, max_bytes)
    except files.UploadTooLarge:
        raise EvidenceTooLarge(N_("Tệp quá lớn: mỗi tệp minh chứng tối đa %(mb)s MB."), mb=megabytes) from None
    except files.UploadEmpty:
        raise ValidationFailed.single("file", N_("Tệp rỗng, không có nội dung.")) from None
    except files.UploadTypeRefused:
        raise EvidenceTypeRefused(
            N_("Loại tệp không được chấp nhận: chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF.")
        ) from None
    name = secure_filename(filename or "") or f"minh-chung{files.ALLOWED_TYPES[stored.content_type]}"
    row = Evidence(
        progress_id=progress.id,
        item_id=item.id,
        kind="file",
        original_name=name[:200],
        stored_name=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        uploaded_by_id=account.id,
    )
    session.add(row)
    session.flush()
    return row


def remove_evidence(session: Session, account: Account, evidence_id: int) -> str | None:
    """The official removes their own evidence from an item not yet signed off. Returns the
    stored file name, for the caller to delete from disk once the change is committed."""
    row = session.get(Evidence, evidence_id)
    person = person_of(account)
    if row is None or row.progress.person_id != person.id:
        raise NotFound(N_("Không tìm thấy minh chứng."))
    progress = _lock(session, row.progress)
    _not_signed_off(session, progress, row.item)
    stored = row.stored_name
    session.delete(row)
    session.flush()
    return stored


def request_review(
    session: Session, account: Account, slug: str, keys: list[str] | None = None, now: datetime | None = None
) -> list[ItemState]:
    """ "Gửi người hướng dẫn xem xét": open a review request for each mentor item the official
    marked (or for ``keys``, marking them) that is not signed off nor already waiting. Every
    item sent must have its evidence; an assigned mentor must exist."""
    now = now or utcnow()
    person, progress = _own_progress(session, account, slug)
    checklist = progress.checklist
    if not active_mentors(session, person, checklist, today(now)):
        raise ValidationFailed.single(
            "mentor", N_("Bạn chưa được phân công người hướng dẫn cho danh mục này. Vui lòng liên hệ bộ phận tổ chức.")
        )
    view = build_view(session, person, checklist)
    if keys:
        states = [view.state(key) for key in dict.fromkeys(keys)]
        for state in states:
            if state.item.sign_off != "mentor":
                raise ValidationFailed.single(
                    "items", N_("Mục %(key)s do bạn tự đánh dấu, không cần gửi người hướng dẫn."), key=state.item.key
                )
    else:
        states = [s for s in view.items if s.item.sign_off == "mentor" and s.own_mark is not None]
    candidates = [s for s in states if s.sign_off is None and s.open_request is None]
    if not candidates:
        raise ValidationFailed.single(
            "items", N_("Chưa có mục nào để gửi: hãy đánh dấu các mục đã làm (và nộp minh chứng) trước.")
        )
    missing = [s for s in candidates if not s.evidence_ok]
    if missing:
        raise ValidationFailed(
            [
                FieldError(f"items.{s.item.key}", N_("Mục %(key)s cần minh chứng trước khi gửi."), {"key": s.item.key})
                for s in missing
            ]
        )
    for state in candidates:
        if state.own_mark is None:
            session.add(OwnMark(progress_id=progress.id, item_id=state.item.id, marked_at=now))
        session.add(
            ReviewRequest(progress_id=progress.id, item_id=state.item.id, requested_at=now, requested_by_id=account.id)
        )
    session.flush()
    refreshed = build_view(session, person, checklist)
    return [refreshed.state(s.item.key) for s in candidates]


# --- the mentor -----------------------------------------------------------------------


@dataclass
class MentorTarget:
    official: Person
    checklist: Checklist
    item: Item
    assignment: MentorAssignment
    progress: Progress


def _mentor_target(
    session: Session, account: Account, person_id: int, slug: str, key: str, action: str, now: datetime
) -> MentorTarget:
    """Everything a sign-off or a return acts on, after the access check: an active
    assigned mentor, never the official. A refusal raises ``Refused``."""
    official = get_person(session, person_id)
    checklist = get_checklist(session, slug)
    progress = find_progress(session, official.id, checklist.id)
    item = _item_of(session, progress.version if progress else current_version(session, checklist), key)
    data = {
        "checklist": checklist.slug,
        "item": item.key,
        "mentor": account.person.staff_code if account.person else None,
    }
    mentor = account.person
    if mentor is not None and mentor.id == official.id:
        raise Refused(
            N_("Bạn không thể tự xác nhận công việc của chính mình."),
            account=account,
            action=f"{action}_refused",
            official=official,
            data=data | {"why": "own_item"},
        )
    assignment = active_assignment(session, mentor.id, official.id, checklist.id, today(now)) if mentor else None
    if assignment is None:
        raise Refused(
            N_("Chỉ người hướng dẫn đang được phân công cho cán bộ này mới được xác nhận hoặc trả lại mục."),
            account=account,
            action=f"{action}_refused",
            official=official,
            data=data | {"why": "not_assigned"},
        )
    if item.sign_off != "mentor":
        raise ValidationFailed.single("item", N_("Mục này do cán bộ tự đánh dấu, không cần người hướng dẫn xác nhận."))
    progress = _lock(session, progress or _open_progress(session, official, checklist))
    return MentorTarget(official, checklist, item, assignment, progress)


def _close_requests(session: Session, progress: Progress, item: Item, outcome: str, now: datetime) -> None:
    for request in session.scalars(
        select(ReviewRequest).where(
            ReviewRequest.progress_id == progress.id,
            ReviewRequest.item_id == item.id,
            ReviewRequest.closed_at.is_(None),
        )
    ):
        request.closed_at, request.outcome = now, outcome


def sign_off(
    session: Session,
    account: Account,
    person_id: int,
    slug: str,
    key: str,
    comment: str = "",
    now: datetime | None = None,
) -> ItemState:
    """The assigned mentor signs off an item, with a comment; completes the checklist when
    it was the last item. A second sign-off of the same item raises ``AlreadySignedOff``
    (the unique constraint decides between two at once; the transaction is rolled back)."""
    now = now or utcnow()
    target = _mentor_target(session, account, person_id, slug, key, "checklists.sign_off", now)
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise ValidationFailed.single("comment", N_("Nhận xét tối đa %(n)s ký tự."), n=TEXT_MAX)
    rows = session.scalars(
        select(Evidence).where(Evidence.progress_id == target.progress.id, Evidence.item_id == target.item.id)
    ).all()
    if not evidence_satisfied(target.item.evidence, rows):
        raise ValidationFailed.single("evidence", N_("Cán bộ chưa nộp minh chứng cho mục này."))
    mentor = person_of(account)
    session.add(
        SignOff(
            progress_id=target.progress.id,
            item_id=target.item.id,
            mentor_id=mentor.id,
            account_id=account.id,
            assignment_id=target.assignment.id,
            comment=comment,
            signed_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AlreadySignedOff(N_("Mục này đã được xác nhận.")) from None
    _close_requests(session, target.progress, target.item, "signed_off", now)
    audit.log(
        session,
        account_id=account.id,
        action="checklists.sign_off",
        target_type="person",
        target_id=target.official.id,
        reason=comment,
        data={
            "checklist": target.checklist.slug,
            "version": target.progress.version.version,
            "item": target.item.key,
            "mentor": mentor.staff_code,
            "assignment_id": target.assignment.id,
        },
    )
    session.flush()
    _complete_if_done(session, account, target.progress, now)
    return build_view(session, target.official, target.checklist).state(key)


def return_item(
    session: Session, account: Account, person_id: int, slug: str, key: str, message: str, now: datetime | None = None
) -> ItemState:
    """The assigned mentor sends an item back with what to improve."""
    now = now or utcnow()
    target = _mentor_target(session, account, person_id, slug, key, "checklists.return", now)
    message = (message or "").strip()
    if not message:
        raise ValidationFailed.single("message", N_("Hãy ghi rõ nội dung cần hoàn thiện."))
    if len(message) > TEXT_MAX:
        raise ValidationFailed.single("message", N_("Nội dung tối đa %(n)s ký tự."), n=TEXT_MAX)
    if session.scalar(
        select(SignOff.id).where(SignOff.progress_id == target.progress.id, SignOff.item_id == target.item.id)
    ):
        raise AlreadySignedOff(N_("Mục này đã được xác nhận."))
    mentor = person_of(account)
    session.add(
        ItemReturn(
            progress_id=target.progress.id,
            item_id=target.item.id,
            mentor_id=mentor.id,
            account_id=account.id,
            message=message,
            returned_at=now,
        )
    )
    _close_requests(session, target.progress, target.item, "returned", now)
    audit.log(
        session,
        account_id=account.id,
        action="checklists.return",
        target_type="person",
        target_id=target.official.id,
        reason=message,
        data={"checklist": target.checklist.slug, "item": target.item.key, "mentor": mentor.staff_code},
    )
    session.flush()
    return build_view(session, target.official, target.checklist).state(key)


@dataclass
class QueueEntry:
    """A checklist item waiting for the mentor's sign-off."""

    official: Person
    checklist: Checklist
    progress: Progress
    state: ItemState


def mentor_queue(session: Session, account: Account, now: datetime | None = None) -> list[QueueEntry]:
    """The items the caller's mentees sent for review, oldest request first; only from
    mentees (and checklists) the caller is assigned to today."""
    if account.person_id is None:
        return []
    day = today(now)
    assignments = session.scalars(
        select(MentorAssignment).where(
            MentorAssignment.mentor_id == account.person_id,
            MentorAssignment.official_id != account.person_id,
            MentorAssignment.start_date <= day,
            or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
        )
    ).all()
    covered: dict[int, set[int | None]] = {}
    for assignment in assignments:
        covered.setdefault(assignment.official_id, set()).add(assignment.checklist_id)
    if not covered:
        return []
    rows = session.execute(
        select(ReviewRequest.progress_id, ReviewRequest.item_id, ReviewRequest.requested_at)
        .join(Progress, Progress.id == ReviewRequest.progress_id)
        .where(ReviewRequest.closed_at.is_(None), Progress.person_id.in_(covered))
        .order_by(ReviewRequest.requested_at, ReviewRequest.id)
    ).all()
    entries: list[QueueEntry] = []
    views: dict[int, ChecklistView] = {}
    for progress_id, item_id, _ in rows:
        progress = session.get(Progress, progress_id)
        assert progress is not None
        scope = covered[progress.person_id]
        if None not in scope and progress.checklist_id not in scope:
            continue
        if progress_id not in views:
            views[progress_id] = build_view(session, progress.person, progress.checklist)
        state = next((s for s in views[progress_id].items if s.item.id == item_id), None)
        if (
            state is None
            or state.status != SUBMITTED
            or any(e.state.item.id == item_id and e.progress.id == progress_id for e in entries)
        ):
            continue
        entries.append(QueueEntry(progress.person, progress.checklist, progress, state))
    return entries


@dataclass
class Mentee:
    official: Person
    assignments: list[MentorAssignment]
    checklists: list[ChecklistView]


def mentees(session: Session, account: Account, now: datetime | None = None) -> list[Mentee]:
    """The officials the caller mentors today, with the checklists they are assigned for."""
    if account.person_id is None:
        return []
    day = today(now)
    assignments = session.scalars(
        select(MentorAssignment)
        .where(
            MentorAssignment.mentor_id == account.person_id,
            MentorAssignment.official_id != account.person_id,
            MentorAssignment.start_date <= day,
            or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
        )
        .order_by(MentorAssignment.id)
    ).all()
    by_official: dict[int, list[MentorAssignment]] = {}
    for assignment in assignments:
        by_official.setdefault(assignment.official_id, []).append(assignment)
    result = []
    for items in by_official.values():
        official = items[0].official
        scope = {a.checklist_id for a in items}
        views = [v for v in checklists_for(session, official) if None in scope or v.checklist.id in scope]
        result.append(Mentee(official, items, views))
    result.sort(key=lambda m: m.official.full_name)
    return result


# --- HR -------------------------------------------------------------------------------


def _official_for_hr(session: Session, account: Account, person_id: int) -> Person:
    official = get_person(session, person_id)
    if not is_hr_for(account, official):
        raise PermissionDenied(N_("Bạn không có quyền quản lý người hướng dẫn của cán bộ này."))
    return official


def assign_mentor(
    session: Session,
    account: Account,
    *,
    official_id: int,
    mentor_id: int | None = None,
    mentor_staff_code: str | None = None,
    checklist_slug: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    now: datetime | None = None,
) -> MentorAssignment:
    """HR of the official's unit makes a person (also in their scope) the official's mentor
    for one checklist or all of them, from ``start_date`` (default today) to ``end_date``."""
    official = _official_for_hr(session, account, official_id)
    errors: list[FieldError] = []
    mentor: Person | None = None
    if mentor_id is not None:
        mentor = session.get(Person, mentor_id)
    elif mentor_staff_code:
        mentor = person_by_staff_code(session, mentor_staff_code.strip())
    if mentor is None or not is_hr_for(account, mentor):
        errors.append(FieldError("mentor", N_("Không tìm thấy người hướng dẫn trong phạm vi bạn quản lý.")))
    elif mentor.id == official.id:
        errors.append(FieldError("mentor", N_("Cán bộ không thể là người hướng dẫn của chính mình.")))
    elif not mentor.active:
        errors.append(FieldError("mentor", N_("Người hướng dẫn đã nghỉ công tác.")))
    checklist = None
    if checklist_slug:
        checklist = session.scalar(select(Checklist).where(Checklist.slug == checklist_slug))
        if checklist is None:
            errors.append(FieldError("checklist", N_("Không tìm thấy danh mục thực hành.")))
    start = start_date or today(now)
    if end_date is not None and end_date < start:
        errors.append(FieldError("end_date", N_("Ngày kết thúc không được trước ngày bắt đầu.")))
    if errors:
        raise ValidationFailed(errors)
    assert mentor is not None
    overlap = session.scalar(
        select(MentorAssignment.id).where(
            MentorAssignment.mentor_id == mentor.id,
            MentorAssignment.official_id == official.id,
            MentorAssignment.checklist_id.is_(None)
            if checklist is None
            else MentorAssignment.checklist_id == checklist.id,
            or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= start),
            *([MentorAssignment.start_date <= end_date] if end_date is not None else []),
        )
    )
    if overlap is not None:
        raise ValidationFailed.single("mentor", N_("Đã có phân công người hướng dẫn này trong cùng thời gian."))
    assignment = MentorAssignment(
        mentor=mentor,
        official=official,
        checklist=checklist,
        start_date=start,
        end_date=end_date,
        assigned_by_id=account.id,
    )
    session.add(assignment)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="checklists.mentor_assigned",
        target_type="person",
        target_id=official.id,
        data={
            "assignment_id": assignment.id,
            "mentor": mentor.staff_code,
            "checklist": checklist.slug if checklist else None,
            "start_date": start.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
        },
    )
    return assignment


def end_assignment(
    session: Session, account: Account, assignment_id: int, end_date: date | None = None, now: datetime | None = None
) -> MentorAssignment:
    """HR ends an assignment on ``end_date`` (default today); past sign-offs stay valid."""
    assignment = session.get(MentorAssignment, assignment_id)
    if assignment is None:
        raise NotFound(N_("Không tìm thấy phân công người hướng dẫn."))
    _official_for_hr(session, account, assignment.official_id)
    end = end_date or today(now)
    if end < assignment.start_date:
        raise ValidationFailed.single("end_date", N_("Ngày kết thúc không được trước ngày bắt đầu."))
    assignment.end_date = end
    audit.log(
        session,
        account_id=account.id,
        action="checklists.mentor_assignment_ended",
        target_type="person",
        target_id=assignment.official_id,
        data={"assignment_id": assignment.id, "end_date": end.isoformat()},
    )
    session.flush()
    return assignment


def assignments_of(session: Session, account: Account, official_id: int) -> list[MentorAssignment]:
    """Every mentor assignment of an official (HR of their unit, or the official)."""
    official = get_person(session, official_id)
    if account.person_id != official.id and not is_hr_for(account, official):
        raise PermissionDenied(N_("Bạn không có quyền xem thông tin của cán bộ này."))
    return list(
        session.scalars(
            select(MentorAssignment)
            .where(MentorAssignment.official_id == official.id)
            .order_by(MentorAssignment.start_date.desc(), MentorAssignment.id.desc())
        )
    )


def revoke_sign_off(
    session: Session, account: Account, person_id: int, slug: str, key: str, reason: str, now: datetime | None = None
) -> ItemState:
    """HR of the official's unit revokes a sign-off with a reason. When the checklist was
    completed, its ``completed`` statement is voided, so the credit is withdrawn at once."""
    now = now or utcnow()
    official = get_person(session, person_id)
    checklist = get_checklist(session, slug)
    progress = find_progress(session, official.id, checklist.id)
    if progress is None:
        raise NotFound(N_("Cán bộ chưa bắt đầu danh mục này."))
    item = _item_of(session, progress.version, key)
    if not is_hr_for(account, official):
        raise Refused(
            N_("Chỉ cán bộ tổ chức (nhân sự) của đơn vị mới được thu hồi xác nhận."),
            account=account,
            action="checklists.revoke_refused",
            official=official,
            data={"checklist": checklist.slug, "item": item.key},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single("reason", N_("Hãy ghi lý do thu hồi xác nhận."))
    if len(reason) > TEXT_MAX:
        raise ValidationFailed.single("reason", N_("Lý do tối đa %(n)s ký tự."), n=TEXT_MAX)
    progress = _lock(session, progress)
    signoff = session.scalar(select(SignOff).where(SignOff.progress_id == progress.id, SignOff.item_id == item.id))
    if signoff is None:
        raise NotFound(N_("Mục này chưa được xác nhận nên không có gì để thu hồi."))
    mentor_code = signoff.mentor.staff_code
    voided = progress.completed_statement_id
    if voided is not None:
        site = checklist.site_url
        actor = _agent(site, account.person) if account.person else account_agent(site, "hocvu", "HocVu")
        store_statement(
            session,
            {
                "id": str(uuid.uuid4()),
                "actor": actor,
                "verb": {"id": VOIDED, "display": {"en-US": "voided", "vi": VERBS["voided"][1]}},
                "object": {"objectType": "StatementRef", "id": voided},
                "timestamp": now.isoformat(),
            },
            hocvu_authority(site, MODULE),
            now=now,
        )
        progress.completed_statement_id = None
        progress.completed_at = None
    session.add(
        RevokedSignOff(
            progress_id=progress.id,
            item_id=item.id,
            mentor_id=signoff.mentor_id,
            comment=signoff.comment,
            signed_at=signoff.signed_at,
            revoked_at=now,
            revoked_by_id=account.id,
            reason=reason,
            voided_statement_id=voided,
        )
    )
    session.delete(signoff)
    audit.log(
        session,
        account_id=account.id,
        action="checklists.sign_off_revoked",
        target_type="person",
        target_id=official.id,
        reason=reason,
        data={
            "checklist": checklist.slug,
            "item": item.key,
            "mentor": mentor_code,
            "voided_statement_id": voided,
        },
    )
    session.flush()
    return build_view(session, official, checklist).state(key)


# --- evidence download ----------------------------------------------------------------


def evidence_for_download(
    session: Session, account: Account, evidence_id: int, now: datetime | None = None
) -> Evidence:
    """A stored evidence file, for the official, their mentors assigned today and HR of their
    unit; ``NotFound`` for everyone else (and for case numbers, which have no file)."""
    row = session.get(Evidence, evidence_id)
    if row is None or row.kind != "file" or not row.stored_name:
        raise NotFound(N_("Không tìm thấy tệp minh chứng."))
    progress = row.progress
    if not can_view(session, account, progress.person, progress.checklist, today(now)):
        raise NotFound(N_("Không tìm thấy tệp minh chứng."))
    return row


# --- crediting ------------------------------------------------------------------------


def credit_refusal(session: Session, statement: Statement, activity: Activity) -> str | None:
    """Why a checklist statement must not award credit, or None. It credits only when
    ``context.instructor`` is a mentor assigned to the statement's actor for that checklist
    (or all) on the statement's day; depends only on the database."""
    if activity.type != ActivityType.CHECKLIST:
        return None
    document = statement.statement or {}
    instructor = (document.get("context") or {}).get("instructor")
    if not isinstance(instructor, dict):
        return REFUSAL_NO_INSTRUCTOR
    checklist = session.scalar(select(Checklist).where(Checklist.activity_id == activity.id))
    if checklist is None:
        return REFUSAL_NOT_ASSIGNED
    mentor = _person_for_agent(session, instructor, checklist.site_url)
    official = _person_for_agent(session, document.get("actor"), checklist.site_url)
    if mentor is None or official is None or mentor.id == official.id:
        return REFUSAL_NOT_ASSIGNED
    if active_assignment(session, mentor.id, official.id, checklist.id, local_date(statement.timestamp)) is None:
        return REFUSAL_NOT_ASSIGNED
    return None


def _person_for_agent(session: Session, agent: Any, site_url: str) -> Person | None:
    """The person an xAPI Agent names by staff code, if it is an account on this site."""
    account = agent.get("account") if isinstance(agent, dict) else None
    if not isinstance(account, dict) or not isinstance(account.get("name"), str):
        return None
    if str(account.get("homePage", "")).rstrip("/") != site_url.rstrip("/"):
        return None
    return person_by_staff_code(session, account["name"])


# --- demo -----------------------------------------------------------------------------

DEMO_MENTOR, DEMO_OFFICIAL, DEMO_START = "GL-00002", "GL-00001", date(2026, 1, 1)


def seed_demo(session: Session, demo: Any) -> None:
    """demo.mentor (GL-00002) mentors demo.official (GL-00001) on all checklists from
    2026-01-01, open-ended. Idempotent."""
    mentor, official = demo.people.get(DEMO_MENTOR), demo.people.get(DEMO_OFFICIAL)
    if mentor is None or official is None:
        return
    exists = session.scalar(
        select(MentorAssignment.id).where(
            MentorAssignment.mentor_id == mentor.id,
            MentorAssignment.official_id == official.id,
            MentorAssignment.checklist_id.is_(None),
            MentorAssignment.start_date == DEMO_START,
        )
    )
    if exists is None:
        hr = demo.accounts.get("demo.hr")
        session.add(
            MentorAssignment(
                mentor_id=mentor.id,
                official_id=official.id,
                checklist_id=None,
                start_date=DEMO_START,
                end_date=None,
                assigned_by_id=hr.id if hr is not None else None,
            )
        )
        session.flush()


# --- lists for mentors and HR ---------------------------------------------------------


def visible_checklists(
    session: Session, account: Account, official: Person, now: datetime | None = None
) -> list[ChecklistView]:
    """The official's checklists as the caller may see them: all for the official and HR of
    their unit, only those a mentor is assigned to today for a mentor."""
    day = today(now)
    require_view(session, account, official, None, day)
    views = checklists_for(session, official)
    if account.person_id == official.id or is_hr_for(account, official):
        return views
    return [v for v in views if can_view(session, account, official, v.checklist, day)]


def view_for(
    session: Session, account: Account, official: Person, slug: str, now: datetime | None = None
) -> ChecklistView:
    """One checklist of the official, for the official, their mentor assigned today, or HR."""
    checklist = get_checklist(session, slug)
    require_view(session, account, official, checklist, today(now))
    return build_view(session, official, checklist)


def find_people_for_hr(session: Session, account: Account, text: str, limit: int = 20) -> list[Person]:
    """People in the caller's HR scope whose staff code is ``text`` or whose name contains it."""
    text = " ".join((text or "").split())
    if not text:
        return []
    pattern = f"%{text.lower()}%"
    return list(
        session.scalars(
            select(Person)
            .join(Unit, Unit.id == Person.unit_id)
            .where(access.scope_filter(account, Role.HR))
            .where(or_(Person.staff_code == text, func.lower(Person.full_name).like(pattern)))
            .order_by(Person.full_name)
            .limit(limit)
        )
    )


def assignments_in_scope(
    session: Session, account: Account, now: datetime | None = None, limit: int = 50
) -> list[MentorAssignment]:
    """Mentor assignments active today for officials in the caller's HR scope, newest first."""
    day = today(now)
    return list(
        session.scalars(
            select(MentorAssignment)
            .join(Person, Person.id == MentorAssignment.official_id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(access.scope_filter(account, Role.HR))
            .where(
                MentorAssignment.start_date <= day,
                or_(MentorAssignment.end_date.is_(None), MentorAssignment.end_date >= day),
            )
            .order_by(MentorAssignment.id.desc())
            .limit(limit)
        )
    )


def all_checklists(session: Session) -> list[tuple[str, str]]:
    """(slug, title) of every active checklist, by title."""
    rows = session.execute(
        select(Checklist.slug, Activity.title)
        .join(Activity, Activity.id == Checklist.activity_id)
        .where(Activity.active.is_(True))
        .order_by(Activity.title)
    ).all()
    return [(slug, title) for slug, title in rows]


def find_colleagues(session: Session, account: Account, official: Person, limit: int = 200) -> list[Person]:
    """Active people of the official's unit (the usual mentors), for HR's assignment form."""
    if not is_hr_for(account, official):
        return []
    return list(
        session.scalars(
            select(Person)
            .where(Person.unit_id == official.unit_id, Person.id != official.id, Person.active.is_(True))
            .order_by(Person.full_name)
            .limit(limit)
        )
    )
