"""Fixtures and helpers for the quizzes tests: the real content/ folder imported through
the module's hooks, a small course of our own written into tmp_path, and the answer key of
an attempt read from the database (never from what the server sent)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from lms_core.demo import DemoData, seed_core
from lms_core.statements import Statement
from modules.quizzes import plugin
from modules.quizzes.models import Attempt, Question, Quiz
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[3]
CONTENT = ROOT / "content"
SITE = "https://hocvu.test"  # the test app's SITE_URL
SLUG = "dau-thau-cap-xa"

COURSE_YAML = """\
id: {slug}
title: "Hòa giải ở cơ sở"
description: >-
  Khóa học thử cho bài kiểm tra.
field: noi-vu
periods: 2
version: {version}
sample: true
language: vi
positions:
  required: [VP-TONGHOP]
  elective: []
quiz:
  questions_per_attempt: {per_attempt}
  pass_mark: 0.7
  attempts_allowed: {attempts}
  time_limit_minutes: 15
lessons:
  - file: lessons/01-tong-quan.md
    title: "Tổng quan"
    minutes: 20
"""


def small_bank(short_answer: str = "hòa giải", first_correct: str = "b") -> str:
    """Twelve questions: q01-q08 single, q09-q10 multiple, q11 true_false, q12 short_text."""
    lines = ["questions:"]
    for n in range(1, 9):
        lines += [
            f"  - id: q{n:02d}",
            "    type: single",
            f'    text: "Câu hỏi một lựa chọn số {n}?"',
            "    options:",
            *(
                f'      - {{id: {o}, text: "Phương án {o} của câu {n}"'
                + (", correct: true}" if o == (first_correct if n == 1 else "b") else "}")
                for o in "abc"
            ),
            f'    explanation: "Giải thích câu {n}."',
        ]
    for n in (9, 10):
        lines += [
            f"  - id: q{n:02d}",
            "    type: multiple",
            f'    text: "Câu hỏi nhiều lựa chọn số {n}?"',
            "    options:",
            f'      - {{id: a, text: "Đúng thứ nhất {n}", correct: true}}',
            f'      - {{id: b, text: "Đúng thứ hai {n}", correct: true}}',
            f'      - {{id: c, text: "Sai {n}"}}',
            f'    explanation: "Giải thích câu {n}."',
        ]
    lines += [
        "  - id: q11",
        "    type: true_false",
        '    text: "Hòa giải viên do cộng đồng dân cư bầu ra."',
        "    answer: true",
        '    explanation: "Giải thích câu 11."',
        "  - id: q12",
        "    type: short_text",
        '    text: "Điền từ: tổ … ở cơ sở."',
        f'    answers: ["{short_answer}"]',
        '    explanation: "Giải thích câu 12."',
    ]
    return "\n".join(lines) + "\n"


def write_small_course(
    root: Path,
    slug: str = "hoa-giai-co-so",
    *,
    version: int = 1,
    per_attempt: int = 12,
    attempts: int = 3,
    bank: str | None = None,
) -> Path:
    course = root / "courses" / slug
    (course / "lessons").mkdir(parents=True, exist_ok=True)
    (course / "course.yaml").write_text(
        COURSE_YAML.format(slug=slug, version=version, per_attempt=per_attempt, attempts=attempts), encoding="utf-8"
    )
    (course / "questions.yaml").write_text(bank if bank is not None else small_bank(), encoding="utf-8")
    (course / "lessons" / "01-tong-quan.md").write_text("Bài học thử.\n", encoding="utf-8")
    return course


def copy_course(root: Path, slug: str = SLUG) -> Path:
    """A copy of a real course folder under ``root/courses``, to break."""
    target = root / "courses" / slug
    shutil.copytree(CONTENT / "courses" / slug, target)
    return target


def validate(session: Session, root: Path) -> list[Any]:
    return plugin.hocvu_content_validate(session=session, root=root, site_url=SITE)


def import_content(session: Session, root: Path = CONTENT) -> list[str]:
    """Validate then apply through the module's hooks, and commit, as the CLI does."""
    errors = validate(session, root)
    assert errors == [], [str(e) for e in errors]
    lines = plugin.hocvu_content_apply(session=session, root=root, site_url=SITE)
    session.commit()
    return lines


