"""Quiz use cases, headless: a session and the acting account in, results out.

Called by the pages (``controllers.py``) and the JSON API (``api.py``), which commit with
the unit of work afterwards; nothing here commits or reads the request. The server is the
authority on everything that counts: it draws the questions, keeps the clock (the deadline
is stored when the attempt starts), grades, records the outcome and writes the xAPI
statements in the same transaction. Correct answers leave the server only in a review,
after submission.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.catalog import Activity, activity_iri
from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import Person
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
from modules.quizzes import grading
from modules.quizzes.content import MODULE, latest_version
from modules.quizzes.models import Attempt, Question, Quiz

# A submission this late after the deadline still counts (network, a slow phone).
GRACE = timedelta(seconds=30)
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
MAX_TEXT_ANSWER = 200
GRADING_METHOD = "highest"
SHOWN_IDS = "abcdefghij"


class AttemptLimitReached(Conflict):
    code = "attempt_limit_reached"


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"


class AlreadySubmitted(Conflict):
    code = "already_submitted"


class AttemptExpired(DomainError):
    status = 400
    code = "attempt_expired"


# --- who and what ---------------------------------------------------------------------


def learner(account: Account) -> Person:
    """The person behind ``account``; quizzes are taken by people, not bare accounts."""
    person = account.person
    if person is None:
        raise PermissionDenied(N_("Chỉ tài khoản gắn với một cán bộ mới làm được bài kiểm tra."))
    if not person.active:
        raise PermissionDenied(N_("Cán bộ đã nghỉ công tác không làm bài kiểm tra được."))
    return person


def current_quiz(session: Session, slug: str) -> Quiz:
    """The newest version of an active quiz, or ``NotFound``."""
    quiz = latest_version(session, slug)
    if quiz is None or not quiz.activity.active:
        raise NotFound(N_("Không tìm thấy bài kiểm tra."))
    return quiz


def list_quizzes(session: Session) -> list[Quiz]:
    """The newest version of every active quiz, by title."""
    newest = select(Quiz.slug, func.max(Quiz.version).label("version")).group_by(Quiz.slug).subquery()
    quizzes = session.scalars(
        select(Quiz)
        .join(newest, (Quiz.slug == newest.c.slug) & (Quiz.version == newest.c.version))
        .join(Quiz.activity)
        .where(Activity.active.is_(True))
        .order_by(Activity.title)
    ).all()
    return list(quizzes)


def status_of(attempt: Attempt, now: datetime | None = None) -> str:
    """submitted, in_progress (the clock is running) or expired (time ran out unsubmitted)."""
    if attempt.submitted_at is not None:
        return "submitted"
    return "in_progress" if (now or utcnow()) <= attempt.deadline_at + GRACE else "expired"


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int:
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


@dataclass
class QuizOverview:
    """A person's standing on a quiz: attempts used and left, the best score (the highest
    attempt counts), whether they passed, and the attempt in progress if any."""

    quiz: Quiz
    attempts: Sequence[Attempt]
    used: int
    left: int
    best_score: float | None
    passed: bool
    open_attempt: Attempt | None
    grading_method: str = GRADING_METHOD


def _attempts(session: Session, person: Person, slug: str) -> Sequence[Attempt]:
    return session.scalars(
        select(Attempt).where(Attempt.person_id == person.id, Attempt.slug == slug).order_by(Attempt.number)
    ).all()


def overview(session: Session, account: Account, slug: str, now: datetime | None = None) -> QuizOverview:
    person = learner(account)
    quiz = current_quiz(session, slug)
    attempts = _attempts(session, person, slug)
    scores = [a.score for a in attempts if a.score is not None]
    open_attempt = next((a for a in attempts if status_of(a, now) == "in_progress"), None)
    return QuizOverview(
        quiz=quiz,
        attempts=attempts,
        used=len(attempts),
        left=max(0, quiz.attempts_allowed - len(attempts)),
        best_score=max(scores) if scores else None,
        passed=any(a.passed for a in attempts),
        open_attempt=open_attempt,
    )


@dataclass
class QuizSummary:
    """A quiz in the list, with the caller's best score and attempts used."""

    quiz: Quiz
    used: int
    best_score: float | None
    passed: bool


