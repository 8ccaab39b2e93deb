"""The plan-vs-actual report (báo cáo kết quả thực hiện kế hoạch) and its exports.

Actual figures come from HocVu's records where it can count them and from HR elsewhere:

- share lines: the people of the plan's unit and below (active ones, matching the line's
  population) streamed once through the ``hocvu_people_hours`` hook, for every share and
  class line of the plan in the same pass; ``requirement`` counts those whose credited
  periods meet their requirement, ``any_credit`` those with at least one credited period;
- count lines: degree records and nominations naming the line (``sent``: all but
  cancelled nominations; ``completed``: degree granted or training completed), or HR's
  figure (``manual``);
- class lines: classes held as HR entered them; people trained as HR entered them, or
  (``credits``) the population's people with credited periods in the line's field;
- budget lines: the money spent HR entered.

Headless: ``people_hours(unit, year)`` is the hook adapted by the caller (None, or a
function returning None, when no module keeps credits). Percentages are Decimals rounded
half up to one decimal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.errors import N_
from lms_core.people import CATEGORY_LABELS
from lms_core.text import spreadsheet_safe
from lms_core.units import UNIT_KIND_LABELS, Unit, subtree_filter
from modules.plans.models import DegreeTraining, Nomination, PlanLine, TrainingPlan
from modules.plans.records import DEGREE_COMPLETED, NominationStatus
from modules.plans.services import (
    FUNDING_LABELS,
    LINE_KIND_LABELS,
    MEASURE_LABELS,
    PLAN_STATUS_LABELS,
    PROGRAMME_LABELS,
    LineKind,
)

PeopleHours = Callable[[Unit, int], Iterable[dict[str, Any]] | None]
Translate = Callable[[str], str]

UNIT_LABELS = {
    "percent": N_("%"),
    "people": N_("người"),
    "classes": N_("lớp"),
    "vnd": N_("đồng"),
}

SOURCE_LABELS = {
    "computed": N_("HocVu tính"),
    "manual": N_("Cán bộ tổ chức nhập"),
    "missing": N_("Chưa nhập"),
    "unavailable": N_("Chưa tính được: chưa có mô-đun ghi nhận số tiết"),
}

ONE_DECIMAL = Decimal("0.1")


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal, half up; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class ReportRow:
    """One figure of the report: a line has one row, a class line two (classes held and
    people trained). ``actual`` is None when nobody has entered or could count it."""

    number: str
    line_id: int
    kind: str
    title: str
    scope: str
    unit: str
    target: int
    actual: int | Decimal | None
    achieved: Decimal | None
    source: str
    measure: str
    detail: str = ""
    note: str = ""


@dataclass
class PlanReport:
    plan: TrainingPlan
    rows: list[ReportRow] = field(default_factory=list)
    planned_vnd: int = 0  # the budget lines' total
    spent_vnd: int = 0
    people: int | None = None  # people counted in the plan's unit (None: not computed)


def _population(line: PlanLine, translate: Translate) -> str:
    parts = []
    if line.category:
        parts.append(translate(CATEGORY_LABELS.get(line.category, line.category)))  # type: ignore[call-overload]
    if line.unit_kind:
        parts.append(translate(UNIT_KIND_LABELS.get(line.unit_kind, line.unit_kind)))  # type: ignore[call-overload]
    if line.is_leader is True:
        parts.append(translate(N_("Lãnh đạo, quản lý")))
    elif line.is_leader is False:
        parts.append(translate(N_("Không giữ chức vụ lãnh đạo")))
    return ", ".join(parts) or translate(N_("Toàn bộ cán bộ, công chức, viên chức"))


def scope_text(line: PlanLine, translate: Translate, field_names: dict[str, str]) -> str:
    """Who or what the line is about, in words: its population, programme or field."""
    if line.kind == LineKind.SHARE.value:
        return _population(line, translate)
    if line.kind == LineKind.COUNT.value:
        text = translate(PROGRAMME_LABELS.get(line.programme or "", line.programme or ""))
        if line.funding:
            text += f" ({translate(FUNDING_LABELS[line.funding])})"
        return text
    if line.kind == LineKind.CLASS.value:
        name = field_names.get(line.field_code or "", line.field_code or "")
        return f"{translate(N_('Lĩnh vực'))} {name}; {_population(line, translate)}"
    return ""


def _matches(line: PlanLine, person: dict[str, Any], kinds: dict[int, str]) -> bool:
    if not person.get("active", True):
        return False
    if line.category and person.get("category") != line.category:
        return False
    if line.unit_kind and kinds.get(person.get("unit_id") or -1) != line.unit_kind:
        return False
    return line.is_leader is None or bool(person.get("is_leader")) == line.is_leader


@dataclass
class _Tally:
    population: int = 0
    met: int = 0


def _people_tallies(
    session: Session, plan: TrainingPlan, lines: list[PlanLine], people_hours: PeopleHours | None
) -> tuple[dict[int, _Tally], int] | None:
    """One pass over the plan unit's people for every share and class-by-credits line:
    per line, the population and those meeting it. None when hours cannot be had."""
    wanted = [
        line
        for line in lines
        if line.kind == LineKind.SHARE.value or (line.kind == LineKind.CLASS.value and line.measure == "credits")
    ]
    if not wanted or people_hours is None:
        return ({}, 0) if not wanted else None
    try:
        stream = people_hours(plan.unit, plan.year)
    except ImportError:  # the credits module's bulk reader is not installed
        return None
    if stream is None:
        return None
    kinds = dict(session.execute(select(Unit.id, Unit.kind).where(subtree_filter(plan.unit.path))).tuples().all())
    tallies = {line.id: _Tally() for line in wanted}
    people = 0
    for person in stream:
        people += 1
        for line in wanted:
            if not _matches(line, person, kinds):
                continue
            tally = tallies[line.id]
            tally.population += 1
            if line.kind == LineKind.CLASS.value:
                met = (person.get("by_field") or {}).get(line.field_code or "", 0) > 0
            elif line.measure == "requirement":
                met = person.get("credited", 0) >= person.get("required", 0)
            else:
                met = person.get("credited", 0) > 0
            tally.met += met
    return tallies, people


def _record_counts(session: Session, line_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per count line: (records sent, records completed), degrees and nominations."""
    counts: dict[int, list[int]] = {line_id: [0, 0] for line_id in line_ids}
    if not line_ids:
        return {}
    degree_rows = session.execute(
        select(DegreeTraining.line_id, DegreeTraining.status, func.count())
        .where(DegreeTraining.line_id.in_(line_ids))
        .group_by(DegreeTraining.line_id, DegreeTraining.status)
    )
    for line_id, status, n in degree_rows:
        counts[line_id][0] += n
        if status in DEGREE_COMPLETED:
            counts[line_id][1] += n
    nomination_rows = session.execute(
        select(Nomination.line_id, Nomination.status, func.count())
        .where(Nomination.line_id.in_(line_ids))
        .group_by(Nomination.line_id, Nomination.status)
    )
    for line_id, status, n in nomination_rows:
        if status != NominationStatus.CANCELLED.value:
            counts[line_id][0] += n
        if status == NominationStatus.COMPLETED.value:
            counts[line_id][1] += n
    return {line_id: (sent, done) for line_id, (sent, done) in counts.items()}


