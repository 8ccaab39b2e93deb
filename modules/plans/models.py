"""The plans module's tables: a plan per year and unit, its lines (targets of four
kinds), nominations (cử đi đào tạo, bồi dưỡng) and degree training records, both naming
the plan line they implement.

Money is whole đồng in ``BigInteger`` columns (Python ints), never floats.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.db import Base, UtcDateTime, utcnow
from lms_core.people import Person
from lms_core.units import Unit


class TrainingPlan(Base):
    """The yearly plan (kế hoạch đào tạo, bồi dưỡng) of ``unit`` for ``year``: one per
    unit and year. A draft can be edited; approving it (with the approving decision's
    number and date) fixes its targets, and only then can nominations name its lines."""

    __tablename__ = "plans_plans"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    # The unique (unit_id, year) constraint's index serves lookups by unit.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(300))
    decision_number: Mapped[str] = mapped_column(String(100), default="")
    decision_date: Mapped[date | None] = mapped_column(Date)
    budget_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    unit: Mapped[Unit] = relationship()
    lines: Mapped[list[PlanLine]] = relationship(
        back_populates="plan", order_by="PlanLine.sort_order, PlanLine.id", cascade="all, delete-orphan"
    )


class PlanLine(Base):
    """One target of a plan. ``kind`` decides which columns matter:

    - ``share``: ``target`` is a percentage of a population (``category``, ``unit_kind``,
      ``is_leader``, each optional); ``measure`` ``requirement`` counts people whose
      credited periods meet their requirement, ``any_credit`` those with at least one.
    - ``count``: ``target`` people on ``programme`` (optionally of one ``funding``);
      ``measure`` ``sent`` counts records naming the line (not cancelled), ``completed``
      those finished, ``manual`` takes ``actual_count`` entered by HR.
    - ``class``: ``target`` classes in ``field_code`` of ``class_size`` people each, for
      the population; classes held are entered by HR, people trained too (``manual``)
      or counted from credits in the field (``credits``).
    - ``budget``: ``planned_vnd``; ``spent_vnd`` entered by HR.
    """

    __tablename__ = "plans_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans_plans.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(20), default="manual")
    target: Mapped[int] = mapped_column(Integer, default=0)
    # Population (share and class lines).
    category: Mapped[str | None] = mapped_column(String(20))
    unit_kind: Mapped[str | None] = mapped_column(String(30))
    is_leader: Mapped[bool | None] = mapped_column(Boolean)
    # Count lines.
    programme: Mapped[str | None] = mapped_column(String(40))
    funding: Mapped[str | None] = mapped_column(String(20))
    # Class lines.
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    class_size: Mapped[int | None] = mapped_column(Integer)
    # Budget lines.
    planned_vnd: Mapped[int | None] = mapped_column(BigInteger)
    # What HR enters where HocVu cannot count.
    actual_count: Mapped[int | None] = mapped_column(Integer)
    actual_classes: Mapped[int | None] = mapped_column(Integer)
    actual_people: Mapped[int | None] = mapped_column(Integer)
    spent_vnd: Mapped[int | None] = mapped_column(BigInteger)
    actual_note: Mapped[str] = mapped_column(Text, default="")
    actual_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    actual_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    plan: Mapped[TrainingPlan] = relationship(back_populates="lines")


class Nomination(Base):
    """A person sent to a training or refresher course (cử đi đào tạo, bồi dưỡng) under a
    line of an approved plan of their unit or a unit above it, for the year it starts."""

    __tablename__ = "plans_nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("plans_lines.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    institution: Mapped[str] = mapped_column(String(300), default="")
    mode: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    decision_number: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="da_cu")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    person: Mapped[Person] = relationship()
    line: Mapped[PlanLine] = relationship()


class DegreeTraining(Base):
    """Degree training (thạc sĩ, tiến sĩ, chuyên khoa I/II) of a person under a plan
    line, with its funding, cost ``cost_vnd`` (F), the service commitment (Nghị định
    171/2025: three times the training time, T1 = 3 × ``duration_months``), the months
    served after graduation (T2) and HR's exception (miễn / giảm) to the reimbursement
    HocVu computes (see ``records.reimbursement``)."""

    __tablename__ = "plans_degrees"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("plans_lines.id"), index=True)
    level: Mapped[str] = mapped_column(String(40))
    institution: Mapped[str] = mapped_column(String(300))
    field_of_study: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    duration_months: Mapped[int] = mapped_column(Integer)
    funding: Mapped[str] = mapped_column(String(20))
    cost_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(30), default="dang_hoc")
    served_months: Mapped[int | None] = mapped_column(Integer)
    decision_number: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    exception_kind: Mapped[str | None] = mapped_column(String(20))
    exception_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    exception_reason: Mapped[str] = mapped_column(Text, default="")
    exception_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    exception_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    person: Mapped[Person] = relationship()
    line: Mapped[PlanLine] = relationship()
