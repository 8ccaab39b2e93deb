"""The checklists JSON API under /api/v1: the official's checklists and progress, marks,
evidence and review requests; the mentor's queue (``GET /api/v1/mentor/queue``, a fixed
contract), sign-off and return; HR's mentor assignments and sign-off revocation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Date, File, Integer, List, Nested, String
from apiflask.validators import Length
from flask import current_app

from app.extensions import db
from app.files import send_upload
from app.security import account_or_401, requires, token_auth, unit_of_work
from lms_core import uploads as files
from lms_core.accounts import Role
from lms_core.errors import N_, ValidationFailed
from lms_core.people import Person, get_person
from modules.checklists import services
from modules.checklists.models import Evidence, MentorAssignment

api = APIBlueprint("checklists_api", __name__, url_prefix="/api/v1", tag="Checklists")


# --- settings shared with the pages ---------------------------------------------------


def evidence_folder() -> Path:
    """Where evidence files live: ``CHECKLISTS_EVIDENCE_DIR``, by default a folder in the
    app's instance folder (outside the web root)."""
    return Path(current_app.config.get("CHECKLISTS_EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence")


def evidence_max_bytes() -> int:
    """``CHECKLISTS_EVIDENCE_MAX_BYTES``, 5 MB by default."""
    return int(current_app.config.get("CHECKLISTS_EVIDENCE_MAX_BYTES", services.DEFAULT_MAX_EVIDENCE_BYTES))


def send_evidence(row: Evidence) -> Any:
    """The stored file with its sniffed type."""
    assert row.stored_name is not None
    return send_upload(evidence_folder(), row.stored_name, row.content_type or "", row.original_name or "")


# --- schemas --------------------------------------------------------------------------


class PersonRef(Schema):
    id = Integer()
    staff_code = String()
    name = String()


class EvidenceOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "file or case_number"})
    case_number = String(allow_none=True)
    name = String(allow_none=True, metadata={"description": "The file name (sanitised)"})
    content_type = String(allow_none=True)
    size = Integer(allow_none=True)
    uploaded_at = String()
    url = String(allow_none=True, metadata={"description": "Download URL (bearer token), files only"})


class OwnMarkOut(Schema):
    marked_at = String()


class SignOffOut(Schema):
    mentor = Nested(PersonRef)
    comment = String()
    signed_at = String()


class ReturnOut(Schema):
    mentor = Nested(PersonRef)
    message = String(metadata={"description": "What to improve"})
    returned_at = String()


class RevocationOut(Schema):
    reason = String()
    revoked_at = String()


class ItemOut(Schema):
    id = String(metadata={"description": "The item id in the checklist file, e.g. s1-1"})
    section = String()
    text = String(metadata={"description": "What the official must show"})
    evidence = String(metadata={"description": "none, file, case_number or file_or_case_number"})
    sign_off = String(metadata={"description": "mentor or self"})
    status = String(metadata={"description": "todo, marked, submitted, returned, revoked, signed_off or done"})
    own_mark = Nested(OwnMarkOut, allow_none=True, metadata={"description": "The official's own check"})
    mentor_sign_off = Nested(SignOffOut, allow_none=True, metadata={"description": "The mentor's sign-off"})
    review_requested_at = String(allow_none=True)
    returned = Nested(ReturnOut, allow_none=True)
    revoked = Nested(RevocationOut, allow_none=True)
    evidence_ok = Boolean(metadata={"description": "The evidence the item needs is there"})
    evidence_list = List(Nested(EvidenceOut), metadata={"description": "Files and case numbers given"})


class SectionOut(Schema):
    id = String()
    title = String()
    items = List(Nested(ItemOut))


