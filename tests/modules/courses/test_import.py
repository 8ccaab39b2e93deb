"""Importing course content through the module's hooks: validate (file:line errors,
nothing written), apply (idempotent, new versions for changed courses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, CurriculumItem, curriculum, set_curriculum_item
from lms_core.people import Position
from modules.courses import services
from modules.courses.models import Course, CourseVersion, Enrolment, Lesson
from tests.modules.courses.helpers import (
    CONTENT,
    COURSE_IRI,
    SITE,
    SLUG,
    apply,
    copy_courses,
    import_content,
    validate,
)

ALL_COURSES = sorted(p.name for p in (CONTENT / "courses").iterdir() if p.is_dir())


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def snapshot(session: Session) -> dict[str, Any]:
    return {
        "courses": session.execute(select(Course.slug, Course.current_version).order_by(Course.slug)).all(),
        "versions": session.execute(
            select(CourseVersion.id, CourseVersion.version, CourseVersion.content_hash).order_by(CourseVersion.id)
        ).all(),
        "lessons": count(session, Lesson),
        "activities": session.execute(
            select(Activity.iri, Activity.title, Activity.version, Activity.periods).order_by(Activity.iri)
        ).all(),
        "curriculum": session.execute(
            select(CurriculumItem.position_id, CurriculumItem.activity_id, CurriculumItem.required).order_by(
                CurriculumItem.id
            )
        ).all(),
    }


def line_with(path: Path, text: str) -> int:
    """The 1-based number of the first line of ``path`` containing ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def version_line(course_yaml: Path) -> int:
    return line_with(course_yaml, "version:")


def test_the_real_content_imports_and_fills_the_catalog(db_session: Session, core: Any) -> None:
    assert len(ALL_COURSES) == 12
    lines = import_content(db_session, CONTENT)
    assert lines == [f"course {slug} v1: created" for slug in ALL_COURSES]

    activities = db_session.scalars(select(Activity).where(Activity.type == "course")).all()
    assert sorted(a.iri for a in activities) == [f"{SITE}/activities/course/{slug}" for slug in ALL_COURSES]
    course = db_session.scalar(select(Course).where(Course.slug == SLUG))
    assert course is not None and course.quiz_iri == f"{SITE}/activities/quiz/{SLUG}"
    activity = course.activity
    assert (activity.title, activity.field_code, activity.periods, activity.version, activity.module) == (
        "Đấu thầu cho công chức cấp xã",
        "tai-chinh",
        4,
        1,
        "courses",
    )
    assert activity.description.startswith("Dành cho công chức tài chính - kế hoạch")
    version = db_session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    assert version is not None and version.sample is True
    assert [lesson.title for lesson in version.lessons][:2] == [
        "Tổng quan về đấu thầu ở cấp xã",
        "Kế hoạch lựa chọn nhà thầu và cách chia gói thầu",
    ]
    assert version.lessons[0].body.startswith("Ở cấp xã, nhiều khoản chi từ vốn nhà nước")
    assert version.lessons[0].minutes == 30

    # Curriculum from positions: required for KT-TAICHINH, elective for LD-UBND and KT-XAYDUNG.
    plan = {
        item.position.code: item.required
        for item in db_session.scalars(select(CurriculumItem).where(CurriculumItem.activity_id == activity.id))
    }
    assert plan == {"KT-TAICHINH": True, "LD-UBND": False, "KT-XAYDUNG": False}
    finance = core.positions["KT-TAICHINH"]
    required = [item.activity.iri for item in curriculum(db_session, finance.id) if item.required]
    assert sorted(required) == [COURSE_IRI, f"{SITE}/activities/course/ngan-sach-quyet-toan-dau-tu-cong"]


def test_reimporting_unchanged_content_changes_nothing(db_session: Session, core: Any) -> None:
    import_content(db_session, CONTENT)
    before = snapshot(db_session)
    assert validate(db_session, CONTENT) == []
    lines = apply(db_session, CONTENT)
    assert lines == [f"course {slug} v1: unchanged" for slug in ALL_COURSES]
    assert not db_session.dirty and not db_session.new
    db_session.commit()
    assert snapshot(db_session) == before


def test_changed_course_without_a_version_bump_is_an_error_at_the_version_line(
    db_session: Session, core: Any, tmp_path: Path
) -> None:
    root = copy_courses(tmp_path, SLUG)
    import_content(db_session, root)
    before = snapshot(db_session)
    lesson = root / "courses" / SLUG / "lessons" / "03-hinh-thuc-lua-chon.md"
    lesson.write_text(lesson.read_text() + "\nMột đoạn mới.\n", encoding="utf-8")

    errors = validate(db_session, root)
    course_yaml = root / "courses" / SLUG / "course.yaml"
    assert [(e.path, e.line) for e in errors] == [(course_yaml, version_line(course_yaml))]
    assert str(errors[0]).startswith(f"{course_yaml}:{version_line(course_yaml)}: ")
    assert "increase version to 2" in errors[0].message
    assert snapshot(db_session) == before  # validating wrote nothing

    # A change to course.yaml itself counts too (the title here).
    lesson.write_text(lesson.read_text().replace("\nMột đoạn mới.\n", ""), encoding="utf-8")
    assert validate(db_session, root) == []
    course_yaml.write_text(course_yaml.read_text().replace("Đấu thầu cho", "Đấu thầu dành cho"), encoding="utf-8")
    assert [e.line for e in validate(db_session, root)] == [version_line(course_yaml)]


