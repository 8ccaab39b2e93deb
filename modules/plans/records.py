"""Nominations (cử đi đào tạo, bồi dưỡng) and degree training records (thạc sĩ, tiến sĩ,
chuyên khoa I/II), and the reimbursement (đền bù, bồi hoàn) HocVu computes for them.

The plans say nobody is sent to training that is not in the plan, "kể cả trường hợp tự
túc về kinh phí": every record names a line of an approved plan of the person's unit or
of a unit above it, for the year the training starts, or it is refused.

Reimbursement of degree training (Nghị định 171/2025: the trainee serves three times the
training time, T1 = 3 × duration in months):

- funded by the trainee (tự túc): nothing to reimburse;
- dropped out (bỏ học) or no degree granted (không được cấp bằng): the full cost F;
- left before serving T1 (chuyển công tác, nghỉ việc trước hạn) after T2 months served:
  S = F / T1 × (T1 − T2), in whole đồng, rounded half up (computed exactly in integers:
  F × (T1 − T2) divided by T1, a remainder of half T1 or more adds one đồng);
- still studying, or graduated and serving: nothing.

HR records the rule's exceptions (miễn: nothing is owed; giảm: a lower amount), with a
reason; the exception overrides the computed amount and is audited.

Headless: session in, results out; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms_core import access, audit
from lms_core.accounts import Account, Role
from lms_core.db import utcnow
from lms_core.errors import N_, FieldError, NotFound, ValidationFailed
from lms_core.people import Person
from lms_core.units import Unit, ancestor_paths
from modules.plans.models import DegreeTraining, Nomination, PlanLine, TrainingPlan
from modules.plans.services import (
    DEGREE_PROGRAMMES,
    FUNDING_LABELS,
    MAX_VND,
    PROGRAMME_LABELS,
    Funding,
    LineKind,
    PlanStatus,
    parse_day,
    parse_int,
)

SERVICE_MULTIPLIER = 3  # Nghị định 171/2025: serve three times the training time
MAX_DURATION_MONTHS = 120


class DegreeStatus(StrEnum):
    STUDYING = "dang_hoc"
    GRADUATED = "hoan_thanh"
    DROPPED_OUT = "bo_hoc"
    NO_DEGREE = "khong_cap_bang"
    LEFT_EARLY = "nghi_truoc_han"


DEGREE_STATUS_LABELS = {
    DegreeStatus.STUDYING.value: N_("Đang học"),
    DegreeStatus.GRADUATED.value: N_("Hoàn thành — có bằng"),
    DegreeStatus.DROPPED_OUT.value: N_("Bỏ học"),
    DegreeStatus.NO_DEGREE.value: N_("Không được cấp bằng"),
    DegreeStatus.LEFT_EARLY.value: N_("Chuyển công tác, nghỉ việc trước thời hạn cam kết"),
}

# "Completed" for a count line: the degree was granted (leaving early comes after it).
DEGREE_COMPLETED = (DegreeStatus.GRADUATED.value, DegreeStatus.LEFT_EARLY.value)


class NominationStatus(StrEnum):
    SENT = "da_cu"
    COMPLETED = "hoan_thanh"
    NOT_COMPLETED = "khong_hoan_thanh"
    CANCELLED = "huy"


NOMINATION_STATUS_LABELS = {
    NominationStatus.SENT.value: N_("Đã cử đi học"),
    NominationStatus.COMPLETED.value: N_("Hoàn thành"),
    NominationStatus.NOT_COMPLETED.value: N_("Không hoàn thành"),
    NominationStatus.CANCELLED.value: N_("Hủy cử đi học"),
}

# Hình thức đào tạo, bồi dưỡng (the same codes as external training claims).
MODE_LABELS = {
    "tap_trung": N_("Tập trung"),
    "ban_tap_trung": N_("Bán tập trung"),
    "tu_xa": N_("Từ xa"),
    "truc_tuyen": N_("Trực tuyến"),
}


class ExceptionKind(StrEnum):
    WAIVED = "mien"
    REDUCED = "giam"


EXCEPTION_LABELS = {
    ExceptionKind.WAIVED.value: N_("Miễn đền bù"),
    ExceptionKind.REDUCED.value: N_("Giảm đền bù"),
}


# --- reimbursement --------------------------------------------------------------------


@dataclass(frozen=True)
class Reimbursement:
    """What a trainee owes. ``computed_vnd`` follows the rule; ``amount_vnd`` is what is
    owed after HR's exception (the same when there is none). ``rule`` names the case:
    self_funded, full, pro_rata, served or none."""

    computed_vnd: int
    amount_vnd: int
    rule: str
    committed_months: int
    served_months: int | None
    exception: str | None


RULE_LABELS = {
    "self_funded": N_("Tự túc kinh phí: không phải đền bù."),
    "full": N_("Bỏ học hoặc không được cấp bằng: đền bù toàn bộ chi phí đào tạo."),
    "pro_rata": N_("Chưa phục vụ đủ thời gian cam kết: S = F / T1 × (T1 − T2), làm tròn đến đồng."),
    "served": N_("Đã phục vụ đủ thời gian cam kết: không phải đền bù."),
    "none": N_("Đang học hoặc đang phục vụ theo cam kết: chưa phải đền bù."),
}


def committed_months(duration_months: int) -> int:
    """T1: the service commitment, three times the training time."""
    return SERVICE_MULTIPLIER * duration_months


def pro_rata(cost_vnd: int, committed: int, served: int) -> int:
    """S = F / T1 × (T1 − T2) in whole đồng, rounded half up, in exact integer
    arithmetic; T2 is held to [0, T1]."""
    served = min(max(served, 0), committed)
    quotient, remainder = divmod(cost_vnd * (committed - served), committed)
    return quotient + (1 if 2 * remainder >= committed else 0)


def computed_reimbursement(
    *, status: str, funding: str, cost_vnd: int, duration_months: int, served_months: int | None
) -> tuple[int, str]:
    """The amount the rule gives and the rule's name, before any exception."""
    committed = committed_months(duration_months)
    if funding == Funding.SELF.value:
        return 0, "self_funded"
    if status in (DegreeStatus.DROPPED_OUT.value, DegreeStatus.NO_DEGREE.value):
        return cost_vnd, "full"
    if status == DegreeStatus.LEFT_EARLY.value:
        served = served_months or 0
        if served >= committed:
            return 0, "served"
        return pro_rata(cost_vnd, committed, served), "pro_rata"
    if status == DegreeStatus.GRADUATED.value and served_months is not None and served_months >= committed:
        return 0, "served"
    return 0, "none"


