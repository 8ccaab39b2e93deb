"""Plans and their lines: HR over a unit drafts the unit's yearly plan, adds its targets
(share, count, class and budget lines), approves it with the approving decision, and
enters the actual figures HocVu cannot count itself.

Who sees what: HR sees and edits the plans of the units in their HR scope; the approved
plans of the units above their own are shown to them as targets only (their lines can
be named by nominations), never with the figures, which cover units outside their scope.

Headless: session in, results out; the caller commits. Every change is audited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms_core import access, audit
from lms_core.accounts import Account, Role
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, FieldError, NotFound, ValidationFailed
from lms_core.people import CATEGORY_LABELS, Field
from lms_core.units import UNIT_KIND_LABELS, Unit, ancestor_paths
from modules.plans.models import DegreeTraining, Nomination, PlanLine, TrainingPlan

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_VND = 10**15  # a million billion đồng: far above any plan, below BigInteger's limit
MAX_COUNT = 1_000_000
THOUSANDS = re.compile(r"^[0-9]{1,3}([.,\u00a0 ][0-9]{3})+$")


def current_year() -> int:
    return datetime.now(TIMEZONE).year


class PlanStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT.value: N_("Dự thảo"),
    PlanStatus.APPROVED.value: N_("Đã phê duyệt"),
}


class LineKind(StrEnum):
    SHARE = "share"
    COUNT = "count"
    CLASS = "class"
    BUDGET = "budget"


LINE_KIND_LABELS = {
    LineKind.SHARE.value: N_("Chỉ tiêu tỷ lệ"),
    LineKind.COUNT.value: N_("Chỉ tiêu số lượng theo chương trình"),
    LineKind.CLASS.value: N_("Lớp bồi dưỡng theo lĩnh vực"),
    LineKind.BUDGET.value: N_("Kinh phí"),
}

# How each kind's actual figure is found; the first is the default.
MEASURES = {
    LineKind.SHARE.value: ("requirement", "any_credit"),
    LineKind.COUNT.value: ("sent", "completed", "manual"),
    LineKind.CLASS.value: ("manual", "credits"),
    LineKind.BUDGET.value: ("manual",),
}

MEASURE_LABELS = {
    "requirement": N_("Tỷ lệ người có số tiết được ghi nhận đạt yêu cầu của năm"),
    "any_credit": N_("Tỷ lệ người có ít nhất một hoạt động bồi dưỡng được ghi nhận"),
    "sent": N_("Số hồ sơ cử đi học ghi chỉ tiêu này (trừ hồ sơ đã hủy)"),
    "completed": N_("Số hồ sơ ghi chỉ tiêu này đã hoàn thành"),
    "manual": N_("Cán bộ tổ chức nhập"),
    "credits": N_("Số người trong đối tượng có số tiết được ghi nhận thuộc lĩnh vực"),
}


class Programme(StrEnum):
    """Chương trình đào tạo, bồi dưỡng of a count line."""

    DOCTORATE = "tien_si"
    MASTER = "thac_si"
    SPECIALIST_2 = "chuyen_khoa_2"
    SPECIALIST_1 = "chuyen_khoa_1"
    JOB_POSITION = "boi_duong_vtvl"
    LEADERSHIP = "boi_duong_lanh_dao"
    ABROAD = "boi_duong_nuoc_ngoai"
    OTHER = "khac"


PROGRAMME_LABELS = {
    Programme.DOCTORATE.value: N_("Tiến sĩ"),
    Programme.MASTER.value: N_("Thạc sĩ"),
    Programme.SPECIALIST_2.value: N_("Chuyên khoa cấp II"),
    Programme.SPECIALIST_1.value: N_("Chuyên khoa cấp I"),
    Programme.JOB_POSITION.value: N_("Bồi dưỡng theo yêu cầu vị trí việc làm"),
    Programme.LEADERSHIP.value: N_("Bồi dưỡng kiến thức, kỹ năng lãnh đạo, quản lý"),
    Programme.ABROAD.value: N_("Bồi dưỡng ở nước ngoài"),
    Programme.OTHER.value: N_("Chương trình khác"),
}

# Degree programmes are recorded as degree training, the others as nominations.
DEGREE_PROGRAMMES = (
    Programme.DOCTORATE.value,
    Programme.MASTER.value,
    Programme.SPECIALIST_2.value,
    Programme.SPECIALIST_1.value,
)


class Funding(StrEnum):
    BUDGET = "ngan_sach"
    SELF = "tu_tuc"


FUNDING_LABELS = {
    Funding.BUDGET.value: N_("Ngân sách nhà nước"),
    Funding.SELF.value: N_("Tự túc kinh phí"),
}


# --- reading --------------------------------------------------------------------------


def can_edit(account: Account, plan: TrainingPlan) -> bool:
    return access.can(account, Role.HR, plan.unit)


def require_edit(account: Account, plan: TrainingPlan) -> None:
    access.require(account, Role.HR, plan.unit)


def _hr_paths(account: Account) -> list[str]:
    return [g.unit.path for g in account.grants if g.role in (Role.HR, Role.ADMIN)]


def _visibility(account: Account) -> Any:
    """SQL condition on (TrainingPlan, Unit): a plan of a unit in the account's HR scope,
    or an approved plan of a unit above one of its HR grants."""
    above = sorted({p for path in _hr_paths(account) for p in ancestor_paths(path)})
    return or_(
        access.scope_filter(account, Role.HR),
        and_(Unit.path.in_(above), TrainingPlan.status == PlanStatus.APPROVED.value) if above else false(),
    )


def list_plans(session: Session, account: Account, year: int | None = None) -> Sequence[TrainingPlan]:
    """The plans the account sees (see the module docstring), newest year first, then by
    unit path (the province before its communes)."""
    query = (
        select(TrainingPlan)
        .join(Unit, Unit.id == TrainingPlan.unit_id)
        .where(_visibility(account))
        .options(joinedload(TrainingPlan.unit), selectinload(TrainingPlan.lines))
        .order_by(TrainingPlan.year.desc(), Unit.path)
    )
    if year is not None:
        query = query.where(TrainingPlan.year == year)
    return session.scalars(query).unique().all()


def get_plan(session: Session, account: Account, plan_id: int) -> TrainingPlan:
    """A plan the account sees; NotFound otherwise (never saying it exists)."""
    plan = session.scalar(
        select(TrainingPlan)
        .join(Unit, Unit.id == TrainingPlan.unit_id)
        .where(TrainingPlan.id == plan_id, _visibility(account))
        .options(joinedload(TrainingPlan.unit))
    )
    if plan is None:
        raise NotFound(N_("Không tìm thấy kế hoạch."))
    return plan


def get_editable_plan(session: Session, account: Account, plan_id: int) -> TrainingPlan:
    """A plan the account may change and see the figures of: in its HR scope."""
    plan = get_plan(session, account, plan_id)
    require_edit(account, plan)
    return plan


def get_line(session: Session, account: Account, line_id: int) -> PlanLine:
    line = session.get(PlanLine, line_id)
    if line is None:
        raise NotFound(N_("Không tìm thấy chỉ tiêu."))
    get_plan(session, account, line.plan_id)
    return line


# --- validating -----------------------------------------------------------------------


def parse_int(value: Any) -> int | None:
    """An integer given as int or string of digits, grouped by thousands or not
    ("1.000.000" as Vietnamese write đồng, "1,000,000", "1000000"); None for anything
    else, floats and decimal fractions included ("1.5" is not fifteen)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.removeprefix("-")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (re.fullmatch(r"[0-9]+", text) or THOUSANDS.match(text)):
        return None
    return sign * int(re.sub(r"[^0-9]", "", text))


