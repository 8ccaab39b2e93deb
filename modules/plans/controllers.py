"""Plans pages for HR: the plans, a plan with its targets, the plan-vs-actual report with
the figures HR enters and its exports, nominations and degree training. Parse the
request, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.forms import optional_date
from app.security import account_or_401, requires, unit_of_work
from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.errors import N_, ValidationFailed
from lms_core.people import CATEGORY_LABELS, Field, person_by_staff_code
from lms_core.units import UNIT_KIND_LABELS, Unit
from modules.plans import records, report, services
from modules.plans.api import build_report, export_response
from modules.plans.models import PlanLine

bp = Blueprint("plans", __name__, template_folder="templates")


@bp.app_template_filter("plans_number")
def plans_number(value: Any) -> str:
    """1250000000 -> "1.250.000.000" (Vietnamese grouping); Decimals keep a decimal comma."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value).replace(".", ",")


def _year(value: str | None) -> int | None:
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if services.MIN_YEAR <= year <= services.MAX_YEAR else None


def _labels() -> dict[str, Any]:
    """Every code-to-label table the templates show, translated."""

    def tr(table: dict[str, str]) -> dict[str, str]:
        return {code: translate(label) for code, label in table.items()}

    return {
        "plan_statuses": tr(services.PLAN_STATUS_LABELS),
        "kinds": tr(services.LINE_KIND_LABELS),
        "measures": tr(services.MEASURE_LABELS),
        "programmes": tr(services.PROGRAMME_LABELS),
        "fundings": tr(services.FUNDING_LABELS),
        "categories": {c.value: translate(label) for c, label in CATEGORY_LABELS.items()},
        "unit_kinds": {k.value: translate(label) for k, label in UNIT_KIND_LABELS.items()},
        "degree_statuses": tr(records.DEGREE_STATUS_LABELS),
        "nomination_statuses": tr(records.NOMINATION_STATUS_LABELS),
        "modes": tr(records.MODE_LABELS),
        "exceptions": tr(records.EXCEPTION_LABELS),
        "rules": tr(records.RULE_LABELS),
        "units": tr(report.UNIT_LABELS),
        "sources": tr(report.SOURCE_LABELS),
    }


def _unit_choices(account: Account) -> list[tuple[int, str]]:
    units = db.session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)).all()
    return [(u.id, f"{'  ' * (u.path.count('/') - 2)}{u.name}") for u in units]


def _line_choices(account: Account, kinds: tuple[str, ...], degree: bool) -> list[tuple[int, str]]:
    choices = []
    for line in services.nameable_lines(db.session, account, kinds):
        if (line.programme in services.DEGREE_PROGRAMMES) != degree:
            continue
        choices.append((line.id, f"{line.plan.year} · {line.plan.unit.name} · {line.title}"))
    return choices


# --- plans ------------------------------------------------------------------------------


@bp.get("/plans")
@requires(Role.HR)
def index() -> str:
    account = account_or_401()
    year = _year(request.args.get("year"))
    plans = services.list_plans(db.session, account, year)
    return render_template(
        "plans/index.html",
        plans=plans,
        year=year,
        can_edit=lambda plan: services.can_edit(account, plan),
        **_labels(),
    )


def plan_form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "year": form.get("year", ""),
        "unit_id": form.get("unit_id", ""),
        "title": form.get("title", ""),
        "decision_number": form.get("decision_number", ""),
        "decision_date": optional_date(form.get("decision_date")),
        "budget_vnd": form.get("budget_vnd", ""),
        "note": form.get("note", ""),
    }


@bp.route("/plans/new", methods=["GET", "POST"])
@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def plan_form(plan_id: int | None = None) -> Any:
    account = account_or_401()
    plan = services.get_editable_plan(db.session, account, plan_id) if plan_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if plan is None:
                plan = services.create_plan(db.session, account, plan_form_data(request.form))
            else:
                services.update_plan(db.session, account, plan, plan_form_data(request.form))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            unit_of_work().commit()
            flash(translate(N_("Đã lưu kế hoạch.")), "success")
            return redirect(url_for("plans.plan", plan_id=plan.id))
        values: dict[str, Any] = dict(request.form)
    elif plan is not None:
        values = {
            "year": plan.year,
            "unit_id": plan.unit_id,
            "title": plan.title,
            "decision_number": plan.decision_number,
            "decision_date": plan.decision_date.isoformat() if plan.decision_date else "",
            "budget_vnd": plan.budget_vnd,
            "note": plan.note,
        }
    else:
        values = {"year": services.current_year()}
    return render_template(
        "plans/plan_form.html", plan=plan, values=values, errors=errors, unit_choices=_unit_choices(account)
    ), 400 if errors else 200


def line_form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    leader = form.get("is_leader", "")
    return {
        "kind": form.get("kind", ""),
        "title": form.get("title", ""),
        "measure": form.get("measure") or None,
        "target": form.get("target", ""),
        "category": form.get("category") or None,
        "unit_kind": form.get("unit_kind") or None,
        "is_leader": {"1": True, "0": False}.get(leader),
        "programme": form.get("programme") or None,
        "funding": form.get("funding") or None,
        "field_code": form.get("field_code") or None,
        "class_size": form.get("class_size", ""),
        "planned_vnd": form.get("planned_vnd", ""),
    }


