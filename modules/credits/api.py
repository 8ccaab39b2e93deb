"""The credits JSON API under /api/v1: a person's hours (a fixed contract) and HR's
requirement rules."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import current_app
from flask_babel import gettext

from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core import access
from lms_core.accounts import Role
from lms_core.people import get_person
from modules.credits import requirements
from modules.credits.hours import current_year, hours_for
from modules.credits.models import RequirementRule
from modules.credits.requirements import MAX_PERIODS, MAX_YEAR, MIN_YEAR

api = APIBlueprint("credits_api", __name__, url_prefix="/api/v1", tag="Credits")


def default_periods() -> int:
    return int(current_app.config.get("DEFAULT_REQUIRED_PERIODS", requirements.DEFAULT_PERIODS))


class YearQuery(Schema):
    year = Integer(
        validate=Range(min=MIN_YEAR, max=MAX_YEAR),
        metadata={"description": "Year in Asia/Ho_Chi_Minh; the current year when omitted"},
    )


class FieldPeriods(Schema):
    field = String(allow_none=True, metadata={"description": "Field code (lĩnh vực); null when the activity has none"})
    name = String()
    periods = Integer(metadata={"description": "Periods counted, after the rule's caps"})


class SourcePeriods(Schema):
    type = String(metadata={"description": "Activity type: course, quiz, checklist, class, package or external"})
    label = String()
    periods = Integer()


class HoursItem(Schema):
    activity = String(metadata={"description": "The activity IRI"})
    activity_id = Integer()
    title = String()
    type = String()
    source = String()
    field = String(allow_none=True)
    field_name = String()
    periods = Integer(metadata={"description": "Periods the activity version earned"})
    counted = Integer(metadata={"description": "Periods counted toward the requirement, after caps"})
    version = Integer()
    date = String(metadata={"description": "Day earned, ISO 8601, in Asia/Ho_Chi_Minh"})
    statement_id = String(metadata={"description": "The xAPI statement that earned the credit"})


class NotCountedItem(Schema):
    statement_id = String()
    activity = String()
    title = String()
    date = String()
    reason = String(metadata={"description": "not_in_catalog, untrusted, failed, refused or duplicate"})
    message = String()


class RuleRef(Schema):
    id = Integer()
    name = String()


class HoursOut(Schema):
    person_id = Integer()
    year = Integer()
    required = Integer(metadata={"description": "Periods required this year"})
    credited = Integer(metadata={"description": "Periods credited this year, after caps"})
    missing = Integer()
    explanation = String(metadata={"description": "Which rule sets the requirement, and why"})
    rule = Nested(RuleRef, allow_none=True)
    caps = List(String())
    by_field = List(Nested(FieldPeriods))
    by_source = List(Nested(SourcePeriods))
    items = List(Nested(HoursItem))
    not_counted = List(Nested(NotCountedItem))


@api.get("/people/<int:person_id>/hours")
@api.auth_required(token_auth)
@api.input(YearQuery, location="query", arg_name="query")
@api.output(HoursOut)
@api.doc(
    summary="A person's credited periods vs the requirement for a year",
    responses={403: "Neither the person nor HR over the person's unit", 404: "No such person"},
)
@requires()
def person_hours(person_id: int, query: dict[str, Any]) -> Any:
    person = get_person(db.session, person_id)
    access.require_person_view(account_or_401(), person)
    year = query.get("year") or current_year()
    return hours_for(db.session, person, year, default_periods=default_periods(), translate=gettext)


# --- requirement rules ----------------------------------------------------------------


class CapSchema(Schema):
    kind = String(
        required=True, validate=OneOf(requirements.CAP_KINDS), metadata={"description": "online, field, type"}
    )
    value = String(allow_none=True, load_default=None, metadata={"description": "Field code or activity type"})
    max_periods = Integer(required=True, validate=Range(min=0, max=MAX_PERIODS))


class Ref(Schema):
    id = Integer()
    code = String()
    name = String()


class RuleOut(Schema):
    id = Integer()
    year = Integer()
    name = String()
    periods = Integer()
    category = String(allow_none=True, metadata={"description": "can_bo, cong_chuc or vien_chuc"})
    position = Nested(Ref, allow_none=True)
    unit = Nested(Ref, allow_none=True, metadata={"description": "The unit and everything below it"})
    is_leader = Boolean(allow_none=True)
    pro_rata = Boolean()
    caps = List(Nested(CapSchema))
    conditions = Integer(metadata={"description": "Number of conditions: more wins"})
    editable = Boolean(metadata={"description": "The caller may change it"})


class RuleIn(Schema):
    year = Integer(required=True, validate=Range(min=MIN_YEAR, max=MAX_YEAR))
    name = String(required=True, validate=Length(min=1, max=200))
    periods = Integer(required=True, validate=Range(min=0, max=MAX_PERIODS))
    category = String(allow_none=True, load_default=None)
    position_id = Integer(allow_none=True, load_default=None)
    unit_id = Integer(allow_none=True, load_default=None)
    is_leader = Boolean(allow_none=True, load_default=None)
    pro_rata = Boolean(load_default=False)
    caps = List(Nested(CapSchema), load_default=list)


class RulePatch(Schema):
    year = Integer(validate=Range(min=MIN_YEAR, max=MAX_YEAR))
    name = String(validate=Length(min=1, max=200))
    periods = Integer(validate=Range(min=0, max=MAX_PERIODS))
    category = String(allow_none=True)
    position_id = Integer(allow_none=True)
    unit_id = Integer(allow_none=True)
    is_leader = Boolean(allow_none=True)
    pro_rata = Boolean()
    caps = List(Nested(CapSchema))


class RuleList(Schema):
    year = Integer()
    default_periods = Integer(metadata={"description": "Required when no rule applies"})
    items = List(Nested(RuleOut))


def rule_out(rule: RequirementRule) -> dict[str, Any]:
    account = account_or_401()
    return requirements.rule_data(rule) | {
        "id": rule.id,
        "position": rule.position,
        "unit": rule.unit,
        "conditions": requirements.conditions(rule),
        "editable": requirements.can_manage(account, rule),
    }


@api.get("/credits/rules")
@api.auth_required(token_auth)
@api.input(YearQuery, location="query", arg_name="query")
@api.output(RuleList)
@api.doc(summary="The year's requirement rules that apply to people in the caller's HR scope, most specific first")
@requires(Role.HR)
def list_rules(query: dict[str, Any]) -> Any:
    year = query.get("year") or current_year()
    rules = requirements.list_rules(db.session, account_or_401(), year)
    return {"year": year, "default_periods": default_periods(), "items": [rule_out(rule) for rule in rules]}


@api.post("/credits/rules")
@api.auth_required(token_auth)
@api.input(RuleIn, arg_name="data")
@api.output(RuleOut, status_code=201)
@api.doc(
    summary="Create a requirement rule (for a unit in the caller's scope; province-wide needs top-level HR)",
    responses={400: "Invalid fields: nothing is written", 403: "Outside the caller's scope"},
)
@requires(Role.HR)
def create_rule(data: dict[str, Any]) -> Any:
    rule = requirements.create_rule(db.session, account_or_401(), data)
    unit_of_work().commit()
    return rule_out(rule)


@api.patch("/credits/rules/<int:rule_id>")
@api.auth_required(token_auth)
@api.input(RulePatch, arg_name="data")
@api.output(RuleOut)
@api.doc(summary="Change a requirement rule; caps, when given, replace the rule's caps")
@requires(Role.HR)
def update_rule(rule_id: int, data: dict[str, Any]) -> Any:
    account = account_or_401()
    rule = requirements.get_rule(db.session, account, rule_id)
    requirements.update_rule(db.session, account, rule, data)
    unit_of_work().commit()
    return rule_out(rule)


@api.delete("/credits/rules/<int:rule_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(summary="Delete a requirement rule")
@requires(Role.HR)
def delete_rule(rule_id: int) -> Any:
    account = account_or_401()
    requirements.delete_rule(db.session, account, requirements.get_rule(db.session, account, rule_id))
    unit_of_work().commit()