def parse_day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _text(data: dict[str, Any], name: str) -> str:
    return " ".join(str(data.get(name) or "").split())


def _int_field(
    errors: list[FieldError], data: dict[str, Any], name: str, low: int, high: int, *, required: bool = True
) -> int | None:
    raw = data.get(name)
    if raw is None or raw == "":
        if required:
            errors.append(FieldError(name, N_("Trường này không được để trống.")))
        return None
    value = parse_int(raw)
    if value is None or not low <= value <= high:
        errors.append(
            FieldError(name, N_("Nhập số nguyên từ %(low)s đến %(high)s."), {"low": f"{low:,}", "high": f"{high:,}"})
        )
        return None
    return value


def _clean_plan(session: Session, account: Account, data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    year = _int_field(errors, data, "year", MIN_YEAR, MAX_YEAR)
    unit = None
    unit_id = parse_int(data.get("unit_id"))
    if unit_id is None:
        errors.append(FieldError("unit_id", N_("Chọn đơn vị.")))
    else:
        unit = session.get(Unit, unit_id)
        if unit is None or not access.can(account, Role.HR, unit):
            errors.append(FieldError("unit_id", N_("Chọn một đơn vị trong phạm vi bạn quản lý.")))
            unit = None
    title = _text(data, "title")
    if not title:
        errors.append(FieldError("title", N_("Nhập tên kế hoạch.")))
    elif len(title) > 300:
        errors.append(FieldError("title", N_("Tên kế hoạch tối đa 300 ký tự.")))
    decision_number = _text(data, "decision_number")
    if len(decision_number) > 100:
        errors.append(FieldError("decision_number", N_("Số quyết định tối đa 100 ký tự.")))
    decision_date = None
    if data.get("decision_date") not in (None, ""):
        decision_date = parse_day(data.get("decision_date"))
        if decision_date is None:
            errors.append(FieldError("decision_date", N_("Ngày không hợp lệ (định dạng YYYY-MM-DD).")))
    budget = _int_field(errors, data, "budget_vnd", 0, MAX_VND, required=False)
    if errors:
        raise ValidationFailed(errors)
    assert unit is not None
    return {
        "year": year,
        "unit": unit,
        "title": title,
        "decision_number": decision_number,
        "decision_date": decision_date,
        "budget_vnd": budget or 0,
        "note": str(data.get("note") or "").strip(),
    }


def _clash(session: Session, unit: Unit, year: int, plan_id: int | None) -> None:
    found = session.scalar(
        select(TrainingPlan.id).where(
            TrainingPlan.unit_id == unit.id, TrainingPlan.year == year, TrainingPlan.id != (plan_id or -1)
        )
    )
    if found is not None:
        raise ValidationFailed.single(
            "year", N_("Đơn vị %(unit)s đã có kế hoạch năm %(year)s."), unit=unit.name, year=year
        )


def _plan_data(plan: TrainingPlan) -> dict[str, Any]:
    return {
        "year": plan.year,
        "unit_id": plan.unit_id,
        "title": plan.title,
        "decision_number": plan.decision_number,
        "decision_date": plan.decision_date.isoformat() if plan.decision_date else None,
        "budget_vnd": plan.budget_vnd,
        "status": plan.status,
    }


# --- plans ----------------------------------------------------------------------------


def create_plan(session: Session, account: Account, data: dict[str, Any]) -> TrainingPlan:
    """HR over the unit drafts its plan for a year (one per unit and year)."""
    clean = _clean_plan(session, account, data)
    _clash(session, clean["unit"], clean["year"], None)
    plan = TrainingPlan(**clean, status=PlanStatus.DRAFT.value, created_at=utcnow(), created_by=account.id)
    session.add(plan)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="plans.plan_created",
        target_type="plan",
        target_id=plan.id,
        data=_plan_data(plan),
    )
    return plan