def _render_plan(plan: Any, account: Account, errors: dict[str, str], values: dict[str, Any]) -> Any:
    fields = db.session.scalars(select(Field).order_by(Field.name)).all()
    return render_template(
        "plans/plan.html",
        plan=plan,
        editable=services.can_edit(account, plan),
        errors=errors,
        values=values,
        field_choices=[(f.code, f.name) for f in fields],
        field_names={f.code: f.name for f in fields},
        measure_options=[(code, translate(label)) for code, label in services.MEASURE_LABELS.items()],
        scope=lambda line: report.scope_text(line, translate, {f.code: f.name for f in fields}),
        **_labels(),
    ), 400 if errors else 200


@bp.get("/plans/<int:plan_id>")
@requires(Role.HR)
def plan(plan_id: int) -> Any:
    account = account_or_401()
    found = services.get_plan(db.session, account, plan_id)
    return _render_plan(found, account, {}, {"kind": "share"})


@bp.post("/plans/<int:plan_id>/lines")
@requires(Role.HR)
def add_line(plan_id: int) -> Any:
    account = account_or_401()
    found = services.get_editable_plan(db.session, account, plan_id)
    try:
        services.add_line(db.session, account, found, line_form_data(request.form))
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_plan(found, account, field_errors(exc), dict(request.form))
    unit_of_work().commit()
    flash(translate(N_("Đã thêm chỉ tiêu.")), "success")
    return redirect(url_for("plans.plan", plan_id=found.id))


