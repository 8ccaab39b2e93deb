"""People (officials), their job positions (vị trí việc làm) and fields (lĩnh vực)."""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Boolean, Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms_core.db import Base
from lms_core.errors import N_, FieldError, NotFound, ValidationFailed
from lms_core.events import PersonChanged, PersonCreated, record
from lms_core.units import CODE_PATTERN, Unit


class Category(enum.StrEnum):
    """Person.category: elected cadre, civil servant or public employee."""

    CAN_BO = "can_bo"
    CONG_CHUC = "cong_chuc"
    VIEN_CHUC = "vien_chuc"


CATEGORY_LABELS = {
    Category.CAN_BO: N_("Cán bộ"),
    Category.CONG_CHUC: N_("Công chức"),
    Category.VIEN_CHUC: N_("Viên chức"),
}


class Field(Base):
    """A field of work (lĩnh vực): tài chính, xây dựng, đất đai - môi trường, …"""

    __tablename__ = "fields"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Position(Base):
    """A job position (vị trí việc làm) with its field; curricula hang off it."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    field_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    field: Mapped[Field | None] = relationship()


class Person(Base):
    """An official (cán bộ, công chức, viên chức)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_code: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    category: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"), index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit] = relationship()
    position: Mapped[Position | None] = relationship()

    def __repr__(self) -> str:
        return f"<Person {self.staff_code}>"


# --- fields and positions -------------------------------------------------------------


def upsert_field(session: Session, code: str, name: str) -> Field:
    item = session.get(Field, code)
    if item is None:
        item = Field(code=code, name=name)
        session.add(item)
    else:
        item.name = name
    return item


def get_position(session: Session, position_id: int) -> Position:
    position = session.get(Position, position_id)
    if position is None:
        raise NotFound(N_("Không tìm thấy vị trí việc làm."))
    return position


def save_position(
    session: Session,
    *,
    code: str,
    name: str,
    field_code: str | None,
    active: bool = True,
    position: Position | None = None,
) -> Position:
    """Create a position, or update ``position``. Caller commits."""
    code = (code or "").strip()
    errors = []
    if not CODE_PATTERN.match(code):
        errors.append(FieldError("code", N_("Mã vị trí chỉ gồm chữ không dấu, số, dấu gạch; tối đa 40 ký tự.")))
    if not (name or "").strip():
        errors.append(FieldError("name", N_("Tên vị trí việc làm không được để trống.")))
    if field_code and session.get(Field, field_code) is None:
        errors.append(FieldError("field_code", N_("Lĩnh vực %(code)s không tồn tại."), {"code": field_code}))
    if errors:
        raise ValidationFailed(errors)
    own_id = position.id if position else -1
    if session.scalar(select(Position.id).where(Position.code == code, Position.id != own_id)):
        raise ValidationFailed.single("code", N_("Mã vị trí %(code)s đã tồn tại."), code=code)
    if position is None:
        position = Position(code=code)
        session.add(position)
    position.code, position.name, position.field_code, position.active = code, name.strip(), field_code or None, active
    session.flush()
    return position


# --- people ---------------------------------------------------------------------------

PERSON_FIELDS = (
    "staff_code",
    "full_name",
    "email",
    "category",
    "unit_id",
    "position_id",
    "is_leader",
    "start_date",
    "active",
)


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("Không tìm thấy cán bộ."))
    return person


def person_by_staff_code(session: Session, staff_code: str) -> Person | None:
    return session.scalar(select(Person).where(Person.staff_code == staff_code))


def _clean_person(session: Session, data: dict[str, Any], person: Person | None) -> dict[str, Any]:
    """Validate every field at once so the caller sees all problems, not the first."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    staff_code = str(data.get("staff_code") or "").strip()
    if not CODE_PATTERN.match(staff_code):
        errors.append(FieldError("staff_code", N_("Mã cán bộ chỉ gồm chữ không dấu, số, dấu gạch; tối đa 40 ký tự.")))
    elif session.scalar(
        select(Person.id).where(Person.staff_code == staff_code, Person.id != (person.id if person else -1))
    ):
        errors.append(FieldError("staff_code", N_("Mã cán bộ %(code)s đã tồn tại."), {"code": staff_code}))
    clean["staff_code"] = staff_code

    full_name = re.sub(r"\s+", " ", str(data.get("full_name") or "")).strip()
    if not full_name:
        errors.append(FieldError("full_name", N_("Họ và tên không được để trống.")))
    clean["full_name"] = full_name

    email = str(data.get("email") or "").strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(FieldError("email", N_("Địa chỉ email không hợp lệ.")))
    clean["email"] = email or None

    category = str(data.get("category") or "")
    if category not in {c.value for c in Category}:
        errors.append(FieldError("category", N_("Loại cán bộ phải là cán bộ, công chức hoặc viên chức.")))
    clean["category"] = category

    unit_id = data.get("unit_id")
    if not isinstance(unit_id, int) or session.get(Unit, unit_id) is None:
        errors.append(FieldError("unit_id", N_("Đơn vị không tồn tại.")))
    clean["unit_id"] = unit_id

    position_id = data.get("position_id")
    if position_id is not None and (not isinstance(position_id, int) or session.get(Position, position_id) is None):
        errors.append(FieldError("position_id", N_("Vị trí việc làm không tồn tại.")))
    clean["position_id"] = position_id

    start_date = data.get("start_date")
    if start_date is not None and not isinstance(start_date, date):
        errors.append(FieldError("start_date", N_("Ngày bắt đầu không hợp lệ.")))
    clean["start_date"] = start_date
    clean["is_leader"] = bool(data.get("is_leader", False))
    clean["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationFailed(errors)
    return clean


def create_person(session: Session, data: dict[str, Any]) -> Person:
    """Create a person from ``data`` (keys of ``PERSON_FIELDS``). Caller commits."""
    person = Person(**_clean_person(session, data, None))
    session.add(person)
    session.flush()
    record(session, PersonCreated(person.id, person.unit_id))
    return person


def update_person(session: Session, person: Person, data: dict[str, Any]) -> Person:
    """Update ``person``; keys missing from ``data`` keep their current value."""
    merged = {key: getattr(person, key) for key in PERSON_FIELDS} | data
    clean = _clean_person(session, merged, person)
    old_unit_id = person.unit_id
    changed = any(getattr(person, key) != clean[key] for key in ("unit_id", "position_id", "category", "active"))
    for key, value in clean.items():
        setattr(person, key, value)
    session.flush()
    if changed:
        record(session, PersonChanged(person.id, person.unit_id, old_unit_id))
    return person
