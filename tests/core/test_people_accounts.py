from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core import access, accounts, audit, people, units
from lms_core.accounts import Role
from lms_core.errors import AccountLocked, AuthenticationFailed, ValidationFailed
from lms_core.people import Person

PASSWORD = "mat-khau-dung-8"


@pytest.fixture
def tree(db_session: Session) -> dict:
    people.upsert_field(db_session, "tai-chinh", "Tài chính")
    province = units.create_unit(db_session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
    a = units.create_unit(db_session, code="A", name="Xã A", kind="commune", parent=province)
    b = units.create_unit(db_session, code="B", name="Xã B", kind="commune", parent=province)
    position = people.save_position(db_session, code="KT-TAICHINH", name="Kế toán", field_code="tai-chinh")
    db_session.commit()
    return {"province": province, "a": a, "b": b, "position": position}


def person_data(tree: dict, **overrides: object) -> dict:
    return {
        "staff_code": "GL-1",
        "full_name": "Nguyễn Thị Ngọc Ánh",
        "email": "anh@gialai.gov.vn",
        "category": "cong_chuc",
        "unit_id": tree["a"].id,
        "position_id": tree["position"].id,
        "start_date": date(2026, 3, 1),
    } | overrides


def test_person_keeps_vietnamese_name_exactly(db_session: Session, tree: dict) -> None:
    person = people.create_person(db_session, person_data(tree, full_name="  Rơ Mah   H'Bia "))
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Person, person.id).full_name == "Rơ Mah H'Bia"


def test_duplicate_code_unknown_unit_and_bad_email_are_all_reported(db_session: Session, tree: dict) -> None:
    people.create_person(db_session, person_data(tree))
    db_session.commit()
    with pytest.raises(ValidationFailed) as caught:
        people.create_person(db_session, person_data(tree, unit_id=99999, email="không-phải-email"))
    db_session.rollback()
    assert {e.field for e in caught.value.errors} == {"staff_code", "unit_id", "email"}
    assert db_session.scalar(select(func.count()).select_from(Person)) == 1


def test_authenticate_locks_after_ten_failures(db_session: Session, tree: dict) -> None:
    account = accounts.create_account(db_session, username="demo.official", password=PASSWORD)
    db_session.commit()
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed) as caught:
            accounts.authenticate(db_session, "demo.official", "sai-mat-khau")
        assert not isinstance(caught.value, AccountLocked)
        db_session.commit()
    with pytest.raises(AccountLocked):
        accounts.authenticate(db_session, "demo.official", PASSWORD)
    assert [e.action for e in audit.entries_for(db_session, "account", account.id)] == ["account.locked"]
    later = account.locked_until + timedelta(seconds=1)
    assert accounts.authenticate(db_session, "demo.official", PASSWORD, now=later) is account


def test_tokens_expire_and_are_stored_hashed(db_session: Session, tree: dict) -> None:
    account = accounts.create_account(db_session, username="demo.hr", password=PASSWORD)
    token = accounts.issue_token(db_session, account)
    db_session.commit()
    assert accounts.account_for_token(db_session, token) is account
    assert accounts.account_for_token(db_session, token + "x") is None
    stored = db_session.scalar(select(accounts.ApiToken.digest))
    assert token not in stored
    assert accounts.account_for_token(db_session, token, now=_later()) is None


def _later():
    from lms_core.db import utcnow

    return utcnow() + accounts.TOKEN_LIFETIME + timedelta(minutes=1)


def test_password_change_changes_session_id(db_session: Session, tree: dict) -> None:
    account = accounts.create_account(db_session, username="demo.mentor", password=PASSWORD)
    db_session.commit()
    old_id = account.get_id()
    with pytest.raises(ValidationFailed):
        accounts.change_password(account, "sai", "mat-khau-moi-1")
    accounts.change_password(account, PASSWORD, "mat-khau-moi-1")
    db_session.commit()
    assert accounts.account_for_session_id(db_session, old_id) is None
    assert accounts.account_for_session_id(db_session, account.get_id()) is account


def test_scope_follows_the_unit_subtree(db_session: Session, tree: dict) -> None:
    province_hr = accounts.create_account(db_session, username="hr.province", password=PASSWORD)
    commune_hr = accounts.create_account(db_session, username="hr.a", password=PASSWORD)
    accounts.grant_role(db_session, province_hr, Role.HR, tree["province"])
    accounts.grant_role(db_session, commune_hr, Role.HR, tree["a"])
    db_session.commit()
    assert access.can(province_hr, Role.HR, tree["b"])
    assert access.can(commune_hr, Role.HR, tree["a"])
    assert not access.can(commune_hr, Role.HR, tree["b"])
    assert not access.can(commune_hr, Role.HR, tree["province"])
    in_scope = set(db_session.scalars(select(units.Unit.code).where(access.scope_filter(commune_hr, Role.HR))))
    assert in_scope == {"A"}