@bp.post("/plans/lines/<int:line_id>/delete")
@requires(Role.HR)
def delete_line(line_id: int) -> Response:
    account = account_or_401()
    line = services.get_line(db.session, account, line_id)
    plan_id = line.plan_id
    services.delete_line(db.session, account, line)
    unit_of_work().commit()
    flash(translate(N_("Đã xóa chỉ tiêu.")), "success")
    return redirect(url_for("plans.plan", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/approve")
@requires(Role.HR)
def approve(plan_id: int) -> Any:
    account = account_or_401()
    found = services.get_editable_plan(db.session, account, plan_id)
    try:
        services.approve_plan(db.session, account, found)
    except ValidationFailed as exc:
        db.session.rollback()
        for message in field_errors(exc).values():
            flash(message, "error")
        return redirect(url_for("plans.plan", plan_id=found.id))
    unit_of_work().commit()
    flash(translate(N_("Đã ghi nhận kế hoạch được phê duyệt.")), "success")
    return redirect(url_for("plans.plan", plan_id=found.id))


# --- the report -------------------------------------------------------------------------


@bp.get("/plans/<int:plan_id>/report")
@requires(Role.HR)
def plan_report(plan_id: int) -> str:
    account = account_or_401()
    found = services.get_editable_plan(db.session, account, plan_id)
    return render_template(
        "plans/report.html",
        plan=found,
        report=build_report(found),
        lines={line.id: line for line in found.lines},
        actual_fields=services.ACTUAL_FIELDS,
        **_labels(),
    )


@bp.get("/plans/<int:plan_id>/report.<any(xlsx, csv):fmt>")
@requires(Role.HR)
def export(plan_id: int, fmt: str) -> Response:
    account = account_or_401()
    return export_response(services.get_editable_plan(db.session, account, plan_id), fmt)


@bp.post("/plans/lines/<int:line_id>/actual")
@requires(Role.HR)
def record_actual(line_id: int) -> Response:
    account = account_or_401()
    line: PlanLine = services.get_line(db.session, account, line_id)
    data = {name: request.form.get(name, "") for name in services.ACTUAL_FIELDS.get(line.kind, ())}
    data["actual_note"] = request.form.get("actual_note", "")
    try:
        services.record_actual(db.session, account, line, data)
    except ValidationFailed as exc:
        db.session.rollback()
        for message in field_errors(exc).values():
            flash(message, "error")
    else:
        unit_of_work().commit()
        flash(translate(N_("Đã lưu số liệu thực hiện.")), "success")
    return redirect(url_for("plans.plan_report", plan_id=line.plan_id) + f"#line-{line.id}")


# --- nominations ------------------------------------------------------------------------


def _person_data(form: MultiDict[str, str]) -> dict[str, Any]:
    person = person_by_staff_code(db.session, (form.get("staff_code") or "").strip())
    return {"person_id": person.id if person else None}


def _person_errors(exc: ValidationFailed) -> dict[str, str]:
    errors = field_errors(exc)
    if "person_id" in errors:  # the form asks for the staff code
        errors["staff_code"] = errors.pop("person_id")
    return errors


@bp.get("/plans/nominations")
@requires(Role.HR)
def nominations() -> str:
    account = account_or_401()
    year = _year(request.args.get("year"))
    return render_template(
        "plans/nominations.html", items=records.nominations(db.session, account, year), year=year, **_labels()
    )


@bp.route("/plans/nominations/new", methods=["GET", "POST"])
@bp.route("/plans/nominations/<int:nomination_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def nomination_form(nomination_id: int | None = None) -> Any:
    account = account_or_401()
    item = records.get_nomination(db.session, account, nomination_id) if nomination_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        names = ("line_id", "title", "institution", "mode", "status", "decision_number", "note")
        data = _person_data(request.form) | {name: request.form.get(name, "") for name in names}
        data |= {"start_date": optional_date(request.form.get("start_date"))}
        data |= {"end_date": optional_date(request.form.get("end_date"))}
        try:
            if item is None:
                item = records.create_nomination(db.session, account, data)
            else:
                records.update_nomination(db.session, account, item, data)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = _person_errors(exc)
        else:
            unit_of_work().commit()
            flash(translate(N_("Đã lưu hồ sơ cử đi học.")), "success")
            return redirect(url_for("plans.nominations"))
        values: dict[str, Any] = dict(request.form)
    elif item is not None:
        values = {name: getattr(item, name) for name in ("line_id", "title", "institution", "mode", "status")}
        values |= {"staff_code": item.person.staff_code, "decision_number": item.decision_number, "note": item.note}
        values |= {"start_date": item.start_date.isoformat(), "end_date": item.end_date.isoformat()}
    else:
        values = {"line_id": request.args.get("line_id", ""), "mode": "tap_trung"}
    kinds = (services.LineKind.COUNT.value, services.LineKind.CLASS.value)
    return render_template(
        "plans/nomination_form.html",
        item=item,
        values=values,
        errors=errors,
        line_choices=_line_choices(account, kinds, degree=False),
        **_labels(),
    ), 400 if errors else 200


# --- degree training --------------------------------------------------------------------


@bp.get("/plans/degrees")
@requires(Role.HR)
def degrees() -> str:
    account = account_or_401()
    year = _year(request.args.get("year"))
    items = records.degrees(db.session, account, year)
    return render_template(
        "plans/degrees.html",
        items=items,
        year=year,
        owed={item.id: records.reimbursement(item) for item in items},
        **_labels(),
    )


DEGREE_FIELDS = ("line_id", "level", "institution", "field_of_study", "duration_months", "funding", "cost_vnd")
DEGREE_FIELDS += ("status", "served_months", "decision_number", "note")


@bp.route("/plans/degrees/new", methods=["GET", "POST"])
@bp.route("/plans/degrees/<int:degree_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def degree_form(degree_id: int | None = None) -> Any:
    account = account_or_401()
    record = records.get_degree(db.session, account, degree_id) if degree_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = _person_data(request.form) | {name: request.form.get(name, "") for name in DEGREE_FIELDS}
        data |= {"start_date": optional_date(request.form.get("start_date"))}
        data |= {"end_date": optional_date(request.form.get("end_date"))}
        try:
            if record is None:
                record = records.create_degree(db.session, account, data)
            else:
                records.update_degree(db.session, account, record, data)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = _person_errors(exc)
        else:
            unit_of_work().commit()
            flash(translate(N_("Đã lưu hồ sơ đào tạo.")), "success")
            return redirect(url_for("plans.degree", degree_id=record.id))
        values: dict[str, Any] = dict(request.form)
    elif record is not None:
        values = {name: getattr(record, name) for name in DEGREE_FIELDS}
        values |= {"staff_code": record.person.staff_code}
        values |= {"start_date": record.start_date.isoformat(), "end_date": record.end_date.isoformat()}
        values = {k: ("" if v is None else v) for k, v in values.items()}
    else:
        values = {"line_id": request.args.get("line_id", ""), "funding": "ngan_sach", "status": "dang_hoc"}
    return render_template(
        "plans/degree_form.html",
        record=record,
        values=values,
        errors=errors,
        line_choices=_line_choices(account, (services.LineKind.COUNT.value,), degree=True),
        **_labels(),
    ), 400 if errors else 200


def _render_degree(record: Any, errors: dict[str, str], values: dict[str, Any]) -> Any:
    return render_template(
        "plans/degree.html",
        record=record,
        owed=records.reimbursement(record),
        errors=errors,
        values=values,
        **_labels(),
    ), 400 if errors else 200


@bp.get("/plans/degrees/<int:degree_id>")
@requires(Role.HR)
def degree(degree_id: int) -> Any:
    record = records.get_degree(db.session, account_or_401(), degree_id)
    return _render_degree(record, {}, {})


@bp.post("/plans/degrees/<int:degree_id>/exception")
@requires(Role.HR)
def record_exception(degree_id: int) -> Any:
    account = account_or_401()
    record = records.get_degree(db.session, account, degree_id)
    data = {name: request.form.get(name, "") for name in ("kind", "amount_vnd", "reason")}
    try:
        records.record_exception(db.session, account, record, data)
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_degree(record, field_errors(exc), dict(request.form))
    unit_of_work().commit()
    flash(translate(N_("Đã ghi nhận miễn, giảm đền bù.")), "success")
    return redirect(url_for("plans.degree", degree_id=record.id))