def update_plan(session: Session, account: Account, plan: TrainingPlan, data: dict[str, Any]) -> TrainingPlan:
    """Change a plan's header. An approved plan keeps its year and unit (nominations
    name its lines); its decision, budget and note may still be corrected."""
    require_edit(account, plan)
    clean = _clean_plan(session, account, data)
    if plan.status == PlanStatus.APPROVED.value and (clean["year"], clean["unit"].id) != (plan.year, plan.unit_id):
        raise ValidationFailed.single("year", N_("Kế hoạch đã phê duyệt không đổi được năm và đơn vị."))
    _clash(session, clean["unit"], clean["year"], plan.id)
    before = _plan_data(plan)
    for name, value in clean.items():
        setattr(plan, name, value)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="plans.plan_updated",
        target_type="plan",
        target_id=plan.id,
        data={"before": before, "after": _plan_data(plan)},
    )
    return plan


def approve_plan(session: Session, account: Account, plan: TrainingPlan) -> TrainingPlan:
    """Record the plan as approved: it needs the approving decision and at least one
    line. From then on its targets are fixed and nominations may name its lines."""
    require_edit(account, plan)
    if plan.status == PlanStatus.APPROVED.value:
        raise Conflict(N_("Kế hoạch đã được phê duyệt."))
    errors: list[FieldError] = []
    if not plan.decision_number:
        errors.append(FieldError("decision_number", N_("Nhập số quyết định (văn bản) phê duyệt kế hoạch.")))
    if plan.decision_date is None:
        errors.append(FieldError("decision_date", N_("Nhập ngày phê duyệt kế hoạch.")))
    if not plan.lines:
        errors.append(FieldError("lines", N_("Kế hoạch chưa có chỉ tiêu nào.")))
    if errors:
        raise ValidationFailed(errors)
    plan.status = PlanStatus.APPROVED.value
    plan.approved_at = utcnow()
    plan.approved_by = account.id
    audit.log(
        session,
        account_id=account.id,
        action="plans.plan_approved",
        target_type="plan",
        target_id=plan.id,
        data=_plan_data(plan),
    )
    return plan


