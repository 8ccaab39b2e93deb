"""HR pages: parse the form, call one service, render."""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.forms import optional_int
from app.security import account_or_401, requires, unit_of_work
from lms_core import units
from lms_core.accounts import ROLE_LABELS, Role, account_for_person
from lms_core.db import make_session_factory
from lms_core.errors import N_, ValidationFailed
from lms_core.people import CATEGORY_LABELS, PERSON_FIELDS, Field, get_position
from lms_core.units import UNIT_KIND_LABELS
from modules.hr import forms, importer, jobs, services
from modules.hr.api import row_errors, template_response
from modules.hr.models import ImportJob

bp = Blueprint("hr", __name__, url_prefix="/hr", template_folder="templates", static_folder="static")


def _choices() -> dict[str, Any]:
    account = account_or_401()
    return {
        "unit_choices": [
            (u.id, f"{'  ' * (u.path.count('/') - 2)}{u.name}") for u in services.units_in_scope(db.session, account)
        ],
        "position_choices": [(p.id, p.name) for p in services.list_positions(db.session) if p.active],
        "category_choices": [(c.value, translate(label)) for c, label in CATEGORY_LABELS.items()],
        "kind_choices": [(k.value, translate(label)) for k, label in UNIT_KIND_LABELS.items()],
        "role_choices": [(r.value, translate(label)) for r, label in ROLE_LABELS.items()],
        "field_choices": [(f.code, f.name) for f in db.session.query(Field).order_by(Field.name)],
    }


def _saved(message: str, endpoint: str, **values: Any) -> Response:
    unit_of_work().commit()
    flash(translate(message), "success")
    return redirect(url_for(endpoint, **values))


# --- units ----------------------------------------------------------------------------


@bp.get("/units")
@requires(Role.HR)
def units_page() -> str:
    return render_template(
        "hr/units.html", tree=services.unit_tree(db.session, account_or_401()), kind_labels=UNIT_KIND_LABELS
    )


@bp.get("/units/<int:unit_id>")
@requires(Role.HR)
def unit_page(unit_id: int) -> str:
    account = account_or_401()
    unit = services.unit_for_hr(db.session, account, unit_id)
    return render_template(
        "hr/unit.html",
        unit=unit,
        kind_labels=UNIT_KIND_LABELS,
        breadcrumbs=units.ancestors(db.session, unit),
        children=units.children(db.session, unit),
        people=services.list_people(db.session, account, unit_id=unit.id, per_page=20),
    )


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def unit_form(unit_id: int | None = None) -> Any:
    account = account_or_401()
    unit = services.unit_for_hr(db.session, account, unit_id) if unit_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = forms.unit_data(request.form)
        try:
            if unit is None:
                unit = services.create_unit(db.session, account, **data)
            else:
                services.update_unit(db.session, account, unit, active=request.form.get("active") == "1", **data)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            return _saved(N_("Đã lưu đơn vị."), "hr.unit_page", unit_id=unit.id)
        values = dict(request.form)
    elif unit is not None:
        values = {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent_id": unit.parent_id,
            "active": unit.active,
        }
    else:
        values = {"parent_id": request.args.get("parent", ""), "kind": "commune", "active": True}
    return render_template(
        "hr/unit_form.html", unit=unit, values=values, errors=errors, **_choices()
    ), 400 if errors else 200


# --- positions ------------------------------------------------------------------------


@bp.get("/positions")
@requires(Role.HR)
def positions() -> str:
    return render_template("hr/positions.html", positions=services.list_positions(db.session))


