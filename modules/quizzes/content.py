"""Quiz content: ``courses/<slug>/questions.yaml`` and the ``quiz:`` block of
``courses/<slug>/course.yaml`` (format in content/README.md).

``validate`` reads the files (and, for the version rule, the imported quiz versions) and
returns every problem with its file and line; it writes nothing. ``apply`` imports the
validated files: the quiz activity in the core catalog, and a new ``quizzes_quiz`` version
row with its questions whenever the bank or the settings changed. Importing unchanged files
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, ActivityType, activity_by_iri, activity_iri, upsert_activity
from lms_core.content import ContentError, LineOf, load_yaml
from lms_core.people import Field
from modules.quizzes.grading import QUESTION_TYPES
from modules.quizzes.models import Question, Quiz

ID_PATTERN = re.compile(r"^[a-z0-9-]{1,40}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9-]{1,100}$")
MODULE = "quizzes"
QUIZ_TITLE = "Bài kiểm tra: {title}"
MIN_BANK = 12
SETTINGS = ("questions_per_attempt", "pass_mark", "attempts_allowed", "time_limit_minutes")
QUESTION_KEYS = {"id", "type", "text", "options", "answer", "answers", "explanation"}
OPTION_KEYS = {"id", "text", "correct"}
MAX_TIME_LIMIT = 480


@dataclass
class QuizSpec:
    """A course's quiz as read from its files, normalised."""

    slug: str
    course_path: Path
    questions_path: Path
    title: str
    field_code: str | None
    version: int
    version_line: int
    field_line: int
    settings: dict[str, Any]
    questions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        document = json.dumps(
            {"settings": self.settings, "questions": self.questions}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(document.encode("utf-8")).hexdigest()

    @property
    def activity_title(self) -> str:
        return QUIZ_TITLE.format(title=self.title)


def _load(path: Path) -> tuple[Any, LineOf] | ContentError:
    """``load_yaml``, with an unreadable or invalid file returned as its ``ContentError``."""
    try:
        return load_yaml(path)
    except ContentError as error:
        return error


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class _Errors:
    """Collects the errors of one file."""

    def __init__(self, path: Path, line_of: LineOf | None = None) -> None:
        self.path = path
        self.line_of: LineOf = line_of or (lambda *_keys: 0)
        self.items: list[ContentError] = []

    def add(self, keys: tuple[Any, ...], message: str) -> None:
        self.items.append(ContentError(self.path, self.line_of(*keys), message))


def _parse_settings(quiz: Any, errors: _Errors) -> dict[str, Any]:
    if not isinstance(quiz, dict):
        errors.add(("quiz",), "quiz: must be a mapping with " + ", ".join(SETTINGS))
        return {}
    for key in quiz:
        if key not in SETTINGS:
            errors.add(("quiz", key), f"quiz: unknown setting {key!r} (expected {', '.join(SETTINGS)})")
    for key in SETTINGS:
        if key not in quiz:
            errors.add(("quiz",), f"quiz: {key} is missing")
    settings: dict[str, Any] = {}
    for key in ("questions_per_attempt", "attempts_allowed", "time_limit_minutes"):
        value = quiz.get(key)
        if key in quiz and not (_is_int(value) and value >= 1):
            errors.add(("quiz", key), f"quiz: {key} must be a whole number of at least 1, not {value!r}")
        elif key in quiz:
            settings[key] = value
    limit = quiz.get("time_limit_minutes")
    if _is_int(limit) and limit > MAX_TIME_LIMIT:
        errors.add(("quiz", "time_limit_minutes"), f"quiz: time_limit_minutes must be at most {MAX_TIME_LIMIT}")
    if "pass_mark" in quiz:
        mark = quiz["pass_mark"]
        if not isinstance(mark, int | float) or isinstance(mark, bool) or not 0 <= mark <= 1:
            errors.add(("quiz", "pass_mark"), f"quiz: pass_mark must be a share between 0 and 1, not {mark!r}")
        else:
            settings["pass_mark"] = float(mark)
    return settings


def _parse_options(question: dict[str, Any], index: int, kind: str, errors: _Errors) -> list[dict[str, Any]]:
    where = ("questions", index, "options")
    options = question.get("options")
    if not isinstance(options, list) or not 3 <= len(options) <= 5:
        errors.add(where, f"question {question.get('id')!r}: a {kind} question needs a list of 3 to 5 options")
        return []
    parsed: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, option in enumerate(options):
        at = (*where, position)
        if not isinstance(option, dict):
            errors.add(at, "an option must be a mapping {id, text, correct}")
            continue
        for key in option:
            if key not in OPTION_KEYS:
                errors.add((*at, key), f"option: unknown key {key!r} (expected id, text, correct)")
        option_id = option.get("id")
        if not isinstance(option_id, str) or not ID_PATTERN.match(option_id):
            errors.add((*at, "id"), f"option id {option_id!r} must use only a-z, 0-9 and '-'")
        elif option_id in seen:
            errors.add((*at, "id"), f"duplicate option id {option_id!r}")
        else:
            seen.add(option_id)
        if not _is_text(option.get("text")):
            errors.add((*at, "text"), "option text is missing")
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            errors.add((*at, "correct"), f"correct must be true or false, not {correct!r}")
        parsed.append({"id": option_id, "text": str(option.get("text", "")).strip(), "correct": correct is True})
    count = sum(1 for option in parsed if option["correct"])
    qid = question.get("id")
    if kind == "single" and count != 1:
        errors.add(where, f"question {qid!r}: a single question needs exactly 1 correct option, found {count}")
    if kind == "multiple" and count < 2:
        errors.add(where, f"question {qid!r}: a multiple question needs at least 2 correct options, found {count}")
    if kind == "multiple" and count == len(parsed) and parsed:
        errors.add(where, f"question {qid!r}: a multiple question needs at least one wrong option")
    return parsed


def _parse_question(question: Any, index: int, errors: _Errors) -> dict[str, Any] | None:
    at = ("questions", index)
    if not isinstance(question, dict):
        errors.add(at, "a question must be a mapping")
        return None
    for key in question:
        if key not in QUESTION_KEYS:
            errors.add((*at, key), f"unknown key {key!r} (expected {', '.join(sorted(QUESTION_KEYS))})")
    qid = question.get("id")
    kind = question.get("type")
    if kind not in QUESTION_TYPES:
        errors.add((*at, "type"), f"question {qid!r}: unknown type {kind!r} (expected {', '.join(QUESTION_TYPES)})")
    if not _is_text(question.get("text")):
        errors.add((*at, "text"), f"question {qid!r}: the question text is missing")
    if not _is_text(question.get("explanation")):
        errors.add(at, f"question {qid!r}: the explanation is missing")
    options: list[dict[str, Any]] = []
    answer: Any = None
    if kind in ("single", "multiple"):
        options = _parse_options(question, index, kind, errors)
        for key in ("answer", "answers"):
            if key in question:
                errors.add((*at, key), f"question {qid!r}: {key} is not used by a {kind} question (mark options)")
    elif kind == "true_false":
        answer = question.get("answer")
        if not isinstance(answer, bool):
            errors.add((*at, "answer"), f"question {qid!r}: a true_false question needs answer: true or false")
        for key in ("options", "answers"):
            if key in question:
                errors.add((*at, key), f"question {qid!r}: a true_false question has no {key}")
    elif kind == "short_text":
        answer = question.get("answers")
        if not isinstance(answer, list) or not answer or not all(_is_text(a) for a in answer):
            errors.add((*at, "answers"), f"question {qid!r}: a short_text question needs a list of accepted answers")
            answer = []
        else:
            answer = [a.strip() for a in answer]
            for position, accepted in enumerate(answer):
                if not 1 <= len(accepted.split()) <= 3:
                    errors.add((*at, "answers", position), f"accepted answer {accepted!r} must be 1 to 3 words")
        for key in ("options", "answer"):
            if key in question:
                errors.add((*at, key), f"question {qid!r}: a short_text question has no {key}")
    return {
        "id": qid,
        "type": kind,
        "text": str(question.get("text", "")).strip(),
        "options": options,
        "answer": answer,
        "explanation": str(question.get("explanation", "")).strip(),
    }


def _parse_bank(data: Any, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        errors.add(("questions",), "the file must hold a list under questions:")
        return []
    for key in data:
        if key != "questions":
            errors.add((key,), f"unknown key {key!r} (only questions:)")
    questions: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for index, raw in enumerate(data["questions"]):
        question = _parse_question(raw, index, errors)
        if question is None:
            continue
        qid = question["id"]
        if not isinstance(qid, str) or not ID_PATTERN.match(qid):
            errors.add(("questions", index, "id"), f"question id {qid!r} must use only a-z, 0-9 and '-'")
        elif qid in first_line:
            errors.add(
                ("questions", index, "id"), f"duplicate question id {qid!r} (first used on line {first_line[qid]})"
            )
        else:
            first_line[qid] = errors.line_of("questions", index, "id")
        questions.append(question)
    if len(data["questions"]) < MIN_BANK:
        errors.add(("questions",), f"the bank has {len(data['questions'])} questions; at least {MIN_BANK} are needed")
    return questions


def parse_course(course_dir: Path) -> tuple[QuizSpec | None, list[ContentError]]:
    """Read one course folder's quiz. ``(None, [])`` when the course has no quiz."""
    course_path, questions_path = course_dir / "course.yaml", course_dir / "questions.yaml"
    slug = course_dir.name
    if not course_path.exists():
        if questions_path.exists():
            return None, [ContentError(questions_path, 0, "questions.yaml without a course.yaml next to it")]
        return None, []
    loaded = _load(course_path)
    if isinstance(loaded, ContentError):
        return None, [loaded]
    course, course_line = loaded
    course_errors = _Errors(course_path, course_line)
    if not isinstance(course, dict):
        return None, [ContentError(course_path, 1, "course.yaml must be a mapping")]
    if "quiz" not in course:
        if questions_path.exists():
            course_errors.add((), "questions.yaml exists but course.yaml has no quiz: block")
        return None, course_errors.items
    if not SLUG_PATTERN.match(slug):
        course_errors.add((), f"the course folder name {slug!r} must use only a-z, 0-9 and '-'")
    title = course.get("title")
    if not _is_text(title):
        course_errors.add(("title",), "title is missing")
    field_code = course.get("field")
    if field_code is not None and not isinstance(field_code, str):
        course_errors.add(("field",), f"field must be a field code, not {field_code!r}")
    version = course.get("version")
    if not (_is_int(version) and version >= 1):
        course_errors.add(("version",), f"version must be a whole number of at least 1, not {version!r}")
    settings = _parse_settings(course["quiz"], course_errors)

    if not questions_path.exists():
        course_errors.add(("quiz",), f"the quiz has no question bank: {questions_path.name} is missing")
        return None, course_errors.items
    loaded = _load(questions_path)
    if isinstance(loaded, ContentError):
        return None, [*course_errors.items, loaded]
    bank, bank_line = loaded
    bank_errors = _Errors(questions_path, bank_line)
    questions = _parse_bank(bank, bank_errors)
    per_attempt = settings.get("questions_per_attempt")
    if per_attempt is not None and questions and len(questions) < per_attempt:
        course_errors.add(
            ("quiz", "questions_per_attempt"),
            f"quiz: questions_per_attempt is {per_attempt} but {questions_path.name} has only "
            f"{len(questions)} questions",
        )
    errors = course_errors.items + bank_errors.items
    if errors:
        return None, errors
    spec = QuizSpec(
        slug=slug,
        course_path=course_path,
        questions_path=questions_path,
        title=str(title).strip(),
        field_code=field_code,
        version=version,
        version_line=course_line("version"),
        field_line=course_line("field"),
        settings=settings,
        questions=questions,
    )
    return spec, []


def _course_dirs(root: Path) -> list[Path]:
    courses = root / "courses"
    return sorted(p for p in courses.iterdir() if p.is_dir()) if courses.is_dir() else []


def latest_version(session: Session, slug: str) -> Quiz | None:
    """The newest imported version of the slug's quiz."""
    return session.scalar(select(Quiz).where(Quiz.slug == slug).order_by(Quiz.version.desc()).limit(1))


def _check_against_database(session: Session, spec: QuizSpec) -> list[ContentError]:
    errors: list[ContentError] = []
    with session.no_autoflush:
        if spec.field_code is not None and session.get(Field, spec.field_code) is None:
            errors.append(ContentError(spec.course_path, spec.field_line, f"unknown field code {spec.field_code!r}"))
        latest = latest_version(session, spec.slug)
    if latest is None:
        return errors
    seen = max(latest.version, latest.course_version)
    if spec.version < seen:
        errors.append(
            ContentError(
                spec.course_path,
                spec.version_line,
                f"version {spec.version} is lower than version {seen}, already imported; versions never go down",
            )
        )
    elif spec.fingerprint != latest.fingerprint and spec.version <= seen:
        errors.append(
            ContentError(
                spec.course_path,
                spec.version_line,
                f"the quiz (questions.yaml or the quiz: settings) changed but version is still {spec.version}; "
                f"increase it to {seen + 1}",
            )
        )
    return errors


def validate(session: Session, root: Path) -> list[ContentError]:
    """Every problem in the quiz files under ``root / "courses"``; writes nothing."""
    errors: list[ContentError] = []
    for course_dir in _course_dirs(root):
        spec, found = parse_course(course_dir)
        errors.extend(found)
        if spec is not None:
            errors.extend(_check_against_database(session, spec))
    return errors


def _activity_values(spec: QuizSpec, version: int) -> dict[str, Any]:
    return {
        "type": ActivityType.QUIZ.value,
        "title": spec.activity_title,
        "periods": 0,  # the credit comes from the course
        "field_code": spec.field_code,
        "description": "",
        "version": version,
        "module": MODULE,
        "active": True,
    }


def _sync_activity(session: Session, site_url: str, spec: QuizSpec, version: int) -> tuple[Activity, bool]:
    """The quiz's catalog activity, written only when it differs from the files."""
    iri = activity_iri(site_url, "quiz", spec.slug)
    values = _activity_values(spec, version)
    activity = activity_by_iri(session, iri)
    if activity is not None and all(getattr(activity, key) == value for key, value in values.items()):
        return activity, False
    return upsert_activity(session, iri=iri, **values), True


def _new_version(spec: QuizSpec, activity: Activity) -> Quiz:
    quiz = Quiz(
        slug=spec.slug,
        version=spec.version,
        course_version=spec.version,
        activity=activity,
        fingerprint=spec.fingerprint,
        **spec.settings,
    )
    quiz.questions = [
        Question(
            key=q["id"],
            position=position,
            type=q["type"],
            text=q["text"],
            options=q["options"],
            answer=q["answer"],
            explanation=q["explanation"],
        )
        for position, q in enumerate(spec.questions)
    ]
    return quiz


def apply(session: Session, root: Path, site_url: str) -> list[str]:
    """Import the (validated) quiz files; one summary line per quiz. Caller commits."""
    lines: list[str] = []
    for course_dir in _course_dirs(root):
        spec, errors = parse_course(course_dir)
        if errors:
            raise ValueError(f"quiz content is not valid, run the validation first: {errors[0]}")
        if spec is None:
            continue
        latest = latest_version(session, spec.slug)
        if latest is None or latest.fingerprint != spec.fingerprint:
            activity, _ = _sync_activity(session, site_url, spec, spec.version)
            session.add(_new_version(spec, activity))
            session.flush()
            was = f" (was v{latest.version})" if latest else ""
            lines.append(f"quiz {spec.slug} v{spec.version}: created{was}")
            continue
        _, catalog_changed = _sync_activity(session, site_url, spec, latest.version)
        if spec.version > latest.course_version:
            latest.course_version = spec.version  # the course moved on; the quiz did not change
        state = "catalog entry updated" if catalog_changed else "unchanged"
        lines.append(f"quiz {spec.slug} v{latest.version}: {state}")
    return lines