# --- lines ----------------------------------------------------------------------------


def _clean_line(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Every field of a line checked at once, by its kind; the columns other kinds use
    come back empty so a line never keeps another kind's leftovers."""
    errors: list[FieldError] = []
    kind = data.get("kind")
    if kind not in LINE_KIND_LABELS:
        raise ValidationFailed.single("kind", N_("Chọn loại chỉ tiêu."))
    title = _text(data, "title")
    if not title:
        errors.append(FieldError("title", N_("Nhập nội dung chỉ tiêu.")))
    elif len(title) > 300:
        errors.append(FieldError("title", N_("Nội dung chỉ tiêu tối đa 300 ký tự.")))
    measure = data.get("measure") or MEASURES[kind][0]
    if measure not in MEASURES[kind]:
        errors.append(FieldError("measure", N_("Cách tính kết quả không hợp lệ với loại chỉ tiêu này.")))
    clean: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "measure": measure,
        "target": 0,
        "category": None,
        "unit_kind": None,
        "is_leader": None,
        "programme": None,
        "funding": None,
        "field_code": None,
        "class_size": None,
        "planned_vnd": None,
        "sort_order": parse_int(data.get("sort_order")) or 0,
    }
    if kind in (LineKind.SHARE.value, LineKind.CLASS.value):
        category = data.get("category") or None
        if category is not None and category not in CATEGORY_LABELS:
            errors.append(FieldError("category", N_("Đối tượng không hợp lệ.")))
        unit_kind = data.get("unit_kind") or None
        if unit_kind is not None and unit_kind not in UNIT_KIND_LABELS:
            errors.append(FieldError("unit_kind", N_("Loại đơn vị không hợp lệ.")))
        leader = data.get("is_leader")
        if leader not in (None, True, False):
            errors.append(FieldError("is_leader", N_("Chọn có hoặc không.")))
        clean |= {"category": category, "unit_kind": unit_kind, "is_leader": leader}
    if kind == LineKind.SHARE.value:
        clean["target"] = _int_field(errors, data, "target", 1, 100)
    elif kind == LineKind.COUNT.value:
        clean["target"] = _int_field(errors, data, "target", 1, MAX_COUNT)
        programme = data.get("programme")
        if programme not in PROGRAMME_LABELS:
            errors.append(FieldError("programme", N_("Chọn chương trình đào tạo, bồi dưỡng.")))
        funding = data.get("funding") or None
        if funding is not None and funding not in FUNDING_LABELS:
            errors.append(FieldError("funding", N_("Nguồn kinh phí không hợp lệ.")))
        clean |= {"programme": programme, "funding": funding}
    elif kind == LineKind.CLASS.value:
        clean["target"] = _int_field(errors, data, "target", 1, MAX_COUNT)
        clean["class_size"] = _int_field(errors, data, "class_size", 1, 10_000)
        field_code = data.get("field_code") or None
        if field_code is None or session.get(Field, field_code) is None:
            errors.append(FieldError("field_code", N_("Chọn lĩnh vực.")))
        clean["field_code"] = field_code
    else:
        clean["planned_vnd"] = _int_field(errors, data, "planned_vnd", 0, MAX_VND)
    if errors:
        raise ValidationFailed(errors)
    return clean


def _line_data(line: PlanLine) -> dict[str, Any]:
    names = ("kind", "title", "measure", "target", "category", "unit_kind", "is_leader", "programme", "funding")
    names += ("field_code", "class_size", "planned_vnd")
    return {name: getattr(line, name) for name in names}


def _require_draft(plan: TrainingPlan) -> None:
    if plan.status != PlanStatus.DRAFT.value:
        raise Conflict(N_("Kế hoạch đã phê duyệt: không thay đổi được chỉ tiêu."))


def add_line(session: Session, account: Account, plan: TrainingPlan, data: dict[str, Any]) -> PlanLine:
    """Add a target to a draft plan."""
    require_edit(account, plan)
    _require_draft(plan)
    clean = _clean_line(session, data)
    if not clean["sort_order"]:
        clean["sort_order"] = max((line.sort_order for line in plan.lines), default=0) + 1
    line = PlanLine(**clean)
    plan.lines.append(line)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="plans.line_added",
        target_type="plan",
        target_id=plan.id,
        data={"line_id": line.id, **_line_data(line)},
    )
    return line


