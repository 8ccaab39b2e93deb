"""The credits JSON API under /api/v1: a person's hours (a fixed contract), HR's
requirement rules, external training claims and closed years."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import current_app
from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.files import send_upload
from app.forms import optional_date
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core import access, uploads
from lms_core.accounts import Role
from lms_core.errors import N_, NotFound
from lms_core.people import get_person
from modules.credits import claims, closing, requirements
from modules.credits.hours import current_year, hours_for
from modules.credits.models import RequirementRule
from modules.credits.plugin import default_periods
from modules.credits.requirements import MAX_PERIODS, MAX_YEAR, MIN_YEAR

api = APIBlueprint("credits_api", __name__, url_prefix="/api/v1", tag="Credits")


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
    claim_id = Integer(allow_none=True, metadata={"description": "The external training claim, for external items"})
    evidence_url = String(allow_none=True, metadata={"description": "The claim's evidence file"})


class NotCountedItem(Schema):
    statement_id = String()
    activity = String()
    title = String()
    date = String()
    reason = String(metadata={"description": "not_in_catalog, untrusted, failed, refused or duplicate"})
    message = String()


class DueItem(Schema):
    activity = String()
    activity_id = Integer()
    title = String()
    type = String()
    periods = Integer()
    due = String(allow_none=True, metadata={"description": "Day due, ISO 8601; null when the start date is unknown"})
    overdue = Boolean()


class ClosingCorrection(Schema):
    at = String()
    statement_id = String(allow_none=True)
    periods_before = Integer()
    periods_after = Integer()
    reason = String()


class ClosingState(Schema):
    closed_at = String()
    closed_day = String()
    unit = String()
    required = Integer(allow_none=True, metadata={"description": "Required periods when the year was closed"})
    credited = Integer(allow_none=True, metadata={"description": "Credited periods when the year was closed"})
    corrections = List(Nested(ClosingCorrection))


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
    curriculum_due = List(
        Nested(DueItem), metadata={"description": "Required activities of the position not yet credited"}
    )
    closing = Nested(ClosingState, allow_none=True, metadata={"description": "Set when the year is closed"})


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


# --- claim evidence, shared with the pages ---------------------------------------------


def claims_folder() -> Path:
    """Where claim evidence lives: ``CREDITS_EVIDENCE_DIR``, by default a folder in the
    app's instance folder (outside the web root)."""
    return Path(current_app.config.get("CREDITS_EVIDENCE_DIR") or Path(current_app.instance_path) / "claims")


def claims_max_bytes() -> int:
    return int(current_app.config.get("CREDITS_EVIDENCE_MAX_BYTES", claims.DEFAULT_MAX_EVIDENCE_BYTES))


def submit_claim_committed(data: dict[str, Any], upload: FileStorage | None) -> claims.ExternalClaim:
    """Submit and commit; the stored evidence file is removed again if the commit fails."""
    evidence = claims.Upload(upload.filename or "", upload.stream) if upload is not None else None
    claim = claims.submit_claim(
        db.session, account_or_401(), data, evidence, folder=claims_folder(), max_bytes=claims_max_bytes()
    )
    try:
        unit_of_work().commit()
    except Exception:
        if claim.evidence_name:
            uploads.remove(claims_folder(), claim.evidence_name)
        raise
    return claim


def send_claim_evidence(claim: claims.ExternalClaim) -> Any:
    if not claim.evidence_name:
        raise NotFound(N_("Yêu cầu này không có minh chứng."))
    return send_upload(claims_folder(), claim.evidence_name, claim.evidence_type or "", claim.evidence_filename or "")


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
    reason = String(load_default="", metadata={"description": "Why: required when the year is closed"})


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
    reason = String(load_default="", metadata={"description": "Why: required when the year is closed"})


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
    reason = data.pop("reason")
    rule = requirements.create_rule(db.session, account_or_401(), data, reason)
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
    reason = data.pop("reason")
    requirements.update_rule(db.session, account, rule, data, reason)
    unit_of_work().commit()
    return rule_out(rule)


class ReasonQuery(Schema):
    reason = String(load_default="", metadata={"description": "Why: required when the year is closed"})


@api.delete("/credits/rules/<int:rule_id>")
@api.auth_required(token_auth)
@api.input(ReasonQuery, location="query", arg_name="query")
@api.output({}, status_code=204)
@api.doc(summary="Delete a requirement rule")
@requires(Role.HR)
def delete_rule(rule_id: int, query: dict[str, Any]) -> Any:
    account = account_or_401()
    rule = requirements.get_rule(db.session, account, rule_id)
    requirements.delete_rule(db.session, account, rule, query["reason"])
    unit_of_work().commit()