class ChecklistOut(Schema):
    id = String(metadata={"description": "The activity IRI (the xAPI object id)"})
    slug = String()
    title = String()
    description = String()
    field = String(allow_none=True)
    periods = Integer()
    version = Integer(metadata={"description": "The version the official is on"})
    required = Boolean(
        allow_none=True, metadata={"description": "Required (true) or elective (false) for the position"}
    )
    status = String(metadata={"description": "not_started, in_progress or completed"})
    done = Integer()
    total = Integer()
    completed_at = String(allow_none=True)
    person = Nested(PersonRef)
    sections = List(Nested(SectionOut), metadata={"description": "Only in the one-checklist answers"})


class ChecklistList(Schema):
    items = List(Nested(ChecklistOut))


class MarkIn(Schema):
    checked = Boolean(required=True)


class EvidenceIn(Schema):
    file = File(metadata={"description": "A JPEG, PNG, WebP or PDF file (5 MB at most by default)"})
    case_number = String(validate=Length(max=services.CASE_NUMBER_MAX))


class EvidenceList(Schema):
    items = List(Nested(EvidenceOut))


class ReviewIn(Schema):
    items = List(String(), metadata={"description": "Item ids; default: every item the official marked"})


class ItemList(Schema):
    items = List(Nested(ItemOut))


class SignOffIn(Schema):
    comment = String(load_default="", validate=Length(max=services.TEXT_MAX))


class ReturnIn(Schema):
    message = String(required=True, validate=Length(min=1, max=services.TEXT_MAX))


class RevokeIn(Schema):
    reason = String(required=True, validate=Length(min=1, max=services.TEXT_MAX))


class ChecklistRef(Schema):
    id = String()
    slug = String()
    title = String()
    version = Integer()


class QueueItemOut(Schema):
    person = Nested(PersonRef, metadata={"description": "The mentee"})
    checklist = Nested(ChecklistRef)
    item = Nested(ItemOut)
    requested_at = String()
    sign_off_url = String(metadata={"description": "POST here to sign the item off"})
    return_url = String(metadata={"description": "POST here to return it with what to improve"})


class QueueOut(Schema):
    items = List(Nested(QueueItemOut))


class AssignmentOut(Schema):
    id = Integer()
    mentor = Nested(PersonRef)
    official = Nested(PersonRef)
    checklist = String(allow_none=True, metadata={"description": "Checklist slug; null: all the official's checklists"})
    start_date = Date()
    end_date = Date(allow_none=True)
    active = Boolean(metadata={"description": "Covers today"})


class AssignmentList(Schema):
    items = List(Nested(AssignmentOut))


class AssignmentIn(Schema):
    official_id = Integer(required=True)
    mentor_id = Integer(metadata={"description": "The mentor's person id (or mentor_staff_code)"})
    mentor_staff_code = String()
    checklist = String(allow_none=True, load_default=None, metadata={"description": "Slug; null: all checklists"})
    start_date = Date(allow_none=True, load_default=None, metadata={"description": "Default: today"})
    end_date = Date(allow_none=True, load_default=None)


class EndIn(Schema):
    end_date = Date(allow_none=True, load_default=None, metadata={"description": "Default: today"})


# --- serialisers ----------------------------------------------------------------------


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def person_ref(person: Person) -> dict[str, Any]:
    return {"id": person.id, "staff_code": person.staff_code, "name": person.full_name}


def evidence_out(row: Evidence) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "case_number": row.case_number,
        "name": row.original_name,
        "content_type": row.content_type,
        "size": row.size,
        "uploaded_at": _time(row.uploaded_at),
        "url": f"/api/v1/checklists/evidence/{row.id}" if row.kind == "file" else None,
    }


