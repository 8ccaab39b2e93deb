"""The xAPI statement store: the record of every learning event.

The full statement JSON is kept as stored, next to indexed columns for the queries
that crediting, reports and the LRS need. Statements are immutable; voiding marks the
target and publishes ``StatementVoided`` so its credit is withdrawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from tincan import Activity as XActivity
from tincan import ActivityDefinition, Agent, AgentAccount, LanguageMap, Verb
from tincan import Statement as XStatement

from lms_core.db import Base, JsonDocument, UtcDateTime, utcnow
from lms_core.errors import N_, Conflict, ValidationFailed
from lms_core.events import StatementStored, StatementVoided, record

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
XAPI_VERSION = "1.0.3"

# ADL verbs HocVu writes itself, with their Vietnamese display.
VERBS = {
    "launched": ("http://adlnet.gov/expapi/verbs/launched", "đã mở"),
    "experienced": ("http://adlnet.gov/expapi/verbs/experienced", "đã học"),
    "attempted": ("http://adlnet.gov/expapi/verbs/attempted", "đã bắt đầu làm bài"),
    "answered": ("http://adlnet.gov/expapi/verbs/answered", "đã trả lời"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "đã đạt"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "chưa đạt"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "đã hoàn thành"),
    "attended": ("http://adlnet.gov/expapi/verbs/attended", "đã tham dự"),
    "voided": (VOIDED, "đã hủy"),
}


class Statement(Base):
    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_actor_verb_stored", "actor_key", "verb_id", "stored"),
        Index("ix_statements_activity_stored", "activity_iri", "stored"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    statement: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    actor_key: Mapped[str] = mapped_column(String(400))
    verb_id: Mapped[str] = mapped_column(String(400))
    activity_iri: Mapped[str | None] = mapped_column(String(500))
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    stored: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    authority_key: Mapped[str | None] = mapped_column(String(400))
    # Where it came from: "hocvu:<module>", "lrs:<client key>", "launch:<id>".
    source: Mapped[str] = mapped_column(String(120))
    credit_trusted: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class Authority:
    """Who vouches for a statement (xAPI ``authority``) and whether it may award credit."""

    agent: dict[str, Any]
    source: str
    credit_trusted: bool


def hocvu_authority(site_url: str, module: str) -> Authority:
    """The authority of statements HocVu's own services write: trusted to award credit."""
    return Authority(account_agent(site_url, "hocvu", "HocVu"), f"hocvu:{module}", True)


def agent_key(agent: dict[str, Any]) -> str:
    """A canonical key for an Agent or identified Group from its inverse functional
    identifier, so the same person always maps to the same indexed value."""
    if "mbox" in agent:
        return f"mbox:{str(agent['mbox']).lower()}"
    if "mbox_sha1sum" in agent:
        return f"sha1:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, dict) and account.get("homePage") and account.get("name"):
        return f"account:{account['homePage']}|{account['name']}"
    raise ValidationFailed.single(
        "actor", N_("Tác nhân (actor) phải có đúng một định danh: mbox, mbox_sha1sum, openid hoặc account.")
    )


def account_agent(home_page: str, name: str, display_name: str | None = None) -> dict[str, Any]:
    """The xAPI Agent of a HocVu account: ``account`` with the site's homePage."""
    agent = Agent(account=AgentAccount(home_page=home_page, name=name), name=display_name)
    return agent.as_version(XAPI_VERSION)


def account_key(home_page: str, name: str) -> str:
    """``agent_key`` of ``account_agent(home_page, name)``: a person's indexed actor key."""
    return f"account:{home_page}|{name}"


