"""The certificates module's table: every certificate HocVu issued, with a snapshot of
what it certified at that moment.

An activity certificate (``kind = "activity"``) certifies one credited course or
checklist: it is issued once per (person, activity, statement), so downloading it again
gives the same code; the unique constraint also keeps two simultaneous first downloads
to one row. A transcript (``kind = "transcript"``) is the year's summary of every
credited item with the figures of the moment it is issued: downloading it again gives
the same row while nothing in it changed, and a new row (and code) once it did.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms_core.db import Base, JsonDocument, UtcDateTime

KIND_ACTIVITY = "activity"
KIND_TRANSCRIPT = "transcript"


class IssuedCertificate(Base):
    """One issued certificate. Its figures are a snapshot and never change; revocation
    only sets ``revoked_at`` and ``revoke_reason``."""

    __tablename__ = "certificates_issued"
    __table_args__ = (
        # NULLs are distinct on SQLite and PostgreSQL, so transcripts (no activity, no
        # statement) are not constrained by it.
        UniqueConstraint("person_id", "activity_id", "statement_id"),
        Index("ix_certificates_issued_person_year", "person_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 16 base32 characters (80 random bits), stored without the dashes it is shown with.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    year: Mapped[int] = mapped_column(Integer)
    # The xAPI statement that earned the credit (activity certificates) …
    statement_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # … and, for a transcript, the statements of every item it lists.
    statement_ids: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)

    person_name: Mapped[str] = mapped_column(String(200))
    staff_code: Mapped[str] = mapped_column(String(40))
    unit_name: Mapped[str] = mapped_column(String(300))
    activity_title: Mapped[str | None] = mapped_column(String(300))
    activity_type: Mapped[str | None] = mapped_column(String(20))
    # Activity: the periods the activity earned. Transcript: the periods credited in the year.
    periods: Mapped[int] = mapped_column(Integer)
    # Transcript only: the year's requirement, its explanation and the items listed.
    required: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[list[Any]] = mapped_column(JsonDocument, default=list)
    # The day the credit was earned, in Vietnam (activity certificates).
    earned_on: Mapped[date | None] = mapped_column(Date)

    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<IssuedCertificate {self.kind} {self.code}>"