def item_out(state: services.ItemState) -> dict[str, Any]:
    sign_off = state.sign_off
    returned = state.last_return if state.status == services.RETURNED else None
    revoked = state.last_revocation if state.status == services.REVOKED else None
    return {
        "id": state.item.key,
        "section": state.section.key,
        "text": state.item.text,
        "evidence": state.item.evidence,
        "sign_off": state.item.sign_off,
        "status": state.status,
        "own_mark": {"marked_at": _time(state.own_mark.marked_at)} if state.own_mark else None,
        "mentor_sign_off": (
            {"mentor": person_ref(sign_off.mentor), "comment": sign_off.comment, "signed_at": _time(sign_off.signed_at)}
            if sign_off
            else None
        ),
        "review_requested_at": _time(state.open_request.requested_at) if state.open_request else None,
        "returned": (
            {
                "mentor": person_ref(returned.mentor),
                "message": returned.message,
                "returned_at": _time(returned.returned_at),
            }
            if returned
            else None
        ),
        "revoked": {"reason": revoked.reason, "revoked_at": _time(revoked.revoked_at)} if revoked else None,
        "evidence_ok": state.evidence_ok,
        "evidence_list": [evidence_out(row) for row in state.evidence],
    }


def checklist_status(view: services.ChecklistView) -> str:
    if view.completed:
        return "completed"
    return "in_progress" if view.progress is not None else "not_started"


def checklist_out(view: services.ChecklistView, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": view.checklist.activity.iri,
        "slug": view.checklist.slug,
        "title": view.version.title,
        "description": view.version.description,
        "field": view.version.field_code,
        "periods": view.version.periods,
        "version": view.version.version,
        "required": view.required,
        "status": checklist_status(view),
        "done": view.done_count,
        "total": view.total,
        "completed_at": _time(view.progress.completed_at) if view.progress else None,
        "person": person_ref(view.person),
    }
    if detail:
        out["sections"] = [
            {"id": section.key, "title": section.title, "items": [item_out(state) for state in states]}
            for section, states in view.sections
        ]
    return out


def assignment_out(assignment: MentorAssignment) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "mentor": person_ref(assignment.mentor),
        "official": person_ref(assignment.official),
        "checklist": assignment.checklist.slug if assignment.checklist else None,
        "start_date": assignment.start_date,
        "end_date": assignment.end_date,
        "active": assignment.covers(services.today()),
    }


def _audited() -> Any:
    return services.refusals_audited(db.session, unit_of_work().commit)


# --- the official ---------------------------------------------------------------------


@api.get("/checklists")
@api.auth_required(token_auth)
@api.output(ChecklistList)
@api.doc(summary="The caller's practical checklists (from their position's curriculum) with progress")
@requires()
def my_checklists() -> Any:
    account = account_or_401()
    if account.person is None:
        return {"items": []}
    return {"items": [checklist_out(view) for view in services.checklists_for(db.session, account.person)]}


@api.get("/checklists/<slug>")
@api.auth_required(token_auth)
@api.output(ChecklistOut)
@api.doc(summary="One checklist with the caller's progress on every item", responses={404: "No such checklist"})
@requires()
def my_checklist(slug: str) -> Any:
    account = account_or_401()
    person = services.person_of(account)
    return checklist_out(services.view_for(db.session, account, person, slug), detail=True)


@api.put("/checklists/<slug>/items/<key>/mark")
@api.auth_required(token_auth)
@api.input(MarkIn, arg_name="data")
@api.output(ItemOut)
@api.doc(
    summary="Check (or uncheck) an item as done by the caller",
    responses={400: "A self item without its evidence", 409: "Already signed off"},
)
@requires()
def mark(slug: str, key: str, data: dict[str, Any]) -> Any:
    state = services.mark_item(db.session, account_or_401(), slug, key, data["checked"])
    unit_of_work().commit()
    return item_out(state)


