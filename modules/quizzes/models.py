"""Quiz tables: one ``quizzes_quiz`` row per course slug and quiz version, its question
bank in ``quizzes_question``, and every attempt in ``quizzes_attempt``.

A version row and its questions are never changed after import: a changed bank or quiz
settings is imported as a new version, and attempts keep pointing at the version they took.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.catalog import Activity
from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow
from lms_core.people import Person


class Quiz(Base):
    """One version of a course's quiz: its settings, and (through ``questions``) its bank."""

    __tablename__ = "quizzes_quiz"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The course folder name; the quiz activity is ``activity_iri(site, "quiz", slug)``.
    slug: Mapped[str] = mapped_column(String(100), index=True)
    # The course.yaml version that first brought this bank and these settings.
    version: Mapped[int] = mapped_column(Integer)
    # The highest course.yaml version imported with them unchanged (a course may move on
    # for its lessons alone); a changed quiz must come with a version above this one.
    course_version: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    questions_per_attempt: Mapped[int] = mapped_column(Integer)
    pass_mark: Mapped[float] = mapped_column(Float)
    attempts_allowed: Mapped[int] = mapped_column(Integer)
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    # sha256 of the settings and the bank as parsed: tells a changed quiz from an unchanged one.
    fingerprint: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    activity: Mapped[Activity] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.slug} v{self.version}>"


class Question(Base):
    """A question of one quiz version. ``key`` is its id in questions.yaml ("q01"), which
    is also the id clients see and answer by.

    ``options`` is ``[{"id", "text", "correct"}]`` for single and multiple; ``answer`` is
    a boolean for true_false and the accepted answers (a list) for short_text.
    """

    __tablename__ = "quizzes_question"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes_quiz.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    answer: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    explanation: Mapped[str] = mapped_column(Text)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class Attempt(Base):
    """One attempt of a person at a quiz version. ``id`` (a UUID) is the xAPI registration
    of the attempt's statements.

    ``items`` holds the drawn questions in the order shown, each with its options in the
    shuffled order shown: ``[{"id": "q07", "options": ["c", "a", "b"]}]``. After
    submission ``answers`` holds the learner's answers by question id, ``results`` whether
    each was right, and ``score`` (0..1) and ``passed`` the outcome.
    """

    __tablename__ = "quizzes_attempt"
    __table_args__ = (
        # Attempt numbers are per person and quiz (all versions): two concurrent starts
        # cannot both take the last allowed attempt.
        UniqueConstraint("person_id", "slug", "number"),
        Index("ix_quizzes_attempt_person_slug", "person_id", "slug"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes_quiz.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument, nullable=True)
    results: Mapped[dict[str, bool] | None] = mapped_column(JsonDocument, nullable=True)
    correct_count: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    quiz: Mapped[Quiz] = relationship()
    person: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.slug} #{self.number}>"
