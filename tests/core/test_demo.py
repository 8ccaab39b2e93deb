from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.demo import seed_core
from lms_core.models import AuditEntry, Person, RoleGrant, Unit


def counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Unit, Person, Account, RoleGrant, AuditEntry)
    }


def test_demo_seed_is_idempotent_and_complete(db_session: Session) -> None:
    demo = seed_core(db_session, password="mat-khau-demo")
    db_session.commit()
    first = counts(db_session)
    seed_core(db_session, password="another-password")
    db_session.commit()
    assert counts(db_session) == first
    assert first["Person"] >= 40
    assert {"demo.official", "demo.mentor", "demo.hr", "demo.admin"} <= set(demo.accounts)
    official, mentor, hr = (demo.accounts[name] for name in ("demo.official", "demo.mentor", "demo.hr"))
    assert access.can(mentor, Role.MENTOR, official.person.unit)
    assert access.can(hr, Role.HR, demo.units["GL-X-IAGRAI"]) and access.can(hr, Role.HR, demo.units["GL-BVDK"])
    names = {p.full_name for p in db_session.scalars(select(Person))}
    assert any("ơ" in name or "ư" in name for name in names)  # real Vietnamese diacritics
