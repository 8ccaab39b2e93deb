"""Accounts, role grants scoped to a unit subtree, API tokens and sign-in with lock-out."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms_core import audit
from lms_core.db import Base, UtcDateTime, utcnow
from lms_core.errors import (
    N_,
    AccountLocked,
    AuthenticationFailed,
    NotFound,
    ValidationFailed,
)
from lms_core.people import Person
from lms_core.units import Unit

MAX_FAILED_LOGINS = 10
LOCK_DURATION = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")

# werkzeug's method string; scrypt by default. Tests set a cheaper one through the
# PASSWORD_HASH_METHOD setting, since they create many accounts.
PASSWORD_HASH_METHOD = "scrypt"

# A fixed hash to check against when the username is unknown, so a wrong username
# takes as long as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("hocvu-dummy-password")


class Role(enum.StrEnum):
    LEARNER = "learner"
    MENTOR = "mentor"
    HR = "hr"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.LEARNER: N_("Học viên"),
    Role.MENTOR: N_("Người hướng dẫn"),
    Role.HR: N_("Cán bộ tổ chức (nhân sự)"),
    Role.ADMIN: N_("Quản trị hệ thống"),
}


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    person: Mapped[Person | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    # The session protocol Flask-Login expects. The id carries a digest of the password
    # hash, so changing the password signs out every other session.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<Account {self.username}>"


class RoleGrant(Base):
    """``account`` holds ``role`` over ``unit`` and everything below it."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("account_id", "role", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))

    account: Mapped[Account] = relationship(back_populates="grants")
    unit: Mapped[Unit] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    account: Mapped[Account] = relationship()


def _digest(token: str) -> str:
    # Tokens are 256-bit random values, so a plain SHA-256 is enough (no slow hash needed).
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.single("password", N_("Mật khẩu phải có ít nhất %(n)s ký tự."), n=MIN_PASSWORD_LENGTH)


def create_account(session: Session, *, username: str, password: str, person: Person | None = None) -> Account:
    username = (username or "").strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationFailed.single(
            "username", N_("Tên đăng nhập gồm 3–60 chữ thường không dấu, số, dấu chấm hoặc gạch.")
        )
    _check_password_strength(password)
    if session.scalar(select(Account.id).where(Account.username == username)):
        raise ValidationFailed.single("username", N_("Tên đăng nhập %(username)s đã tồn tại."), username=username)
    password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)
    account = Account(username=username, password_hash=password_hash, person=person)
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(N_("Không tìm thấy tài khoản."))
    return account


def account_for_person(session: Session, person_id: int) -> Account | None:
    return session.scalar(select(Account).where(Account.person_id == person_id))


def set_password(account: Account, password: str) -> None:
    """Set a new password; API tokens issued under the old one stop working."""
    _check_password_strength(password)
    account.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)
    session = object_session(account)
    if session is not None and account.id is not None:
        session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))


def change_password(account: Account, current_password: str, new_password: str) -> None:
    if not check_password_hash(account.password_hash, current_password or ""):
        raise ValidationFailed.single("current_password", N_("Mật khẩu hiện tại không đúng."))
    set_password(account, new_password)


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> Account:
    """Check a username and password.

    Counts consecutive failures on the account; the ``MAX_FAILED_LOGINS``-th locks it
    for ``LOCK_DURATION``. The caller must commit even on failure, so the count sticks.
    """
    now = now or utcnow()
    # The row lock serialises concurrent attempts so no failure is lost (PostgreSQL;
    # SQLite serialises writers anyway).
    account = session.scalar(
        select(Account).where(Account.username == (username or "").strip().lower()).with_for_update()
    )
    if account is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise AuthenticationFailed(N_("Tên đăng nhập hoặc mật khẩu không đúng."))
    if account.is_locked(now):
        raise AccountLocked(
            N_("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau %(minutes)s phút."),
            minutes=max(1, int((account.locked_until - now).total_seconds() // 60) + 1),
        )  # type: ignore[operator]
    if not check_password_hash(account.password_hash, password or "") or not account.active:
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCK_DURATION
            account.failed_logins = 0
            audit.log(
                session,
                account_id=None,
                action="account.locked",
                target_type="account",
                target_id=account.id,
                reason=f"{MAX_FAILED_LOGINS} failed sign-ins",
                data={"until": account.locked_until.isoformat()},
            )
        raise AuthenticationFailed(N_("Tên đăng nhập hoặc mật khẩu không đúng."))
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    return account


def issue_token(session: Session, account: Account, now: datetime | None = None) -> str:
    """Create an API bearer token for ``account``; the plain token is returned once."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(digest=_digest(token), account=account, created_at=now, expires_at=now + TOKEN_LIFETIME))
    session.execute(delete(ApiToken).where(ApiToken.account_id == account.id, ApiToken.expires_at < now))
    return token


def account_for_session_id(session: Session, session_id: str) -> Account | None:
    """The account whose ``get_id()`` is ``session_id``, if the password is unchanged."""
    account_id, _, _ = session_id.partition(":")
    account = session.get(Account, int(account_id)) if account_id.isdigit() else None
    if account is None or not account.active or account.get_id() != session_id:
        return None
    return account


def account_for_token(session: Session, token: str, now: datetime | None = None) -> Account | None:
    row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or row.expires_at <= (now or utcnow()) or not row.account.active:
        return None
    return row.account


# --- roles ----------------------------------------------------------------------------


def grant_role(session: Session, account: Account, role: str, unit: Unit) -> RoleGrant:
    if role not in {r.value for r in Role}:
        raise ValidationFailed.single("role", N_("Vai trò không hợp lệ."))
    existing = session.scalar(
        select(RoleGrant).where(
            RoleGrant.account_id == account.id, RoleGrant.role == role, RoleGrant.unit_id == unit.id
        )
    )
    if existing is not None:
        return existing
    grant = RoleGrant(account=account, role=role, unit=unit)
    session.add(grant)
    session.flush()
    return grant


def revoke_role(session: Session, grant: RoleGrant) -> None:
    session.delete(grant)
    session.flush()


def roles_of(account: Account) -> Sequence[str]:
    return sorted({grant.role for grant in account.grants})