def update_line(session: Session, account: Account, line: PlanLine, data: dict[str, Any]) -> PlanLine:
    require_edit(account, line.plan)
    _require_draft(line.plan)
    before = _line_data(line)
    clean = _clean_line(session, {"sort_order": line.sort_order} | data)
    for name, value in clean.items():
        setattr(line, name, value)
    session.flush()
    audit.log(
        session,
        account_id=account.id,
        action="plans.line_updated",
        target_type="plan",
        target_id=line.plan_id,
        data={"line_id": line.id, "before": before, "after": _line_data(line)},
    )
    return line


def delete_line(session: Session, account: Account, line: PlanLine) -> None:
    require_edit(account, line.plan)
    _require_draft(line.plan)
    named = session.scalar(select(Nomination.id).where(Nomination.line_id == line.id).limit(1)) or session.scalar(
        select(DegreeTraining.id).where(DegreeTraining.line_id == line.id).limit(1)
    )
    if named is not None:
        raise Conflict(N_("Chỉ tiêu đã có hồ sơ cử đi học: không xóa được."))
    audit.log(
        session,
        account_id=account.id,
        action="plans.line_deleted",
        target_type="plan",
        target_id=line.plan_id,
        data={"line_id": line.id, **_line_data(line)},
    )
    line.plan.lines.remove(line)
    session.flush()


# Which manual figures each kind takes.
ACTUAL_FIELDS = {
    LineKind.SHARE.value: (),
    LineKind.COUNT.value: ("actual_count",),
    LineKind.CLASS.value: ("actual_classes", "actual_people"),
    LineKind.BUDGET.value: ("spent_vnd",),
}


@dataclass(frozen=True)
class ActualChange:
    line: PlanLine
    before: dict[str, int | None]


def record_actual(session: Session, account: Account, line: PlanLine, data: dict[str, Any]) -> PlanLine:
    """HR enters what HocVu cannot count (classes held, people trained, people sent by a
    count line measured by hand, money spent), also on an approved plan; a blank figure
    clears it. Audited with the figures before and after."""
    require_edit(account, line.plan)
    names = ACTUAL_FIELDS[line.kind]
    if not names:
        raise Conflict(N_("Chỉ tiêu tỷ lệ được tính từ số tiết được ghi nhận, không nhập tay."))
    errors: list[FieldError] = []
    values: dict[str, int | None] = {}
    for name in names:
        high = MAX_VND if name == "spent_vnd" else MAX_COUNT
        values[name] = _int_field(errors, data, name, 0, high, required=False)
    note = str(data.get("actual_note") or "").strip()
    if len(note) > 2000:
        errors.append(FieldError("actual_note", N_("Ghi chú tối đa 2.000 ký tự.")))
    if errors:
        raise ValidationFailed(errors)
    before = {name: getattr(line, name) for name in names}
    for name, value in values.items():
        setattr(line, name, value)
    line.actual_note = note
    line.actual_at = utcnow()
    line.actual_by = account.id
    audit.log(
        session,
        account_id=account.id,
        action="plans.actual_recorded",
        target_type="plan",
        target_id=line.plan_id,
        reason=note,
        data={"line_id": line.id, "before": before, "after": values},
    )
    return line


# --- the lines a record may name ------------------------------------------------------


def lines_for_unit(session: Session, unit: Unit, year: int | None = None) -> Sequence[PlanLine]:
    """The lines of the approved plans of ``unit`` and the units above it (for ``year``
    when given): those a nomination or degree record of a person there may name."""
    query = (
        select(PlanLine)
        .join(TrainingPlan, TrainingPlan.id == PlanLine.plan_id)
        .join(Unit, Unit.id == TrainingPlan.unit_id)
        .where(Unit.path.in_(ancestor_paths(unit.path)), TrainingPlan.status == PlanStatus.APPROVED.value)
        .options(joinedload(PlanLine.plan).joinedload(TrainingPlan.unit))
        .order_by(TrainingPlan.year.desc(), Unit.path, PlanLine.sort_order, PlanLine.id)
    )
    if year is not None:
        query = query.where(TrainingPlan.year == year)
    return session.scalars(query).all()


def nameable_lines(session: Session, account: Account, kinds: Sequence[str]) -> Sequence[PlanLine]:
    """Lines of ``kinds`` the account's HR scope may name: those of approved plans of its
    units, the units below them and the units above them (for the forms' choices)."""
    return [
        line
        for plan in list_plans(session, account)
        if plan.status == PlanStatus.APPROVED.value
        for line in plan.lines
        if line.kind in kinds
    ]