def reimbursement(record: DegreeTraining) -> Reimbursement:
    computed, rule = computed_reimbursement(
        status=record.status,
        funding=record.funding,
        cost_vnd=record.cost_vnd,
        duration_months=record.duration_months,
        served_months=record.served_months,
    )
    amount = computed
    if record.exception_kind == ExceptionKind.WAIVED.value:
        amount = 0
    elif record.exception_kind == ExceptionKind.REDUCED.value:
        # Never more than the rule gives now: the record may have changed since the
        # exception was granted (served in full since, say).
        amount = min(record.exception_amount_vnd or 0, computed)
    return Reimbursement(
        computed_vnd=computed,
        amount_vnd=amount,
        rule=rule,
        committed_months=committed_months(record.duration_months),
        served_months=record.served_months,
        exception=record.exception_kind,
    )


def duration_from_dates(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``, a month begun counting as a month
    (1 Sep 2026 – 31 Aug 2028 is 24 months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day >= start.day else 0)


# --- the plan line a record names -----------------------------------------------------


def _check_line(
    session: Session,
    errors: list[FieldError],
    line_id: Any,
    person: Person | None,
    start: date | None,
    *,
    degree: bool,
) -> PlanLine | None:
    """The named line, or None with the reason in ``errors``: it must belong to an
    approved plan of the person's unit or a unit above it, for the year training starts."""
    if line_id in (None, ""):
        errors.append(
            FieldError("line_id", N_("Chọn chỉ tiêu của kế hoạch được thực hiện: không cử đi học ngoài kế hoạch."))
        )
        return None
    line = session.get(PlanLine, parse_int(line_id) or -1)
    if line is None:
        errors.append(FieldError("line_id", N_("Không tìm thấy chỉ tiêu.")))
        return None
    if person is None or start is None:
        return line
    plan: TrainingPlan = line.plan
    if (
        plan.status != PlanStatus.APPROVED.value
        or plan.year != start.year
        or plan.unit.path not in ancestor_paths(person.unit.path)
    ):
        errors.append(
            FieldError(
                "line_id",
                N_(
                    "Chỉ tiêu phải thuộc kế hoạch đã phê duyệt năm %(year)s của đơn vị của cán bộ hoặc đơn vị cấp trên."
                ),
                {"year": start.year},
            )
        )
        return None
    if degree and (line.kind != LineKind.COUNT.value or line.programme not in DEGREE_PROGRAMMES):
        errors.append(FieldError("line_id", N_("Chọn chỉ tiêu đào tạo sau đại học (thạc sĩ, tiến sĩ, chuyên khoa).")))
        return None
    if not degree and (
        line.kind not in (LineKind.COUNT.value, LineKind.CLASS.value) or line.programme in DEGREE_PROGRAMMES
    ):
        errors.append(
            FieldError(
                "line_id",
                N_("Chọn chỉ tiêu bồi dưỡng (đào tạo sau đại học được ghi ở hồ sơ đào tạo sau đại học)."),
            )
        )
        return None
    return line


def _check_person(session: Session, account: Account, errors: list[FieldError], person_id: Any) -> Person | None:
    person = session.get(Person, parse_int(person_id) or -1) if person_id not in (None, "") else None
    if person is None or not access.can(account, Role.HR, person.unit):
        errors.append(FieldError("person_id", N_("Chọn cán bộ thuộc đơn vị bạn quản lý.")))
        return None
    return person


def _dates(errors: list[FieldError], data: dict[str, Any]) -> tuple[date | None, date | None]:
    start, end = parse_day(data.get("start_date")), parse_day(data.get("end_date"))
    if start is None:
        errors.append(FieldError("start_date", N_("Ngày bắt đầu không hợp lệ (định dạng YYYY-MM-DD).")))
    if end is None:
        errors.append(FieldError("end_date", N_("Ngày kết thúc không hợp lệ (định dạng YYYY-MM-DD).")))
    if start and end and end < start:
        errors.append(FieldError("end_date", N_("Ngày kết thúc phải từ ngày bắt đầu trở đi.")))
        return start, None
    return start, end


def _required_text(errors: list[FieldError], data: dict[str, Any], name: str, message: str) -> str:
    value = " ".join(str(data.get(name) or "").split())
    if not value:
        errors.append(FieldError(name, message))
    elif len(value) > 300:
        errors.append(FieldError(name, N_("Tối đa 300 ký tự.")))
    return value


def _short_text(errors: list[FieldError], data: dict[str, Any], name: str) -> str:
    value = " ".join(str(data.get(name) or "").split())
    if len(value) > 100:
        errors.append(FieldError(name, N_("Tối đa 100 ký tự.")))
    return value


# --- nominations ----------------------------------------------------------------------


def _clean_nomination(session: Session, account: Account, data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    person = _check_person(session, account, errors, data.get("person_id"))
    start, end = _dates(errors, data)
    line = _check_line(session, errors, data.get("line_id"), person, start, degree=False)
    title = _required_text(errors, data, "title", N_("Nhập tên khóa, lớp đào tạo, bồi dưỡng."))
    institution = " ".join(str(data.get("institution") or "").split())[:300]
    mode = data.get("mode")
    if mode not in MODE_LABELS:
        errors.append(FieldError("mode", N_("Chọn hình thức đào tạo, bồi dưỡng.")))
    status = data.get("status") or NominationStatus.SENT.value
    if status not in NOMINATION_STATUS_LABELS:
        errors.append(FieldError("status", N_("Trạng thái không hợp lệ.")))
    decision_number = _short_text(errors, data, "decision_number")
    if errors:
        raise ValidationFailed(errors)
    return {
        "person": person,
        "line": line,
        "title": title,
        "institution": institution,
        "mode": mode,
        "start_date": start,
        "end_date": end,
        "status": status,
        "decision_number": decision_number,
        "note": str(data.get("note") or "").strip(),
    }


RecordT = TypeVar("RecordT", Nomination, DegreeTraining)


def _created(
    session: Session, account: Account, record: RecordT, action: str, target: str, data: Callable[[RecordT], Any]
) -> RecordT:
    """Add a new record and audit it with ``data(record)``."""
    session.add(record)
    session.flush()
    audit.log(session, account_id=account.id, action=action, target_type=target, target_id=record.id, data=data(record))
    return record


def _updated(
    session: Session,
    account: Account,
    record: RecordT,
    clean: dict[str, Any],
    action: str,
    target: str,
    data: Callable[[RecordT], Any],
) -> RecordT:
    """Apply ``clean`` to a record and audit ``data`` before and after."""
    before = data(record)
    for name, value in clean.items():
        setattr(record, name, value)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action=action,
        target_type=target,
        target_id=record.id,
        data={"before": before, "after": data(record)},
    )
    return record


def _nomination_data(item: Nomination) -> dict[str, Any]:
    return {
        "person_id": item.person_id,
        "line_id": item.line_id,
        "title": item.title,
        "start_date": item.start_date.isoformat(),
        "end_date": item.end_date.isoformat(),
        "status": item.status,
    }


def create_nomination(session: Session, account: Account, data: dict[str, Any]) -> Nomination:
    """HR over the person's unit sends them to training under a plan line."""
    item = Nomination(**_clean_nomination(session, account, data), created_at=utcnow(), created_by=account.id)
    return _created(session, account, item, "plans.nomination_created", "plan_nomination", _nomination_data)


def update_nomination(session: Session, account: Account, item: Nomination, data: dict[str, Any]) -> Nomination:
    clean = _clean_nomination(session, account, data)
    return _updated(session, account, item, clean, "plans.nomination_updated", "plan_nomination", _nomination_data)


def _records_in_scope(session: Session, account: Account, model: type[RecordT], year: int | None) -> Sequence[RecordT]:
    """Records of ``model`` for people in the account's HR scope (whichever plan's line
    they name), newest first, of plans of ``year`` when given."""
    query = (
        select(model)
        .join(Person, Person.id == model.person_id)
        .join(Unit, Unit.id == Person.unit_id)
        .join(PlanLine, PlanLine.id == model.line_id)
        .join(TrainingPlan, TrainingPlan.id == PlanLine.plan_id)
        .where(access.scope_filter(account, Role.HR))
        .options(joinedload(model.person).joinedload(Person.unit), joinedload(model.line))
        .order_by(model.start_date.desc(), model.id.desc())
    )
    if year is not None:
        query = query.where(TrainingPlan.year == year)
    return session.scalars(query).all()


def _record_in_scope(session: Session, account: Account, model: type[RecordT], record_id: int, missing: str) -> RecordT:
    record = session.get(model, record_id)
    if record is None or not access.can(account, Role.HR, record.person.unit):
        raise NotFound(missing)
    return record


def nominations(session: Session, account: Account, year: int | None = None) -> Sequence[Nomination]:
    """Nominations of people in the account's HR scope (whichever plan's line they name)."""
    return _records_in_scope(session, account, Nomination, year)


def get_nomination(session: Session, account: Account, nomination_id: int) -> Nomination:
    return _record_in_scope(session, account, Nomination, nomination_id, N_("Không tìm thấy hồ sơ cử đi học."))


# --- degree training ------------------------------------------------------------------


def _clean_degree(session: Session, account: Account, data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    person = _check_person(session, account, errors, data.get("person_id"))
    start, end = _dates(errors, data)
    level = data.get("level")
    if level not in DEGREE_PROGRAMMES:
        errors.append(FieldError("level", N_("Chọn trình độ đào tạo (thạc sĩ, tiến sĩ, chuyên khoa I, II).")))
    line = _check_line(session, errors, data.get("line_id"), person, start, degree=True)
    if line is not None and level in DEGREE_PROGRAMMES and line.programme != level:
        errors.append(
            FieldError(
                "line_id",
                N_("Chỉ tiêu này dành cho trình độ %(programme)s."),
                {"programme": PROGRAMME_LABELS[line.programme or ""]},
            )
        )
    institution = _required_text(errors, data, "institution", N_("Nhập cơ sở đào tạo."))
    field_of_study = _required_text(errors, data, "field_of_study", N_("Nhập ngành, chuyên ngành đào tạo."))
    funding = data.get("funding")
    if funding not in FUNDING_LABELS:
        errors.append(FieldError("funding", N_("Chọn nguồn kinh phí.")))
    elif line is not None and line.funding and line.funding != funding:
        errors.append(FieldError("funding", N_("Chỉ tiêu này dành cho nguồn kinh phí khác.")))
    cost = parse_int(data.get("cost_vnd"))
    if cost is None or not 0 <= cost <= MAX_VND:
        errors.append(FieldError("cost_vnd", N_("Nhập chi phí đào tạo bằng đồng (số nguyên, không âm).")))
    raw_duration = data.get("duration_months")
    duration: int | None = None
    if raw_duration not in (None, ""):
        duration = parse_int(raw_duration)
        if duration is None or not 1 <= duration <= MAX_DURATION_MONTHS:
            duration = None
            errors.append(
                FieldError(
                    "duration_months",
                    N_("Thời gian đào tạo phải từ 1 đến %(max)s tháng."),
                    {"max": MAX_DURATION_MONTHS},
                )
            )
    elif start and end:
        # Not given: from the dates (a begun month counts).
        duration = duration_from_dates(start, end)
        if duration > MAX_DURATION_MONTHS:
            errors.append(
                FieldError("end_date", N_("Thời gian đào tạo quá %(max)s tháng."), {"max": MAX_DURATION_MONTHS})
            )
    status = data.get("status") or DegreeStatus.STUDYING.value
    if status not in DEGREE_STATUS_LABELS:
        errors.append(FieldError("status", N_("Trạng thái không hợp lệ.")))
    served = None
    if data.get("served_months") not in (None, ""):
        served = parse_int(data.get("served_months"))
        if served is None or not 0 <= served <= 1200:
            errors.append(FieldError("served_months", N_("Thời gian đã phục vụ là số tháng, từ 0 đến 1.200.")))
    elif status == DegreeStatus.LEFT_EARLY.value:
        errors.append(FieldError("served_months", N_("Nhập số tháng đã phục vụ sau khi tốt nghiệp.")))
    decision_number = _short_text(errors, data, "decision_number")
    if errors:
        raise ValidationFailed(errors)
    return {
        "person": person,
        "line": line,
        "level": level,
        "institution": institution,
        "field_of_study": field_of_study,
        "start_date": start,
        "end_date": end,
        "duration_months": duration,
        "funding": funding,
        "cost_vnd": cost,
        "status": status,
        "served_months": served,
        "decision_number": decision_number,
        "note": str(data.get("note") or "").strip(),
    }


def _degree_data(record: DegreeTraining) -> dict[str, Any]:
    owed = reimbursement(record)
    return {
        "person_id": record.person_id,
        "line_id": record.line_id,
        "level": record.level,
        "funding": record.funding,
        "cost_vnd": record.cost_vnd,
        "duration_months": record.duration_months,
        "status": record.status,
        "served_months": record.served_months,
        "computed_vnd": owed.computed_vnd,
        "amount_vnd": owed.amount_vnd,
    }


def create_degree(session: Session, account: Account, data: dict[str, Any]) -> DegreeTraining:
    """HR over the person's unit records degree training under a plan line."""
    record = DegreeTraining(**_clean_degree(session, account, data), created_at=utcnow(), created_by=account.id)
    return _created(session, account, record, "plans.degree_created", "plan_degree", _degree_data)


def update_degree(session: Session, account: Account, record: DegreeTraining, data: dict[str, Any]) -> DegreeTraining:
    """Change a record (its status as training goes on, the months served…); the
    reimbursement follows, and the audit keeps the amounts before and after."""
    clean = _clean_degree(session, account, data)
    return _updated(session, account, record, clean, "plans.degree_updated", "plan_degree", _degree_data)


def record_exception(
    session: Session, account: Account, record: DegreeTraining, data: dict[str, Any]
) -> DegreeTraining:
    """HR records an exception to the rule: ``kind`` mien (nothing owed) or giam (the
    lower ``amount_vnd`` owed, below the computed amount), always with a ``reason``; an
    empty kind removes the exception (with a reason too). Overrides the computed amount.
    Only HR over the unit whose plan pays may waive: HR over the person and over the
    plan's unit."""
    access.require(account, Role.HR, record.person.unit)
    access.require(account, Role.HR, record.line.plan.unit)
    errors: list[FieldError] = []
    kind = data.get("kind") or None
    if kind is not None and kind not in EXCEPTION_LABELS:
        errors.append(FieldError("kind", N_("Chọn miễn hoặc giảm đền bù.")))
    reason = str(data.get("reason") or "").strip()
    if not reason:
        errors.append(FieldError("reason", N_("Nêu lý do (căn cứ) miễn, giảm đền bù.")))
    computed = reimbursement(record).computed_vnd
    amount = None
    if kind == ExceptionKind.REDUCED.value:
        amount = parse_int(data.get("amount_vnd"))
        if amount is None or not 0 <= amount < computed:
            errors.append(
                FieldError(
                    "amount_vnd",
                    N_("Số tiền sau khi giảm phải từ 0 đến dưới %(computed)s đồng."),
                    {"computed": f"{computed:,}".replace(",", ".")},
                )
            )
    elif kind == ExceptionKind.WAIVED.value and computed == 0:
        errors.append(FieldError("kind", N_("Hồ sơ này không phải đền bù: không có gì để miễn.")))
    if errors:
        raise ValidationFailed(errors)
    before = {"kind": record.exception_kind, "amount_vnd": record.exception_amount_vnd}
    record.exception_kind = kind
    record.exception_amount_vnd = amount if kind == ExceptionKind.REDUCED.value else None
    record.exception_reason = reason if kind else ""
    record.exception_at = utcnow() if kind else None
    record.exception_by = account.id if kind else None
    audit.log(
        session,
        account_id=account.id,
        action="plans.reimbursement_exception",
        target_type="plan_degree",
        target_id=record.id,
        reason=reason,
        data={"before": before, "after": {"kind": kind, "amount_vnd": amount}, "computed_vnd": computed},
    )
    return record


def degrees(session: Session, account: Account, year: int | None = None) -> Sequence[DegreeTraining]:
    """Degree training of people in the account's HR scope, newest first."""
    return _records_in_scope(session, account, DegreeTraining, year)


def get_degree(session: Session, account: Account, degree_id: int) -> DegreeTraining:
    return _record_in_scope(session, account, DegreeTraining, degree_id, N_("Không tìm thấy hồ sơ đào tạo."))
