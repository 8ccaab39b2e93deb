"""The activity catalog (courses, quizzes, checklists, classes, packages, external
training) and curricula: which activities each position requires or offers."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms_core.db import Base
from lms_core.errors import N_, FieldError, NotFound, ValidationFailed
from lms_core.people import Field, Position
from lms_core.statements import Statement
from lms_core.text import vietnamese_sort_key


class ActivityType(enum.StrEnum):
    COURSE = "course"
    QUIZ = "quiz"
    CHECKLIST = "checklist"
    CLASS = "class"
    PACKAGE = "package"
    EXTERNAL = "external"


class Activity(Base):
    """A catalog activity, identified by its IRI (the xAPI object id)."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    iri: Mapped[str] = mapped_column(String(500), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    periods: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The module that owns the activity ("courses", "checklists", …), for links.
    module: Mapped[str | None] = mapped_column(String(40))

    field: Mapped[Field | None] = relationship()


class ActivityVersion(Base):
    """What an activity was at each version, so credit earned on version N keeps version
    N's periods and field after the activity changes."""

    __tablename__ = "activity_versions"
    __table_args__ = (UniqueConstraint("activity_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    periods: Mapped[int] = mapped_column(Integer)


class CurriculumItem(Base):
    """``position`` requires (or offers as elective) ``activity``; ``due_rule`` says by
    when: "year_end", or "days:N" after the person starts the position."""

    __tablename__ = "curriculum_items"
    __table_args__ = (UniqueConstraint("position_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    due_rule: Mapped[str] = mapped_column(String(20), default="year_end")

    position: Mapped[Position] = relationship()
    activity: Mapped[Activity] = relationship()


def activity_iri(site_url: str, type: str, slug: str) -> str:
    """The stable IRI of a HocVu activity: ``{site}/activities/{type}/{slug}``. A course's
    quiz is the activity ``quiz/{course slug}``; versions never change the IRI."""
    return f"{site_url.rstrip('/')}/activities/{type}/{slug}"


def activity_by_iri(session: Session, iri: str) -> Activity | None:
    return session.scalar(select(Activity).where(Activity.iri == iri))


def get_activity(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(N_("Không tìm thấy hoạt động học tập."))
    return activity


def upsert_activity(
    session: Session,
    *,
    iri: str,
    type: str,
    title: str,
    periods: int,
    field_code: str | None,
    description: str = "",
    version: int = 1,
    module: str | None = None,
    active: bool = True,
) -> Activity:
    """Create or update the catalog entry for ``iri``. Caller commits."""
    errors = []
    if type not in {t.value for t in ActivityType}:
        errors.append(FieldError("type", N_("Loại hoạt động không hợp lệ.")))
    if not isinstance(periods, int) or periods < 0:
        errors.append(FieldError("periods", N_("Số tiết phải là số nguyên không âm.")))
    if field_code and session.get(Field, field_code) is None:
        errors.append(FieldError("field_code", N_("Lĩnh vực %(code)s không tồn tại."), {"code": field_code}))
    if not iri.startswith(("http://", "https://", "urn:")):
        errors.append(FieldError("iri", N_("Mã định danh hoạt động phải là một IRI.")))
    if errors:
        raise ValidationFailed(errors)
    activity = activity_by_iri(session, iri) or Activity(iri=iri)
    activity.type, activity.title, activity.periods = type, title, periods
    activity.field_code, activity.description, activity.version = field_code, description, version
    activity.module, activity.active = module, active
    session.add(activity)
    session.flush()
    snapshot = session.scalar(
        select(ActivityVersion).where(ActivityVersion.activity_id == activity.id, ActivityVersion.version == version)
    ) or ActivityVersion(activity_id=activity.id, version=version)
    snapshot.title, snapshot.field_code, snapshot.periods = title, field_code, periods
    session.add(snapshot)
    session.flush()
    return activity


def activity_version(session: Session, activity: Activity, version: int | None) -> ActivityVersion | None:
    """The activity as it was at ``version`` (None: the current version)."""
    return session.scalar(
        select(ActivityVersion).where(
            ActivityVersion.activity_id == activity.id, ActivityVersion.version == (version or activity.version)
        )
    )


def set_curriculum_item(
    session: Session, position: Position, activity: Activity, *, required: bool, due_rule: str = "year_end"
) -> CurriculumItem:
    item = session.scalar(
        select(CurriculumItem).where(
            CurriculumItem.position_id == position.id, CurriculumItem.activity_id == activity.id
        )
    ) or CurriculumItem(position=position, activity=activity)
    item.required, item.due_rule = required, due_rule
    session.add(item)
    session.flush()
    return item


def curriculum(session: Session, position_id: int) -> Sequence[CurriculumItem]:
    """The position's curriculum, required activities first, then by title."""
    return session.scalars(
        select(CurriculumItem)
        .join(CurriculumItem.activity)
        .where(CurriculumItem.position_id == position_id, Activity.active.is_(True))
        .order_by(case((CurriculumItem.required.is_(True), 0), else_=1), Activity.title)
    ).all()


CREDITING_VERBS = (
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/attended",
)


@dataclass(frozen=True)
class CatalogItem:
    """One activity as a person sees it: ``required`` for their position or not, and a
    ``status`` from their own statements: not_started, in_progress or completed."""

    activity: Activity
    required: bool
    in_curriculum: bool
    status: str


def catalog_for(
    session: Session, *, position_id: int | None, actor_key: str, types: Sequence[str] | None = None
) -> list[CatalogItem]:
    """Every active activity (of ``types``, except quizzes, which belong to their course),
    ordered: required for the position, then its electives, then the rest; by title.

    Status comes from the statement store: completed when a non-voided completed, passed
    or attended statement by the actor exists, in progress when any statement does."""
    query = select(Activity).where(Activity.active.is_(True), Activity.type != ActivityType.QUIZ)
    if types:
        query = query.where(Activity.type.in_(types))
    activities = session.scalars(query).all()
    plan = {}
    if position_id is not None:
        plan = {
            item.activity_id: item.required
            for item in session.scalars(select(CurriculumItem).where(CurriculumItem.position_id == position_id))
        }
    seen: dict[str, set[str]] = {}
    rows = session.execute(
        select(Statement.activity_iri, Statement.verb_id)
        .where(Statement.actor_key == actor_key, Statement.voided.is_(False))
        .where(Statement.activity_iri.in_([a.iri for a in activities]))
        .distinct()
    )
    for iri, verb in rows:
        seen.setdefault(iri, set()).add(verb)

    def status(activity: Activity) -> str:
        verbs = seen.get(activity.iri, set())
        if verbs & set(CREDITING_VERBS):
            return "completed"
        return "in_progress" if verbs else "not_started"

    items = [CatalogItem(a, plan.get(a.id, False), a.id in plan, status(a)) for a in activities]
    items.sort(key=lambda i: (not i.required, not i.in_curriculum, vietnamese_sort_key(i.activity.title)))
    return items
