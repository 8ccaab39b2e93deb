"""The HR JSON API under /api/v1: units, positions, people (and their bulk import),
accounts, role grants."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Date, Dict, File, Integer, List, Nested, String
from apiflask.validators import Range
from flask import Response, jsonify

from app.errors import translate
from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core.accounts import Role, account_for_person, get_account
from lms_core.errors import N_, NotFound
from lms_core.people import Person, get_position
from lms_core.units import Unit, unit_by_code
from modules.hr import importer, services

api = APIBlueprint("hr_api", __name__, url_prefix="/api/v1", tag="HR")


class Ref(Schema):
    id = Integer()
    code = String()
    name = String()


class UnitOut(Schema):
    id = Integer()
    code = String()
    name = String()
    kind = String(metadata={"description": "province, department, commune or public_service_unit"})
    parent_id = Integer(allow_none=True)
    active = Boolean()


class UnitIn(Schema):
    code = String(required=True)
    name = String(required=True)
    kind = String(required=True)
    parent_id = Integer(allow_none=True, load_default=None)
    active = Boolean(load_default=True)


class UnitList(Schema):
    items = List(Nested(UnitOut))


class PositionOut(Schema):
    id = Integer()
    code = String()
    name = String()
    field_code = String(allow_none=True)
    active = Boolean()


class PositionIn(Schema):
    code = String(required=True)
    name = String(required=True)
    field_code = String(allow_none=True, load_default=None)
    active = Boolean(load_default=True)


class PositionList(Schema):
    items = List(Nested(PositionOut))


class PersonOut(Schema):
    id = Integer()
    staff_code = String()
    full_name = String()
    email = String(allow_none=True)
    category = String(metadata={"description": "can_bo, cong_chuc or vien_chuc"})
    unit = Nested(Ref)
    position = Nested(Ref, allow_none=True)
    is_leader = Boolean()
    start_date = Date(allow_none=True)
    active = Boolean()


class PersonIn(Schema):
    staff_code = String(required=True)
    full_name = String(required=True)
    email = String(allow_none=True, load_default=None)
    category = String(required=True)
    unit_id = Integer(required=True)
    position_id = Integer(allow_none=True, load_default=None)
    is_leader = Boolean(load_default=False)
    start_date = Date(allow_none=True, load_default=None)
    active = Boolean(load_default=True)


class PersonPatch(Schema):
    staff_code = String()
    full_name = String()
    email = String(allow_none=True)
    category = String()
    unit_id = Integer()
    position_id = Integer(allow_none=True)
    is_leader = Boolean()
    start_date = Date(allow_none=True)
    active = Boolean()


class PeopleQuery(Schema):
    unit = String(metadata={"description": "Unit code: that unit and everything below it"})
    q = String(metadata={"description": "Text in the name, staff code or email"})
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=50, validate=Range(min=1, max=200))


class PeoplePage(Schema):
    items = List(Nested(PersonOut))
    total = Integer()
    page = Integer()
    per_page = Integer()


class AccountIn(Schema):
    username = String(required=True)
    password = String(required=True, load_only=True)


class GrantOut(Schema):
    id = Integer()
    role = String()
    unit = Nested(Ref)


class AccountOut(Schema):
    id = Integer()
    username = String()
    person_id = Integer(allow_none=True)
    active = Boolean()
    grants = List(Nested(GrantOut))


class GrantIn(Schema):
    role = String(required=True, metadata={"description": "learner, mentor, hr or admin"})
    unit_id = Integer(required=True)


def _person_out(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "staff_code": person.staff_code,
        "full_name": person.full_name,
        "email": person.email,
        "category": person.category,
        "unit": person.unit,
        "position": person.position,
        "is_leader": person.is_leader,
        "start_date": person.start_date,
        "active": person.active,
    }


def _unit_id_for_code(code: str | None) -> int | None:
    if not code:
        return None
    unit = unit_by_code(db.session, code)
    return unit.id if unit else -1  # an unknown code is a 404, like an unknown id


# --- units ----------------------------------------------------------------------------


@api.get("/units")
@api.auth_required(token_auth)
@api.output(UnitList)
@api.doc(summary="Units the caller manages as HR, in tree order")
@requires(Role.HR)
def list_units() -> Any:
    return {"items": services.units_in_scope(db.session, account_or_401())}


@api.get("/units/<int:unit_id>")
@api.auth_required(token_auth)
@api.output(UnitOut)
@api.doc(summary="One unit", responses={403: "Outside the caller's scope", 404: "No such unit"})
@requires(Role.HR)
def get_unit(unit_id: int) -> Any:
    return services.unit_for_hr(db.session, account_or_401(), unit_id)


@api.post("/units")
@api.auth_required(token_auth)
@api.input(UnitIn, arg_name="data")
@api.output(UnitOut, status_code=201)
@api.doc(summary="Create a unit under a unit the caller manages")
@requires(Role.HR)
def create_unit(data: dict[str, Any]) -> Any:
    data.pop("active", None)
    unit = services.create_unit(db.session, account_or_401(), **data)
    unit_of_work().commit()
    return unit


@api.patch("/units/<int:unit_id>")
@api.auth_required(token_auth)
@api.input(UnitIn(partial=True), arg_name="data")
@api.output(UnitOut)
@api.doc(summary="Rename, re-code, move or deactivate a unit")
@requires(Role.HR)
def update_unit(unit_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    unit: Unit = services.unit_for_hr(db.session, account, unit_id)
    values = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "active": unit.active,
    }
    services.update_unit(db.session, account, unit, **(values | data))
    unit_of_work().commit()
    return unit


# --- positions ------------------------------------------------------------------------


@api.get("/positions")
@api.auth_required(token_auth)
@api.output(PositionList)
@api.doc(summary="All job positions")
@requires()
def list_positions() -> Any:
    return {"items": services.list_positions(db.session)}


@api.post("/positions")
@api.auth_required(token_auth)
@api.input(PositionIn, arg_name="data")
@api.output(PositionOut, status_code=201)
@api.doc(summary="Create a job position (province-level HR)")
@requires(Role.HR)
def create_position(data: dict[str, Any]) -> Any:
    position = services.save_position(db.session, account_or_401(), data)
    unit_of_work().commit()
    return position


@api.patch("/positions/<int:position_id>")
@api.auth_required(token_auth)
@api.input(PositionIn(partial=True), arg_name="data")
@api.output(PositionOut)
@api.doc(summary="Update a job position (province-level HR)")
@requires(Role.HR)
def update_position(position_id: int, data: dict[str, Any]) -> Any:
    position = get_position(db.session, position_id)
    values = {
        "code": position.code,
        "name": position.name,
        "field_code": position.field_code,
        "active": position.active,
    }
    services.save_position(db.session, account_or_401(), values | data, position)
    unit_of_work().commit()
    return position


# --- people ---------------------------------------------------------------------------


@api.get("/people")
@api.auth_required(token_auth)
@api.input(PeopleQuery, location="query", arg_name="query")
@api.output(PeoplePage)
@api.doc(summary="People in the caller's HR scope")
@requires(Role.HR)
def list_people(query: dict[str, Any]) -> Any:
    page = services.list_people(
        db.session,
        account_or_401(),
        unit_id=_unit_id_for_code(query.get("unit")),
        text=query.get("q"),
        page=query["page"],
        per_page=query["per_page"],
    )
    return {
        "items": [_person_out(p) for p in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    }


@api.get("/people/<int:person_id>")
@api.auth_required(token_auth)
@api.output(PersonOut)
@api.doc(summary="One person (oneself, or within the caller's HR scope)")
@requires()
def get_person(person_id: int) -> Any:
    return _person_out(services.person_for(db.session, account_or_401(), person_id))


@api.post("/people")
@api.auth_required(token_auth)
@api.input(PersonIn, arg_name="data")
@api.output(PersonOut, status_code=201)
@api.doc(
    summary="Create a person in a unit the caller manages",
    responses={400: "Invalid or duplicate staff code, unknown unit, invalid email: nothing is written"},
)
@requires(Role.HR)
def create_person(data: dict[str, Any]) -> Any:
    person = services.create_person(db.session, account_or_401(), data)
    unit_of_work().commit()
    return _person_out(person)


@api.patch("/people/<int:person_id>")
@api.auth_required(token_auth)
@api.input(PersonPatch, arg_name="data")
@api.output(PersonOut)
@api.doc(summary="Update or move a person")
@requires(Role.HR)
def update_person(person_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    person = services.person_for_hr(db.session, account, person_id)
    services.update_person(db.session, account, person, data)
    unit_of_work().commit()
    return _person_out(person)


# --- accounts and grants --------------------------------------------------------------


@api.get("/people/<int:person_id>/account")
@api.auth_required(token_auth)
@api.output(AccountOut)
@api.doc(summary="The person's account and role grants", responses={404: "The person has no account"})
@requires(Role.HR)
def get_person_account(person_id: int) -> Any:
    actor = account_or_401()
    person = services.person_for_hr(db.session, actor, person_id)
    account = account_for_person(db.session, person.id)
    if account is None:
        raise NotFound(N_("Cán bộ này chưa có tài khoản."))
    return {
        "id": account.id,
        "username": account.username,
        "person_id": account.person_id,
        "active": account.active,
        "grants": services.visible_grants(actor, account),
    }


@api.post("/people/<int:person_id>/account")
@api.auth_required(token_auth)
@api.input(AccountIn, arg_name="data")
@api.output(AccountOut, status_code=201)
@api.doc(summary="Create the person's account (with the learner role on their unit)")
@requires(Role.HR)
def create_person_account(person_id: int, data: dict[str, Any]) -> Any:
    actor = account_or_401()
    person = services.person_for_hr(db.session, actor, person_id)
    account = services.create_account_for(db.session, actor, person, **data)
    unit_of_work().commit()
    return account


@api.post("/accounts/<int:account_id>/grants")
@api.auth_required(token_auth)
@api.input(GrantIn, arg_name="data")
@api.output(GrantOut, status_code=201)
@api.doc(summary="Grant a role over a unit subtree")
@requires(Role.HR)
def grant_role(account_id: int, data: dict[str, Any]) -> Any:
    grant = services.grant_role(db.session, account_or_401(), get_account(db.session, account_id), **data)
    unit_of_work().commit()
    return grant


@api.delete("/grants/<int:grant_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(summary="Revoke a role grant")
@requires(Role.HR)
def revoke_role(grant_id: int) -> Any:
    services.revoke_role(db.session, account_or_401(), grant_id)
    unit_of_work().commit()
    return ""


# --- bulk import of people ------------------------------------------------------------


class ImportIn(Schema):
    file = File(
        required=True, metadata={"description": ".xlsx or .csv (UTF-8), at most 5 MB, headers as in the template"}
    )
    dry_run = Boolean(load_default=True, metadata={"description": "Validate and report; write nothing (the default)"})
    deactivate_missing = Boolean(
        load_default=False,
        metadata={"description": "Deactivate active people of the units the file names whose staff code is absent"},
    )


class ImportChange(Schema):
    action = String(metadata={"description": "create, update or deactivate"})
    row = Integer(allow_none=True)
    staff_code = String()
    full_name = String()
    unit = String(metadata={"description": "Unit code"})
    changes = Dict(metadata={"description": "field -> [old, new], for updates"})


class ImportOut(Schema):
    dry_run = Boolean()
    deactivate_missing = Boolean()
    rows = Integer()
    created = Integer()
    updated = Integer()
    deactivated = Integer()
    unchanged = Integer()
    ignored_columns = List(String())
    items = List(Nested(ImportChange), metadata={"description": "The changes, at most 500"})
    items_total = Integer()


IMPORT_ERRORS = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "row": {
                                "type": "integer",
                                "nullable": True,
                                "description": "Spreadsheet row; 1 is the headers",
                            },
                            "column": {
                                "type": "string",
                                "nullable": True,
                                "description": "The header, as in the template",
                            },
                            "field": {"type": "string", "nullable": True},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


def row_errors(exc: importer.ImportRefused) -> list[dict[str, Any]]:
    """The errors as the API and the pages show them: row, column header, message."""
    return [
        {
            "row": error.row,
            "column": translate(importer.HEADERS[error.column]) if error.column else None,
            "field": error.column,
            "message": translate(error.message, error.params),
        }
        for error in exc.rows
    ]


@api.post("/people/import")
@api.auth_required(token_auth)
@api.input(ImportIn, location="form_and_files", arg_name="data")
@api.output(ImportOut)
@api.doc(
    summary="Import people from an .xlsx or .csv file (a dry run unless dry_run=false)",
    description="Every row is validated first; on any error nothing is written and the answer (400) lists "
    "every error as {row, column, message}. People are matched by staff code; the import is one transaction "
    "and importing the same file again changes nothing. Files of many thousands of rows are better imported "
    "from the page (a background job with progress) or with `flask people import`.",
    responses={
        400: {
            "description": "Errors by row and column: nothing was written",
            "content": {"application/json": {"schema": IMPORT_ERRORS}},
        }
    },
)
@requires(Role.HR)
def import_people(data: dict[str, Any]) -> Any:
    upload = data["file"]
    content = upload.stream.read(importer.MAX_BYTES + 1)
    try:
        summary = importer.import_people(
            db.session,
            account_or_401(),
            content,
            filename=upload.filename or "",
            dry_run=data["dry_run"],
            deactivate_missing=data["deactivate_missing"],
        )
    except importer.ImportRefused as exc:
        db.session.rollback()
        message = translate(exc.message, exc.params)
        # A Response, so the output schema (the summary's) does not reshape the error body.
        response = jsonify({"error": {"code": exc.code, "message": message, "rows": row_errors(exc)}})
        response.status_code = 400
        return response
    if data["dry_run"]:
        db.session.rollback()
    else:
        # As the page's job does: a session still holding the request's objects makes
        # publishing one event per person quadratic (see importer.release).
        importer.release(db.session)
        unit_of_work().commit()
    return summary.as_dict()


@api.get("/people/import/template.<any(xlsx, csv):file_format>")
@api.auth_required(token_auth)
@api.output({}, content_type="application/octet-stream")
@api.doc(summary="The import template (.xlsx with the unit and position codes the caller may use, or .csv)")
@requires(Role.HR)
def import_template(file_format: str) -> Any:
    return template_response(file_format)


def template_response(file_format: str) -> Response:
    """The template download, shared with the page."""
    account = account_or_401()
    if file_format == "csv":
        body, mimetype = importer.template_csv(translate), "text/csv; charset=utf-8"
    else:
        units = [(u.code, u.name) for u in services.units_in_scope(db.session, account)]
        positions = [(p.code, p.name) for p in services.list_positions(db.session) if p.active]
        body = importer.template_xlsx(translate, units, positions)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=mau-nhap-can-bo.{file_format}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