# --- external training claims ---------------------------------------------------------


class ClaimOut(Schema):
    id = Integer()
    person_id = Integer()
    person_name = String()
    staff_code = String()
    title = String()
    organiser = String()
    mode = String(metadata={"description": "tap_trung, ban_tap_trung, tu_xa or truc_tuyen"})
    start_date = String(metadata={"description": "ISO 8601 day"})
    end_date = String()
    periods = Integer()
    field = String(allow_none=True)
    status = String(metadata={"description": "pending, approved, rejected, revoked or withdrawn"})
    decision_reason = String()
    duplicate_of = Integer(allow_none=True, metadata={"description": "An earlier claim with the same title and dates"})
    statement_id = String(allow_none=True, metadata={"description": "The attended statement of an approved claim"})
    evidence_url = String(allow_none=True)


class ClaimIn(Schema):
    title = String(required=True, metadata={"description": "Name of the course or class"})
    organiser = String(required=True)
    mode = String(required=True, validate=OneOf(list(claims.MODE_LABELS)))
    start_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    end_date = String(required=True, metadata={"description": "YYYY-MM-DD"})
    periods = Integer(required=True)
    field = String(load_default=None, metadata={"description": "Field code (lĩnh vực)"})
    evidence = File(required=True, metadata={"description": "JPEG, PNG, WebP or PDF, at most 5 MB"})


class ClaimList(Schema):
    items = List(Nested(ClaimOut))


class StatusQuery(Schema):
    status = String(load_default="pending", validate=OneOf(list(claims.STATUS_LABELS)))


class ReasonIn(Schema):
    reason = String(load_default="", metadata={"description": "Required to reject or revoke, and in a closed year"})


def claim_out(claim: claims.ExternalClaim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "person_id": claim.person_id,
        "person_name": claim.person.full_name,
        "staff_code": claim.person.staff_code,
        "title": claim.title,
        "organiser": claim.organiser,
        "mode": claim.mode,
        "start_date": claim.start_date.isoformat(),
        "end_date": claim.end_date.isoformat(),
        "periods": claim.periods,
        "field": claim.field_code,
        "status": claim.status,
        "decision_reason": claim.decision_reason,
        "duplicate_of": claim.duplicate_of_id,
        "statement_id": claim.statement_id,
        "evidence_url": f"/api/v1/claims/{claim.id}/evidence" if claim.evidence_name else None,
    }


@api.get("/claims")
@api.auth_required(token_auth)
@api.output(ClaimList)
@api.doc(summary="The caller's own external training claims, newest first")
@requires()
def my_claims() -> Any:
    account = account_or_401()
    items = claims.claims_of(db.session, account.person_id) if account.person_id else []
    return {"items": [claim_out(c) for c in items]}


@api.post("/claims")
@api.auth_required(token_auth)
@api.input(ClaimIn, location="form_and_files", arg_name="data")
@api.output(ClaimOut, status_code=201)
@api.doc(
    summary="Submit an external training claim (multipart/form-data with the evidence file)",
    responses={400: "Invalid fields: nothing is stored", 413: "Evidence too large", 415: "Evidence type refused"},
)
@requires()
def submit_claim(data: dict[str, Any]) -> Any:
    upload = data.pop("evidence", None)
    data["field_code"] = data.pop("field", None)
    for name in ("start_date", "end_date"):
        data[name] = optional_date(data[name])
    return claim_out(submit_claim_committed(data, upload))


@api.get("/claims/<int:claim_id>")
@api.auth_required(token_auth)
@api.output(ClaimOut)
@api.doc(summary="One claim: the caller's own, or one of a person in the caller's HR scope")
@requires()
def get_claim(claim_id: int) -> Any:
    return claim_out(claims.get_claim(db.session, account_or_401(), claim_id))


@api.get("/claims/<int:claim_id>/evidence")
@api.auth_required(token_auth)
@api.doc(summary="The claim's evidence file")
@requires()
def claim_evidence(claim_id: int) -> Any:
    return send_claim_evidence(claims.get_claim(db.session, account_or_401(), claim_id))


@api.post("/claims/<int:claim_id>/withdraw")
@api.auth_required(token_auth)
@api.output(ClaimOut)
@api.doc(summary="Withdraw one's own pending claim")
@requires()
def withdraw_claim(claim_id: int) -> Any:
    claim = claims.withdraw_claim(db.session, account_or_401(), claim_id)
    unit_of_work().commit()
    return claim_out(claim)