def plan_report(
    session: Session,
    plan: TrainingPlan,
    *,
    people_hours: PeopleHours | None,
    translate: Translate,
    field_names: dict[str, str],
) -> PlanReport:
    """The plan's targets with their actual figures (see the module docstring). The
    caller has checked the account may see the figures (``services.get_editable_plan``)."""
    lines = list(plan.lines)
    report = PlanReport(plan)
    tallies = _people_tallies(session, plan, lines, people_hours)
    if tallies is not None:
        report.people = tallies[1]
    counts = _record_counts(session, [line.id for line in lines if line.kind == LineKind.COUNT.value])
    for index, line in enumerate(lines, start=1):
        scope = scope_text(line, translate, field_names)
        base: dict[str, Any] = {
            "line_id": line.id,
            "kind": line.kind,
            "title": line.title,
            "scope": scope,
            "measure": line.measure,
            "note": line.actual_note,
        }
        if line.kind == LineKind.SHARE.value:
            tally = tallies[0].get(line.id) if tallies else None
            if tally is None:
                row = ReportRow(
                    str(index),
                    **base,
                    unit="percent",
                    target=line.target,
                    actual=None,
                    achieved=None,
                    source="unavailable",
                )
            else:
                share = percent(tally.met, tally.population)
                row = ReportRow(
                    str(index),
                    **base,
                    unit="percent",
                    target=line.target,
                    actual=share,
                    achieved=percent(share, line.target) if share is not None else None,
                    source="computed",
                    detail=translate(N_("%(met)s/%(population)s người"))
                    % {"met": tally.met, "population": tally.population},
                )
            report.rows.append(row)
        elif line.kind == LineKind.COUNT.value:
            if line.measure == "manual":
                actual, source = line.actual_count, "manual" if line.actual_count is not None else "missing"
            else:
                sent, done = counts.get(line.id, (0, 0))
                actual, source = (sent if line.measure == "sent" else done), "computed"
            report.rows.append(
                ReportRow(
                    str(index),
                    **base,
                    unit="people",
                    target=line.target,
                    actual=actual,
                    achieved=percent(actual, line.target) if actual is not None else None,
                    source=source,
                )
            )
        elif line.kind == LineKind.CLASS.value:
            classes = line.actual_classes
            report.rows.append(
                ReportRow(
                    f"{index}.1",
                    **(base | {"title": f"{line.title} — {translate(N_('số lớp'))}", "measure": "manual"}),
                    unit="classes",
                    target=line.target,
                    actual=classes,
                    achieved=percent(classes, line.target) if classes is not None else None,
                    source="manual" if classes is not None else "missing",
                )
            )
            planned_people = line.target * (line.class_size or 0)
            detail = translate(N_("%(classes)s lớp × %(size)s người")) % {
                "classes": line.target,
                "size": line.class_size,
            }
            if line.measure == "credits":
                tally = tallies[0].get(line.id) if tallies else None
                people = tally.met if tally is not None else None
                source = "computed" if tally is not None else "unavailable"
            else:
                people = line.actual_people
                source = "manual" if people is not None else "missing"
            report.rows.append(
                ReportRow(
                    f"{index}.2",
                    **(base | {"title": f"{line.title} — {translate(N_('số người được bồi dưỡng'))}"}),
                    unit="people",
                    target=planned_people,
                    actual=people,
                    achieved=percent(people, planned_people) if people is not None else None,
                    source=source,
                    detail=detail,
                )
            )
        else:
            spent = line.spent_vnd
            report.planned_vnd += line.planned_vnd or 0
            report.spent_vnd += spent or 0
            report.rows.append(
                ReportRow(
                    str(index),
                    **base,
                    unit="vnd",
                    target=line.planned_vnd or 0,
                    actual=spent,
                    achieved=percent(spent, line.planned_vnd or 0) if spent is not None else None,
                    source="manual" if spent is not None else "missing",
                )
            )
    return report