def build_statement(
    *,
    actor: dict[str, Any],
    verb: str,
    activity_iri: str,
    activity_name: str,
    activity_type: str | None = None,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """Build a statement HocVu writes itself, with tincan's classes so it is xAPI 1.0.3.

    ``verb`` is a key of ``VERBS``; ``result`` and ``context`` are xAPI JSON objects.
    """
    verb_id, verb_vi = VERBS[verb]
    statement = XStatement(
        id=uuid.uuid4(),
        actor=Agent(actor),
        verb=Verb(id=verb_id, display=LanguageMap({"en-US": verb, "vi": verb_vi})),
        object=XActivity(
            id=activity_iri,
            definition=ActivityDefinition(name=LanguageMap({"vi": activity_name}), type=activity_type),
        ),
        timestamp=timestamp or utcnow(),
        result=result,
        context=context,
    )
    return statement.as_version(XAPI_VERSION)


def _parse_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValidationFailed.single("timestamp", N_("Thời điểm (timestamp) phải theo ISO 8601 và có múi giờ."))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.single(
            "timestamp", N_("Thời điểm (timestamp) phải theo ISO 8601 và có múi giờ.")
        ) from None
    if parsed.tzinfo is None:
        raise ValidationFailed.single("timestamp", N_("Thời điểm (timestamp) phải theo ISO 8601 và có múi giờ."))
    return parsed


def _same_statement(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # Properties the LRS sets itself do not count when a client re-sends a statement.
    ignore = {"stored", "authority", "version", "id"}
    return {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}


def store_statement(
    session: Session, statement: dict[str, Any], authority: Authority, now: datetime | None = None
) -> Statement:
    """Store one statement (already validated against the xAPI schema by the caller when it
    comes from outside) and record the events. Re-sending the same id with the same content
    returns the stored row and records nothing; different content raises ``Conflict``.
    Caller commits.
    """
    now = now or utcnow()
    statement = dict(statement)
    statement_id = str(statement.get("id") or uuid.uuid4())
    existing = session.get(Statement, statement_id)
    if existing is not None:
        if _same_statement(existing.statement, statement):
            return existing
        raise Conflict(N_("Đã có một statement khác với id %(id)s."), id=statement_id)

    actor = statement.get("actor")
    if not isinstance(actor, dict):
        raise ValidationFailed.single("actor", N_("Thiếu tác nhân (actor)."))
    verb = statement.get("verb")
    if not isinstance(verb, dict) or not isinstance(verb.get("id"), str):
        raise ValidationFailed.single("verb", N_("Thiếu động từ (verb.id)."))
    obj = statement.get("object")
    if not isinstance(obj, dict):
        raise ValidationFailed.single("object", N_("Thiếu đối tượng (object)."))
    timestamp = _parse_timestamp(statement["timestamp"]) if "timestamp" in statement else now

    statement["id"] = statement_id
    statement.setdefault("timestamp", now.isoformat())
    statement["stored"] = now.isoformat()
    statement["authority"] = authority.agent
    statement.setdefault("version", "1.0.0")
    object_type = obj.get("objectType", "Activity")
    activity_iri = obj.get("id") if object_type == "Activity" else None
    registration = (statement.get("context") or {}).get("registration")

    actor_key = agent_key(actor)
    authority_key = agent_key(authority.agent)
    if verb["id"] == VOIDED:  # only once everything is known to be valid
        _void_target(session, statement_id, obj)

    row = Statement(
        id=statement_id,
        statement=statement,
        actor_key=actor_key,
        verb_id=verb["id"],
        activity_iri=activity_iri,
        registration=registration,
        timestamp=timestamp,
        stored=now,
        voided=False,
        authority_key=authority_key,
        source=authority.source,
        credit_trusted=authority.credit_trusted,
    )
    session.add(row)
    session.flush()
    record(session, StatementStored(statement_id, row.actor_key, row.verb_id, activity_iri, authority.credit_trusted))
    return row


def _void_target(session: Session, voiding_id: str, obj: dict[str, Any]) -> None:
    if obj.get("objectType") != "StatementRef" or not isinstance(obj.get("id"), str):
        raise ValidationFailed.single("object", N_("Statement hủy phải trỏ tới một StatementRef."))
    target = session.get(Statement, obj["id"])
    if target is None:
        # xAPI allows voiding a statement the LRS has not seen; nothing is withdrawn.
        return
    if target.verb_id == VOIDED:
        raise ValidationFailed.single("object", N_("Không thể hủy một statement hủy."))
    if not target.voided:
        target.voided = True
        record(session, StatementVoided(target.id, voiding_id))


def find_statements(
    session: Session,
    *,
    actor_key: str | None = None,
    verb_id: str | None = None,
    activity_iri: str | None = None,
    registration: str | None = None,
    since: datetime | None = None,
    include_voided: bool = False,
    limit: int = 100,
) -> Sequence[Statement]:
    """Statements matching every given filter, newest stored first."""
    query = select(Statement)
    if actor_key is not None:
        query = query.where(Statement.actor_key == actor_key)
    if verb_id is not None:
        query = query.where(Statement.verb_id == verb_id)
    if activity_iri is not None:
        query = query.where(Statement.activity_iri == activity_iri)
    if registration is not None:
        query = query.where(Statement.registration == registration)
    if since is not None:
        query = query.where(Statement.stored > since)
    if not include_voided:
        query = query.where(Statement.voided.is_(False))
    return session.scalars(query.order_by(Statement.stored.desc()).limit(limit)).all()