@api.get("/credits/claims")
@api.auth_required(token_auth)
@api.input(StatusQuery, location="query", arg_name="query")
@api.output(ClaimList)
@api.doc(summary="Claims of people in the caller's HR scope with a status (pending by default), oldest first")
@requires(Role.HR)
def review_claims(query: dict[str, Any]) -> Any:
    return {"items": [claim_out(c) for c in claims.review_queue(db.session, account_or_401(), status=query["status"])]}


@api.post("/credits/claims/<int:claim_id>/<any(approve, reject, revoke):decision>")
@api.auth_required(token_auth)
@api.input(ReasonIn, arg_name="data")
@api.output(ClaimOut)
@api.doc(
    summary="Approve (writes the attended statement), reject or revoke (voids it) a claim",
    responses={403: "One's own claim", 404: "Not in the caller's HR scope", 409: "Not in a state that allows it"},
)
@requires(Role.HR)
def decide_claim(claim_id: int, decision: str, data: dict[str, Any]) -> Any:
    account, site_url, reason = account_or_401(), current_app.config["SITE_URL"], data["reason"]
    if decision == "approve":
        claim = claims.approve_claim(db.session, account, claim_id, site_url=site_url, reason=reason)
    elif decision == "reject":
        claim = claims.reject_claim(db.session, account, claim_id, reason=reason)
    else:
        claim = claims.revoke_claim(db.session, account, claim_id, site_url=site_url, reason=reason)
    unit_of_work().commit()
    return claim_out(claim)


# --- closing a year -------------------------------------------------------------------


class ClosingIn(Schema):
    unit_id = Integer(required=True)
    year = Integer(required=True, validate=Range(min=MIN_YEAR, max=MAX_YEAR))
    note = String(load_default="")


class CorrectionOut(Schema):
    at = String()
    person_id = Integer()
    activity_id = Integer()
    statement_id = String(allow_none=True)
    periods_before = Integer()
    periods_after = Integer()
    reason = String()


class ClosingOut(Schema):
    id = Integer()
    year = Integer()
    unit = Nested(Ref)
    closed_at = String()
    note = String()
    people = Integer()
    on_track = Integer(metadata={"description": "People whose credited periods met the requirement at closing"})
    required = Integer()
    credited = Integer()
    corrections = List(Nested(CorrectionOut), metadata={"description": "Ledger changes since closing, newest first"})


class ClosingList(Schema):
    items = List(Nested(ClosingOut))


def closing_out(found: Any, with_corrections: bool = True) -> dict[str, Any]:
    totals = closing.totals_summary(db.session, found)
    corrections = closing.corrections_of_closing(db.session, found) if with_corrections else []
    return {
        "id": found.id,
        "year": found.year,
        "unit": found.unit,
        "closed_at": found.closed_at.isoformat(),
        "note": found.note,
        "people": totals.people,
        "on_track": totals.on_track,
        "required": totals.required,
        "credited": totals.credited,
        "corrections": [
            {
                "at": c.at.isoformat(),
                "person_id": c.person_id,
                "activity_id": c.activity_id,
                "statement_id": c.statement_id,
                "periods_before": c.periods_before,
                "periods_after": c.periods_after,
                "reason": c.reason,
            }
            for c in corrections
        ],
    }


@api.get("/credits/closings")
@api.auth_required(token_auth)
@api.output(ClosingList)
@api.doc(summary="Closed years of units in the caller's HR scope")
@requires(Role.HR)
def list_closings() -> Any:
    return {"items": [closing_out(c, False) for c in closing.closings(db.session, account_or_401())]}


@api.post("/credits/closings")
@api.auth_required(token_auth)
@api.input(ClosingIn, arg_name="data")
@api.output(ClosingOut, status_code=201)
@api.doc(
    summary="Close a year for a unit and everything below it, keeping everyone's totals",
    responses={409: "Already closed for the unit or a unit above it"},
)
@requires(Role.HR)
def close_year(data: dict[str, Any]) -> Any:
    summary = closing.close_year(
        db.session,
        account_or_401(),
        data["unit_id"],
        data["year"],
        note=data["note"],
        default_periods=default_periods(),
    )
    unit_of_work().commit()
    return closing_out(summary.closing)


@api.get("/credits/closings/<int:closing_id>")
@api.auth_required(token_auth)
@api.output(ClosingOut)
@api.doc(summary="A closed year: the totals at closing and the corrections since")
@requires(Role.HR)
def get_closing(closing_id: int) -> Any:
    return closing_out(closing.get_closing(db.session, account_or_401(), closing_id))
