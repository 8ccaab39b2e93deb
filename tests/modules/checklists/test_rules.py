"""Who may sign off, return and revoke, what completion writes, and what revocation voids:
the services on a plain session, no Flask."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.catalog import catalog_for
from lms_core.demo import DemoData
from lms_core.errors import Conflict, PermissionDenied, ValidationFailed
from lms_core.statements import VOIDED, Statement, account_agent, account_key
from modules.checklists import services
from modules.checklists.models import MentorAssignment, Progress, ReviewRequest, SignOff
from tests.modules.checklists.conftest import SITE, SLUG, account, add_account, assign, items_of, submit_all


def counts(session: Session) -> dict[str, int]:
    """Rows a refused attempt must not change."""
    return {
        "signoffs": session.scalar(select(func.count()).select_from(SignOff)) or 0,
        "statements": session.scalar(select(func.count()).select_from(Statement)) or 0,
        "progress": session.scalar(select(func.count()).select_from(Progress)) or 0,
        "open_requests": session.scalar(
            select(func.count()).select_from(ReviewRequest).where(ReviewRequest.closed_at.is_(None))
        )
        or 0,
    }


def audit_actions(session: Session, person_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "person", AuditEntry.target_id == str(person_id))
            .order_by(AuditEntry.id)
        )
    )


def attempt_sign_off(session: Session, who: str, demo: DemoData, key: str) -> None:
    with services.refusals_audited(session, session.commit):
        services.sign_off(session, account(session, who), demo.people["GL-00001"].id, SLUG, key, "Tốt")


def test_an_unassigned_mentor_is_refused_audited_and_nothing_changes(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official = account(db_session, "demo.official")
    first = submit_all(db_session, official, folder)[0]
    # A mentor of the same commune, holding the mentor role, but not assigned to demo.official.
    add_account(db_session, seeded, "GL-00102", "mentor.khac", ("mentor", "GL-X-IAGRAI"))
    db_session.commit()
    before = counts(db_session)

    with pytest.raises(PermissionDenied) as refused:
        attempt_sign_off(db_session, "mentor.khac", seeded, first.key)
    assert "người hướng dẫn đang được phân công" in refused.value.message

    assert counts(db_session) == before
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.sign_off_refused")).one()
    assert entry.account_id == account(db_session, "mentor.khac").id
    assert entry.target_id == str(seeded.people["GL-00001"].id)
    assert entry.data["item"] == first.key and entry.data["why"] == "not_assigned"

    with pytest.raises(PermissionDenied):
        with services.refusals_audited(db_session, db_session.commit):
            services.return_item(
                db_session, account(db_session, "mentor.khac"), seeded.people["GL-00001"].id, SLUG, first.key, "Sửa"
            )
    assert counts(db_session) == before
    assert "checklists.return_refused" in audit_actions(db_session, seeded.people["GL-00001"].id)


def test_an_expired_or_not_yet_started_assignment_does_not_allow_sign_off(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official = account(db_session, "demo.official")
    first, second = submit_all(db_session, official, folder)[:2]
    today = services.today()
    add_account(db_session, seeded, "GL-00102", "mentor.cu", ("mentor", "GL-X-IAGRAI"))
    add_account(db_session, seeded, "GL-00106", "mentor.moi", ("mentor", "GL-X-IAGRAI"))
    assign(db_session, seeded, "GL-00102", "GL-00001", date(2025, 1, 1), today - timedelta(days=1))
    assign(db_session, seeded, "GL-00106", "GL-00001", today + timedelta(days=1))
    db_session.commit()
    before = counts(db_session)

    for who in ("mentor.cu", "mentor.moi"):
        with pytest.raises(PermissionDenied):
            attempt_sign_off(db_session, who, seeded, first.key)
    assert counts(db_session) == before
    refused = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.sign_off_refused")).all()
    assert {e.account_id for e in refused} == {
        account(db_session, "mentor.cu").id,
        account(db_session, "mentor.moi").id,
    }

    # The assigned demo mentor may.
    attempt_sign_off(db_session, "demo.mentor", seeded, second.key)
    db_session.commit()
    assert counts(db_session)["signoffs"] == before["signoffs"] + 1


def test_nobody_signs_off_their_own_items(db_session: Session, seeded: DemoData, folder: Path) -> None:
    official = account(db_session, "demo.official")
    first = submit_all(db_session, official, folder)[0]
    before = counts(db_session)
    with pytest.raises(PermissionDenied) as refused:
        attempt_sign_off(db_session, "demo.official", seeded, first.key)
    assert refused.value.message == "Bạn không thể tự xác nhận công việc của chính mình."
    assert counts(db_session) == before
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.sign_off_refused")).one()
    assert entry.data["why"] == "own_item"

    # Nor can HR make anyone their own mentor.
    with pytest.raises(ValidationFailed):
        assign(db_session, seeded, "GL-00001", "GL-00001", date(2026, 1, 1))


def test_completing_every_item_writes_completed_with_the_mentor_as_instructor(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    person = seeded.people["GL-00001"]
    mentor_items = submit_all(db_session, official, folder)
    checklist = services.get_checklist(db_session, SLUG)

    for item in mentor_items[:-1]:
        services.sign_off(db_session, mentor, person.id, SLUG, item.key, "Đạt yêu cầu")
    db_session.commit()
    completed_verb = "http://adlnet.gov/expapi/verbs/completed"
    assert not db_session.scalars(select(Statement).where(Statement.verb_id == completed_verb)).all()

    last = services.sign_off(db_session, mentor, person.id, SLUG, mentor_items[-1].key, "Hoàn thành tốt")
    # Written in the same transaction as the last sign-off: rolled back together.
    db_session.rollback()
    assert not db_session.scalars(select(Statement).where(Statement.verb_id == completed_verb)).all()
    assert db_session.scalar(select(func.count()).select_from(SignOff)) == len(mentor_items) - 1

    last = services.sign_off(db_session, mentor, person.id, SLUG, mentor_items[-1].key, "Hoàn thành tốt")
    db_session.commit()
    assert last.status == services.SIGNED_OFF
    row = db_session.scalars(select(Statement).where(Statement.verb_id == completed_verb)).one()
    doc = row.statement
    assert row.activity_iri == checklist.activity.iri == f"{SITE}/activities/checklist/{SLUG}"
    assert row.actor_key == account_key(SITE, "GL-00001")
    assert row.credit_trusted and row.source == "hocvu:checklists"
    assert doc["result"] == {"completion": True, "success": True}
    assert doc["context"]["instructor"] == account_agent(SITE, "GL-00002", "Trần Văn Hùng")
    assert doc["context"]["extensions"][f"{SITE}/xapi/extensions/version"] == 1
    progress = services.find_progress(db_session, person.id, checklist.id)
    assert progress is not None and progress.completed_statement_id == row.id
    status = {
        i.activity.iri: i.status
        for i in catalog_for(db_session, position_id=person.position_id, actor_key=row.actor_key)
    }
    assert status[checklist.activity.iri] == "completed"
    actions = audit_actions(db_session, person.id)
    assert actions.count("checklists.sign_off") == len(mentor_items)
    assert actions[-1] == "checklists.completed"

    # The own mark and the mentor's sign-off are separate records, both shown.
    view = services.build_view(db_session, person, checklist)
    state = view.state(mentor_items[0].key)
    assert state.own_mark is not None and state.sign_off is not None
    assert state.sign_off.comment == "Đạt yêu cầu" and state.sign_off.mentor.staff_code == "GL-00002"


def test_self_items_complete_the_checklist_when_they_are_checked_last(
    db_session: Session, seeded: DemoData, folder: Path
) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    person = seeded.people["GL-00001"]
    mentor_items = submit_all(db_session, official, folder)
    self_items = [i for i in items_of(db_session) if i.sign_off == "self"]
    services.mark_item(db_session, official, SLUG, self_items[0].key, False)
    for item in mentor_items:
        services.sign_off(db_session, mentor, person.id, SLUG, item.key)
    db_session.commit()
    assert (
        services.find_progress(db_session, person.id, services.get_checklist(db_session, SLUG).id).completed_at is None
    )
    services.mark_item(db_session, official, SLUG, self_items[0].key, True)
    db_session.commit()
    row = db_session.scalars(select(Statement).where(Statement.verb_id.endswith("/completed"))).one()
    assert row.statement["context"]["instructor"]["account"]["name"] == "GL-00002"


def test_hr_revocation_voids_the_completed_statement(db_session: Session, seeded: DemoData, folder: Path) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    person = seeded.people["GL-00001"]
    mentor_items = submit_all(db_session, official, folder)
    for item in mentor_items:
        services.sign_off(db_session, mentor, person.id, SLUG, item.key)
    db_session.commit()
    completed = db_session.scalars(select(Statement).where(Statement.verb_id.endswith("/completed"))).one()

    # HR of another ward may not; the attempt is audited.
    with pytest.raises(PermissionDenied):
        with services.refusals_audited(db_session, db_session.commit):
            services.revoke_sign_off(
                db_session, account(db_session, "demo.hr.quynhon"), person.id, SLUG, mentor_items[2].key, "Sai"
            )
    db_session.expire_all()
    assert not db_session.get(Statement, completed.id).voided
    assert "checklists.revoke_refused" in audit_actions(db_session, person.id)

    with pytest.raises(ValidationFailed):
        services.revoke_sign_off(db_session, account(db_session, "demo.hr"), person.id, SLUG, mentor_items[2].key, " ")
    db_session.rollback()

    state = services.revoke_sign_off(
        db_session,
        account(db_session, "demo.hr"),
        person.id,
        SLUG,
        mentor_items[2].key,
        "Biên bản kiểm tra cho thấy hồ sơ chưa đủ căn cứ.",
    )
    db_session.commit()
    assert state.status == services.REVOKED and state.sign_off is None
    db_session.expire_all()
    assert db_session.get(Statement, completed.id).voided is True
    voiding = db_session.scalars(select(Statement).where(Statement.verb_id == VOIDED)).one()
    assert voiding.statement["object"] == {"objectType": "StatementRef", "id": completed.id}
    assert voiding.credit_trusted and voiding.source == "hocvu:checklists"
    progress = services.find_progress(db_session, person.id, services.get_checklist(db_session, SLUG).id)
    assert progress.completed_statement_id is None and progress.completed_at is None
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "checklists.sign_off_revoked")).one()
    assert entry.reason == "Biên bản kiểm tra cho thấy hồ sơ chưa đủ căn cứ."
    assert entry.data["voided_statement_id"] == completed.id
    status = {
        i.activity.iri: i.status
        for i in catalog_for(db_session, position_id=person.position_id, actor_key=account_key(SITE, "GL-00001"))
    }
    assert status[f"{SITE}/activities/checklist/{SLUG}"] == "in_progress"

    # Signed off again: a new completed statement.
    services.request_review(db_session, official, SLUG, [mentor_items[2].key])
    services.sign_off(db_session, mentor, person.id, SLUG, mentor_items[2].key, "Đã bổ sung")
    db_session.commit()
    live = db_session.scalars(
        select(Statement).where(Statement.verb_id.endswith("/completed"), Statement.voided.is_(False))
    ).all()
    assert len(live) == 1 and live[0].id != completed.id


def test_return_with_what_to_improve_then_resubmit(db_session: Session, seeded: DemoData, folder: Path) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    person = seeded.people["GL-00001"]
    first = submit_all(db_session, official, folder)[0]
    with pytest.raises(ValidationFailed):
        services.return_item(db_session, mentor, person.id, SLUG, first.key, "  ")
    db_session.rollback()
    state = services.return_item(db_session, mentor, person.id, SLUG, first.key, "Bổ sung số kiểm tra dự toán.")
    db_session.commit()
    assert state.status == services.RETURNED
    assert state.last_return.message == "Bổ sung số kiểm tra dự toán."
    assert first.key not in [e.state.item.key for e in services.mentor_queue(db_session, mentor)]
    assert "checklists.return" in audit_actions(db_session, person.id)

    services.request_review(db_session, official, SLUG, [first.key])
    db_session.commit()
    assert first.key in [e.state.item.key for e in services.mentor_queue(db_session, mentor)]


def test_a_second_sign_off_of_the_same_item_is_already_signed_off(
    db_session: Session, seeded: DemoData, folder: Path, engine: object, is_postgres: bool
) -> None:
    """Session B loaded the item before session A signed it off and committed; B's insert hits
    the unique constraint, which is answered as "already signed off" (both engines)."""
    from lms_core.db import make_session_factory

    official = account(db_session, "demo.official")
    first = submit_all(db_session, official, folder)[0]
    add_account(db_session, seeded, "GL-00102", "mentor.hai", ("mentor", "GL-X-IAGRAI"))
    assign(db_session, seeded, "GL-00102", "GL-00001", date(2026, 1, 1))
    db_session.commit()
    person_id = seeded.people["GL-00001"].id

    other = make_session_factory(engine)()  # type: ignore[arg-type]
    try:
        second_mentor = account(other, "mentor.hai")
        services.view_for(other, second_mentor, other.get(type(seeded.people["GL-00001"]), person_id), SLUG)
        services.sign_off(db_session, account(db_session, "demo.mentor"), person_id, SLUG, first.key, "A")
        db_session.commit()
        try:
            services.sign_off(other, second_mentor, person_id, SLUG, first.key, "B")
        except Conflict as conflict:
            assert conflict.message == "Mục này đã được xác nhận."
        except OperationalError as exc:
            # SQLite refuses a write from a transaction whose snapshot is stale (the app
            # answers it with 409, like the conflict on PostgreSQL).
            assert not is_postgres and "locked" in str(exc)
        else:
            pytest.fail("the second sign-off was accepted")
        other.rollback()
    finally:
        other.close()
    rows = db_session.scalars(select(SignOff)).all()
    assert [(r.comment, r.mentor.staff_code) for r in rows] == [("A", "GL-00002")]


def test_the_mentor_queue_holds_only_the_mentees_requests(db_session: Session, seeded: DemoData, folder: Path) -> None:
    official, mentor = account(db_session, "demo.official"), account(db_session, "demo.mentor")
    mentor_items = submit_all(db_session, official, folder)
    # Someone else in the commune (KT-TAICHINH too) asks for review of the same checklist;
    # demo.mentor is not their mentor.
    colleague = add_account(db_session, seeded, "GL-00102", "cong.chuc.khac")
    assert seeded.people["GL-00102"].position.code == "KT-TAICHINH"
    add_account(db_session, seeded, "GL-00106", "mentor.rieng", ("mentor", "GL-X-IAGRAI"))
    assign(db_session, seeded, "GL-00106", "GL-00102", date(2026, 1, 1))
    db_session.commit()
    submit_all(db_session, colleague, folder)

    queue = services.mentor_queue(db_session, mentor)
    assert [e.state.item.key for e in queue] == [i.key for i in mentor_items]
    assert {e.official.staff_code for e in queue} == {"GL-00001"}
    assert {e.official.staff_code for e in services.mentor_queue(db_session, account(db_session, "mentor.rieng"))} == {
        "GL-00102"
    }
    assert services.mentor_queue(db_session, official) == []

    # An assignment for one checklist covers only that checklist.
    db_session.execute(
        MentorAssignment.__table__.update()
        .where(MentorAssignment.mentor_id == seeded.people["GL-00002"].id)
        .values(checklist_id=services.get_checklist(db_session, "ck-tiep-nhan-ho-so-tthc").id)
    )
    db_session.commit()
    assert services.mentor_queue(db_session, mentor) == []
    with pytest.raises(PermissionDenied):
        services.view_for(db_session, mentor, seeded.people["GL-00001"], SLUG)


def test_review_needs_an_assigned_mentor_and_the_evidence(db_session: Session, seeded: DemoData, folder: Path) -> None:
    official = account(db_session, "demo.official")
    items = items_of(db_session)
    with_file = next(i for i in items if i.evidence == "file" and i.sign_off == "mentor")
    services.mark_item(db_session, official, SLUG, with_file.key, True)
    with pytest.raises(ValidationFailed) as missing:
        services.request_review(db_session, official, SLUG)
    assert missing.value.errors[0].field == f"items.{with_file.key}"
    db_session.rollback()

    db_session.execute(MentorAssignment.__table__.delete())
    db_session.commit()
    services.mark_item(db_session, official, SLUG, with_file.key, True)
    with pytest.raises(ValidationFailed) as no_mentor:
        services.request_review(db_session, official, SLUG)
    assert no_mentor.value.errors[0].field == "mentor"


def test_the_demo_seed_assigns_the_demo_mentor_once(db_session: Session, seeded: DemoData) -> None:
    from lms_core.plugins.registry import Registry

    registry = Registry()
    registry.load(["hr", "checklists"])
    for _ in range(2):
        registry.hook.hocvu_demo_seed(session=db_session, demo=seeded)
        db_session.commit()
    row = db_session.scalars(select(MentorAssignment)).one()
    assert (row.mentor.staff_code, row.official.staff_code, row.checklist_id) == ("GL-00002", "GL-00001", None)
    assert (row.start_date, row.end_date) == (date(2026, 1, 1), None)
