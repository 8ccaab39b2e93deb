"""Checklist pages: parse the form, call one service, render or redirect with a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.security import account_or_401, requires, safe_local_path, unit_of_work
from lms_core import uploads as files
from lms_core.accounts import Role
from lms_core.errors import N_, DomainError, FieldError, ValidationFailed
from lms_core.people import get_person
from modules.checklists import services
from modules.checklists.api import evidence_folder, evidence_max_bytes, send_evidence

bp = Blueprint(
    "checklists",
    __name__,
    url_prefix="/checklists",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {
        "checklist_status_labels": services.STATUS_LABELS,
        "checklist_evidence_labels": services.EVIDENCE_LABELS,
        "checklist_sign_off_labels": services.SIGN_OFF_LABELS,
    }


def _message(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return " ".join(field_errors(error).values())
    return translate(error.message, error.params)


def _attempt(action: Callable[[], Any], success: str, target: str, **params: Any) -> Response:
    """Run a use case: commit and say ``success``; on an expected failure (invalid input, a
    conflict, a refused file) roll back and say why. A refusal (403) is audited and shown
    as the error page."""
    try:
        with services.refusals_audited(db.session, unit_of_work().commit):
            action()
    except services.Refused:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(_message(error), "error")
    else:
        unit_of_work().commit()
        flash(translate(success, params), "success")
    return redirect(target)


def _back(default: str) -> str:
    return safe_local_path(request.form.get("next"), default)


def _date(value: str | None, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([FieldError(field, N_("Ngày không hợp lệ."))]) from None


# --- the official ---------------------------------------------------------------------


@bp.get("/")
@requires()
def mine() -> str:
    account = account_or_401()
    views = services.checklists_for(db.session, account.person) if account.person else []
    return render_template("checklists/mine.html", views=views)


@bp.get("/<slug>")
@requires()
def checklist_page(slug: str) -> str:
    account = account_or_401()
    person = services.person_of(account)
    view = services.view_for(db.session, account, person, slug)
    return render_template(
        "checklists/checklist.html",
        view=view,
        mentors=services.active_mentors(db.session, person, view.checklist, services.today()),
        max_mb=f"{evidence_max_bytes() / (1024 * 1024):g}",
    )


def _item_anchor(slug: str, key: str) -> str:
    return url_for("checklists.checklist_page", slug=slug, _anchor=f"item-{key}")


@bp.post("/<slug>/items/<key>/mark")
@requires()
def mark(slug: str, key: str) -> Response:
    checked = request.form.get("checked") == "1"
    return _attempt(
        lambda: services.mark_item(db.session, account_or_401(), slug, key, checked),
        N_("Đã đánh dấu mục %(key)s là đã làm.") if checked else N_("Đã bỏ đánh dấu mục %(key)s."),
        _item_anchor(slug, key),
        key=key,
    )


@bp.post("/<slug>/items/<key>/evidence")
@requires()
def add_evidence(slug: str, key: str) -> Response:
    account = account_or_401()
    upload = request.files.get("file")
    case_number = (request.form.get("case_number") or "").strip()

    def action() -> None:
        if (upload is None or not upload.filename) and not case_number:
            raise ValidationFailed.single("file", N_("Hãy chọn tệp minh chứng hoặc nhập số hồ sơ."))
        if case_number:
            services.add_case_number(db.session, account, slug, key, case_number)
        if upload is not None and upload.filename:
            services.add_file(
                db.session,
                account,
                slug,
                key,
                filename=upload.filename,
                stream=upload.stream,
                folder=evidence_folder(),
                max_bytes=evidence_max_bytes(),
            )

    return _attempt(action, N_("Đã lưu minh chứng cho mục %(key)s."), _item_anchor(slug, key), key=key)


@bp.post("/evidence/<int:evidence_id>/remove")
@requires()
def remove_evidence(evidence_id: int) -> Response:
    slug, key = request.form.get("slug", ""), request.form.get("key", "")
    target = _item_anchor(slug, key) if slug else url_for("checklists.mine")
    try:
        stored = services.remove_evidence(db.session, account_or_401(), evidence_id)
    except DomainError as error:
        db.session.rollback()
        flash(_message(error), "error")
        return redirect(target)
    unit_of_work().commit()
    if stored:
        files.remove(evidence_folder(), stored)
    flash(translate(N_("Đã xóa minh chứng.")), "success")
    return redirect(target)


@bp.post("/<slug>/review")
@requires()
def request_review(slug: str) -> Response:
    return _attempt(
        lambda: services.request_review(db.session, account_or_401(), slug),
        N_("Đã gửi người hướng dẫn xem xét."),
        url_for("checklists.checklist_page", slug=slug),
    )


@bp.get("/evidence/<int:evidence_id>")
@requires()
def evidence_file(evidence_id: int) -> Any:
    return send_evidence(services.evidence_for_download(db.session, account_or_401(), evidence_id))


# --- the mentor -----------------------------------------------------------------------


@bp.get("/mentor")
@requires()
def mentor_home() -> str:
    account = account_or_401()
    return render_template(
        "checklists/mentor.html",
        queue=services.mentor_queue(db.session, account),
        mentees=services.mentees(db.session, account),
    )


@bp.get("/people/<int:person_id>/<slug>")
@requires()
def review_page(person_id: int, slug: str) -> str:
    account = account_or_401()
    official = get_person(db.session, person_id)
    view = services.view_for(db.session, account, official, slug)
    is_mentor = account.person_id is not None and (
        services.active_assignment(db.session, account.person_id, official.id, view.checklist.id, services.today())
        is not None
    )
    return render_template(
        "checklists/review.html",
        view=view,
        official=official,
        is_mentor=is_mentor and account.person_id != official.id,
        is_hr=services.is_hr_for(account, official),
    )


def _review_target(person_id: int, slug: str, key: str) -> str:
    return _back(url_for("checklists.review_page", person_id=person_id, slug=slug, _anchor=f"item-{key}"))


@bp.post("/people/<int:person_id>/<slug>/items/<key>/sign-off")
@requires()
def sign_off(person_id: int, slug: str, key: str) -> Response:
    comment = request.form.get("comment", "")
    return _attempt(
        lambda: services.sign_off(db.session, account_or_401(), person_id, slug, key, comment),
        N_("Đã xác nhận mục %(key)s."),
        _review_target(person_id, slug, key),
        key=key,
    )


@bp.post("/people/<int:person_id>/<slug>/items/<key>/return")
@requires()
def return_item(person_id: int, slug: str, key: str) -> Response:
    message = request.form.get("message", "")
    return _attempt(
        lambda: services.return_item(db.session, account_or_401(), person_id, slug, key, message),
        N_("Đã trả lại mục %(key)s để cán bộ hoàn thiện."),
        _review_target(person_id, slug, key),
        key=key,
    )


# --- HR -------------------------------------------------------------------------------


@bp.post("/people/<int:person_id>/<slug>/items/<key>/revoke")
@requires()
def revoke(person_id: int, slug: str, key: str) -> Response:
    reason = request.form.get("reason", "")
    return _attempt(
        lambda: services.revoke_sign_off(db.session, account_or_401(), person_id, slug, key, reason),
        N_("Đã thu hồi xác nhận mục %(key)s."),
        _review_target(person_id, slug, key),
        key=key,
    )


@bp.get("/hr")
@requires(Role.HR)
def hr_home() -> str:
    account = account_or_401()
    q = request.args.get("q", "")
    return render_template(
        "checklists/hr.html",
        q=q,
        people=services.find_people_for_hr(db.session, account, q),
        assignments=services.assignments_in_scope(db.session, account),
        today=services.today(),
    )


def _person_page(person_id: int, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Any:
    account = account_or_401()
    official = get_person(db.session, person_id)
    views = services.visible_checklists(db.session, account, official)
    is_hr = services.is_hr_for(account, official)
    return render_template(
        "checklists/person.html",
        official=official,
        views=views,
        is_hr=is_hr,
        assignments=services.assignments_of(db.session, account, official.id) if is_hr else [],
        checklist_choices=services.all_checklists(db.session),
        colleagues=services.find_colleagues(db.session, account, official) if is_hr else [],
        errors=errors or {},
        values=values or {"start_date": services.today().isoformat()},
        today=services.today(),
    ), (400 if errors else 200)


@bp.get("/people/<int:person_id>")
@requires()
def person_page(person_id: int) -> Any:
    return _person_page(person_id)


@bp.post("/people/<int:person_id>/assignments")
@requires(Role.HR)
def assign(person_id: int) -> Any:
    account = account_or_401()
    values = {key: request.form.get(key, "") for key in ("mentor_staff_code", "checklist", "start_date", "end_date")}
    try:
        services.assign_mentor(
            db.session,
            account,
            official_id=person_id,
            mentor_staff_code=values["mentor_staff_code"],
            checklist_slug=values["checklist"] or None,
            start_date=_date(values["start_date"], "start_date"),
            end_date=_date(values["end_date"], "end_date"),
        )
    except ValidationFailed as error:
        db.session.rollback()
        errors = field_errors(error)
        if "mentor" in errors:
            errors["mentor_staff_code"] = errors.pop("mentor")
        return _person_page(person_id, errors, values)
    unit_of_work().commit()
    flash(translate(N_("Đã phân công người hướng dẫn.")), "success")
    return redirect(url_for("checklists.person_page", person_id=person_id))


@bp.post("/assignments/<int:assignment_id>/end")
@requires(Role.HR)
def end_assignment(assignment_id: int) -> Response:
    person_id = request.form.get("person_id", type=int)
    target = url_for("checklists.person_page", person_id=person_id) if person_id else url_for("checklists.hr_home")
    return _attempt(
        lambda: services.end_assignment(db.session, account_or_401(), assignment_id),
        N_("Đã kết thúc phân công người hướng dẫn."),
        target,
    )