def test_a_version_lower_than_the_imported_one_is_an_error(db_session: Session, core: Any, tmp_path: Path) -> None:
    root = copy_courses(tmp_path, SLUG)
    course_yaml = root / "courses" / SLUG / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("version: 1", "version: 3"), encoding="utf-8")
    import_content(db_session, root)
    course_yaml.write_text(course_yaml.read_text().replace("version: 3", "version: 2"), encoding="utf-8")
    errors = validate(db_session, root)
    assert [(e.line, e.message) for e in errors] == [
        (version_line(course_yaml), "version 2 is lower than the imported version 3")
    ]


def test_a_new_version_leaves_existing_enrolments_on_theirs(db_session: Session, core: Any, tmp_path: Path) -> None:
    root = copy_courses(tmp_path, SLUG)
    import_content(db_session, root)
    mai = core.people["GL-00001"]
    services.complete_lesson(db_session, mai, SLUG, 1)
    db_session.commit()
    # HR offered the course to one more position by hand: the import must not take that away.
    activity = db_session.scalar(select(Activity).where(Activity.iri == COURSE_IRI))
    assert activity is not None
    set_curriculum_item(db_session, core.positions["SNV-CV"], activity, required=False)
    db_session.commit()

    folder = root / "courses" / SLUG
    first = folder / "lessons" / "01-tong-quan.md"
    first.write_text(first.read_text().replace("Ở cấp xã,", "Tại cấp xã,", 1), encoding="utf-8")
    course_yaml = folder / "course.yaml"
    text = course_yaml.read_text().replace("version: 1", "version: 2").replace("periods: 4", "periods: 5")
    text = text.replace("elective: [LD-UBND, KT-XAYDUNG]", "elective: [LD-UBND]")
    course_yaml.write_text(text, encoding="utf-8")

    assert validate(db_session, root) == []
    assert apply(db_session, root) == [f"course {SLUG} v2: updated from v1"]
    db_session.commit()

    course = db_session.scalar(select(Course).where(Course.slug == SLUG))
    assert course is not None and course.current_version == 2
    assert course.activity.version == 2 and course.activity.periods == 5
    assert sorted(v.version for v in db_session.scalars(select(CourseVersion))) == [1, 2]
    plan = {
        item.position.code: item.required
        for item in db_session.scalars(select(CurriculumItem).where(CurriculumItem.activity_id == course.activity_id))
    }
    assert plan == {"KT-TAICHINH": True, "LD-UBND": False, "SNV-CV": False}  # KT-XAYDUNG withdrawn

    # Mai keeps version 1, its lessons and her progress; a newcomer starts version 2.
    enrolment = db_session.scalar(select(Enrolment).where(Enrolment.person_id == mai.id))
    assert enrolment is not None and enrolment.version.version == 1
    view = services.course_view(db_session, mai, SLUG)
    assert view.version.version == 1 and view.version.periods == 4 and view.done == {1}
    assert view.lessons[0].body.startswith("Ở cấp xã,")
    hung = core.people["GL-00002"]
    fresh = services.open_enrolment(db_session, hung, SLUG)
    db_session.commit()
    assert fresh.version.version == 2 and fresh.lessons[0].body.startswith("Tại cấp xã,")

    # Importing the same files again is a no-op.
    assert validate(db_session, root) == []
    assert apply(db_session, root) == [f"course {SLUG} v2: unchanged"]


def test_broken_files_report_file_and_line_and_import_nothing(db_session: Session, core: Any, tmp_path: Path) -> None:
    root = copy_courses(tmp_path, SLUG, "ngan-sach-quyet-toan-dau-tu-cong", "du-an-dau-tu-cap-xa")
    folder = root / "courses"
    # 1. A missing lesson file.
    (folder / SLUG / "lessons" / "04-trinh-tu-to-chuc.md").unlink()
    # 2. Raw HTML in a lesson, on its line 3.
    budget = folder / "ngan-sach-quyet-toan-dau-tu-cong"
    lesson = sorted((budget / "lessons").glob("*.md"))[1]
    lines = lesson.read_text().splitlines()
    lines[2] = 'Xem <a href="javascript:alert(1)">tại đây</a>.'
    lesson.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # 3. An unknown field code and an unknown position.
    project = folder / "du-an-dau-tu-cap-xa" / "course.yaml"
    text = project.read_text().replace("field: xay-dung", "field: xay-dung-co-ban")
    project.write_text(text.replace("required: [KT-XAYDUNG]", "required: [KT-XAYDUNG, KT-KHONGCO]"), encoding="utf-8")

    errors = validate(db_session, root)
    found = {(e.path.relative_to(root), e.line) for e in errors}
    project_text = project.read_text().splitlines()
    field_line = next(n for n, line in enumerate(project_text, 1) if line.startswith("field:"))
    position_line = next(n for n, line in enumerate(project_text, 1) if "KT-KHONGCO" in line)
    lessons_text = (folder / SLUG / "course.yaml").read_text().splitlines()
    file_line = next(n for n, line in enumerate(lessons_text, 1) if "04-trinh-tu-to-chuc.md" in line)
    assert found == {
        (Path("courses") / SLUG / "course.yaml", file_line),
        (lesson.relative_to(root), 3),
        (Path("courses/du-an-dau-tu-cap-xa/course.yaml"), field_line),
        (Path("courses/du-an-dau-tu-cap-xa/course.yaml"), position_line),
    }
    messages = " | ".join(str(e) for e in errors)
    assert "04-trinh-tu-to-chuc.md does not exist" in messages
    assert "raw HTML" in messages and "unknown field code xay-dung-co-ban" in messages
    assert "unknown position code KT-KHONGCO" in messages
    assert count(db_session, Course) == count(db_session, CourseVersion) == 0
    assert db_session.scalar(select(func.count()).select_from(Activity)) == 0