@bp.route("/positions/new", methods=["GET", "POST"])
@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def position_form(position_id: int | None = None) -> Any:
    account = account_or_401()
    position = get_position(db.session, position_id) if position_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = {
            "code": request.form.get("code", ""),
            "name": request.form.get("name", ""),
            "field_code": request.form.get("field_code") or None,
            "active": request.form.get("active") == "1",
        }
        try:
            services.save_position(db.session, account, data, position)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            return _saved(N_("Đã lưu vị trí việc làm."), "hr.positions")
        values: dict[str, Any] = dict(request.form)
    elif position is not None:
        values = {
            "code": position.code,
            "name": position.name,
            "field_code": position.field_code,
            "active": position.active,
        }
    else:
        values = {"active": True}
    return render_template(
        "hr/position_form.html", position=position, values=values, errors=errors, **_choices()
    ), 400 if errors else 200


# --- people ---------------------------------------------------------------------------


@bp.get("/people")
@requires(Role.HR)
def people() -> str:
    account = account_or_401()
    unit_id = optional_int(request.args.get("unit"))
    page = services.list_people(
        db.session,
        account,
        unit_id=unit_id if isinstance(unit_id, int) else None,
        text=request.args.get("q"),
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "hr/people.html",
        page=page,
        q=request.args.get("q", ""),
        unit_id=unit_id,
        category_labels=CATEGORY_LABELS,
        **_choices(),
    )


