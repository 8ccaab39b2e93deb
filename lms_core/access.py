"""The access policy: who may act on what, by role and unit subtree.

Every view and API route asks here (through the shell's ``require`` helpers) rather
than checking roles itself. An admin grant counts as an HR grant over the same subtree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from lms_core.accounts import Account, Role
from lms_core.errors import N_, PermissionDenied
from lms_core.people import Person
from lms_core.units import Unit, subtree_filter

# Roles that also satisfy a check for the key role.
_IMPLIED_BY = {
    Role.HR: {Role.HR, Role.ADMIN},
    Role.MENTOR: {Role.MENTOR},
    Role.LEARNER: {Role.LEARNER},
    Role.ADMIN: {Role.ADMIN},
}


def _grant_paths(account: Account, role: str) -> list[str]:
    allowed = _IMPLIED_BY[Role(role)]
    return [g.unit.path for g in account.grants if g.role in allowed]


def has_role(account: Account, role: str) -> bool:
    """True when the account holds ``role`` (or a role implying it) anywhere."""
    return bool(_grant_paths(account, role))


def can(account: Account, role: str, unit: Unit) -> bool:
    """True when the account holds ``role`` over ``unit`` (its subtree includes it)."""
    return any(unit.path.startswith(path) for path in _grant_paths(account, role))


def require(account: Account, role: str, unit: Unit) -> None:
    if not can(account, role, unit):
        raise PermissionDenied(N_("Bạn không có quyền thực hiện thao tác này với đơn vị này."))


def scope_filter(account: Account, role: str) -> Any:
    """SQL condition on ``Unit``: the units the account holds ``role`` over."""
    paths = _minimal_paths(_grant_paths(account, role))
    if not paths:
        return false()
    return or_(*(subtree_filter(p) for p in paths))


def _minimal_paths(paths: list[str]) -> list[str]:
    # A grant below another grant adds nothing; fewer LIKE terms, simpler plans.
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def is_top_admin(account: Account) -> bool:
    """An admin grant on a top-level unit: may create top-level units and admin grants there."""
    return any(g.role == Role.ADMIN and g.unit.parent_id is None for g in account.grants)


def can_view_person(account: Account, person: Person) -> bool:
    return account.person_id == person.id or can(account, Role.HR, person.unit)


def require_person_view(account: Account, person: Person) -> None:
    if not can_view_person(account, person):
        raise PermissionDenied(N_("Bạn không có quyền xem thông tin của cán bộ này."))
