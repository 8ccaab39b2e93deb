"""Credits pages: "Giờ học của tôi" (and HR's view of a person's hours) and HR's
requirement rules. Parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db
from app.forms import optional_int
from app.security import account_or_401, requires, unit_of_work
from lms_core import access
from lms_core.accounts import Role
from lms_core.catalog import ActivityType
from lms_core.errors import N_, ValidationFailed
from lms_core.people import CATEGORY_LABELS, Field, Person, Position, get_person
from lms_core.units import Unit
from modules.credits import requirements
from modules.credits.api import default_periods
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
            if rule is None:
                rule = requirements.create_rule(db.session, account, data)
            else:
                requirements.update_rule(db.session, account, rule, data)
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
    requirements.delete_rule(db.session, account, rule)
    unit_of_work().commit()
    flash(translate(N_("Đã xóa quy định.")), "success")
    return redirect(url_for("credits.rules", year=year))