@bp.get("/people/<int:person_id>")
@requires(Role.HR)
def person_page(person_id: int) -> str:
    actor = account_or_401()
    person = services.person_for_hr(db.session, actor, person_id)
    account = account_for_person(db.session, person.id)
    return render_template(
        "hr/person.html",
        person=person,
        account=account,
        grants=services.visible_grants(actor, account) if account else [],
        category_labels=CATEGORY_LABELS,
        role_labels=ROLE_LABELS,
        errors={},
        **_choices(),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def person_form(person_id: int | None = None) -> Any:
    account = account_or_401()
    person = services.person_for_hr(db.session, account, person_id) if person_id else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = forms.person_data(request.form)
        try:
            if person is None:
                person = services.create_person(db.session, account, data)
            else:
                services.update_person(db.session, account, person, data)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            return _saved(N_("Đã lưu thông tin cán bộ."), "hr.person_page", person_id=person.id)
        values: dict[str, Any] = dict(request.form)
    elif person is not None:
        values = {key: getattr(person, key) for key in PERSON_FIELDS}
    else:
        values = {"unit_id": request.args.get("unit", ""), "category": "cong_chuc", "active": True}
    return render_template(
        "hr/person_form.html", person=person, values=values, errors=errors, **_choices()
    ), 400 if errors else 200


@bp.post("/people/<int:person_id>/account")
@requires(Role.HR)
def create_account(person_id: int) -> Any:
    account = account_or_401()
    person = services.person_for_hr(db.session, account, person_id)
    try:
        services.create_account_for(
            db.session,
            account,
            person,
            username=request.form.get("username", ""),
            password=request.form.get("password", ""),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template(
            "hr/person.html",
            person=person,
            account=None,
            grants=[],
            category_labels=CATEGORY_LABELS,
            role_labels=ROLE_LABELS,
            errors=field_errors(exc),
            **_choices(),
        ), 400
    return _saved(N_("Đã tạo tài khoản."), "hr.person_page", person_id=person.id)


@bp.post("/people/<int:person_id>/grants")
@requires(Role.HR)
def grant_role(person_id: int) -> Any:
    account = account_or_401()
    person = services.person_for_hr(db.session, account, person_id)
    target = account_for_person(db.session, person.id)
    if target is None:
        flash(translate(N_("Cán bộ này chưa có tài khoản.")), "error")
        return redirect(url_for("hr.person_page", person_id=person.id))
    unit_id = optional_int(request.form.get("unit_id"))
    services.grant_role(
        db.session,
        account,
        target,
        role=request.form.get("role", ""),
        unit_id=unit_id if isinstance(unit_id, int) else -1,
    )
    return _saved(N_("Đã cấp quyền."), "hr.person_page", person_id=person.id)


@bp.post("/grants/<int:grant_id>/revoke")
@requires(Role.HR)
def revoke_role(grant_id: int) -> Response:
    person_id = request.form.get("person_id", type=int)
    services.revoke_role(db.session, account_or_401(), grant_id)
    return (
        _saved(N_("Đã thu hồi quyền."), "hr.person_page", person_id=person_id)
        if person_id
        else _saved(N_("Đã thu hồi quyền."), "hr.people")
    )


# --- bulk import of people ------------------------------------------------------------


def _start_runner(job_id: int) -> None:
    """Run the job in a thread of this process, with sessions of its own; its progress is in
    the database, so any app process can answer the page's polling. A runner lost with its
    process (a restarted worker) leaves a job the status reports as interrupted."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    publish = app.extensions["hocvu_registry"].publish

    def target() -> None:
        with app.app_context():
            jobs.run(make_session_factory(db.engine), publish, job_id)

    threading.Thread(target=target, name=f"hr-import-{job_id}", daemon=True).start()


def _import_page(errors: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    account = account_or_401()
    return render_template(
        "hr/import.html",
        errors=errors or [],
        recent=[(job, jobs.status_of(job)) for job in jobs.recent_jobs(db.session, account)],
        headers=[translate(label) for label in importer.HEADERS.values()],
        max_mb=importer.MAX_BYTES // (1024 * 1024),
        status_labels=jobs.STATUS_LABELS,
    ), status


@bp.get("/people/import")
@requires(Role.HR)
def people_import() -> Any:
    return _import_page()


@bp.post("/people/import")
@requires(Role.HR)
def people_import_upload() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page([{"row": None, "column": None, "message": translate(N_("Hãy chọn một tệp."))}], 400)
    content = upload.stream.read(importer.MAX_BYTES + 1)
    try:
        job = jobs.create_job(
            db.session,
            account_or_401(),
            content,
            filename=upload.filename,
            deactivate_missing=request.form.get("deactivate_missing") == "1",
        )
    except importer.ImportRefused as exc:
        db.session.rollback()
        return _import_page(row_errors(exc), 400)
    unit_of_work().commit()
    _start_runner(job.id)
    return redirect(url_for("hr.people_import_job", job_id=job.id), 303)


@bp.get("/people/import/template.<any(xlsx, csv):file_format>")
@requires(Role.HR)
def people_import_template(file_format: str) -> Response:
    return template_response(file_format)


def _job_view(job: ImportJob) -> dict[str, Any]:
    status = jobs.status_of(job)
    return status | {
        "status_label": translate(status["status_label"]),
        "phase_label": translate(status["phase_label"]) if status["phase_label"] else "",
        "message": translate(status["message"], status["message_params"] or None) if status["message"] else "",
    }


@bp.get("/people/import/<int:job_id>")
@requires(Role.HR)
def people_import_job(job_id: int) -> str:
    job = jobs.job_for(db.session, account_or_401(), job_id)
    errors = [
        {
            "row": e["row"],
            "column": translate(importer.HEADERS[e["column"]]) if e.get("column") else None,
            "message": translate(e["message"], e.get("params") or None),
        }
        for e in job.errors or []
    ]
    return render_template(
        "hr/import_job.html",
        job=job,
        status=_job_view(job),
        errors=errors,
        summary=job.summary,
        headers=importer.HEADERS | {"active": N_("đang công tác")},
    )


@bp.get("/people/import/<int:job_id>/status")
@requires(Role.HR)
def people_import_status(job_id: int) -> Response:
    """The job's progress as JSON, for the page's polling."""
    response = jsonify(_job_view(jobs.job_for(db.session, account_or_401(), job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/people/import/<int:job_id>/confirm")
@requires(Role.HR)
def people_import_confirm(job_id: int) -> Response:
    account = account_or_401()
    job = jobs.job_for(db.session, account, job_id)
    jobs.confirm(db.session, account, job)
    unit_of_work().commit()
    _start_runner(job.id)
    return redirect(url_for("hr.people_import_job", job_id=job.id), 303)