@api.post("/checklists/<slug>/items/<key>/evidence")
@api.auth_required(token_auth)
@api.input(EvidenceIn, location="form_and_files", arg_name="data")
@api.output(EvidenceList, status_code=201)
@api.doc(
    summary="Add evidence to an item: a file (multipart field `file`) and/or a case number",
    responses={413: "The file is too large", 415: "Not a JPEG, PNG, WebP or PDF file"},
)
@requires()
def add_evidence(slug: str, key: str, data: dict[str, Any]) -> Any:
    account = account_or_401()
    upload, case_number = data.get("file"), (data.get("case_number") or "").strip()
    if upload is None and not case_number:
        raise ValidationFailed.single("file", N_("Hãy chọn tệp minh chứng hoặc nhập số hồ sơ."))
    rows = []
    if case_number:
        rows.append(services.add_case_number(db.session, account, slug, key, case_number))
    if upload is not None:
        rows.append(
            services.add_file(
                db.session,
                account,
                slug,
                key,
                filename=upload.filename or "",
                stream=upload.stream,
                folder=evidence_folder(),
                max_bytes=evidence_max_bytes(),
            )
        )
    unit_of_work().commit()
    return {"items": [evidence_out(row) for row in rows]}


@api.post("/checklists/<slug>/review-requests")
@api.auth_required(token_auth)
@api.input(ReviewIn, arg_name="data")
@api.output(ItemList, status_code=201)
@api.doc(summary="Ask the mentor to review the marked items (Gửi người hướng dẫn xem xét)")
@requires()
def request_review(slug: str, data: dict[str, Any]) -> Any:
    states = services.request_review(db.session, account_or_401(), slug, data.get("items") or None)
    unit_of_work().commit()
    return {"items": [item_out(state) for state in states]}


@api.get("/checklists/evidence/<int:evidence_id>")
@api.auth_required(token_auth)
@api.doc(
    summary="Download an evidence file (the official, their assigned mentors, HR of their unit)",
    responses={200: "The file", 404: "No such file, or not yours to see"},
)
@requires()
def evidence_file(evidence_id: int) -> Any:
    return send_evidence(services.evidence_for_download(db.session, account_or_401(), evidence_id))


@api.delete("/checklists/evidence/<int:evidence_id>")
@api.auth_required(token_auth)
@api.output({}, status_code=204)
@api.doc(
    summary="Remove one's own evidence from an item not yet signed off",
    responses={404: "No such evidence of the caller's", 409: "The item is signed off"},
)
@requires()
def remove_evidence(evidence_id: int) -> Any:
    stored = services.remove_evidence(db.session, account_or_401(), evidence_id)
    unit_of_work().commit()
    if stored:
        files.remove(evidence_folder(), stored)
    return ""


# --- the mentor -----------------------------------------------------------------------


@api.get("/mentor/queue")
@api.auth_required(token_auth)
@api.output(QueueOut)
@api.doc(summary="The checklist items waiting for the caller's sign-off, oldest request first")
@requires()
def mentor_queue() -> Any:
    items = []
    for entry in services.mentor_queue(db.session, account_or_401()):
        base = f"/api/v1/people/{entry.official.id}/checklists/{entry.checklist.slug}/items/{entry.state.item.key}"
        request = entry.state.open_request
        items.append(
            {
                "person": person_ref(entry.official),
                "checklist": {
                    "id": entry.checklist.activity.iri,
                    "slug": entry.checklist.slug,
                    "title": entry.progress.version.title,
                    "version": entry.progress.version.version,
                },
                "item": item_out(entry.state),
                "requested_at": _time(request.requested_at) if request else None,
                "sign_off_url": f"{base}/sign-off",
                "return_url": f"{base}/return",
            }
        )
    return {"items": items}


@api.get("/people/<int:person_id>/checklists")
@api.auth_required(token_auth)
@api.output(ChecklistList)
@api.doc(summary="An official's checklists (the official, their mentor, HR of their unit)")
@requires()
def person_checklists(person_id: int) -> Any:
    official = get_person(db.session, person_id)
    views = services.visible_checklists(db.session, account_or_401(), official)
    return {"items": [checklist_out(view) for view in views]}


