"""Tables of the courses module: a course, its imported versions and their lessons, and
each official's enrolment with the lessons they finished.

A course keeps every version it was ever imported with. An enrolment points at the
version the learner started, so a later version never changes what they took (nor what
it earned them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.catalog import Activity
from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow
from lms_core.people import Field, Person


class Course(Base):
    """A course, by its slug (the folder name in ``content/courses``; never renamed)."""

    __tablename__ = "courses_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), unique=True)
    # The site the course was imported for (the base of its IRIs and of its learners' xAPI
    # accounts): event handlers have no request to read it from.
    site_url: Mapped[str] = mapped_column(String(300))
    # The quiz that closes the course: the core activity activity_iri(site_url, "quiz", slug).
    quiz_iri: Mapped[str] = mapped_column(String(500), index=True)
    # The version number new enrolments get (the newest imported).
    current_version: Mapped[int] = mapped_column(Integer)

    activity: Mapped[Activity] = relationship()


class CourseVersion(Base):
    """One imported version of a course, with the hash of the files it came from."""

    __tablename__ = "courses_versions"
    __table_args__ = (UniqueConstraint("course_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_courses.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # sha256 of course.yaml (as parsed) and every lesson file, in order.
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    periods: Mapped[int] = mapped_column(Integer)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # Position codes as listed in course.yaml, so a later version can withdraw them.
    required_positions: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    elective_positions: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    field: Mapped[Field | None] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        order_by="Lesson.position", back_populates="version", cascade="all, delete-orphan"
    )


class Lesson(Base):
    """Lesson ``position`` (1-based) of a course version; ``body`` is its Markdown."""

    __tablename__ = "courses_lessons"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("courses_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class Enrolment(Base):
    """An official taking one version of a course. ``number`` counts their enrolments in
    the course (1 for the first), so two racing first openings cannot both succeed."""

    __tablename__ = "courses_enrolments"
    __table_args__ = (UniqueConstraint("person_id", "course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_courses.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("courses_versions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    # The xAPI context.registration of every statement written for this enrolment.
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completion_statement_id: Mapped[str | None] = mapped_column(String(36))

    person: Mapped[Person] = relationship()
    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()


class LessonProgress(Base):
    """A lesson the learner finished in an enrolment (at most once)."""

    __tablename__ = "courses_lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("courses_lessons.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    statement_id: Mapped[str | None] = mapped_column(String(36))
