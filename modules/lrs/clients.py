"""LRS clients: who may call ``/xapi/`` with HTTP Basic, and what they may do.

A secret is 32 random bytes (hex) shown once; only HMAC-SHA256(server key, secret) is kept.
The secret is already unguessable, so a slow password hash would buy nothing and cost
every request ~100 ms; the keyed hash also means a copy of the table alone cannot be
checked against guesses. Changing ``SECRET_KEY`` invalidates every client's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.db import utcnow
from lms_core.errors import N_, NotFound, ValidationFailed
from lms_core.statements import Authority, account_agent
from modules.lrs.models import LrsClient

SCOPES = ("all", "own")
LAUNCH_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class IssuedCredentials:
    """What the creator sees once: the key and the plain secret."""

    client_id: int
    key: str
    secret: str


def _new_secret() -> str:
    # 256 random bits in hex: no "-" to start it, which command-line tools (curl -u,
    # test runners) would read as an option.
    return secrets.token_hex(32)


def hash_secret(server_key: str, secret: str) -> str:
    return hmac.new(server_key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def create_client(
    session: Session,
    *,
    server_key: str,
    name: str,
    credit_trusted: bool = False,
    can_read: bool = True,
    can_write: bool = True,
    scope: str = "all",
    account_id: int | None = None,
) -> IssuedCredentials:
    """Create a client and return its credentials (the secret is not kept). Caller commits."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.single("name", N_("Tên client phải có từ 1 đến 200 ký tự."))
    if scope not in SCOPES:
        raise ValidationFailed.single("scope", N_("Phạm vi phải là 'all' hoặc 'own'."))
    if not (can_read or can_write):
        raise ValidationFailed.single("permissions", N_("Client phải được đọc hoặc ghi."))
    key, secret = secrets.token_hex(16), _new_secret()
    client = LrsClient(
        key=key,
        secret_hash=hash_secret(server_key, secret),
        name=name,
        can_read=can_read,
        can_write=can_write,
        credit_trusted=credit_trusted,
        scope=scope,
        created_by_id=account_id,
    )
    session.add(client)
    session.flush()
    audit.log(
        session,
        account_id=account_id,
        action="lrs.client_created",
        target_type="lrs_client",
        target_id=client.id,
        data={"name": name, "key": key, "credit_trusted": credit_trusted, "scope": scope},
    )
    return IssuedCredentials(client.id, key, secret)


def issue_launch_credentials(
    session: Session,
    *,
    server_key: str,
    actor_key: str,
    activity_iri: str,
    registration: str,
    now: datetime | None = None,
    lifetime: timedelta = LAUNCH_LIFETIME,
) -> IssuedCredentials:
    """Short-lived credentials for content HocVu launches for one official: statements
    only about that official, reads only theirs, trusted to award credit (HocVu chose
    to launch the activity for them). Caller commits."""
    now = now or utcnow()
    key, secret = secrets.token_hex(16), _new_secret()
    client = LrsClient(
        key=key,
        secret_hash=hash_secret(server_key, secret),
        name=f"launch {activity_iri}"[:200],
        credit_trusted=True,
        scope="all",
        actor_key=actor_key,
        activity_iri=activity_iri,
        registration=registration,
        expires_at=now + lifetime,
    )
    session.add(client)
    session.flush()
    return IssuedCredentials(client.id, key, secret)


def authenticate(
    session: Session, server_key: str, key: str, secret: str, now: datetime | None = None
) -> LrsClient | None:
    """The active client with these credentials, or None (wrong, revoked or expired)."""
    client = session.scalar(select(LrsClient).where(LrsClient.key == key))
    if client is None or not hmac.compare_digest(client.secret_hash, hash_secret(server_key, secret)):
        return None
    now = now or utcnow()
    if client.revoked_at is not None or (client.expires_at is not None and client.expires_at <= now):
        return None
    return client


def authority_for(client: LrsClient, site_url: str) -> Authority:
    """The xAPI ``authority`` of what ``client`` stores: its account on this site."""
    source = f"launch:{client.key}" if client.actor_key else f"lrs:{client.key}"
    return Authority(account_agent(f"{site_url}/xapi/clients", client.key, client.name), source, client.credit_trusted)


def list_clients(session: Session) -> list[LrsClient]:
    """Every client but launch credentials, newest first."""
    query = select(LrsClient).where(LrsClient.actor_key.is_(None)).order_by(LrsClient.created_at.desc())
    return list(session.scalars(query))


def revoke_client(session: Session, client_id: int, account_id: int | None, now: datetime | None = None) -> LrsClient:
    """Stop a client's credentials from working. Caller commits."""
    client = session.get(LrsClient, client_id)
    if client is None:
        raise NotFound(N_("Không tìm thấy client LRS."))
    if client.revoked_at is None:
        client.revoked_at = now or utcnow()
        audit.log(
            session, account_id=account_id, action="lrs.client_revoked", target_type="lrs_client", target_id=client.id
        )
    return client