@api.get("/people/<int:person_id>/checklists/<slug>")
@api.auth_required(token_auth)
@api.output(ChecklistOut)
@api.doc(summary="One checklist of an official, every item with both the own mark and the sign-off")
@requires()
def person_checklist(person_id: int, slug: str) -> Any:
    official = get_person(db.session, person_id)
    return checklist_out(services.view_for(db.session, account_or_401(), official, slug), detail=True)


@api.post("/people/<int:person_id>/checklists/<slug>/items/<key>/sign-off")
@api.auth_required(token_auth)
@api.input(SignOffIn, arg_name="data")
@api.output(ItemOut)
@api.doc(
    summary="Sign off an item observed on the job (the official's assigned mentor)",
    responses={403: "Not the official's mentor today, or one's own item (audited)", 409: "Already signed off"},
)
@requires()
def sign_off(person_id: int, slug: str, key: str, data: dict[str, Any]) -> Any:
    with _audited():
        state = services.sign_off(db.session, account_or_401(), person_id, slug, key, data["comment"])
    unit_of_work().commit()
    return item_out(state)


@api.post("/people/<int:person_id>/checklists/<slug>/items/<key>/return")
@api.auth_required(token_auth)
@api.input(ReturnIn, arg_name="data")
@api.output(ItemOut)
@api.doc(
    summary="Return an item with what to improve (the official's assigned mentor)",
    responses={403: "Not the official's mentor today (audited)", 409: "Already signed off"},
)
@requires()
def return_item(person_id: int, slug: str, key: str, data: dict[str, Any]) -> Any:
    with _audited():
        state = services.return_item(db.session, account_or_401(), person_id, slug, key, data["message"])
    unit_of_work().commit()
    return item_out(state)


# --- HR -------------------------------------------------------------------------------


@api.post("/people/<int:person_id>/checklists/<slug>/items/<key>/revoke")
@api.auth_required(token_auth)
@api.input(RevokeIn, arg_name="data")
@api.output(ItemOut)
@api.doc(
    summary="Revoke a sign-off with a reason (HR of the official's unit); voids the checklist's completion",
    responses={403: "Not HR of the official's unit (audited)", 404: "Not signed off"},
)
@requires()
def revoke(person_id: int, slug: str, key: str, data: dict[str, Any]) -> Any:
    with _audited():
        state = services.revoke_sign_off(db.session, account_or_401(), person_id, slug, key, data["reason"])
    unit_of_work().commit()
    return item_out(state)


@api.get("/people/<int:person_id>/mentor-assignments")
@api.auth_required(token_auth)
@api.output(AssignmentList)
@api.doc(summary="An official's mentor assignments (HR of their unit, or the official)")
@requires()
def person_assignments(person_id: int) -> Any:
    rows = services.assignments_of(db.session, account_or_401(), person_id)
    return {"items": [assignment_out(row) for row in rows]}


@api.post("/mentor-assignments")
@api.auth_required(token_auth)
@api.input(AssignmentIn, arg_name="data")
@api.output(AssignmentOut, status_code=201)
@api.doc(summary="Assign a mentor to an official for one checklist or all (HR of the official's unit)")
@requires(Role.HR)
def assign(data: dict[str, Any]) -> Any:
    assignment = services.assign_mentor(
        db.session,
        account_or_401(),
        official_id=data["official_id"],
        mentor_id=data.get("mentor_id"),
        mentor_staff_code=data.get("mentor_staff_code"),
        checklist_slug=data.get("checklist"),
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
    )
    unit_of_work().commit()
    return assignment_out(assignment)


@api.post("/mentor-assignments/<int:assignment_id>/end")
@api.auth_required(token_auth)
@api.input(EndIn, arg_name="data")
@api.output(AssignmentOut)
@api.doc(summary="End a mentor assignment (HR of the official's unit); past sign-offs stay valid")
@requires(Role.HR)
def end(assignment_id: int, data: dict[str, Any]) -> Any:
    assignment = services.end_assignment(db.session, account_or_401(), assignment_id, data.get("end_date"))
    unit_of_work().commit()
    return assignment_out(assignment)