def test_structure_errors_name_their_lines(db_session: Session, core: Any, tmp_path: Path) -> None:
    root = copy_courses(tmp_path, SLUG)
    course_yaml = root / "courses" / SLUG / "course.yaml"
    text = course_yaml.read_text()
    text = text.replace("id: dau-thau-cap-xa", "id: dau-thau")
    text = text.replace("periods: 4", "periods: 9").replace("version: 1", "version: một")
    text = text.replace("elective: [LD-UBND, KT-XAYDUNG]", "elective: [LD-UBND, KT-TAICHINH]")
    course_yaml.write_text(text, encoding="utf-8")
    (root / "courses" / SLUG / "lessons" / "09-thua.md").write_text("Một bài thừa.\n", encoding="utf-8")
    errors = {(e.line, e.message.split(" (")[0]) for e in validate(db_session, root)}
    assert (1, "id 'dau-thau' must equal the folder name 'dau-thau-cap-xa'") in errors
    assert (line_with(course_yaml, "periods:"), "periods must be a whole number from 1 to 8, not 9") in errors
    assert (version_line(course_yaml), "version must be a whole number from 1, not 'một'") in errors
    elective_line = line_with(course_yaml, "elective:")
    assert (elective_line, "position KT-TAICHINH is both required and elective") in errors
    assert (0, "lesson file is not listed in course.yaml") in errors


def test_too_few_lessons_bad_yaml_and_non_utf8(db_session: Session, core: Any, tmp_path: Path) -> None:
    root = copy_courses(tmp_path, SLUG, "ngan-sach-quyet-toan-dau-tu-cong", "du-an-dau-tu-cap-xa")
    folder = root / "courses"
    dau_thau = folder / SLUG / "course.yaml"
    data = dau_thau.read_text()
    start = data.index("  - file: lessons/03")
    dau_thau.write_text(data[:start], encoding="utf-8")
    for extra in ("03-hinh-thuc-lua-chon.md", "04-trinh-tu-to-chuc.md", "05-hanh-vi-bi-cam.md"):
        (folder / SLUG / "lessons" / extra).unlink()
    budget = folder / "ngan-sach-quyet-toan-dau-tu-cong" / "course.yaml"
    budget.write_text(budget.read_text().replace("periods: 6", "periods: [6"), encoding="utf-8")
    project_lesson = sorted((folder / "du-an-dau-tu-cap-xa" / "lessons").glob("*.md"))[0]
    project_lesson.write_bytes("Dòng một\nDòng hai \xe0\n".encode("cp1258", errors="replace") + b"\xff\n")

    errors = validate(db_session, root)
    by_file = {e.path.relative_to(root).as_posix(): (e.line, e.message) for e in errors}
    lessons_line = next(n for n, line in enumerate(data.splitlines(), 1) if line.startswith("lessons:"))
    assert by_file[f"courses/{SLUG}/course.yaml"] == (lessons_line, "a course has 3 to 6 lessons, this one has 2")
    budget_error = by_file["courses/ngan-sach-quyet-toan-dau-tu-cong/course.yaml"]
    assert budget_error[1].startswith("invalid YAML") and budget_error[0] > 0
    line, message = by_file[project_lesson.relative_to(root).as_posix()]
    assert message.startswith("not UTF-8 text") and line in (1, 2, 3)


def test_positions_come_from_the_database(db_session: Session, core: Any, tmp_path: Path) -> None:
    """A position the database does not know yet is refused, and becomes fine once HR adds it."""
    root = copy_courses(tmp_path, SLUG)
    course_yaml = root / "courses" / SLUG / "course.yaml"
    course_yaml.write_text(
        course_yaml.read_text().replace("required: [KT-TAICHINH]", "required: [KT-TAICHINH, KT-MOI]"), encoding="utf-8"
    )
    assert [e.line for e in validate(db_session, root)] == [line_with(course_yaml, "KT-MOI")]
    db_session.add(Position(code="KT-MOI", name="Vị trí mới", field_code="tai-chinh"))
    db_session.commit()
    assert validate(db_session, root) == []
