"""The crediting model of DESIGN.md, through the incremental path (statements committed
through a unit of work whose events reach the credits module), checked against a rebuild."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.catalog import activity_iri
from modules.credits import engine
from modules.credits.engine import Reason
from modules.credits.models import Credit, NotCounted, VersionPin
from tests.modules.credits.helpers import SITE, RefusingModule, World, snapshot, utc


def rebuild_changes_nothing(world: World, year: int | None = None) -> engine.RebuildSummary:
    before = snapshot(world.session)
    summary = engine.rebuild(
        world.session, site_url=SITE, refusal=engine.refusal_from_hook(world.registry.hook), year=year
    )
    world.session.commit()
    assert snapshot(world.session) == before
    assert (summary.added, summary.removed, summary.changed) == (0, 0, 0)
    return summary


def credit_actions(session: Session) -> list[str]:
    return list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("credit.%")).order_by(AuditEntry.id))
    )


def test_a_four_period_course_completed_adds_exactly_four(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    sid = world.statement("GL-1", course, "2026-03-10T09:00:00+07:00")
    [credit] = world.credits()
    assert (credit.person_id, credit.activity_id, credit.year, credit.periods) == (mai.id, course.id, 2026, 4)
    assert credit.statement_id == sid and credit.field_code == "tai-chinh" and credit.version == 1
    assert world.credited(mai, 2026) == 4
    entry = world.session.scalar(select(AuditEntry).where(AuditEntry.action == "credit.granted"))
    assert entry is not None and entry.target_id == str(mai.id)
    assert entry.data["statement_id"] == sid and entry.data["periods"] == 4 and sid in entry.reason
    rebuild_changes_nothing(world)


def test_completed_again_the_same_year_adds_nothing(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    first = world.statement("GL-1", course, "2026-03-10T09:00:00+07:00")
    again = world.statement("GL-1", course, "2026-09-01T09:00:00+07:00")
    assert world.credited(mai, 2026) == 4
    assert world.credits()[0].statement_id == first
    assert world.not_counted() == {again: Reason.DUPLICATE}
    assert credit_actions(world.session) == ["credit.granted"]
    rebuild_changes_nothing(world)


def test_voiding_one_of_two_keeps_four_and_voiding_both_removes_them(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    first = world.statement("GL-1", course, "2026-03-10T09:00:00+07:00")
    second = world.statement("GL-1", course, "2026-09-01T09:00:00+07:00")
    world.void(first)
    assert world.credited(mai, 2026) == 4
    assert world.credits()[0].statement_id == second  # falls back to the other statement of the year
    assert world.not_counted() == {}
    rebuild_changes_nothing(world)
    world.void(second)
    assert world.credited(mai, 2026) == 0 and world.credits() == []
    assert credit_actions(world.session) == ["credit.granted", "credit.changed", "credit.withdrawn"]
    withdrawn = world.session.scalar(select(AuditEntry).where(AuditEntry.action == "credit.withdrawn"))
    assert withdrawn is not None and withdrawn.data["cause"] == "statement_voided"
    assert withdrawn.data["cause_statement_id"] == second
    rebuild_changes_nothing(world)


def test_the_year_is_the_timestamp_in_ho_chi_minh_city(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    world.statement("GL-1", course, "2026-12-31T23:30:00+07:00")
    assert [(c.year, c.periods) for c in world.credits()] == [(2026, 4)]
    world.statement("GL-1", course, "2026-12-31T17:30:00Z")  # 00:30 on 1 January 2027 in Vietnam
    assert [(c.year, c.periods) for c in world.credits()] == [(2026, 4), (2027, 4)]
    assert world.credited(mai, 2026) == 4 and world.credited(mai, 2027) == 4
    rebuild_changes_nothing(world, year=2026)
    rebuild_changes_nothing(world)


def test_an_untrusted_source_credits_nothing_and_says_why(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    sid = world.statement("GL-1", course, "2026-03-10T09:00:00+07:00", trusted=False)
    assert world.credited(mai, 2026) == 0
    assert world.not_counted() == {sid: Reason.UNTRUSTED}
    rebuild_changes_nothing(world)


def test_success_false_credits_nothing_and_says_why(world: World) -> None:
    mai = world.person("GL-1")
    quiz_course = world.activity("dau-thau", periods=4)
    sid = world.statement("GL-1", quiz_course, "2026-03-10T09:00:00+07:00", verb="passed", success=False)
    assert world.credited(mai, 2026) == 0
    assert world.not_counted() == {sid: Reason.FAILED}
    ok = world.statement("GL-1", quiz_course, "2026-03-11T09:00:00+07:00", verb="passed", success=True)
    assert world.credits()[0].statement_id == ok
    rebuild_changes_nothing(world)


def test_what_is_not_a_credit(world: World) -> None:
    world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    quiz = world.activity("dau-thau", periods=0, type="quiz", field=None)
    unknown = world.statement("GL-1", activity_iri(SITE, "course", "khong-co"), "2026-03-10T09:00:00+07:00")
    world.statement("GL-1", quiz, "2026-03-10T09:00:00+07:00", verb="passed", success=True)  # 0 periods: silent
    world.statement("GL-1", course, "2026-03-10T09:00:00+07:00", verb="experienced")  # not a crediting verb
    world.statement("GL-9", course, "2026-03-10T09:00:00+07:00")  # no such person
    world.statement("GL-1", course, "2026-03-10T09:00:00+07:00", home_page="https://other.example")
    assert world.credits() == []
    assert world.not_counted() == {unknown: Reason.NOT_IN_CATALOG}
    rebuild_changes_nothing(world)


def test_a_person_created_after_their_statements_gets_the_credit(world: World) -> None:
    course = world.activity("dau-thau", periods=4)
    sid = world.statement("GL-2", course, "2026-03-10T09:00:00+07:00")
    assert world.credits() == []
    late = world.person("GL-2")  # PersonCreated reaches the module
    assert [(c.person_id, c.statement_id) for c in world.credits()] == [(late.id, sid)]
    rebuild_changes_nothing(world)


def test_an_earlier_statement_arriving_late_becomes_the_earning_one(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    later = world.statement("GL-1", course, "2026-09-01T09:00:00+07:00", stored=utc(2026, 9, 1, 3))
    earlier = world.statement("GL-1", course, "2026-05-01T09:00:00+07:00", stored=utc(2026, 9, 2, 3))
    [credit] = world.credits()
    assert credit.statement_id == earlier and credit.earned_at == utc(2026, 5, 1, 2)
    assert world.not_counted() == {later: Reason.DUPLICATE}
    assert credit_actions(world.session) == ["credit.granted", "credit.changed"]
    assert world.credited(mai, 2026) == 4
    rebuild_changes_nothing(world)


def test_ties_on_timestamp_and_stored_go_to_the_smaller_id_in_byte_order(world: World) -> None:
    world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    when, stored = "2026-05-01T09:00:00+07:00", utc(2026, 5, 1, 3)
    world.statement("GL-1", course, when, sid="b-second", stored=stored)
    world.statement("GL-1", course, when, sid="a-first", stored=stored)
    world.statement("GL-1", course, when, sid="B-upper", stored=stored)  # "B" < "a" < "b" in byte order
    assert world.credits()[0].statement_id == "B-upper"
    rebuild_changes_nothing(world)


def test_the_credit_keeps_the_version_the_statement_was_for(world: World) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4, version=1)
    world.statement("GL-1", course, "2025-03-10T09:00:00+07:00")  # names no version: v1 is pinned
    world.activity("dau-thau", periods=6, version=2)  # the course changes afterwards
    world.statement("GL-1", course, "2026-03-10T09:00:00+07:00", version=2)
    world.statement("GL-1", course, "2027-03-10T09:00:00+07:00", version=1)  # a late learner on the old version
    world.statement("GL-1", course, "2028-03-10T09:00:00+07:00", version=99)  # unknown version: the pinned one
    pins = {p.version for p in world.session.scalars(select(VersionPin))}
    assert pins == {1, 2}
    assert [(c.year, c.version, c.periods) for c in world.credits()] == [
        (2025, 1, 4),
        (2026, 2, 6),
        (2027, 1, 4),
        (2028, 2, 6),
    ]
    assert world.credited(mai, 2025) == 4
    rebuild_changes_nothing(world)


def test_a_module_may_refuse_and_the_next_statement_of_the_year_earns(refusing_world: World) -> None:
    world = refusing_world
    mai = world.person("GL-1")
    checklist = world.activity("mot-cua", periods=8, type="checklist")
    refused = world.statement("GL-1", checklist, "2026-03-10T09:00:00+07:00", refuse=True)
    assert world.credited(mai, 2026) == 0
    assert world.not_counted() == {refused: Reason.REFUSED}
    detail = world.session.get(NotCounted, refused)
    assert detail is not None and detail.detail == "Người hướng dẫn chưa được phân công"
    signed = world.statement("GL-1", checklist, "2026-04-10T09:00:00+07:00")
    assert world.credits()[0].statement_id == signed and world.credited(mai, 2026) == 8
    rebuild_changes_nothing(world)


def test_a_rebuild_repairs_a_ledger_that_lost_an_update_and_logs_one_summary(world: World, db_session: Session) -> None:
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    other = world.activity("xay-dung", periods=3, field="xay-dung")
    world.statement("GL-1", course, "2026-03-10T09:00:00+07:00")
    world.statement("GL-1", other, "2025-03-10T09:00:00+07:00")
    expected = snapshot(db_session)
    db_session.execute(delete(Credit))  # as if the handler had failed
    db_session.commit()
    assert world.credited(mai, 2026) == 0
    summary = engine.rebuild(db_session, site_url=SITE, refusal=None, year=2026)
    db_session.commit()
    assert (summary.added, summary.removed, summary.changed) == (1, 0, 0)
    assert world.credited(mai, 2026) == 4 and world.credited(mai, 2025) == 0  # --year touches one year only
    engine.rebuild(db_session, site_url=SITE, refusal=None)
    db_session.commit()
    assert snapshot(db_session) == expected
    rebuilt = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "credits.rebuilt")).all()
    assert [e.target_id for e in rebuilt] == ["2026", "all"]
    assert rebuilt[0].data["added"] == 1 and rebuilt[0].data["sample"][0]["after"] is not None


def test_a_rebuild_asks_once_per_activity_when_the_answer_ignores_the_statement(refusing_world: World) -> None:
    """The answer for a class never looks at the statement: it holds for the whole class."""
    world = refusing_world
    people = [world.person(f"GL-{n}") for n in range(1, 6)]
    lop = world.activity("lop-tap-trung", periods=8, type="class")
    checklist = world.activity("mot-cua", periods=4, type="checklist")
    for n, person in enumerate(people):
        world.statement(person.staff_code, lop, "2026-03-10T09:00:00+07:00", verb="attended")
        world.statement(person.staff_code, checklist, "2026-03-10T09:00:00+07:00", refuse=n % 2 == 0)
        world.statement(person.staff_code, checklist, "2026-04-10T09:00:00+07:00")
    assert sorted(world.not_counted().values()).count(Reason.REFUSED) == 5 + 3
    assert {c.activity_id for c in world.credits()} == {checklist.id}
    RefusingModule.calls = 0
    summary = rebuild_changes_nothing(world)
    assert summary.refused == 5 + 3
    # One call for the class, one per checklist earner (5) and per next one after a refusal (3).
    assert RefusingModule.calls == 1 + 5 + 3
