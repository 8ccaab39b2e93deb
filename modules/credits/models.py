"""The credits module's tables: the ledger, why statements did not count, version pins,
HR's requirement rules with their caps, external training claims, and closed years with
their totals and later corrections."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.db import Base, UtcDateTime
from lms_core.people import Person, Position
from lms_core.units import Unit


class Credit(Base):
    """``person`` earned ``activity``'s periods in ``year`` (in Asia/Ho_Chi_Minh) with
    ``statement_id``, the earliest qualifying statement of that year (by timestamp, then
    stored, then id). ``version``, ``periods`` and ``field_code`` are those of the
    activity version the statement was for, so later edits of the activity change nothing.

    Derived from the statement store only: ``credits rebuild`` recomputes it exactly. It
    has no foreign keys on purpose: every row comes from a join with ``people`` and
    ``activities``, neither is ever deleted, and the per-row checks would cost two thirds
    of a rebuild's writing time (millions of rows)."""

    __tablename__ = "credits_ledger"
    # The reports read one year of the ledger for a whole province: an index-only scan on
    # PostgreSQL (the included columns are all they sum).
    __table_args__ = (
        Index(
            "ix_credits_ledger_year_person",
            "year",
            "person_id",
            postgresql_include=["periods", "field_code", "activity_type"],
        ),
    )

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36))
    earned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)
    periods: Mapped[int] = mapped_column(Integer)
    field_code: Mapped[str | None] = mapped_column(String(40))
    activity_type: Mapped[str] = mapped_column(String(20))


class NotCounted(Base):
    """A statement of a crediting verb by an official that earned nothing, and why:
    ``reason`` is one of ``engine.Reason``; ``detail`` holds the refusing module's message
    (refused) or the statement that earned the credit instead (duplicate). Derived like
    the ledger, and without foreign keys for the same reason."""

    __tablename__ = "credits_not_counted"
    __table_args__ = (Index("ix_credits_not_counted_person_year", "person_id", "year", "activity_iri"),)

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    activity_iri: Mapped[str] = mapped_column(String(500))
    activity_id: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


class VersionPin(Base):
    """The activity version current when the credits module first saw a statement that
    names no version (context extension ``{site}/xapi/extensions/version``), so that a
    rebuild after the activity changed gives the same answer as at the time."""

    __tablename__ = "credits_version_pins"

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


class RequirementRule(Base):
    """HR's rule for ``year``: people matching every condition that is set (category,
    position, unit and its subtree, leader status) must complete ``periods``. The most
    specific matching rule wins; ``pro_rata`` scales it for people who start in the year."""

    __tablename__ = "credits_rules"
    __table_args__ = (UniqueConstraint("year", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    periods: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(20))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_leader: Mapped[bool | None] = mapped_column(Boolean)
    pro_rata: Mapped[bool] = mapped_column(Boolean, default=False)

    position: Mapped[Position | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    caps: Mapped[list[RuleCap]] = relationship(
        back_populates="rule", cascade="all, delete-orphan", lazy="selectin", order_by="RuleCap.id"
    )


class RuleCap(Base):
    """At most ``max_periods`` of the credited periods of one kind count toward the rule:
    ``kind`` "online" (courses, quizzes, packages), "field" (``value`` a field code) or
    "type" (``value`` an activity type)."""

    __tablename__ = "credits_rule_caps"
    __table_args__ = (UniqueConstraint("rule_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("credits_rules.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str | None] = mapped_column(String(40))
    max_periods: Mapped[int] = mapped_column(Integer)

    rule: Mapped[RequirementRule] = relationship(back_populates="caps")


class ExternalClaim(Base):
    """An official's claim for training done elsewhere (an in-person class, a seminar):
    ``pending`` until HR over the official's unit approves it (then ``activity_id`` is the
    catalog activity made for it and ``statement_id`` the ``attended`` statement written
    with the approver as authority) or rejects it with a reason. An approved claim can be
    revoked (its statement is voided). ``duplicate_of_id`` flags an earlier claim of the
    same person with the same title and dates."""

    __tablename__ = "credits_claims"
    __table_args__ = (Index("ix_credits_claims_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str] = mapped_column(String(300))
    mode: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    periods: Mapped[int] = mapped_column(Integer)
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    # Normalised title (lower case, single spaces, NFC) for the duplicate check.
    title_key: Mapped[str] = mapped_column(String(300), index=True)
    evidence_name: Mapped[str | None] = mapped_column(String(60))
    evidence_type: Mapped[str | None] = mapped_column(String(40))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    evidence_filename: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    statement_id: Mapped[str | None] = mapped_column(String(36), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("credits_claims.id"))

    person: Mapped[Person] = relationship()


class YearClosing(Base):
    """HR closed ``year`` for ``unit`` and everything below it: the totals of that moment
    are kept (``ClosingTotal``) and every later change of a ledger row in the year is a
    ``Correction`` with its reason."""

    __tablename__ = "credits_year_closings"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    unit: Mapped[Unit] = relationship()


class ClosingTotal(Base):
    """A person's required and credited periods when their unit's year was closed."""

    __tablename__ = "credits_closing_totals"

    closing_id: Mapped[int] = mapped_column(
        ForeignKey("credits_year_closings.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    required: Mapped[int] = mapped_column(Integer)
    credited: Mapped[int] = mapped_column(Integer)


class Correction(Base):
    """A change of a closed year's ledger row: the periods before and after, the
    statement and the reason (the cause, and the HR officer's own words where one acted)."""

    __tablename__ = "credits_corrections"
    __table_args__ = (Index("ix_credits_corrections_person_year", "person_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    closing_id: Mapped[int] = mapped_column(ForeignKey("credits_year_closings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[int] = mapped_column(Integer)
    statement_id: Mapped[str | None] = mapped_column(String(36))
    periods_before: Mapped[int] = mapped_column(Integer)
    periods_after: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
