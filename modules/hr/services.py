"""HR use cases with their access checks: every function takes the acting account and
refuses (``PermissionDenied``) anything outside the account's HR scope. The caller
commits; changes to people, accounts and roles are written to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from lms_core import access, accounts, audit, people, units
from lms_core.accounts import Account, Role, RoleGrant
from lms_core.errors import N_, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import Person, Position
from lms_core.units import Unit


@dataclass
class Page:
    items: Sequence[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- units ----------------------------------------------------------------------------


def units_in_scope(session: Session, account: Account) -> Sequence[Unit]:
    """Every unit the account manages as HR, in tree order."""
    return session.scalars(select(Unit).where(access.scope_filter(account, Role.HR)).order_by(Unit.path)).all()


def unit_tree(session: Session, account: Account) -> list[dict[str, Any]]:
    """The units in scope as nested ``{"unit", "children"}`` nodes, each level by name."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for unit in units_in_scope(session, account):
        node = {"unit": unit, "children": []}
        nodes[unit.id] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: n["unit"].name)
    return sorted(roots, key=lambda n: n["unit"].name)


def unit_for_hr(session: Session, account: Account, unit_id: int) -> Unit:
    unit = units.get_unit(session, unit_id)
    access.require(account, Role.HR, unit)
    return unit


def _unit_id(value: object, field: str) -> int | None:
    if value is None or isinstance(value, int):
        return value
    raise ValidationFailed.single(field, N_("Đơn vị không tồn tại."))


def create_unit(session: Session, account: Account, *, code: str, name: str, kind: str, parent_id: int | None) -> Unit:
    parent_id = _unit_id(parent_id, "parent_id")
    if parent_id is None:
        if not access.is_top_admin(account):
            raise PermissionDenied(N_("Chỉ quản trị hệ thống được tạo đơn vị cấp cao nhất."))
        parent = None
    else:
        parent = unit_for_hr(session, account, parent_id)
    unit = units.create_unit(session, code=code, name=name, kind=kind, parent=parent)
    audit.log(
        session,
        account_id=account.id,
        action="unit.created",
        target_type="unit",
        target_id=unit.id,
        data={"code": unit.code, "parent_id": parent_id},
    )
    return unit


def update_unit(
    session: Session,
    account: Account,
    unit: Unit,
    *,
    code: str,
    name: str,
    kind: str,
    parent_id: int | None,
    active: bool,
) -> Unit:
    access.require(account, Role.HR, unit)
    parent_id = _unit_id(parent_id, "parent_id")
    if parent_id != unit.parent_id:
        if parent_id is None:
            if not access.is_top_admin(account):
                raise PermissionDenied(N_("Chỉ quản trị hệ thống được tạo đơn vị cấp cao nhất."))
            parent = None
        else:
            parent = unit_for_hr(session, account, parent_id)
        if unit.parent is not None:
            access.require(account, Role.HR, unit.parent)  # moving out needs rights on both sides
    else:
        parent = unit.parent
    before = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id, "active": unit.active}
    units.update_unit(session, unit, code=code, name=name, kind=kind, parent=parent, active=active)
    audit.log(
        session,
        account_id=account.id,
        action="unit.updated",
        target_type="unit",
        target_id=unit.id,
        data={"before": before},
    )
    return unit


# --- positions ------------------------------------------------------------------------


def _require_position_manager(account: Account) -> None:
    # Positions are shared by the whole province, so only province-level HR edits them.
    if not any(g.role in (Role.HR, Role.ADMIN) and g.unit.parent_id is None for g in account.grants):
        raise PermissionDenied(N_("Chỉ cán bộ tổ chức cấp tỉnh được sửa danh mục vị trí việc làm."))


def list_positions(session: Session) -> Sequence[Position]:
    return session.scalars(select(Position).options(joinedload(Position.field)).order_by(Position.name)).all()


def save_position(
    session: Session, account: Account, data: dict[str, Any], position: Position | None = None
) -> Position:
    _require_position_manager(account)
    saved = people.save_position(
        session,
        code=data.get("code", ""),
        name=data.get("name", ""),
        field_code=data.get("field_code"),
        active=data.get("active", True),
        position=position,
    )
    audit.log(
        session,
        account_id=account.id,
        action="position.saved",
        target_type="position",
        target_id=saved.id,
        data={"code": saved.code},
    )
    return saved


# --- people ---------------------------------------------------------------------------