# --- exports --------------------------------------------------------------------------

COLUMNS = (
    (N_("STT"), 6),
    (N_("Loại chỉ tiêu"), 22),
    (N_("Nội dung chỉ tiêu"), 48),
    (N_("Đối tượng, chương trình, lĩnh vực"), 36),
    (N_("Đơn vị tính"), 10),
    (N_("Chỉ tiêu"), 16),
    (N_("Thực hiện"), 16),
    (N_("Tỷ lệ đạt so với chỉ tiêu (%)"), 14),
    (N_("Chi tiết"), 22),
    (N_("Cách tính"), 40),
    (N_("Nguồn số liệu"), 22),
    (N_("Ghi chú"), 30),
)


def _values(row: ReportRow, translate: Translate) -> list[Any]:
    return [
        row.number,
        translate(LINE_KIND_LABELS[row.kind]),
        row.title,
        row.scope,
        translate(UNIT_LABELS[row.unit]),
        row.target,
        row.actual,
        row.achieved,
        row.detail,
        translate(MEASURE_LABELS[row.measure]),
        translate(SOURCE_LABELS[row.source]),
        row.note,
    ]


def plan_facts(report: PlanReport, translate: Translate) -> list[tuple[str, Any]]:
    plan = report.plan
    return [
        (translate(N_("Kế hoạch")), plan.title),
        (translate(N_("Năm")), plan.year),
        (translate(N_("Đơn vị")), plan.unit.name),
        (translate(N_("Số quyết định phê duyệt")), plan.decision_number),
        (translate(N_("Ngày phê duyệt")), plan.decision_date),
        (translate(N_("Trạng thái")), translate(PLAN_STATUS_LABELS[plan.status])),
        (translate(N_("Tổng kinh phí kế hoạch (đồng)")), plan.budget_vnd),
        (translate(N_("Kinh phí theo các dòng chỉ tiêu (đồng)")), report.planned_vnd),
        (translate(N_("Kinh phí đã chi (đồng)")), report.spent_vnd),
        (translate(N_("Số người trong đơn vị được tính")), report.people),
    ]


