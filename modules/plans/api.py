"""The plans JSON API under /api/v1: plans and their lines, HR's actual figures, the
plan-vs-actual report (JSON, CSV or Excel), nominations and degree training with the
reimbursement HocVu computes and HR's exceptions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Date, Integer, List, Nested, String
from apiflask.fields import Decimal as DecimalField
from apiflask.validators import OneOf, Range
from flask import Response, current_app
from flask_babel import gettext
from sqlalchemy import select

from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core.accounts import Account, Role
from lms_core.people import Field
from lms_core.units import Unit
from modules.plans import records, report, services
from modules.plans.models import DegreeTraining, Nomination, PlanLine, TrainingPlan

api = APIBlueprint("plans_api", __name__, url_prefix="/api/v1", tag="Plans")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- shared with the pages --------------------------------------------------------------


def people_hours() -> report.PeopleHours:
    """The ``hocvu_people_hours`` hook as the report wants it: ``(unit, year)``."""
    hook = current_app.extensions["hocvu_registry"].hook

    def call(unit: Unit, year: int) -> Any:
        return hook.hocvu_people_hours(session=db.session, unit=unit, year=year)

    return call


def field_names() -> dict[str, str]:
    return {f.code: f.name for f in db.session.scalars(select(Field))}


def build_report(plan: TrainingPlan) -> report.PlanReport:
    return report.plan_report(
        db.session, plan, people_hours=people_hours(), translate=gettext, field_names=field_names()
    )


def export_response(plan: TrainingPlan, fmt: str) -> Response:
    """The report of ``plan`` as an .xlsx or .csv download (ASCII file name)."""
    built = build_report(plan)
    name = f"ke-hoach-{plan.year}-{plan.unit.code}".lower()
    if fmt == "xlsx":
        body, mimetype = report.to_xlsx(built, gettext), XLSX
    else:
        body, mimetype = report.to_csv(built, gettext), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- schemas ----------------------------------------------------------------------------


class PlanUnitRef(Schema):
    id = Integer()
    code = String()
    name = String()


class PlanLineOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "share, count, class or budget"})
    title = String()
    measure = String(
        metadata={
            "description": "How the actual figure is found: share requirement|any_credit; count sent|completed|manual; "
            "class manual|credits; budget manual"
        }
    )
    target = Integer(metadata={"description": "share: percent; count: people; class: classes; budget: unused"})
    category = String(allow_none=True, metadata={"description": "Population: can_bo, cong_chuc or vien_chuc"})
    unit_kind = String(allow_none=True, metadata={"description": "Population: province, department, commune, …"})
    is_leader = Boolean(allow_none=True)
    programme = String(allow_none=True, metadata={"description": "tien_si, thac_si, chuyen_khoa_2, chuyen_khoa_1, …"})
    funding = String(allow_none=True, metadata={"description": "ngan_sach or tu_tuc"})
    field_code = String(allow_none=True)
    class_size = Integer(allow_none=True)
    planned_vnd = Integer(allow_none=True, metadata={"description": "Whole đồng"})
    actual_count = Integer(allow_none=True)
    actual_classes = Integer(allow_none=True)
    actual_people = Integer(allow_none=True)
    spent_vnd = Integer(allow_none=True)
    actual_note = String()


class PlanOut(Schema):
    id = Integer()
    year = Integer()
    unit = Nested(PlanUnitRef)
    title = String()
    decision_number = String()
    decision_date = Date(allow_none=True)
    budget_vnd = Integer(metadata={"description": "Whole đồng"})
    status = String(metadata={"description": "draft or approved"})
    note = String()
    editable = Boolean(metadata={"description": "The caller may change it and see its figures"})
    lines = List(Nested(PlanLineOut))


class PlanList(Schema):
    items = List(Nested(PlanOut))


class PlanIn(Schema):
    year = Integer(required=True)
    unit_id = Integer(required=True)
    title = String(required=True)
    decision_number = String(load_default="")
    decision_date = String(load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD"})
    budget_vnd = Integer(load_default=0)
    note = String(load_default="")


class PlanLineIn(Schema):
    kind = String(required=True, validate=OneOf(list(services.LINE_KIND_LABELS)))
    title = String(required=True)
    measure = String(load_default=None, allow_none=True)
    target = Integer(load_default=None, allow_none=True)
    category = String(load_default=None, allow_none=True)
    unit_kind = String(load_default=None, allow_none=True)
    is_leader = Boolean(load_default=None, allow_none=True)
    programme = String(load_default=None, allow_none=True)
    funding = String(load_default=None, allow_none=True)
    field_code = String(load_default=None, allow_none=True)
    class_size = Integer(load_default=None, allow_none=True)
    planned_vnd = Integer(load_default=None, allow_none=True)
    sort_order = Integer(load_default=None, allow_none=True)


class PlanActualIn(Schema):
    actual_count = Integer(load_default=None, allow_none=True, validate=Range(min=0))
    actual_classes = Integer(load_default=None, allow_none=True, validate=Range(min=0))
    actual_people = Integer(load_default=None, allow_none=True, validate=Range(min=0))
    spent_vnd = Integer(load_default=None, allow_none=True, validate=Range(min=0))
    actual_note = String(load_default="")


class PlanYearQuery(Schema):
    year = Integer(validate=Range(min=services.MIN_YEAR, max=services.MAX_YEAR))


class PlanFormatQuery(Schema):
    format = String(load_default="json", validate=OneOf(["json", "csv", "xlsx"]))


class ReportRowOut(Schema):
    number = String()
    line_id = Integer()
    kind = String()
    title = String()
    scope = String(metadata={"description": "Population, programme or field, in words"})
    unit = String(metadata={"description": "percent, people, classes or vnd"})
    target = Integer()
    actual = DecimalField(as_string=True, allow_none=True, metadata={"description": "None: not entered or counted"})
    achieved = DecimalField(as_string=True, allow_none=True, metadata={"description": "Percent of the target"})
    source = String(metadata={"description": "computed, manual, missing or unavailable"})
    measure = String()
    detail = String()
    note = String()


class ReportOut(Schema):
    plan = Nested(PlanOut)
    rows = List(Nested(ReportRowOut))
    planned_vnd = Integer(metadata={"description": "Total of the budget lines"})
    spent_vnd = Integer()
    people = Integer(allow_none=True, metadata={"description": "People of the plan's unit counted for share lines"})


class PlanPersonRef(Schema):
    id = Integer()
    staff_code = String()
    name = String()
    unit = String()


class NominationOut(Schema):
    id = Integer()
    person = Nested(PlanPersonRef)
    line_id = Integer()
    plan_id = Integer()
    title = String()
    institution = String()
    mode = String(metadata={"description": "tap_trung, ban_tap_trung, tu_xa or truc_tuyen"})
    start_date = Date()
    end_date = Date()
    status = String(metadata={"description": "da_cu, hoan_thanh, khong_hoan_thanh or huy"})
    decision_number = String()
    note = String()


class NominationIn(Schema):
    person_id = Integer(required=True)
    line_id = Integer(required=True, allow_none=True, metadata={"description": "The plan line: required"})
    title = String(required=True)
    institution = String(load_default="")
    mode = String(required=True)
    start_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    end_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    status = String(load_default=None, allow_none=True)
    decision_number = String(load_default="")
    note = String(load_default="")


class NominationList(Schema):
    items = List(Nested(NominationOut))


class ReimbursementOut(Schema):
    computed_vnd = Integer(metadata={"description": "By the rule, whole đồng"})
    amount_vnd = Integer(metadata={"description": "Owed after HR's exception"})
    rule = String(metadata={"description": "self_funded, full, pro_rata, served or none"})
    committed_months = Integer(metadata={"description": "T1 = 3 × training months"})
    served_months = Integer(allow_none=True, metadata={"description": "T2"})
    exception = String(allow_none=True, metadata={"description": "mien or giam"})
    exception_reason = String()


class DegreeOut(Schema):
    id = Integer()
    person = Nested(PlanPersonRef)
    line_id = Integer()
    plan_id = Integer()
    level = String(metadata={"description": "tien_si, thac_si, chuyen_khoa_2 or chuyen_khoa_1"})
    institution = String()
    field_of_study = String()
    start_date = Date()
    end_date = Date()
    duration_months = Integer()
    funding = String(metadata={"description": "ngan_sach or tu_tuc"})
    cost_vnd = Integer(metadata={"description": "F, whole đồng"})
    status = String(metadata={"description": "dang_hoc, hoan_thanh, bo_hoc, khong_cap_bang or nghi_truoc_han"})
    served_months = Integer(allow_none=True)
    decision_number = String()
    note = String()
    reimbursement = Nested(ReimbursementOut)


class DegreeIn(Schema):
    person_id = Integer(required=True)
    line_id = Integer(required=True, allow_none=True, metadata={"description": "The plan line: required"})
    level = String(required=True)
    institution = String(required=True)
    field_of_study = String(required=True)
    start_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    end_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    duration_months = Integer(load_default=None, allow_none=True, metadata={"description": "From the dates if omitted"})
    funding = String(required=True)
    cost_vnd = Integer(required=True)
    status = String(load_default=None, allow_none=True)
    served_months = Integer(load_default=None, allow_none=True)
    decision_number = String(load_default="")
    note = String(load_default="")


class DegreeList(Schema):
    items = List(Nested(DegreeOut))


class ReimbursementExceptionIn(Schema):
    kind = String(load_default=None, allow_none=True, metadata={"description": "mien, giam, or null to remove"})
    amount_vnd = Integer(load_default=None, allow_none=True, metadata={"description": "giam: the amount owed"})
    reason = String(required=True)


# --- serialising ------------------------------------------------------------------------


def line_out(line: PlanLine) -> dict[str, Any]:
    names = [name for name in PlanLineOut._declared_fields if name != "id"]
    return {"id": line.id} | {name: getattr(line, name) for name in names}


HIDDEN_ACTUALS = {"actual_count": None, "actual_classes": None, "actual_people": None, "spent_vnd": None}
HIDDEN_ACTUALS |= {"actual_note": ""}


def plan_out(plan: TrainingPlan, account: Account) -> dict[str, Any]:
    editable = services.can_edit(account, plan)
    return {
        "id": plan.id,
        "year": plan.year,
        "unit": plan.unit,
        "title": plan.title,
        "decision_number": plan.decision_number,
        "decision_date": plan.decision_date,
        "budget_vnd": plan.budget_vnd,
        "status": plan.status,
        "note": plan.note,
        "editable": editable,
        # Someone above the plan's unit sees its targets; the figures only when editable.
        "lines": [line_out(line) if editable else line_out(line) | HIDDEN_ACTUALS for line in plan.lines],
    }


def person_ref(record: Nomination | DegreeTraining) -> dict[str, Any]:
    person = record.person
    return {"id": person.id, "staff_code": person.staff_code, "name": person.full_name, "unit": person.unit.name}


def nomination_out(item: Nomination) -> dict[str, Any]:
    names = ("title", "institution", "mode", "start_date", "end_date", "status", "decision_number", "note")
    return {"id": item.id, "person": person_ref(item), "line_id": item.line_id, "plan_id": item.line.plan_id} | {
        name: getattr(item, name) for name in names
    }


def degree_out(record: DegreeTraining) -> dict[str, Any]:
    names = ("level", "institution", "field_of_study", "start_date", "end_date", "duration_months", "funding")
    names += ("cost_vnd", "status", "served_months", "decision_number", "note")
    owed = records.reimbursement(record)
    return (
        {"id": record.id, "person": person_ref(record), "line_id": record.line_id, "plan_id": record.line.plan_id}
        | {name: getattr(record, name) for name in names}
        | {
            "reimbursement": {
                "computed_vnd": owed.computed_vnd,
                "amount_vnd": owed.amount_vnd,
                "rule": owed.rule,
                "committed_months": owed.committed_months,
                "served_months": owed.served_months,
                "exception": owed.exception,
                "exception_reason": record.exception_reason,
            }
        }
    )


def _report_row(row: report.ReportRow) -> dict[str, Any]:
    data = dict(row.__dict__)
    for name in ("actual", "achieved"):
        if data[name] is not None:
            data[name] = Decimal(data[name])
    return data


# --- plans ------------------------------------------------------------------------------


@api.get("/plans")
@api.auth_required(token_auth)
@api.input(PlanYearQuery, location="query", arg_name="query")
@api.output(PlanList)
@api.doc(
    summary="Plans of the units in the caller's HR scope, and the approved plans of the units above them "
    "(targets only: their figures cover units outside the scope)"
)
@requires(Role.HR)
def list_plans(query: dict[str, Any]) -> Any:
    account = account_or_401()
    return {"items": [plan_out(p, account) for p in services.list_plans(db.session, account, query.get("year"))]}


@api.post("/plans")
@api.auth_required(token_auth)
@api.input(PlanIn, arg_name="data")
@api.output(PlanOut, status_code=201)
@api.doc(
    summary="Draft a unit's plan for a year (one per unit and year)",
    responses={400: "Invalid fields: nothing is written"},
)
@requires(Role.HR)
def create_plan(data: dict[str, Any]) -> Any:
    account = account_or_401()
    plan = services.create_plan(db.session, account, data)
    unit_of_work().commit()
    return plan_out(plan, account)


@api.get("/plans/<int:plan_id>")
@api.auth_required(token_auth)
@api.output(PlanOut)
@api.doc(summary="One plan with its lines", responses={404: "Not a plan the caller sees"})
@requires(Role.HR)
def get_plan(plan_id: int) -> Any:
    account = account_or_401()
    return plan_out(services.get_plan(db.session, account, plan_id), account)


@api.patch("/plans/<int:plan_id>")
@api.auth_required(token_auth)
@api.input(PlanIn(partial=True), arg_name="data")
@api.output(PlanOut)
@api.doc(summary="Change a plan's header (an approved plan keeps its year and unit)")
@requires(Role.HR)
def update_plan(plan_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    plan = services.get_editable_plan(db.session, account, plan_id)
    current = {
        "year": plan.year,
        "unit_id": plan.unit_id,
        "title": plan.title,
        "decision_number": plan.decision_number,
        "decision_date": plan.decision_date,
        "budget_vnd": plan.budget_vnd,
        "note": plan.note,
    }
    services.update_plan(db.session, account, plan, current | data)
    unit_of_work().commit()
    return plan_out(plan, account)


@api.post("/plans/<int:plan_id>/approve")
@api.auth_required(token_auth)
@api.output(PlanOut)
@api.doc(
    summary="Record the plan as approved (needs its decision number and date and a line); its targets are then fixed",
    responses={409: "Already approved"},
)
@requires(Role.HR)
def approve_plan(plan_id: int) -> Any:
    account = account_or_401()
    plan = services.get_editable_plan(db.session, account, plan_id)
    services.approve_plan(db.session, account, plan)
    unit_of_work().commit()
    return plan_out(plan, account)


@api.post("/plans/<int:plan_id>/lines")
@api.auth_required(token_auth)
@api.input(PlanLineIn, arg_name="data")
@api.output(PlanLineOut, status_code=201)
@api.doc(summary="Add a target to a draft plan", responses={409: "The plan is approved"})
@requires(Role.HR)
def add_line(plan_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    plan = services.get_editable_plan(db.session, account, plan_id)
    line = services.add_line(db.session, account, plan, data)
    unit_of_work().commit()
    return line_out(line)


@api.patch("/plans/lines/<int:line_id>")
@api.auth_required(token_auth)
@api.input(PlanLineIn(partial=True), arg_name="data")
@api.output(PlanLineOut)
@api.doc(summary="Change a target of a draft plan", responses={409: "The plan is approved"})
@requires(Role.HR)
def update_line(line_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    line = services.get_line(db.session, account, line_id)
    current = {name: getattr(line, name) for name in PlanLineIn._declared_fields}
    services.update_line(db.session, account, line, current | data)
    unit_of_work().commit()
    return line_out(line)


@api.delete("/plans/lines/<int:line_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(summary="Delete a target of a draft plan", responses={409: "The plan is approved"})
@requires(Role.HR)
def delete_line(line_id: int) -> Any:
    account = account_or_401()
    services.delete_line(db.session, account, services.get_line(db.session, account, line_id))
    unit_of_work().commit()


@api.put("/plans/lines/<int:line_id>/actual")
@api.auth_required(token_auth)
@api.input(PlanActualIn, arg_name="data")
@api.output(PlanLineOut)
@api.doc(
    summary="Enter the figures HocVu cannot count: classes held, people trained, people sent (manual count lines), "
    "money spent; a null clears one",
    responses={409: "A share line: computed from credits"},
)
@requires(Role.HR)
def record_actual(line_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    line = services.get_line(db.session, account, line_id)
    services.record_actual(db.session, account, line, data)
    unit_of_work().commit()
    return line_out(line)


@api.get("/plans/<int:plan_id>/report")
@api.auth_required(token_auth)
@api.input(PlanFormatQuery, location="query", arg_name="query")
@api.output(ReportOut)
@api.doc(
    summary="Plan vs actual: every target with its actual figure (format=json, csv in UTF-8 with BOM, or xlsx)",
    responses={403: "A plan of a unit above the caller's scope"},
)
@requires(Role.HR)
def plan_report(plan_id: int, query: dict[str, Any]) -> Any:
    account = account_or_401()
    plan = services.get_editable_plan(db.session, account, plan_id)
    if query["format"] != "json":
        return export_response(plan, query["format"])
    built = build_report(plan)
    return {
        "plan": plan_out(plan, account),
        "rows": [_report_row(row) for row in built.rows],
        "planned_vnd": built.planned_vnd,
        "spent_vnd": built.spent_vnd,
        "people": built.people,
    }


# --- nominations ------------------------------------------------------------------------


@api.get("/plans/nominations")
@api.auth_required(token_auth)
@api.input(PlanYearQuery, location="query", arg_name="query")
@api.output(NominationList)
@api.doc(summary="Nominations (cử đi đào tạo, bồi dưỡng) of people in the caller's HR scope")
@requires(Role.HR)
def list_nominations(query: dict[str, Any]) -> Any:
    items = records.nominations(db.session, account_or_401(), query.get("year"))
    return {"items": [nomination_out(item) for item in items]}


@api.post("/plans/nominations")
@api.auth_required(token_auth)
@api.input(NominationIn, arg_name="data")
@api.output(NominationOut, status_code=201)
@api.doc(
    summary="Send a person to training under a line of an approved plan of their unit or a unit above it",
    responses={400: "Invalid fields, or no plan line that allows it: nothing is written"},
)
@requires(Role.HR)
def create_nomination(data: dict[str, Any]) -> Any:
    item = records.create_nomination(db.session, account_or_401(), data)
    unit_of_work().commit()
    return nomination_out(item)


@api.patch("/plans/nominations/<int:nomination_id>")
@api.auth_required(token_auth)
@api.input(NominationIn(partial=True), arg_name="data")
@api.output(NominationOut)
@api.doc(summary="Change a nomination (its status as training goes on)")
@requires(Role.HR)
def update_nomination(nomination_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    item = records.get_nomination(db.session, account, nomination_id)
    current = {name: getattr(item, name) for name in NominationIn._declared_fields}
    records.update_nomination(db.session, account, item, current | data)
    unit_of_work().commit()
    return nomination_out(item)


# --- degree training --------------------------------------------------------------------


@api.get("/plans/degrees")
@api.auth_required(token_auth)
@api.input(PlanYearQuery, location="query", arg_name="query")
@api.output(DegreeList)
@api.doc(summary="Degree training (thạc sĩ, tiến sĩ, chuyên khoa) of people in the caller's HR scope")
@requires(Role.HR)
def list_degrees(query: dict[str, Any]) -> Any:
    items = records.degrees(db.session, account_or_401(), query.get("year"))
    return {"items": [degree_out(item) for item in items]}


@api.post("/plans/degrees")
@api.auth_required(token_auth)
@api.input(DegreeIn, arg_name="data")
@api.output(DegreeOut, status_code=201)
@api.doc(
    summary="Record degree training under a degree line of an approved plan of the person's unit or above",
    responses={400: "Invalid fields, or no plan line that allows it: nothing is written"},
)
@requires(Role.HR)
def create_degree(data: dict[str, Any]) -> Any:
    record = records.create_degree(db.session, account_or_401(), data)
    unit_of_work().commit()
    return degree_out(record)


@api.get("/plans/degrees/<int:degree_id>")
@api.auth_required(token_auth)
@api.output(DegreeOut)
@api.doc(summary="One degree training record with its reimbursement")
@requires(Role.HR)
def get_degree(degree_id: int) -> Any:
    return degree_out(records.get_degree(db.session, account_or_401(), degree_id))


@api.patch("/plans/degrees/<int:degree_id>")
@api.auth_required(token_auth)
@api.input(DegreeIn(partial=True), arg_name="data")
@api.output(DegreeOut)
@api.doc(summary="Change a degree training record (status, months served…); the reimbursement follows")
@requires(Role.HR)
def update_degree(degree_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    record = records.get_degree(db.session, account, degree_id)
    current = {name: getattr(record, name) for name in DegreeIn._declared_fields}
    records.update_degree(db.session, account, record, current | data)
    unit_of_work().commit()
    return degree_out(record)


@api.put("/plans/degrees/<int:degree_id>/exception")
@api.auth_required(token_auth)
@api.input(ReimbursementExceptionIn, arg_name="data")
@api.output(DegreeOut)
@api.doc(summary="Record HR's exception to the reimbursement (miễn, giảm) with its reason, or remove it")
@requires(Role.HR)
def record_exception(degree_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    record = records.get_degree(db.session, account, degree_id)
    records.record_exception(db.session, account, record, data)
    unit_of_work().commit()
    return degree_out(record)