def list_people(
    session: Session,
    account: Account,
    *,
    unit_id: int | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """People in the account's HR scope, optionally under one unit and matching ``text``
    (name, staff code or email), by name."""
    query = select(Person).join(Person.unit).where(access.scope_filter(account, Role.HR))
    if unit_id is not None:
        query = query.where(units.subtree_filter(unit_for_hr(session, account, unit_id).path))
    if text:
        needle = text.strip().lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (Person.full_name, Person.staff_code, Person.email)
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    per_page = max(1, min(per_page, 200))
    page = max(1, page)
    items = session.scalars(
        query.options(joinedload(Person.unit), joinedload(Person.position))
        .order_by(Person.full_name, Person.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items, total, page, per_page)


def person_for(session: Session, account: Account, person_id: int) -> Person:
    """A person the account may see (themselves, or within its HR scope)."""
    person = people.get_person(session, person_id)
    access.require_person_view(account, person)
    return person


def person_for_hr(session: Session, account: Account, person_id: int) -> Person:
    person = people.get_person(session, person_id)
    access.require(account, Role.HR, person.unit)
    return person


def create_person(session: Session, account: Account, data: dict[str, Any]) -> Person:
    unit = session.get(Unit, data.get("unit_id")) if isinstance(data.get("unit_id"), int) else None
    if unit is not None:  # an unknown unit is reported by validation, with the other fields
        access.require(account, Role.HR, unit)
    person = people.create_person(session, data)
    audit.log(
        session,
        account_id=account.id,
        action="person.created",
        target_type="person",
        target_id=person.id,
        data={"staff_code": person.staff_code, "unit_id": person.unit_id},
    )
    return person


def update_person(session: Session, account: Account, person: Person, data: dict[str, Any]) -> Person:
    access.require(account, Role.HR, person.unit)
    new_unit_id = data.get("unit_id", person.unit_id)
    if new_unit_id != person.unit_id and isinstance(new_unit_id, int):
        target = session.get(Unit, new_unit_id)
        if target is not None:
            access.require(account, Role.HR, target)
    before = {key: _plain(getattr(person, key)) for key in people.PERSON_FIELDS}
    people.update_person(session, person, data)
    changes = {
        key: [before[key], _plain(getattr(person, key))]
        for key in people.PERSON_FIELDS
        if before[key] != _plain(getattr(person, key))
    }
    if changes:
        audit.log(
            session,
            account_id=account.id,
            action="person.updated",
            target_type="person",
            target_id=person.id,
            data={"changes": changes},
        )
    return person


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- accounts and roles ---------------------------------------------------------------


def create_account_for(session: Session, account: Account, person: Person, *, username: str, password: str) -> Account:
    access.require(account, Role.HR, person.unit)
    created = accounts.create_account(session, username=username, password=password, person=person)
    accounts.grant_role(session, created, Role.LEARNER, person.unit)
    audit.log(
        session,
        account_id=account.id,
        action="account.created",
        target_type="account",
        target_id=created.id,
        data={"username": created.username, "person_id": person.id},
    )
    return created


def grant_role(session: Session, account: Account, target: Account, *, role: str, unit_id: int) -> RoleGrant:
    """Grant ``role`` over ``unit_id`` to ``target``. HR grants learner, mentor and HR
    roles within their own scope; only an admin grants the admin role."""
    unit = unit_for_hr(session, account, unit_id)
    _require_over_account(account, target)
    if role == Role.ADMIN and not access.can(account, Role.ADMIN, unit):
        raise PermissionDenied(N_("Chỉ quản trị hệ thống được cấp quyền quản trị."))
    grant = accounts.grant_role(session, target, role, unit)
    audit.log(
        session,
        account_id=account.id,
        action="role.granted",
        target_type="account",
        target_id=target.id,
        data={"role": role, "unit_id": unit.id},
    )
    return grant


def _require_over_account(account: Account, target: Account) -> None:
    # An account without a person (a service or admin account) belongs to no unit,
    # so only a top-level admin manages its roles.
    if target.person is not None:
        access.require(account, Role.HR, target.person.unit)
    elif not access.is_top_admin(account):
        raise PermissionDenied(N_("Chỉ quản trị hệ thống được phân quyền cho tài khoản này."))


def visible_grants(account: Account, target: Account) -> list[RoleGrant]:
    """The target's grants over units the account manages (others are not its business)."""
    return [g for g in target.grants if access.can(account, Role.HR, g.unit)]


def revoke_role(session: Session, account: Account, grant_id: int) -> None:
    grant = session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(N_("Không tìm thấy quyền đã cấp."))
    access.require(account, Role.HR, grant.unit)
    _require_over_account(account, grant.account)
    if grant.role == Role.ADMIN and not access.can(account, Role.ADMIN, grant.unit):
        raise PermissionDenied(N_("Chỉ quản trị hệ thống được thu hồi quyền quản trị."))
    audit.log(
        session,
        account_id=account.id,
        action="role.revoked",
        target_type="account",
        target_id=grant.account_id,
        data={"role": grant.role, "unit_id": grant.unit_id},
    )
    accounts.revoke_role(session, grant)