def to_csv(report: PlanReport, translate: Translate) -> bytes:
    """The rows as CSV in UTF-8 with a byte order mark, so Excel reads the Vietnamese
    right; numbers unformatted (percentages with a dot)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(name) for name, _ in COLUMNS])
    for row in report.rows:
        writer.writerow(["" if value is None else spreadsheet_safe(value) for value in _values(row, translate)])
    return out.getvalue().encode("utf-8-sig")


HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
THIN = Side(style="thin", color="B7C3D0")


def to_xlsx(report: PlanReport, translate: Translate) -> bytes:
    """The rows on a sheet with a bold, frozen header row, wrapped text, widths that fit
    and thousands separators; the plan's facts on a second sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(N_("Kết quả thực hiện"))[:31]
    sheet.append([translate(name) for name, _ in COLUMNS])
    for column, (_, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(bottom=THIN, top=THIN, left=THIN, right=THIN)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 45
    for row in report.rows:
        values = [spreadsheet_safe(value) for value in _values(row, translate)]
        sheet.append(values)  # openpyxl writes Decimals as numbers
        current = sheet.max_row
        for column in range(1, len(COLUMNS) + 1):
            cell = sheet.cell(row=current, column=column)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(bottom=THIN, top=THIN, left=THIN, right=THIN)
        number_format = "0.0" if row.unit == "percent" else "#,##0"
        for column in (6, 7):
            sheet.cell(row=current, column=column).number_format = number_format
        sheet.cell(row=current, column=8).number_format = "0.0"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"

    facts = book.create_sheet(translate(N_("Thông tin kế hoạch"))[:31])
    facts.append([translate(N_("Mục")), translate(N_("Nội dung"))])
    for cell in facts[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    for name, value in plan_facts(report, translate):
        facts.append([name, spreadsheet_safe(value)])
        if isinstance(value, int):
            facts.cell(row=facts.max_row, column=2).number_format = "#,##0"
        elif value is not None and hasattr(value, "isoformat"):
            facts.cell(row=facts.max_row, column=2).number_format = "DD/MM/YYYY"
    facts.column_dimensions["A"].width = 40
    facts.column_dimensions["B"].width = 70
    facts.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
