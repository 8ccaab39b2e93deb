"""Credits pages: "Giờ học của tôi" (and HR's view of a person's hours), HR's
requirement rules, external training claims (the official's and HR's review), and
closing a year. Parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.forms import optional_date, optional_int
from app.security import account_or_401, requires, unit_of_work
from lms_core import access
from lms_core.accounts import Role
from lms_core.catalog import ActivityType
from lms_core.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import CATEGORY_LABELS, Field, Person, Position, get_person
from lms_core.units import Unit
from modules.credits import claims, closing, requirements
from modules.credits.api import claims_max_bytes, default_periods, send_claim_evidence, submit_claim_committed
from modules.credits.hours import SOURCE_LABELS, current_year, hours_for, years_for
from modules.credits.requirements import MAX_YEAR, MIN_YEAR

bp = Blueprint(
    "credits",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/credits/static",
)


def _year(value: str | None) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return current_year()
    return year if MIN_YEAR <= year <= MAX_YEAR else current_year()


def _render_hours(person: Person, own: bool) -> str:
    year = _year(request.args.get("year"))
    hours = hours_for(db.session, person, year, default_periods=default_periods(), translate=gettext)
    years = sorted(set(years_for(db.session, person)) | {year}, reverse=True)
    return render_template("credits/hours.html", person=person, hours=hours, years=years, year=year, own=own)


@bp.get("/hours")
@requires()
def my_hours() -> str:
    account = account_or_401()
    if account.person is None:
        return render_template("credits/no_person.html")
    return _render_hours(account.person, own=True)


@bp.get("/hours/<int:person_id>")
@requires()
def person_hours(person_id: int) -> str:
    account = account_or_401()
    person = get_person(db.session, person_id)
    access.require_person_view(account, person)
    return _render_hours(person, own=person.id == account.person_id)


# --- requirement rules ----------------------------------------------------------------


@bp.get("/credits/rules")
@requires(Role.HR)
def rules() -> str:
    account = account_or_401()
    year = _year(request.args.get("year"))
    items = requirements.list_rules(db.session, account, year)
    return render_template(
        "credits/rules.html",
        year=year,
        years=list(range(current_year() + 1, current_year() - 4, -1)),
        rules=items,
        needs_reason=lambda rule: bool(requirements.closings_touching(db.session, rule.unit, rule.year)),
        default_periods=default_periods(),
        can_manage=lambda rule: requirements.can_manage(account, rule),
        conditions=lambda rule: requirements.condition_labels(rule, gettext),
        caps=lambda rule: [requirements.describe_cap(cap, gettext, _field_names()) for cap in rule.caps],
    )


def _field_names() -> dict[str, str]:
    return {f.code: f.name for f in db.session.scalars(select(Field))}


def rule_form_data(form: MultiDict[str, str], fields: list[Field]) -> dict[str, Any]:
    """The submitted rule form as the service's data; unparsable numbers go through as
    they came, so the service reports them with the other fields."""
    leader = form.get("is_leader", "")
    caps: list[dict[str, Any]] = []
    online = optional_int(form.get("cap_online"))
    if online is not None:
        caps.append({"kind": "online", "value": None, "max_periods": online})
    for item in fields:
        value = optional_int(form.get(f"cap_field_{item.code}"))
        if value is not None:
            caps.append({"kind": "field", "value": item.code, "max_periods": value})
    for kind in ActivityType:
        value = optional_int(form.get(f"cap_type_{kind.value}"))
        if value is not None:
            caps.append({"kind": "type", "value": kind.value, "max_periods": value})
    return {
        "year": optional_int(form.get("year")),
        "name": form.get("name", ""),
        "periods": optional_int(form.get("periods")),
        "category": form.get("category") or None,
        "position_id": optional_int(form.get("position_id")),
        "unit_id": optional_int(form.get("unit_id")),
        "is_leader": {"1": True, "0": False}.get(leader),
        "pro_rata": form.get("pro_rata") == "1",
        "caps": caps,
    }


def _form_values(rule: requirements.RequirementRule) -> dict[str, Any]:
    values: dict[str, Any] = {
        "year": rule.year,
        "name": rule.name,
        "periods": rule.periods,
        "category": rule.category or "",
        "position_id": rule.position_id or "",
        "unit_id": rule.unit_id or "",
        "is_leader": {True: "1", False: "0", None: ""}[rule.is_leader],
        "pro_rata": rule.pro_rata,
    }
    for cap in rule.caps:
        key = "cap_online" if cap.kind == "online" else f"cap_{cap.kind}_{cap.value}"
        values[key] = cap.max_periods
    return values


@bp.route("/credits/rules/new", methods=["GET", "POST"])
@bp.route("/credits/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@requires(Role.HR)
def rule_form(rule_id: int | None = None) -> Any:
    account = account_or_401()
    rule = requirements.get_rule(db.session, account, rule_id) if rule_id else None
    if rule is not None:
        requirements.require_manage(account, rule)
    fields = list(db.session.scalars(select(Field).order_by(Field.name)))
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = rule_form_data(request.form, fields)
        try:
            reason = request.form.get("reason", "")
            if rule is None:
                rule = requirements.create_rule(db.session, account, data, reason)
            else:
                requirements.update_rule(db.session, account, rule, data, reason)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            unit_of_work().commit()
            flash(translate(N_("Đã lưu quy định.")), "success")
            return redirect(url_for("credits.rules", year=rule.year))
        values: dict[str, Any] = dict(request.form)
    elif rule is not None:
        values = _form_values(rule)
    else:
        values = {"year": _year(request.args.get("year")), "periods": default_periods(), "pro_rata": True}
    units = db.session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)).all()
    return render_template(
        "credits/rule_form.html",
        rule=rule,
        values=values,
        errors=errors,
        fields=fields,
        types=[(kind.value, translate(SOURCE_LABELS[kind.value])) for kind in ActivityType],
        unit_choices=[(u.id, f"{'  ' * (u.path.count('/') - 2)}{u.name}") for u in units],
        position_choices=[(p.id, p.name) for p in db.session.scalars(select(Position).order_by(Position.name))],
        category_choices=[(c.value, translate(label)) for c, label in CATEGORY_LABELS.items()],
    ), 400 if errors else 200


@bp.post("/credits/rules/<int:rule_id>/delete")
@requires(Role.HR)
def delete_rule(rule_id: int) -> Response:
    account = account_or_401()
    rule = requirements.get_rule(db.session, account, rule_id)
    year = rule.year
    try:
        requirements.delete_rule(db.session, account, rule, request.form.get("reason", ""))
    except ValidationFailed as exc:  # a closed year without a reason
        db.session.rollback()
        flash(" ".join(field_errors(exc).values()), "error")
        return redirect(url_for("credits.rules", year=year))
    unit_of_work().commit()
    flash(translate(N_("Đã xóa quy định.")), "success")
    return redirect(url_for("credits.rules", year=year))


# --- external training claims ---------------------------------------------------------


def claim_form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title", ""),
        "organiser": form.get("organiser", ""),
        "mode": form.get("mode", ""),
        "start_date": optional_date(form.get("start_date")),
        "end_date": optional_date(form.get("end_date")),
        "periods": optional_int(form.get("periods")),
        "field_code": form.get("field_code") or None,
    }


def _claim_labels() -> dict[str, Any]:
    return {
        "modes": {code: translate(label) for code, label in claims.MODE_LABELS.items()},
        "statuses": {code: translate(label) for code, label in claims.STATUS_LABELS.items()},
    }


@bp.get("/claims")
@requires()
def my_claims() -> str:
    account = account_or_401()
    if account.person is None:
        return render_template("credits/no_person.html")
    return render_template(
        "credits/claims.html", claims=claims.claims_of(db.session, account.person.id), **_claim_labels()
    )


@bp.route("/claims/new", methods=["GET", "POST"])
@requires()
def new_claim() -> Any:
    account = account_or_401()
    if account.person is None:
        return render_template("credits/no_person.html")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = dict(request.form)
        try:
            claim = submit_claim_committed(claim_form_data(request.form), request.files.get("evidence"))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        except (claims.EvidenceTooLarge, claims.EvidenceTypeRefused) as exc:
            db.session.rollback()
            errors = {"evidence": translate(exc.message, exc.params)}
        else:
            message = N_("Đã gửi khai báo; bộ phận tổ chức cán bộ sẽ xem xét.")
            flash(translate(message), "success")
            if claim.duplicate_of_id:
                flash(translate(N_("Lưu ý: khai báo này trùng tên và thời gian với một khai báo trước.")), "warning")
            return redirect(url_for("credits.my_claims"))
    return render_template(
        "credits/claim_form.html",
        values=values,
        errors=errors,
        fields=[(f.code, f.name) for f in db.session.scalars(select(Field).order_by(Field.name))],
        max_mb=f"{claims_max_bytes() / (1024 * 1024):g}",
        **_claim_labels(),
    ), 400 if errors else 200


@bp.post("/claims/<int:claim_id>/withdraw")
@requires()
def withdraw_claim(claim_id: int) -> Response:
    claims.withdraw_claim(db.session, account_or_401(), claim_id)
    unit_of_work().commit()
    flash(translate(N_("Đã rút khai báo.")), "success")
    return redirect(url_for("credits.my_claims"))


@bp.get("/claims/<int:claim_id>/evidence")
@requires()
def claim_evidence(claim_id: int) -> Any:
    return send_claim_evidence(claims.get_claim(db.session, account_or_401(), claim_id))


@bp.get("/credits/claims")
@requires(Role.HR)
def claims_review() -> str:
    status = request.args.get("status", claims.Status.PENDING.value)
    if status not in claims.STATUS_LABELS:
        status = claims.Status.PENDING.value
    return render_template(
        "credits/claims_review.html",
        claims=claims.review_queue(db.session, account_or_401(), status=status),
        status=status,
        **_claim_labels(),
    )


@bp.get("/credits/claims/<int:claim_id>")
@requires(Role.HR)
def claim_detail(claim_id: int) -> Any:
    account = account_or_401()
    claim = claims.get_claim(db.session, account, claim_id)
    if not access.can(account, Role.HR, claim.person.unit):
        raise NotFound(N_("Không tìm thấy yêu cầu."))
    return _render_claim(claim, {})


def _render_claim(claim: claims.ExternalClaim, errors: dict[str, str]) -> Any:
    account = account_or_401()
    duplicate = db.session.get(claims.ExternalClaim, claim.duplicate_of_id) if claim.duplicate_of_id else None
    year_closed = closing.closing_for(db.session, claim.person, claim.end_date.year) is not None
    return render_template(
        "credits/claim_detail.html",
        claim=claim,
        duplicate=duplicate,
        own=account.person_id == claim.person_id,
        year_closed=year_closed,
        errors=errors,
        field_name=db.session.get(Field, claim.field_code).name if claim.field_code else None,
        **_claim_labels(),
    ), 400 if errors else 200


@bp.post("/credits/claims/<int:claim_id>/<any(approve, reject, revoke):decision>")
@requires(Role.HR)
def decide_claim(claim_id: int, decision: str) -> Any:
    account = account_or_401()
    reason = request.form.get("reason", "")
    site_url = current_app.config["SITE_URL"]
    try:
        if decision == "approve":
            claims.approve_claim(db.session, account, claim_id, site_url=site_url, reason=reason)
        elif decision == "reject":
            claims.reject_claim(db.session, account, claim_id, reason=reason)
        else:
            claims.revoke_claim(db.session, account, claim_id, site_url=site_url, reason=reason)
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_claim(claims.get_claim(db.session, account, claim_id), field_errors(exc))
    except (Conflict, PermissionDenied) as exc:  # decided meanwhile, a twin approved, one's own claim
        db.session.rollback()
        flash(translate(exc.message, exc.params), "error")
        return redirect(url_for("credits.claim_detail", claim_id=claim_id))
    unit_of_work().commit()
    messages = {
        "approve": N_("Đã duyệt; số tiết đã được ghi nhận cho cán bộ."),
        "reject": N_("Đã trả lại khai báo kèm lý do."),
        "revoke": N_("Đã thu hồi; số tiết của khai báo không còn được tính."),
    }
    flash(translate(messages[decision]), "success")
    return redirect(url_for("credits.claim_detail", claim_id=claim_id))


# --- closing a year -------------------------------------------------------------------


@bp.route("/credits/closings", methods=["GET", "POST"])
@requires(Role.HR)
def closings() -> Any:
    account = account_or_401()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"year": current_year() - 1}
    if request.method == "POST":
        values = dict(request.form)
        unit_id, year = optional_int(request.form.get("unit_id")), optional_int(request.form.get("year"))
        if not isinstance(unit_id, int):
            errors["unit_id"] = translate(N_("Chọn đơn vị."))
        if not isinstance(year, int):
            errors["year"] = translate(N_("Nhập năm cần chốt."))
        if not errors:
            assert isinstance(unit_id, int) and isinstance(year, int)
            try:
                summary = closing.close_year(
                    db.session,
                    account,
                    unit_id,
                    year,
                    note=request.form.get("note", ""),
                    default_periods=default_periods(),
                )
            except ValidationFailed as exc:
                db.session.rollback()
                errors = field_errors(exc)
            except Conflict as exc:
                db.session.rollback()
                errors = {"year": translate(exc.message, exc.params)}
            else:
                unit_of_work().commit()
                flash(
                    translate(
                        N_("Đã chốt năm %(year)s: %(people)s cán bộ, %(on_track)s người đạt yêu cầu."),
                        {"year": year, "people": summary.people, "on_track": summary.on_track},
                    ),
                    "success",
                )
                return redirect(url_for("credits.closing_detail", closing_id=summary.closing.id))
    units = db.session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)).all()
    return render_template(
        "credits/closings.html",
        closings=closing.closings(db.session, account),
        unit_choices=[(u.id, f"{'  ' * (u.path.count('/') - 2)}{u.name}") for u in units],
        values=values,
        errors=errors,
    ), 400 if errors else 200


@bp.get("/credits/closings/<int:closing_id>")
@requires(Role.HR)
def closing_detail(closing_id: int) -> str:
    account = account_or_401()
    found = closing.get_closing(db.session, account, closing_id)
    return render_template(
        "credits/closing_detail.html",
        closing=found,
        totals=closing.totals_summary(db.session, found),
        corrections=closing.corrections_of_closing(db.session, found),
        rule_changes=closing.rule_changes_after(db.session, found),
        people=closing.people_names(db.session, found),
    )
