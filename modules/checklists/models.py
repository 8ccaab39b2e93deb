"""Tables of the checklists module.

A checklist keeps every version it was ever imported with (``checklists_versions`` with
its sections and items); an official's ``Progress`` points at the version they started,
so a later version never changes what they are doing. On an item, the official's own mark,
their evidence, their review requests, the mentor's returns and the mentor's sign-off are
separate rows. ``checklists_signoffs`` holds at most one sign-off per item of a progress
(a unique constraint, so two mentors or two clicks at once leave exactly one); a revoked
sign-off moves to ``checklists_revoked_signoffs`` with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms_core.catalog import Activity
from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow
from lms_core.people import Person

EVIDENCE_KINDS = ("none", "file", "case_number", "file_or_case_number")
SIGN_OFF_KINDS = ("mentor", "self")


class Checklist(Base):
    """A checklist, by its slug (the file name in ``content/checklists``; never renamed)."""

    __tablename__ = "checklists_checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), unique=True)
    # The site the checklist was imported for: the base of its IRI and of the xAPI accounts
    # of its officials and mentors (event handlers and the credit hook have no request).
    site_url: Mapped[str] = mapped_column(String(300))
    # The version new progress starts on (the newest imported).
    current_version: Mapped[int] = mapped_column(Integer)

    activity: Mapped[Activity] = relationship()


class ChecklistVersion(Base):
    """One imported version of a checklist, with the hash of the file it came from."""

    __tablename__ = "checklists_versions"
    __table_args__ = (UniqueConstraint("checklist_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists_checklists.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    periods: Mapped[int] = mapped_column(Integer)
    # Position codes as listed in the file, so a later version can withdraw them.
    required_positions: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    elective_positions: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    checklist: Mapped[Checklist] = relationship()
    sections: Mapped[list[Section]] = relationship(
        order_by="Section.position", back_populates="version", cascade="all, delete-orphan"
    )
    items: Mapped[list[Item]] = relationship(order_by="Item.position", viewonly=True)


class Section(Base):
    """Section ``key`` (the id in the file, e.g. "s1") of a checklist version."""

    __tablename__ = "checklists_sections"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklists_versions.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))

    version: Mapped[ChecklistVersion] = relationship(back_populates="sections")
    items: Mapped[list[Item]] = relationship(
        order_by="Item.position", back_populates="section", cascade="all, delete-orphan"
    )


class Item(Base):
    """What the official must show (``text``), the evidence it needs (none, file,
    case_number, file_or_case_number) and who signs it off (mentor or self)."""

    __tablename__ = "checklists_items"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklists_versions.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("checklists_sections.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    # Order within the whole version (1-based).
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(String(30))
    sign_off: Mapped[str] = mapped_column(String(10))

    section: Mapped[Section] = relationship(back_populates="items")
    version: Mapped[ChecklistVersion] = relationship()


class MentorAssignment(Base):
    """``mentor`` guides ``official`` on ``checklist`` (None: all of the official's
    checklists) from ``start_date`` to ``end_date`` inclusive (None: open-ended), dates in
    Asia/Ho_Chi_Minh. Set by HR of the official's unit (``assigned_by``)."""

    __tablename__ = "checklists_mentor_assignments"
    __table_args__ = (Index("ix_checklists_mentor_assignments_pair", "mentor_id", "official_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("checklists_checklists.id", ondelete="CASCADE"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    official: Mapped[Person] = relationship(foreign_keys=[official_id])
    checklist: Mapped[Checklist | None] = relationship()

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class Progress(Base):
    """An official's work on a checklist, on the version they started. ``completed_statement_id``
    is the xAPI ``completed`` statement written when every item was done (None again after
    HR revoked a sign-off and voided it)."""

    __tablename__ = "checklists_progress"
    __table_args__ = (UniqueConstraint("person_id", "checklist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists_checklists.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklists_versions.id"))
    # The xAPI context.registration of the statements about this progress.
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_statement_id: Mapped[str | None] = mapped_column(String(36))

    person: Mapped[Person] = relationship()
    checklist: Mapped[Checklist] = relationship()
    version: Mapped[ChecklistVersion] = relationship()


class OwnMark(Base):
    """The official's own check of an item ("I did this"); deleted when they uncheck it."""

    __tablename__ = "checklists_marks"
    __table_args__ = (UniqueConstraint("progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Evidence(Base):
    """A file (stored under a random name outside the web root) or a case number
    (số hồ sơ) the official gives as evidence for an item."""

    __tablename__ = "checklists_evidence"
    __table_args__ = (Index("ix_checklists_evidence_progress_item", "progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "file" or "case_number"
    case_number: Mapped[str | None] = mapped_column(String(80))
    # The uploaded name after werkzeug's secure_filename (for display and download only).
    original_name: Mapped[str | None] = mapped_column(String(200))
    stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    content_type: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    progress: Mapped[Progress] = relationship()
    item: Mapped[Item] = relationship()


class ReviewRequest(Base):
    """The official asked the mentor to review an item; closed when it is signed off or
    returned (``outcome``)."""

    __tablename__ = "checklists_review_requests"
    __table_args__ = (Index("ix_checklists_review_requests_progress_item", "progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # "signed_off" or "returned"

    progress: Mapped[Progress] = relationship()
    item: Mapped[Item] = relationship()


class ItemReturn(Base):
    """The mentor sent an item back with what to improve."""

    __tablename__ = "checklists_returns"
    __table_args__ = (Index("ix_checklists_returns_progress_item", "progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    message: Mapped[str] = mapped_column(Text)
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    mentor: Mapped[Person] = relationship()


class SignOff(Base):
    """The mentor's sign-off of an item, observed on the job; one per item of a progress."""

    __tablename__ = "checklists_signoffs"
    __table_args__ = (UniqueConstraint("progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("checklists_mentor_assignments.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    mentor: Mapped[Person] = relationship()


class RevokedSignOff(Base):
    """A sign-off HR revoked, with the reason and the ``completed`` statement it voided."""

    __tablename__ = "checklists_revoked_signoffs"
    __table_args__ = (Index("ix_checklists_revoked_signoffs_progress_item", "progress_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("checklists_progress.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklists_items.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
    voided_statement_id: Mapped[str | None] = mapped_column(String(36))

    mentor: Mapped[Person] = relationship()
