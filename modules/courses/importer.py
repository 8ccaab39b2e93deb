"""Course content import: ``content/courses/<slug>/course.yaml`` and its lesson files.

``validate`` reads every course and reports every problem with its file and line, writing
nothing; ``apply`` imports what changed. A course whose files (course.yaml as parsed, and
each lesson) hash differently from the imported version must carry a higher ``version``;
each new version becomes a new ``CourseVersion`` row with its lessons, so enrolments in an
older version keep the lessons they took. The quiz block and questions.yaml belong to the
quizzes module and are not read here (beyond being part of the course's hash).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms_core.catalog import ActivityType, CurriculumItem, activity_iri, set_curriculum_item, upsert_activity
from lms_core.content import ContentError, LineOf, load_yaml
from lms_core.people import Field, Position
from modules.courses.models import Course, CourseVersion, Lesson

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 100
TITLE_MAX = 300
PERIODS = range(1, 9)
LESSON_COUNT = range(3, 7)
KEYS_REQUIRED = ("id", "title", "description", "field", "periods", "version", "positions", "lessons")
KEYS_OPTIONAL = ("sample", "language", "quiz")
LESSON_KEYS = ("file", "title", "minutes")

# Parses with raw HTML recognised, only to find it: the site renders with HTML off.
_html_finder = MarkdownIt("commonmark", {"html": True})


@dataclass(frozen=True)
class LessonFile:
    position: int
    title: str
    minutes: int
    source: str
    body: str


@dataclass
class CourseFile:
    """One course folder as read from disk, with the problems found in it."""

    slug: str
    path: Path
    line_of: LineOf | None = None
    title: str = ""
    description: str = ""
    field_code: str = ""
    periods: int = 0
    version: int = 0
    sample: bool = False
    required: list[str] = field(default_factory=list)
    elective: list[str] = field(default_factory=list)
    lessons: list[LessonFile] = field(default_factory=list)
    content_hash: str = ""
    errors: list[ContentError] = field(default_factory=list)

    def error(self, line: int, message: str, path: Path | None = None) -> None:
        self.errors.append(ContentError(path or self.path, line, message))

    def line(self, *keys: Any) -> int:
        """The line of a key path in course.yaml (0 before it was parsed)."""
        return self.line_of(*keys) if self.line_of else 0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(course: CourseFile, data: dict[str, Any], key: str, max_length: int | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        course.error(course.line(key), f"{key} must be a non-empty text")
        return ""
    value = " ".join(value.split())
    if max_length and len(value) > max_length:
        course.error(course.line(key), f"{key} is longer than {max_length} characters")
    return value


def _markdown_problems(text: str) -> list[tuple[int, str]]:
    """(line, message) for each raw HTML block or tag, and for a level-1 title."""
    problems: list[tuple[int, str]] = []
    tokens = _html_finder.parse(text)
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else 0
        if token.type == "html_block":
            problems.append((line, "raw HTML is not allowed in lessons (write Markdown)"))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type in ("softbreak", "hardbreak"):
                    line += 1  # the paragraph's next source line
                elif child.type == "html_inline":
                    problems.append((line, f"raw HTML is not allowed in lessons: {child.content}"))
        elif token.type == "heading_open" and token.tag == "h1" and index == 0:
            problems.append((line, "a lesson does not start with a '#' title (the title comes from course.yaml)"))
    return problems


def _read_lesson(course: CourseFile, folder: Path, index: int, entry: Any) -> LessonFile | None:
    line_of = course.line
    if not isinstance(entry, dict):
        course.error(line_of("lessons", index), "each lesson must be a mapping with file, title and minutes")
        return None
    for key in entry:
        if key not in LESSON_KEYS:
            course.error(line_of("lessons", index, key), f"unknown lesson key {key!r}")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        course.error(line_of("lessons", index, "title"), "lesson title must be a non-empty text")
        title = ""
    elif len(title.strip()) > TITLE_MAX:
        course.error(line_of("lessons", index, "title"), f"lesson title is longer than {TITLE_MAX} characters")
    minutes = entry.get("minutes")
    if not _is_int(minutes) or not 1 <= minutes <= 240:
        course.error(line_of("lessons", index, "minutes"), "lesson minutes must be a whole number from 1 to 240")
        minutes = 0
    source = entry.get("file")
    file_line = line_of("lessons", index, "file")
    if not isinstance(source, str) or not source.strip():
        course.error(file_line, "lesson file must be a path such as lessons/01-tong-quan.md")
        return None
    lesson_path = (folder / source).resolve()
    if not lesson_path.is_relative_to((folder / "lessons").resolve()) or lesson_path.suffix != ".md":
        course.error(file_line, f"lesson file {source} must be a .md file in the lessons/ folder")
        return None
    if not lesson_path.is_file():
        course.error(file_line, f"lesson file {source} does not exist")
        return None
    try:
        raw = lesson_path.read_bytes()
    except OSError as exc:
        course.error(0, f"cannot read the file: {exc.strerror}", lesson_path)
        return None
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        course.error(bad_line, f"not UTF-8 text ({exc.reason})", lesson_path)
        return None
    if body.startswith("\ufeff"):
        body = body[1:]
    if not body.strip():
        course.error(0, "the lesson is empty", lesson_path)
    for line, message in _markdown_problems(body):
        course.error(line, message, lesson_path)
    return LessonFile(index + 1, " ".join(str(title).split()), int(minutes or 0), source, body)


def _positions(course: CourseFile, data: dict[str, Any], known: set[str]) -> None:
    line_of = course.line
    positions = data.get("positions")
    if not isinstance(positions, dict):
        course.error(line_of("positions"), "positions must be a mapping with required and elective lists")
        return
    lists: dict[str, list[str]] = {}
    for key in positions:
        if key not in ("required", "elective"):
            course.error(line_of("positions", key), f"unknown key {key!r} in positions (required, elective)")
    for key in ("required", "elective"):
        codes = positions.get(key) or []
        if not isinstance(codes, list):
            course.error(line_of("positions", key), f"positions.{key} must be a list of position codes")
            codes = []
        clean: list[str] = []
        for index, code in enumerate(codes):
            line = line_of("positions", key, index)
            if not isinstance(code, str):
                course.error(line, f"position code {code!r} must be a text")
            elif code not in known:
                course.error(line, f"unknown position code {code} (positions must exist in HocVu before import)")
            elif code in clean:
                course.error(line, f"position code {code} is listed twice in positions.{key}")
            else:
                clean.append(code)
        lists[key] = clean
    for code in sorted(set(lists["required"]) & set(lists["elective"])):
        index = lists["elective"].index(code)
        course.error(line_of("positions", "elective", index), f"position {code} is both required and elective")
    course.required, course.elective = lists["required"], lists["elective"]


def _load_yaml(course: CourseFile) -> tuple[Any, LineOf] | None:
    """``load_yaml`` once the file is known to be UTF-8 YAML, else ``None`` with the error
    recorded (``lms_core.content.load_yaml`` cannot raise its ``ContentError``, which is
    not an exception class, so bad files are caught here first)."""
    try:
        raw = course.path.read_bytes()
    except OSError as exc:
        course.error(0, f"cannot read the file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        course.error(raw[: exc.start].count(b"\n") + 1, f"not UTF-8 text ({exc.reason})")
        return None
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        course.error(mark.line + 1 if mark else 0, f"invalid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    return load_yaml(course.path)


def _content_hash(data: Any, lessons: list[LessonFile]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    for lesson in lessons:
        digest.update(b"\0" + lesson.source.encode("utf-8") + b"\0" + lesson.body.encode("utf-8"))
    return digest.hexdigest()


def read_course(session: Session, folder: Path, fields: set[str], positions: set[str]) -> CourseFile:
    """Read and check one course folder; ``errors`` lists what is wrong with it."""
    course = CourseFile(slug=folder.name, path=folder / "course.yaml")
    if not SLUG_PATTERN.match(folder.name) or len(folder.name) > SLUG_MAX:
        course.error(0, f"folder name {folder.name!r} must use only a-z, 0-9 and '-' (at most {SLUG_MAX})", folder)
    if not course.path.is_file():
        course.error(0, "course.yaml is missing", folder)
        return course
    loaded = _load_yaml(course)
    if loaded is None:
        return course
    data, line_of = loaded
    course.line_of = line_of
    if not isinstance(data, dict):
        course.error(1, "course.yaml must be a mapping (id, title, description, …)")
        return course
    for key in KEYS_REQUIRED:
        if key not in data:
            course.error(1, f"required key {key!r} is missing")
    for key in data:
        if key not in KEYS_REQUIRED + KEYS_OPTIONAL:
            course.error(line_of(key), f"unknown key {key!r}")

    slug = data.get("id")
    if "id" in data and slug != folder.name:
        course.error(line_of("id"), f"id {slug!r} must equal the folder name {folder.name!r}")
    course.title = _text(course, data, "title", TITLE_MAX)
    course.description = _text(course, data, "description")
    code = data.get("field")
    if "field" in data:
        if not isinstance(code, str) or code not in fields:
            course.error(line_of("field"), f"unknown field code {code} (fields must exist in HocVu before import)")
        else:
            course.field_code = code
    periods = data.get("periods")
    if "periods" in data:
        if not _is_int(periods) or periods not in PERIODS:
            course.error(line_of("periods"), f"periods must be a whole number from 1 to 8, not {periods!r}")
        else:
            course.periods = periods
    version = data.get("version")
    if "version" in data:
        if not _is_int(version) or version < 1:
            course.error(line_of("version"), f"version must be a whole number from 1, not {version!r}")
        else:
            course.version = version
    sample = data.get("sample", False)
    if not isinstance(sample, bool):
        course.error(line_of("sample"), "sample must be true or false")
    course.sample = sample is True
    if "language" in data and data["language"] != "vi":
        course.error(line_of("language"), "language must be vi")
    if "positions" in data:
        _positions(course, data, positions)

    lessons = data.get("lessons")
    if "lessons" in data:
        if not isinstance(lessons, list) or len(lessons) not in LESSON_COUNT:
            count = len(lessons) if isinstance(lessons, list) else "no"
            course.error(line_of("lessons"), f"a course has 3 to 6 lessons, this one has {count}")
        if isinstance(lessons, list):
            for index, entry in enumerate(lessons):
                lesson = _read_lesson(course, folder, index, entry)
                if lesson is None:
                    continue
                if any(other.source == lesson.source for other in course.lessons):
                    course.error(line_of("lessons", index, "file"), f"lesson file {lesson.source} is listed twice")
                course.lessons.append(lesson)
            listed = {
                (folder / entry["file"]).resolve()
                for entry in lessons
                if isinstance(entry, dict) and isinstance(entry.get("file"), str)
            }
            for stray in sorted((folder / "lessons").glob("*.md")):
                if stray.resolve() not in listed:
                    course.error(0, "lesson file is not listed in course.yaml", stray)
    if course.errors:
        return course
    course.content_hash = _content_hash(data, course.lessons)
    _check_version(session, course)
    return course


def _check_version(session: Session, course: CourseFile) -> None:
    """A changed course must carry a higher version than the one imported."""
    stored = session.execute(
        select(Course.current_version, CourseVersion.content_hash)
        .join(CourseVersion, (CourseVersion.course_id == Course.id) & (CourseVersion.version == Course.current_version))
        .where(Course.slug == course.slug)
    ).first()
    if stored is None:
        return
    current, content_hash = stored
    line = course.line("version")
    if course.version < current:
        course.error(line, f"version {course.version} is lower than the imported version {current}")
    elif course.version == current and course.content_hash != content_hash:
        course.error(
            line,
            f"the course changed since version {current} was imported: increase version to {current + 1}",
        )


def read_courses(session: Session, root: Path) -> list[CourseFile]:
    folder = root / "courses"
    if not folder.is_dir():
        return []
    fields = set(session.scalars(select(Field.code)))
    positions = set(session.scalars(select(Position.code)))
    return [read_course(session, path, fields, positions) for path in sorted(folder.iterdir()) if path.is_dir()]


def validate(session: Session, root: Path) -> list[ContentError]:
    """Every problem in ``root/courses``; writes nothing."""
    return [error for course in read_courses(session, root) for error in course.errors]


def apply(session: Session, root: Path, site_url: str) -> list[str]:
    """Import new and changed courses (validated first); one summary line per course."""
    courses = read_courses(session, root)
    errors = [error for course in courses for error in course.errors]
    if errors:
        raise ValueError("course content has errors; validate before applying: " + "; ".join(map(str, errors[:5])))
    return [_apply_course(session, course, site_url) for course in courses]


def _apply_course(session: Session, file: CourseFile, site_url: str) -> str:
    course = session.scalar(select(Course).where(Course.slug == file.slug))
    previous: CourseVersion | None = None
    if course is not None:
        previous = session.scalar(
            select(CourseVersion).where(
                CourseVersion.course_id == course.id, CourseVersion.version == course.current_version
            )
        )
        if previous is not None and previous.version == file.version and previous.content_hash == file.content_hash:
            return f"course {file.slug} v{file.version}: unchanged"

    activity = upsert_activity(
        session,
        iri=activity_iri(site_url, ActivityType.COURSE, file.slug),
        type=ActivityType.COURSE,
        title=file.title,
        description=file.description,
        field_code=file.field_code,
        periods=file.periods,
        version=file.version,
        module="courses",
    )
    if course is None:
        course = Course(
            slug=file.slug,
            activity=activity,
            site_url=site_url.rstrip("/"),
            quiz_iri=activity_iri(site_url, ActivityType.QUIZ, file.slug),
            current_version=file.version,
        )
        session.add(course)
        session.flush()
    version = CourseVersion(
        course=course,
        version=file.version,
        content_hash=file.content_hash,
        title=file.title,
        description=file.description,
        field_code=file.field_code,
        periods=file.periods,
        sample=file.sample,
        required_positions=list(file.required),
        elective_positions=list(file.elective),
        lessons=[
            Lesson(position=item.position, title=item.title, minutes=item.minutes, source=item.source, body=item.body)
            for item in file.lessons
        ],
    )
    session.add(version)
    course.current_version = file.version

    codes = [*file.required, *file.elective]
    by_code = {p.code: p for p in session.scalars(select(Position).where(Position.code.in_(codes)))}
    for code in file.required:
        set_curriculum_item(session, by_code[code], activity, required=True)
    for code in file.elective:
        set_curriculum_item(session, by_code[code], activity, required=False)
    if previous is not None:
        # Positions the previous version listed and this one does not: withdrawn. Curriculum
        # items HR added by hand for other positions stay.
        withdrawn = set(previous.required_positions) | set(previous.elective_positions)
        withdrawn -= set(codes)
        if withdrawn:
            session.execute(
                delete(CurriculumItem).where(
                    CurriculumItem.activity_id == activity.id,
                    CurriculumItem.position_id.in_(select(Position.id).where(Position.code.in_(withdrawn))),
                )
            )
    session.flush()
    if previous is None:
        return f"course {file.slug} v{file.version}: created"
    return f"course {file.slug} v{file.version}: updated from v{previous.version}"
