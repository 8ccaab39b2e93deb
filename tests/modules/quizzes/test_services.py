"""The quiz services without Flask: drawing, the clock, grading, refusals that change
nothing, and the xAPI statements written in the same transaction."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tincan import Statement as XStatement

from lms_core.accounts import create_account
from lms_core.catalog import activity_iri
from lms_core.db import make_session_factory, utcnow
from lms_core.demo import DemoData
from lms_core.errors import NotFound, PermissionDenied, ValidationFailed
from lms_core.statements import VERBS, Statement
from modules.quizzes import services
from modules.quizzes.models import Attempt, Quiz
from tests.modules.quizzes.conftest import SITE, SLUG, answer_key, import_content, snapshot, write_small_course

SMALL = "hoa-giai-co-so"


@pytest.fixture
def small(db_session: Session, seeded: DemoData, tmp_path: Path) -> DemoData:
    """A 12-question course of our own, all 12 drawn each time: q12 asks for "hòa giải"."""
    write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    return seeded


@pytest.fixture
def real(db_session: Session, seeded: DemoData) -> DemoData:
    import_content(db_session)
    return seeded


def test_an_attempt_draws_questions_and_shuffles_options(db_session: Session, real: DemoData) -> None:
    account = real.accounts["demo.official"]
    now = utcnow()
    attempt = services.start_attempt(db_session, account, SLUG, SITE, now=now, rng=random.Random(7))
    db_session.commit()
    quiz = db_session.scalar(select(Quiz).where(Quiz.slug == SLUG))
    assert quiz is not None
    bank = {q.key: q for q in quiz.questions}
    drawn = [item["id"] for item in attempt.items]
    assert len(drawn) == len(set(drawn)) == 10 and set(drawn) <= set(bank)
    for item in attempt.items:
        assert sorted(item["options"]) == sorted(o["id"] for o in bank[item["id"]].options)
    assert attempt.deadline_at == now + timedelta(minutes=20)
    assert attempt.number == 1 and attempt.person_id == real.people["GL-00001"].id
    # The draw depends on the random source: another learner, another seed, other questions or order.
    other = services.start_attempt(db_session, real.accounts["demo.mentor"], SLUG, SITE, rng=random.Random(8))
    assert other.items != attempt.items
    public = services.public_questions(attempt)
    assert [q["id"] for q in public] == drawn
    for question in public:
        assert set(question) == {"id", "type", "text", "options"}
        assert all(set(option) == {"id", "text"} for option in question["options"])
        # Options are labelled by where they are shown, not by where the author put them.
        assert [option["id"] for option in question["options"]] == list("abcde"[: len(question["options"])])


def test_pass_fail_and_the_highest_attempt_counts(db_session: Session, real: DemoData) -> None:
    account = real.accounts["demo.official"]
    first = services.start_attempt(db_session, account, SLUG, SITE)
    db_session.commit()
    failed = services.submit_attempt(db_session, account, first.id, answer_key(db_session, first.id, wrong=4), SITE)
    db_session.commit()
    assert (failed.correct_count, failed.score, failed.passed) == (6, 0.6, False)

    second = services.start_attempt(db_session, account, SLUG, SITE)
    db_session.commit()
    passed = services.submit_attempt(db_session, account, second.id, answer_key(db_session, second.id, wrong=3), SITE)
    db_session.commit()
    assert (passed.correct_count, passed.score, passed.passed) == (7, 0.7, True)  # exactly the pass mark

    third = services.start_attempt(db_session, account, SLUG, SITE)
    db_session.commit()
    services.submit_attempt(db_session, account, third.id, {}, SITE)  # nothing answered
    db_session.commit()
    overview = services.overview(db_session, account, SLUG)
    assert (overview.used, overview.left, overview.best_score, overview.passed) == (3, 0, 0.7, True)
    assert overview.grading_method == "highest"


def test_short_text_ignores_tone_placement_case_and_spaces(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    results = {}
    for given in ("  HOÀ   giải ", "hoa giai"):
        attempt = services.start_attempt(db_session, account, SMALL, SITE)
        db_session.commit()
        answers = answer_key(db_session, attempt.id) | {"q12": given}
        graded = services.submit_attempt(db_session, account, attempt.id, answers, SITE)
        db_session.commit()
        results[given] = graded.results["q12"]  # type: ignore[index]
    assert results == {"  HOÀ   giải ": True, "hoa giai": False}


def test_statements_are_valid_xapi_with_result_and_context(db_session: Session, real: DemoData) -> None:
    account = real.accounts["demo.official"]
    person = real.people["GL-00001"]
    start = utcnow()
    attempt = services.start_attempt(db_session, account, SLUG, SITE, now=start)
    db_session.commit()
    services.submit_attempt(
        db_session, account, attempt.id, answer_key(db_session, attempt.id), SITE, now=start + timedelta(seconds=252)
    )
    db_session.commit()
    rows = db_session.scalars(
        select(Statement).where(Statement.registration == attempt.id).order_by(Statement.timestamp)
    ).all()
    assert [row.verb_id for row in rows] == [VERBS["attempted"][0], VERBS["passed"][0]]
    assert all(row.source == "hocvu:quizzes" and row.credit_trusted for row in rows)
    for row in rows:
        parsed = XStatement(row.statement)  # raises on anything outside xAPI 1.0.3
        assert parsed.object.id == activity_iri(SITE, "quiz", SLUG)
        assert row.statement["actor"]["account"] == {"homePage": SITE, "name": person.staff_code}
        context = row.statement["context"]
        assert context["registration"] == attempt.id
        assert [p["id"] for p in context["contextActivities"]["parent"]] == [activity_iri(SITE, "course", SLUG)]
        assert context["extensions"] == {f"{SITE}/xapi/extensions/version": 1}
    result = rows[1].statement["result"]
    assert result["score"] == {"scaled": 1.0, "raw": 10, "min": 0, "max": 10}
    assert (result["success"], result["completion"], result["duration"]) == (True, True, "PT4M12S")
    assert XStatement(rows[1].statement).result.success is True


def test_attempt_limit(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    for _ in range(3):
        attempt = services.start_attempt(db_session, account, SMALL, SITE)
        services.submit_attempt(db_session, account, attempt.id, {}, SITE)
        db_session.commit()
    before = snapshot(db_session)
    with pytest.raises(services.AttemptLimitReached) as refused:
        services.start_attempt(db_session, account, SMALL, SITE)
    db_session.rollback()
    assert refused.value.status == 409 and "3 lượt" in str(refused.value)
    assert snapshot(db_session) == before


def test_one_attempt_in_progress_at_a_time(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    now = utcnow()
    services.start_attempt(db_session, account, SMALL, SITE, now=now)
    db_session.commit()
    with pytest.raises(services.AttemptInProgress):
        services.start_attempt(db_session, account, SMALL, SITE, now=now + timedelta(minutes=5))
    db_session.rollback()
    # Once its time (and the grace) is over, the expired attempt counts as used and a new one may start.
    later = services.start_attempt(db_session, account, SMALL, SITE, now=now + timedelta(minutes=15, seconds=31))
    assert later.number == 2


def test_late_submission_is_refused_and_changes_nothing(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    start = utcnow()
    attempt = services.start_attempt(db_session, account, SMALL, SITE, now=start)
    db_session.commit()
    answers = answer_key(db_session, attempt.id)
    before = snapshot(db_session, attempt.id)
    with pytest.raises(services.AttemptExpired) as refused:
        services.submit_attempt(
            db_session, account, attempt.id, answers, SITE, now=start + timedelta(minutes=15, seconds=31)
        )
    db_session.rollback()
    assert refused.value.status == 400 and refused.value.code == "attempt_expired"
    assert snapshot(db_session, attempt.id) == before
    # Within the 30 s grace it still counts.
    graded = services.submit_attempt(
        db_session, account, attempt.id, answers, SITE, now=start + timedelta(minutes=15, seconds=29)
    )
    assert graded.passed


def test_second_submission_is_a_conflict_and_changes_nothing(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SMALL, SITE)
    db_session.commit()
    services.submit_attempt(db_session, account, attempt.id, answer_key(db_session, attempt.id, wrong=12), SITE)
    db_session.commit()
    before = snapshot(db_session, attempt.id)
    with pytest.raises(services.AlreadySubmitted) as refused:
        services.submit_attempt(db_session, account, attempt.id, answer_key(db_session, attempt.id), SITE)
    db_session.rollback()
    assert refused.value.status == 409
    assert snapshot(db_session, attempt.id) == before
    assert before["attempt"]["score"] == 0.0


def test_a_racing_submission_from_a_stale_session_is_refused(
    db_session: Session, small: DemoData, is_postgres: bool
) -> None:
    account = small.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SMALL, SITE)
    db_session.commit()
    answers = answer_key(db_session, attempt.id)
    other = make_session_factory(db_session.get_bind())()
    try:
        other_account = other.get(type(account), account.id)
        stale = services.get_attempt(other, other_account, attempt.id)  # loaded before the first submission
        assert stale.submitted_at is None
        services.submit_attempt(db_session, account, attempt.id, answers, SITE)
        db_session.commit()
        try:
            services.submit_attempt(other, other_account, attempt.id, answers, SITE)
        except services.AlreadySubmitted:
            pass  # PostgreSQL: the row lock, then a fresh read of the attempt
        except OperationalError as exc:
            # SQLite: a transaction that read before another writer committed may not write
            # at all ("database is locked"); nothing of it is kept either.
            assert not is_postgres and "locked" in str(exc)
        else:
            pytest.fail("the second submission was accepted")
        other.rollback()
    finally:
        other.close()
    statements = db_session.scalars(select(Statement).where(Statement.registration == attempt.id)).all()
    assert len(statements) == 2


def test_answers_to_questions_outside_the_attempt_are_refused(db_session: Session, real: DemoData) -> None:
    account = real.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SLUG, SITE)
    db_session.commit()
    quiz = db_session.scalar(select(Quiz).where(Quiz.slug == SLUG))
    assert quiz is not None
    undrawn = next(q.key for q in quiz.questions if q.key not in {i["id"] for i in attempt.items})
    before = snapshot(db_session, attempt.id)
    for extra in ({undrawn: ["a"]}, {"q99": True}):
        with pytest.raises(ValidationFailed) as refused:
            services.submit_attempt(db_session, account, attempt.id, answer_key(db_session, attempt.id) | extra, SITE)
        db_session.rollback()
        [error] = refused.value.errors
        assert error.field == f"answers.{next(iter(extra))}" and "không thuộc lượt làm bài" in error.message
        assert snapshot(db_session, attempt.id) == before


def test_answers_of_the_wrong_shape_are_refused(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SMALL, SITE)
    db_session.commit()
    before = snapshot(db_session, attempt.id)
    bad = {"q01": ["a", "b"], "q09": ["z"], "q11": "true", "q12": ["hòa giải"]}
    with pytest.raises(ValidationFailed) as refused:
        services.submit_attempt(db_session, account, attempt.id, bad, SITE)
    db_session.rollback()
    assert sorted(e.field for e in refused.value.errors) == [f"answers.{k}" for k in sorted(bad)]
    assert snapshot(db_session, attempt.id) == before
    with pytest.raises(ValidationFailed):
        services.submit_attempt(db_session, account, attempt.id, ["q01"], SITE)


def test_only_the_owner_sees_an_attempt(db_session: Session, small: DemoData) -> None:
    attempt = services.start_attempt(db_session, small.accounts["demo.official"], SMALL, SITE)
    db_session.commit()
    for username in ("demo.mentor", "demo.hr", "demo.admin"):
        with pytest.raises(NotFound):
            services.get_attempt(db_session, small.accounts[username], attempt.id)
        with pytest.raises(NotFound):
            services.submit_attempt(db_session, small.accounts[username], attempt.id, {}, SITE)
    assert db_session.get(Attempt, attempt.id).submitted_at is None  # type: ignore[union-attr]


def test_accounts_without_a_person_cannot_take_quizzes(db_session: Session, small: DemoData) -> None:
    bare = create_account(db_session, username="khong.ho.so", password="mat-khau-dai-du")
    db_session.commit()
    with pytest.raises(PermissionDenied):
        services.start_attempt(db_session, bare, SMALL, SITE)
    with pytest.raises(NotFound):
        services.start_attempt(db_session, small.accounts["demo.official"], "khong-co", SITE)


def test_review_shows_answers_only_after_submission(db_session: Session, small: DemoData) -> None:
    account = small.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SMALL, SITE)
    db_session.commit()
    with pytest.raises(services.Conflict):
        services.review(attempt)
    answers = answer_key(db_session, attempt.id, wrong=1)
    services.submit_attempt(db_session, account, attempt.id, answers, SITE)
    rows = {row["id"]: row for row in services.review(attempt)}
    first = attempt.items[0]["id"]
    assert rows[first]["correct"] is False and rows[first]["your_answer"] == answers[first]
    assert rows["q12"]["correct_answer"] == ["hòa giải"] and rows["q12"]["explanation"] == "Giải thích câu 12."
    assert all(re.match(r"Giải thích câu \d+\.", row["explanation"]) for row in rows.values())


def test_credit_needs_the_servers_own_record_of_the_pass(db_session: Session, small: DemoData) -> None:
    from lms_core.catalog import activity_by_iri
    from lms_core.statements import Authority, account_agent, store_statement
    from modules.quizzes import plugin

    account = small.accounts["demo.official"]
    attempt = services.start_attempt(db_session, account, SMALL, SITE)
    db_session.commit()
    services.submit_attempt(db_session, account, attempt.id, answer_key(db_session, attempt.id), SITE)
    db_session.commit()
    activity = activity_by_iri(db_session, activity_iri(SITE, "quiz", SMALL))
    ours = db_session.scalar(
        select(Statement).where(Statement.registration == attempt.id, Statement.verb_id == VERBS["passed"][0])
    )
    assert ours is not None
    assert plugin.hocvu_credit_refusal(session=db_session, statement=ours, activity=activity) is None
    # The same pass claimed by an LRS client (even a crediting one) is not the server's record.
    forged = dict(ours.statement, id="7c1e6a52-5f43-4d55-9a1f-3f0a7e1b9c11")
    for key in ("stored", "authority"):
        forged.pop(key)
    lrs = Authority(account_agent(SITE, "lrs-client"), "lrs:client", True)
    claimed = store_statement(db_session, forged, lrs)
    assert "máy chủ" in (plugin.hocvu_credit_refusal(session=db_session, statement=claimed, activity=activity) or "")
    # A failed attempt's registration does not back a pass either.
    second = services.start_attempt(db_session, account, SMALL, SITE)
    services.submit_attempt(db_session, account, second.id, {}, SITE)
    failed = db_session.scalar(
        select(Statement).where(Statement.registration == second.id, Statement.verb_id == VERBS["failed"][0])
    )
    assert failed is not None
    assert plugin.hocvu_credit_refusal(session=db_session, statement=failed, activity=activity) is not None