def fresh(session: Session) -> Session:
    """End the session's transaction, so what it reads next includes what the app committed
    meanwhile (a SQLite transaction reads from one snapshot, as PostgreSQL's repeatable read)."""
    session.commit()
    session.expire_all()
    return session


def answer_key(session: Session, attempt_id: str, *, wrong: int = 0) -> dict[str, Any]:
    """Answers to the attempt's questions from the database: all right, except the
    first ``wrong`` of them, answered wrongly. Options are answered by the ids the attempt
    shows (a, b, c… in its shuffled order)."""
    fresh(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    questions = {q.key: q for q in session.scalars(select(Question).where(Question.quiz_id == attempt.quiz_id))}
    answers: dict[str, Any] = {}
    for index, item in enumerate(attempt.items):
        question = questions[item["id"]]
        shown = {original: "abcdefghij"[position] for position, original in enumerate(item["options"])}
        right = sorted(shown[o["id"]] for o in question.options if o["correct"])
        wrong_option = sorted(shown[o["id"]] for o in question.options if not o["correct"])[:1]
        ok = index >= wrong
        if question.type == "single":
            answers[question.key] = right if ok else wrong_option
        elif question.type == "multiple":
            answers[question.key] = right if ok else right[:1]
        elif question.type == "true_false":
            answers[question.key] = question.answer if ok else not question.answer
        else:
            answers[question.key] = question.answer[0] if ok else "không biết"
    return answers


def correct_in_bank(session: Session, attempt_id: str, key: str) -> list[str]:
    """The bank's correct option ids of question ``key`` in the attempt's quiz version."""
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    question = next(q for q in attempt.quiz.questions if q.key == key)
    return [o["id"] for o in question.options if o["correct"]]


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def snapshot(session: Session, attempt_id: str | None = None) -> dict[str, Any]:
    """What a refused request must leave as it was: the attempt row, the statements, the
    attempts and quiz versions."""
    fresh(session)
    state: dict[str, Any] = {
        "statements": count(session, Statement),
        "attempts": count(session, Attempt),
        "quizzes": count(session, Quiz),
    }
    if attempt_id:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        state["attempt"] = {c.key: getattr(attempt, c.key) for c in Attempt.__table__.columns}
    return state


class WriteCounter:
    """Counts INSERT, UPDATE and DELETE statements sent to the database."""

    def __init__(self, session: Session) -> None:
        self.engine = session.get_bind()
        self.writes: list[str] = []

    def _listen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            self.writes.append(statement)

    def __enter__(self) -> WriteCounter:
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._listen)


@pytest.fixture
def seeded(db_session: Session) -> DemoData:
    """The core demo data (fields, people, accounts) on a plain session, without Flask."""
    data = seed_core(db_session, password=TEST_PASSWORD)
    db_session.commit()
    return data


@pytest.fixture
def quizzes_app(app: Any) -> Any:
    if "quizzes" not in app.config["MODULES"]:
        pytest.fail(
            "the quizzes module is not enabled: run with HOCVU_MODULES=hr,quizzes (or add it to DEFAULT_MODULES)"
        )
    return app


@pytest.fixture
def imported(quizzes_app: Any, demo: Any, app_db: Session) -> Any:
    """The demo data and the real content/ folder, imported through the app's registry."""
    registry = quizzes_app.extensions["hocvu_registry"]
    errors = [
        e for found in registry.hook.hocvu_content_validate(session=app_db, root=CONTENT, site_url=SITE) for e in found
    ]
    assert errors == [], [str(e) for e in errors]
    registry.hook.hocvu_content_apply(session=app_db, root=CONTENT, site_url=SITE)
    app_db.commit()
    return demo