def quiz_summaries(session: Session, account: Account) -> list[QuizSummary]:
    """Every active quiz with the caller's standing (none when the account has no person)."""
    quizzes = list_quizzes(session)
    mine: dict[str, list[Attempt]] = {}
    if account.person is not None:
        for attempt in session.scalars(select(Attempt).where(Attempt.person_id == account.person.id)):
            mine.setdefault(attempt.slug, []).append(attempt)
    summaries = []
    for quiz in quizzes:
        attempts = mine.get(quiz.slug, [])
        scores = [a.score for a in attempts if a.score is not None]
        summaries.append(
            QuizSummary(quiz, len(attempts), max(scores) if scores else None, any(a.passed for a in attempts))
        )
    return summaries


def get_attempt(session: Session, account: Account, attempt_id: str) -> Attempt:
    """The attempt, for its owner only: anyone else gets the same ``NotFound`` as for an
    attempt that does not exist."""
    person = account.person
    attempt = session.get(Attempt, str(attempt_id))
    if attempt is None or person is None or attempt.person_id != person.id:
        raise NotFound(N_("Không tìm thấy lượt làm bài."))
    return attempt


# --- xAPI -------------------------------------------------------------------------------


def _statement(
    site_url: str,
    attempt: Attempt,
    verb: str,
    timestamp: datetime,
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    quiz, person = attempt.quiz, attempt.person
    site = site_url.rstrip("/")
    statement = build_statement(
        actor=account_agent(site_url, person.staff_code, person.full_name),
        verb=verb,
        activity_iri=activity_iri(site_url, "quiz", quiz.slug),
        activity_name=quiz.activity.title,
        activity_type=ASSESSMENT_TYPE,
        result=result,
        context={
            "registration": attempt.id,
            "contextActivities": {"parent": [{"id": activity_iri(site_url, "course", quiz.slug)}]},
            "platform": "HocVu",
            "language": "vi",
            "extensions": {f"{site}/xapi/extensions/version": quiz.version},
        },
        timestamp=timestamp,
    )
    if result and "duration" in result:
        # tincan pads the duration ("PT04M12S"); keep the plain form, which is as valid.
        statement["result"]["duration"] = result["duration"]
    return statement


# --- starting ---------------------------------------------------------------------------


def start_attempt(
    session: Session,
    account: Account,
    slug: str,
    site_url: str,
    *,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """Start an attempt at the current version of the quiz: draw ``questions_per_attempt``
    questions at random, shuffle each one's options, set the deadline, and record the
    ``attempted`` statement. Refuses when the attempts are used up or one is in progress.
    Caller commits."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    person = learner(account)
    quiz = current_quiz(session, slug)
    # One start at a time per person (PostgreSQL row lock; SQLite serialises writers), and
    # the unique (person, slug, number) constraint catches whatever gets past it.
    session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    attempts = _attempts(session, person, slug)
    if any(status_of(a, now) == "in_progress" for a in attempts):
        raise AttemptInProgress(N_("Bạn đang có một lượt làm bài chưa nộp; hãy làm tiếp lượt đó."))
    if len(attempts) >= quiz.attempts_allowed:
        raise AttemptLimitReached(
            N_("Bạn đã dùng hết %(allowed)s lượt làm bài kiểm tra này."), allowed=quiz.attempts_allowed
        )
    drawn = rng.sample(list(quiz.questions), quiz.questions_per_attempt)
    items = [{"id": q.key, "options": rng.sample([o["id"] for o in q.options], len(q.options))} for q in drawn]
    attempt = Attempt(
        id=str(uuid.uuid4()),
        quiz=quiz,
        slug=quiz.slug,
        person=person,
        number=len(attempts) + 1,
        started_at=now,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes),
        items=items,
    )
    session.add(attempt)
    session.flush()
    store_statement(session, _statement(site_url, attempt, "attempted", now), hocvu_authority(site_url, MODULE))
    return attempt


# --- the questions as the learner sees them ----------------------------------------------


def _questions_by_key(attempt: Attempt) -> dict[str, Question]:
    return {q.key: q for q in attempt.quiz.questions}


def shown_ids(item: dict[str, Any]) -> dict[str, str]:
    """Option id in the bank -> the id the learner sees in this attempt: a, b, c… in the
    shuffled order shown, so an option's id says nothing about where the author put it."""
    return {original: SHOWN_IDS[position] for position, original in enumerate(item["options"])}


def _to_shown(item: dict[str, Any], original_ids: list[str]) -> list[str]:
    mapping = shown_ids(item)
    return sorted(mapping[original] for original in original_ids)


def public_questions(attempt: Attempt) -> list[dict[str, Any]]:
    """The attempt's questions in the drawn order, options in the shuffled order, with
    nothing that gives an answer away: no ``correct`` flag, no answer, no explanation."""
    by_key = _questions_by_key(attempt)
    result = []
    for item in attempt.items:
        question = by_key[item["id"]]
        texts = {o["id"]: o["text"] for o in question.options}
        mapping = shown_ids(item)
        result.append(
            {
                "id": question.key,
                "type": question.type,
                "text": question.text,
                "options": [{"id": mapping[original], "text": texts[original]} for original in item["options"]],
            }
        )
    return result


def review(attempt: Attempt) -> list[dict[str, Any]]:
    """After submission: each question with the learner's answer, the correct answer,
    whether it was right, and the explanation."""
    if attempt.submitted_at is None:
        raise Conflict(N_("Lượt làm bài chưa nộp nên chưa xem được đáp án."))
    by_key = _questions_by_key(attempt)
    answers, results = attempt.answers or {}, attempt.results or {}
    rows = []
    for item in attempt.items:
        question = by_key[item["id"]]
        options = {o["id"]: o for o in question.options}
        mapping = shown_ids(item)
        given = answers.get(question.key)
        right = grading.correct_answer(question.type, question.options, question.answer)
        if question.type in ("single", "multiple"):
            given = _to_shown(item, given) if given is not None else None
            right = _to_shown(item, right)
        rows.append(
            {
                "id": question.key,
                "type": question.type,
                "text": question.text,
                "options": [
                    {"id": mapping[oid], "text": options[oid]["text"], "correct": options[oid]["correct"]}
                    for oid in item["options"]
                ],
                "your_answer": given,
                "correct_answer": right,
                "correct": bool(results.get(question.key)),
                "explanation": question.explanation,
            }
        )
    return rows


# --- submitting -------------------------------------------------------------------------


def _clean_answer(question: Question, item: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The answer in its stored shape (bank option ids for single and multiple), or an
    error message. None means unanswered."""
    if value is None or value == [] or value == "":
        return None, None
    if question.type in ("single", "multiple"):
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            return None, N_("Câu trả lời phải là mã phương án (hoặc danh sách mã phương án).")
        back = {shown: original for original, shown in shown_ids(item).items()}
        if any(v not in back for v in chosen):
            return None, N_("Câu hỏi không có phương án này.")
        chosen = sorted({back[v] for v in chosen})
        if question.type == "single" and len(chosen) > 1:
            return None, N_("Câu hỏi này chỉ chọn một phương án.")
        return chosen, None
    if question.type == "true_false":
        if not isinstance(value, bool):
            return None, N_("Câu trả lời phải là đúng (true) hoặc sai (false).")
        return value, None
    if not isinstance(value, str):
        return None, N_("Câu trả lời phải là một đoạn chữ.")
    if len(value) > MAX_TEXT_ANSWER:
        return None, N_("Câu trả lời quá dài.")
    text = " ".join(value.split())
    return (text or None), None


def clean_answers(attempt: Attempt, answers: Any) -> dict[str, Any]:
    """Check ``answers`` ({question id: answer}) against the attempt's questions; every
    problem is reported at once (``ValidationFailed``, field ``answers.<id>``)."""
    if not isinstance(answers, dict):
        raise ValidationFailed.single("answers", N_("Câu trả lời phải là một đối tượng theo mã câu hỏi."))
    drawn = {item["id"]: item for item in attempt.items}
    by_key = _questions_by_key(attempt)
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        if key not in drawn:
            errors.append(
                FieldError(f"answers.{key}", N_("Câu hỏi %(id)s không thuộc lượt làm bài này."), {"id": str(key)[:40]})
            )
            continue
        answer, problem = _clean_answer(by_key[key], drawn[key], value)
        if problem:
            errors.append(FieldError(f"answers.{key}", problem))
        elif answer is not None:
            cleaned[key] = answer
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def submit_attempt(
    session: Session,
    account: Account,
    attempt_id: str,
    answers: Any,
    site_url: str,
    *,
    now: datetime | None = None,
) -> Attempt:
    """Grade and close an attempt, and record ``passed`` or ``failed``. Refuses, changing
    nothing: someone else's attempt (``NotFound``), a submitted one (``AlreadySubmitted``,
    409), one past its deadline and grace (``AttemptExpired``), answers to questions not in
    the attempt or of the wrong shape (``ValidationFailed``). Caller commits."""
    now = now or utcnow()
    attempt = get_attempt(session, account, attempt_id)
    # Lock the row and read it afresh: of two simultaneous submissions only one grades.
    session.scalar(
        select(Attempt).where(Attempt.id == attempt.id).with_for_update().execution_options(populate_existing=True)
    )
    if attempt.submitted_at is not None:
        raise AlreadySubmitted(N_("Lượt làm bài này đã được nộp."))
    if now > attempt.deadline_at + GRACE:
        raise AttemptExpired(N_("Đã hết giờ làm bài; bài nộp sau thời hạn không được chấm."))
    cleaned = clean_answers(attempt, answers)

    by_key = _questions_by_key(attempt)
    results = {}
    for item in attempt.items:
        question = by_key[item["id"]]
        results[question.key] = grading.is_correct(
            question.type, question.options, question.answer, cleaned.get(question.key)
        )
    total = len(attempt.items)
    correct = sum(results.values())
    quiz = attempt.quiz
    passed = grading.has_passed(correct, total, quiz.pass_mark)
    # Guarded update: whichever submission comes second finds the attempt closed.
    closed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            answers=cleaned,
            results=results,
            correct_count=correct,
            score=correct / total,
            passed=passed,
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise AlreadySubmitted(N_("Lượt làm bài này đã được nộp."))
    session.refresh(attempt)
    result = {
        "score": {"scaled": round(correct / total, 4), "raw": correct, "min": 0, "max": total},
        "success": passed,
        "completion": True,
        "duration": grading.iso_duration((now - attempt.started_at).total_seconds()),
    }
    store_statement(
        session,
        _statement(site_url, attempt, "passed" if passed else "failed", now, result),
        hocvu_authority(site_url, MODULE),
    )
    return attempt


# --- for other modules and for crediting -------------------------------------------------


def passed_attempt_for_registration(session: Session, registration: Any) -> Attempt | None:
    """The submitted, passed attempt whose id is ``registration``, if there is one: the
    server's own record behind a ``passed`` statement."""
    if not isinstance(registration, str) or not registration:
        return None
    attempt = session.get(Attempt, registration)
    return attempt if attempt is not None and attempt.submitted_at is not None and attempt.passed else None
