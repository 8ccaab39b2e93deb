"""Units (đơn vị): the organisation tree — province, departments, communes, public
service units — and the subtree queries every scope check relies on.

Each unit keeps a materialised ``path`` of ids ("/1/7/42/"), so "this unit and
everything below it" is one indexed range scan instead of a recursive query. The
column compares byte by byte on every engine (SQLite's BINARY, PostgreSQL's "C"
collation), which is what makes the range equal to the prefix match.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Index, String, and_, func, literal, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms_core.db import Base
from lms_core.errors import N_, FieldError, NotFound, ValidationFailed
from lms_core.events import UnitChanged, record


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    PUBLIC_SERVICE_UNIT = "public_service_unit"


UNIT_KIND_LABELS = {
    UnitKind.PROVINCE: N_("Tỉnh, thành phố"),
    UnitKind.DEPARTMENT: N_("Sở, ban, ngành"),
    UnitKind.COMMUNE: N_("Xã, phường, đặc khu"),
    UnitKind.PUBLIC_SERVICE_UNIT: N_("Đơn vị sự nghiệp"),
}

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (Index("ix_units_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400).with_variant(String(400, collation="C"), "postgresql"), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    def contains(self, other: Unit) -> bool:
        """True when ``other`` is this unit or lies below it."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


def subtree_filter(root_path: str) -> ColumnElement[bool]:
    """SQL condition: the unit is ``root_path``'s unit or below it.

    Paths end in "/" and "0" follows "/" in byte order, so every path starting with
    "/1/7/" lies in ["/1/7/", "/1/70") and nothing else does."""
    return and_(Unit.path >= root_path, Unit.path < root_path[:-1] + "0")


def ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and of every unit above it: "/1/7/42/" -> ["/1/", "/1/7/", "/1/7/42/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    return unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def children(session: Session, unit: Unit | None) -> Sequence[Unit]:
    parent_cond = Unit.parent_id.is_(None) if unit is None else Unit.parent_id == unit.id
    return session.scalars(select(Unit).where(parent_cond).order_by(Unit.name)).all()


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The units above ``unit``, root first (for breadcrumbs)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    by_id = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [by_id[i] for i in ids]


def _validate(session: Session, code: str, name: str, kind: str, unit_id: int | None) -> None:
    errors = []
    if not CODE_PATTERN.match(code or ""):
        errors.append(("code", N_("Mã đơn vị chỉ gồm chữ không dấu, số, dấu gạch; tối đa 40 ký tự.")))
    if not (name or "").strip():
        errors.append(("name", N_("Tên đơn vị không được để trống.")))
    if kind not in {k.value for k in UnitKind}:
        errors.append(("kind", N_("Loại đơn vị không hợp lệ.")))
    if errors:
        raise ValidationFailed([FieldError(f, m) for f, m in errors])
    clash = session.scalar(select(Unit.id).where(Unit.code == code, Unit.id != (unit_id or -1)))
    if clash is not None:
        raise ValidationFailed.single("code", N_("Mã đơn vị %(code)s đã tồn tại."), code=code)


def create_unit(session: Session, *, code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    """Create a unit under ``parent`` (None for a root). Caller commits."""
    code = (code or "").strip()
    _validate(session, code, name, kind, None)
    unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent, path="")
    session.add(unit)
    session.flush()  # the id is part of the path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    record(session, UnitChanged(unit.id))
    return unit


def update_unit(
    session: Session,
    unit: Unit,
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    active: bool = True,
) -> Unit:
    """Rename, re-code or move a unit; moving rewrites the paths of its whole subtree."""
    code = (code or "").strip()
    _validate(session, code, name, kind, unit.id)
    if parent is not None and unit.contains(parent):
        raise ValidationFailed.single("parent_id", N_("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới."))
    unit.code, unit.name, unit.kind, unit.active = code, name.strip(), kind, active
    if (parent.id if parent else None) != unit.parent_id:
        old_path = unit.path
        new_path = f"{parent.path if parent else '/'}{unit.id}/"
        unit.parent = parent
        session.execute(
            update(Unit)
            .where(subtree_filter(old_path))
            .values(path=literal(new_path, String) + func.substr(Unit.path, len(old_path) + 1))
            .execution_options(synchronize_session=False)
        )
        session.flush()
        session.expire_all()
    record(session, UnitChanged(unit.id))
    return unit
