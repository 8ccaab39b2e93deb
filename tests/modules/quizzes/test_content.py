"""Importing quiz content: errors name the file and the line, validation writes nothing,
re-importing unchanged files is a no-op, and a changed quiz needs a higher version."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, ActivityVersion, activity_by_iri, activity_iri
from lms_core.demo import DemoData
from modules.quizzes import services
from modules.quizzes.models import Attempt, Question, Quiz
from tests.modules.quizzes.conftest import (
    CONTENT,
    SITE,
    SLUG,
    WriteCounter,
    answer_key,
    copy_course,
    correct_in_bank,
    count,
    import_content,
    small_bank,
    validate,
    write_small_course,
)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found"
    return hits[occurrence - 1]


def test_the_real_content_imports_every_quiz(db_session: Session, seeded: DemoData) -> None:
    lines = import_content(db_session)
    slugs = sorted(p.name for p in (CONTENT / "courses").iterdir() if (p / "questions.yaml").exists())
    assert len(slugs) == 12
    assert lines == [f"quiz {slug} v1: created" for slug in slugs]
    activity = activity_by_iri(db_session, activity_iri(SITE, "quiz", SLUG))
    assert activity is not None
    assert (activity.type, activity.periods, activity.field_code, activity.module) == (
        "quiz",
        0,
        "tai-chinh",
        "quizzes",
    )
    assert activity.title == "Bài kiểm tra: Đấu thầu cho công chức cấp xã"
    quiz = db_session.scalar(select(Quiz).where(Quiz.slug == SLUG))
    assert quiz is not None and quiz.version == 1 and quiz.activity_id == activity.id
    assert (quiz.questions_per_attempt, quiz.pass_mark, quiz.attempts_allowed, quiz.time_limit_minutes) == (
        10,
        0.7,
        3,
        20,
    )
    assert len(quiz.questions) == 15
    first = quiz.questions[0]
    assert first.key == "q01" and first.type == "single"
    assert [o["id"] for o in first.options if o["correct"]] == ["b"]


def test_reimporting_unchanged_files_writes_nothing(db_session: Session, seeded: DemoData, tmp_path: Path) -> None:
    import_content(db_session)
    before = (count(db_session, Quiz), count(db_session, Question), count(db_session, ActivityVersion))
    with WriteCounter(db_session) as counter:
        errors = validate(db_session, CONTENT)
        lines = import_content(db_session)
    assert errors == []
    assert counter.writes == []
    assert all(line.endswith("v1: unchanged") for line in lines) and len(lines) == 12
    assert (count(db_session, Quiz), count(db_session, Question), count(db_session, ActivityVersion)) == before


def test_validation_writes_nothing_even_for_a_changed_quiz(
    db_session: Session, seeded: DemoData, tmp_path: Path
) -> None:
    write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    write_small_course(tmp_path, version=2, bank=small_bank(short_answer="hòa giải viên"))
    with WriteCounter(db_session) as counter:
        assert validate(db_session, tmp_path) == []
    assert counter.writes == []
    assert count(db_session, Quiz) == 1


BreakFn = Callable[[Path], tuple[Path, int, str]]


def _edit(path: Path, old: str, new: str, count: int = 1) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, count)
    path.write_text(text, encoding="utf-8")
    return text


def unknown_type(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "questions.yaml", "type: single", "type: singel")
    return course / "questions.yaml", line_of(text, "type: singel"), "unknown type 'singel'"


def two_correct_in_single(course: Path) -> tuple[Path, int, str]:
    text = _edit(
        course / "questions.yaml", '{id: a, text: "Chỉ định thầu"}', '{id: a, text: "Chỉ định thầu", correct: true}'
    )
    return course / "questions.yaml", line_of(text, "options:"), "exactly 1 correct option, found 2"


def one_correct_in_multiple(course: Path) -> tuple[Path, int, str]:
    path = course / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("type: multiple")
    block_end = text.index("explanation:", start)
    block = text[start:block_end]
    changed = block.replace(", correct: true}", "}", block.count(", correct: true") - 1)
    text = text[:start] + changed + text[block_end:]
    path.write_text(text, encoding="utf-8")
    options_line = text[:start].count("\n") + 1 + changed[: changed.index("options:")].count("\n")
    return path, options_line, "at least 2 correct options, found 1"


def missing_explanation(course: Path) -> tuple[Path, int, str]:
    path = course / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    q02 = line_of(text, "- id: q02")
    explanation = next(n for n in range(q02, len(lines)) if "explanation:" in lines[n])
    del lines[explanation]
    path.write_text("".join(lines), encoding="utf-8")
    return path, q02, "question 'q02': the explanation is missing"


def duplicate_id(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "questions.yaml", "- id: q03", "- id: q02")
    return (
        course / "questions.yaml",
        line_of(text, "- id: q02", 2),
        f"duplicate question id 'q02' (first used on line {line_of(text, '- id: q02')})",
    )


def bank_too_small(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "course.yaml", "questions_per_attempt: 10", "questions_per_attempt: 20")
    return (
        course / "course.yaml",
        line_of(text, "questions_per_attempt"),
        "questions_per_attempt is 20 but questions.yaml has only 15",
    )


def pass_mark_above_one(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "course.yaml", "pass_mark: 0.7", "pass_mark: 70")
    return course / "course.yaml", line_of(text, "pass_mark"), "pass_mark must be a share between 0 and 1"


def true_false_without_boolean(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "questions.yaml", "answer: false", 'answer: "sai"')
    return course / "questions.yaml", line_of(text, 'answer: "sai"'), "needs answer: true or false"


def invalid_yaml(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "questions.yaml", "- id: q04", "- id: [q04")
    return course / "questions.yaml", line_of(text, "- id: [q04") + 1, "invalid YAML"


def unknown_field(course: Path) -> tuple[Path, int, str]:
    text = _edit(course / "course.yaml", "field: tai-chinh", "field: tai-chinh-cong")
    return course / "course.yaml", line_of(text, "field:"), "unknown field code 'tai-chinh-cong'"


def missing_bank(course: Path) -> tuple[Path, int, str]:
    (course / "questions.yaml").unlink()
    text = (course / "course.yaml").read_text(encoding="utf-8")
    return course / "course.yaml", line_of(text, "quiz:"), "questions.yaml is missing"


@pytest.mark.parametrize(
    "breaker",
    [
        unknown_type,
        two_correct_in_single,
        one_correct_in_multiple,
        missing_explanation,
        duplicate_id,
        bank_too_small,
        pass_mark_above_one,
        true_false_without_boolean,
        invalid_yaml,
        unknown_field,
        missing_bank,
    ],
)
def test_errors_name_the_file_and_the_line(
    db_session: Session, seeded: DemoData, tmp_path: Path, breaker: BreakFn
) -> None:
    course = copy_course(tmp_path)
    assert validate(db_session, tmp_path) == []  # the copy itself is fine
    path, line, message = breaker(course)
    errors = validate(db_session, tmp_path)
    assert [(e.path, e.line) for e in errors if message in e.message] == [(path, line)], [str(e) for e in errors]
    assert str(errors[0]).startswith(f"{path}:")
    assert count(db_session, Quiz) == 0


def test_every_error_is_reported_at_once(db_session: Session, seeded: DemoData, tmp_path: Path) -> None:
    course = copy_course(tmp_path)
    unknown_type(course)
    duplicate_id(course)
    pass_mark_above_one(course)
    messages = " | ".join(e.message for e in validate(db_session, tmp_path))
    for part in ("unknown type", "duplicate question id", "pass_mark"):
        assert part in messages


def test_apply_refuses_content_that_does_not_validate(db_session: Session, seeded: DemoData, tmp_path: Path) -> None:
    unknown_type(copy_course(tmp_path))
    from modules.quizzes import plugin

    with pytest.raises(ValueError, match="not valid"):
        plugin.hocvu_content_apply(session=db_session, root=tmp_path, site_url=SITE)


def test_changed_bank_without_a_version_bump_is_an_error_at_the_version_line(
    db_session: Session, seeded: DemoData, tmp_path: Path
) -> None:
    course = write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    write_small_course(tmp_path, bank=small_bank(first_correct="c"))  # same version 1
    errors = validate(db_session, tmp_path)
    text = (course / "course.yaml").read_text(encoding="utf-8")
    assert [(e.path, e.line) for e in errors] == [(course / "course.yaml", line_of(text, "version:"))]
    assert "changed but version is still 1" in errors[0].message
    # Changed settings count as a change as well.
    write_small_course(tmp_path, attempts=5)
    assert [e.line for e in validate(db_session, tmp_path)] == [line_of(text, "version:")]


def test_a_new_version_keeps_old_attempts_on_the_version_they_took(
    db_session: Session, seeded: DemoData, tmp_path: Path
) -> None:
    write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    account = seeded.accounts["demo.official"]
    old = services.start_attempt(db_session, account, "hoa-giai-co-so", SITE)
    db_session.commit()
    old_answers = answer_key(db_session, old.id)
    assert correct_in_bank(db_session, old.id, "q01") == ["b"]

    write_small_course(tmp_path, version=2, bank=small_bank(first_correct="c"))
    lines = import_content(db_session, tmp_path)
    assert lines == ["quiz hoa-giai-co-so v2: created (was v1)"]
    versions = db_session.scalars(select(Quiz.version).where(Quiz.slug == "hoa-giai-co-so").order_by(Quiz.version))
    assert list(versions) == [1, 2]
    activity = db_session.scalar(select(Activity).where(Activity.iri == activity_iri(SITE, "quiz", "hoa-giai-co-so")))
    assert activity is not None and activity.version == 2

    # The attempt started on v1 is still graded against v1 (where q01's answer is b).
    graded = services.submit_attempt(db_session, account, old.id, old_answers, SITE)
    db_session.commit()
    assert graded.quiz.version == 1 and graded.score == 1.0 and graded.passed
    new = services.start_attempt(db_session, account, "hoa-giai-co-so", SITE)
    db_session.commit()
    assert new.quiz.version == 2 and correct_in_bank(db_session, new.id, "q01") == ["c"]
    assert db_session.get(Attempt, old.id).quiz.version == 1  # type: ignore[union-attr]


def test_course_version_moving_on_alone_changes_no_quiz_but_counts_for_the_next_change(
    db_session: Session, seeded: DemoData, tmp_path: Path
) -> None:
    course = write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    write_small_course(tmp_path, version=2)  # a lesson changed, say; the quiz did not
    assert import_content(db_session, tmp_path) == ["quiz hoa-giai-co-so v1: unchanged"]
    assert count(db_session, Quiz) == 1
    # Now the bank changes while the course stays at version 2: that is an unbumped change.
    write_small_course(tmp_path, version=2, bank=small_bank(first_correct="a"))
    errors = validate(db_session, tmp_path)
    assert len(errors) == 1 and "increase it to 3" in errors[0].message
    # And a version may never go down.
    write_small_course(tmp_path, version=1)
    errors = validate(db_session, tmp_path)
    text = (course / "course.yaml").read_text(encoding="utf-8")
    assert [(e.line, bool(re.search("lower than version 2", e.message))) for e in errors] == [
        (line_of(text, "version:"), True)
    ]


def test_a_course_title_change_updates_the_catalog_only(db_session: Session, seeded: DemoData, tmp_path: Path) -> None:
    course = write_small_course(tmp_path)
    import_content(db_session, tmp_path)
    _edit(course / "course.yaml", 'title: "Hòa giải ở cơ sở"', 'title: "Công tác hòa giải ở cơ sở"')
    _edit(course / "course.yaml", "version: 1", "version: 2")
    assert import_content(db_session, tmp_path) == ["quiz hoa-giai-co-so v1: catalog entry updated"]
    activity = activity_by_iri(db_session, activity_iri(SITE, "quiz", "hoa-giai-co-so"))
    assert activity is not None and activity.title == "Bài kiểm tra: Công tác hòa giải ở cơ sở"
    assert count(db_session, Quiz) == 1
