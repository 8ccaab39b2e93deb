"""The xAPI statement store: the record of every learning event.

The full statement JSON is kept as stored, next to indexed columns for the queries
that crediting, reports and the LRS need. Statements are immutable; voiding marks the
target and publishes ``StatementVoided`` so its credit is withdrawn.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, insert, select, update
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
        Index("ix_statements_object_agent_stored", "object_agent_key", "stored"),
        Index("ix_statements_stored_id", "stored", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    statement: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    actor_key: Mapped[str] = mapped_column(String(400))
    verb_id: Mapped[str] = mapped_column(String(400))
    activity_iri: Mapped[str | None] = mapped_column(String(500))
    # The object when it is an Agent or Group (the LRS's ``agent`` filter matches it too).
    object_agent_key: Mapped[str | None] = mapped_column(String(400))
    # The object when it is a StatementRef: queries also return statements targeting a match.
    statement_ref: Mapped[str | None] = mapped_column(String(36), index=True)
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    stored: Mapped[datetime] = mapped_column(UtcDateTime)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    authority_key: Mapped[str | None] = mapped_column(String(400))
    # Where it came from: "hocvu:<module>", "lrs:<client key>", "launch:<id>".
    source: Mapped[str] = mapped_column(String(120))
    credit_trusted: Mapped[bool] = mapped_column(Boolean, default=False)


class StatementAgent(Base):
    """Every Agent or identified Group a statement names (actor, object, authority,
    instructor, team, also inside a SubStatement): the LRS's ``related_agents`` filter."""

    __tablename__ = "statement_agents"
    __table_args__ = (Index("ix_statement_agents_agent_key", "agent_key", "statement_id"),)

    statement_id: Mapped[str] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True)
    agent_key: Mapped[str] = mapped_column(String(400), primary_key=True)


class StatementActivity(Base):
    """Every Activity a statement names (object, context activities, also inside a
    SubStatement): the LRS's ``related_activities`` filter."""

    __tablename__ = "statement_activities"
    __table_args__ = (Index("ix_statement_activities_activity_iri", "activity_iri", "statement_id"),)

    statement_id: Mapped[str] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True)
    activity_iri: Mapped[str] = mapped_column(String(500), primary_key=True)


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
    identifier, so the same person always maps to the same indexed value. An anonymous
    Group is keyed by its members, so the same group of people maps to one key too."""
    if "mbox" in agent:
        return f"mbox:{str(agent['mbox']).lower()}"
    if "mbox_sha1sum" in agent:
        return f"sha1:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, dict) and account.get("homePage") and account.get("name"):
        return f"account:{account['homePage']}|{account['name']}"
    members = agent.get("member")
    if agent.get("objectType") == "Group" and isinstance(members, list) and members:
        keys = sorted(agent_key(m) for m in members if isinstance(m, dict))
        return "group:" + hashlib.sha1("\n".join(keys).encode()).hexdigest()
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


_TIMESTAMP_MESSAGE = N_("Thời điểm (timestamp) phải theo ISO 8601 và có múi giờ.")


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime:
    """An xAPI timestamp (ISO 8601 / RFC 3339 with an offset); the error names ``field``."""
    if not isinstance(value, str):
        raise ValidationFailed.single(field, _TIMESTAMP_MESSAGE)
    text = value.strip().replace("z", "Z")
    if len(text) > 10 and text[10] in " t":  # RFC 3339 (xAPI 2.0) allows both
        text = f"{text[:10]}T{text[11:]}"
    leap = re.search(r"(T\d{2}:?\d{2}:?)60", text)
    if leap:  # a leap second: Python has no 23:59:60, so take the next instant
        text = text[: leap.end(1)] + "59" + text[leap.end() :]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, _TIMESTAMP_MESSAGE) from None
    if parsed.tzinfo is None:
        raise ValidationFailed.single(field, _TIMESTAMP_MESSAGE)
    return parsed + timedelta(seconds=1) if leap else parsed


def _same_statement(stored: dict[str, Any], resent: dict[str, Any]) -> bool:
    # Properties the LRS sets itself do not count when a client re-sends a statement,
    # nor the timestamp the LRS filled in when the client gave none.
    ignore = {"stored", "authority", "version", "id"}
    if "timestamp" not in resent:
        ignore.add("timestamp")
    return {k: v for k, v in stored.items() if k not in ignore} == {k: v for k, v in resent.items() if k not in ignore}


def agents_named(statement: dict[str, Any]) -> set[str]:
    """Keys of every Agent and Group the statement names, for ``related_agents``."""
    found: set[str] = set()

    def add(agent: Any) -> None:
        if isinstance(agent, dict):
            try:
                found.add(agent_key(agent))
            except ValidationFailed:
                pass

    add(statement.get("actor"))
    add(statement.get("authority"))
    obj = statement.get("object") or {}
    if obj.get("objectType") in ("Agent", "Group"):
        add(obj)
    context = statement.get("context") or {}
    add(context.get("instructor"))
    add(context.get("team"))
    for entry in context.get("contextAgents") or ():  # xAPI 2.0
        add(entry.get("agent") if isinstance(entry, dict) else None)
    for entry in context.get("contextGroups") or ():
        add(entry.get("group") if isinstance(entry, dict) else None)
    if obj.get("objectType") == "SubStatement":
        found |= agents_named(obj)
    return found


def activities_named(statement: dict[str, Any]) -> set[str]:
    """IRIs of every Activity the statement names, for ``related_activities``."""
    found: set[str] = set()
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
        found.add(obj["id"])
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    for value in context_activities.values():
        for activity in value if isinstance(value, list) else [value]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                found.add(activity["id"])
    if obj.get("objectType") == "SubStatement":
        found |= activities_named(obj)
    return found


def object_agent_key_of(obj: dict[str, Any]) -> str | None:
    return agent_key(obj) if obj.get("objectType") in ("Agent", "Group") else None


def store_statement(
    session: Session, statement: dict[str, Any], authority: Authority, now: datetime | None = None
) -> Statement:
    """Store one statement; see ``store_statements``. Returns its row."""
    [statement_id] = store_statements(session, [statement], authority, now)
    row = session.get(Statement, statement_id)
    assert row is not None
    return row


def store_statements(
    session: Session, statements: Sequence[dict[str, Any]], authority: Authority, now: datetime | None = None
) -> list[str]:
    """Store a batch of statements (already validated against the xAPI rules by the
    caller when they come from outside) with one bulk INSERT per table, and record the
    events. Returns their ids in order. An id already stored with the same content is
    accepted and records nothing; with different content, or twice in the batch with
    different content, it raises ``Conflict``. Caller commits.
    """
    now = now or utcnow()
    prepared: list[dict[str, Any]] = []
    ids: list[str] = []
    in_batch: dict[str, dict[str, Any]] = {}
    for given in statements:
        statement = dict(given)
        statement_id = str(statement.get("id") or uuid.uuid4())
        statement["id"] = statement_id
        ids.append(statement_id)
        if statement_id in in_batch:
            if not _same_statement(in_batch[statement_id], statement):
                raise Conflict(N_("Đã có một statement khác với id %(id)s."), id=statement_id)
            continue
        in_batch[statement_id] = statement
        prepared.append(statement)

    existing = {
        row.id: row.statement
        for row in session.execute(select(Statement.id, Statement.statement).where(Statement.id.in_(in_batch)))
    }
    for statement_id, stored in existing.items():
        if not _same_statement(stored, in_batch[statement_id]):
            raise Conflict(N_("Đã có một statement khác với id %(id)s."), id=statement_id)

    authority_key = agent_key(authority.agent)
    rows: list[dict[str, Any]] = []
    related_agents: list[dict[str, str]] = []
    related_activities: list[dict[str, str]] = []
    voided_targets: dict[str, str] = {}
    for statement in prepared:
        if statement["id"] in existing:
            continue
        rows.append(_row(statement, authority, authority_key, now))
        sid = statement["id"]
        related_agents += ({"statement_id": sid, "agent_key": k} for k in agents_named(statement))
        related_activities += ({"statement_id": sid, "activity_iri": i} for i in activities_named(statement))
        if rows[-1]["verb_id"] == VOIDED:
            voided_targets[_void_target_id(statement)] = statement["id"]
    if not rows:
        return ids

    targets = _voidable_targets(session, voided_targets, {row["id"]: row for row in rows})
    session.execute(insert(Statement), rows)
    if related_agents:
        session.execute(insert(StatementAgent), related_agents)
    if related_activities:
        session.execute(insert(StatementActivity), related_activities)
    if targets:
        session.execute(update(Statement).where(Statement.id.in_(targets)).values(voided=True))
    for row in rows:
        record(
            session,
            StatementStored(row["id"], row["actor_key"], row["verb_id"], row["activity_iri"], authority.credit_trusted),
        )
    for target in targets:
        record(session, StatementVoided(target, voided_targets[target]))
    return ids


def _row(statement: dict[str, Any], authority: Authority, authority_key: str, now: datetime) -> dict[str, Any]:
    """The indexed columns of one new statement; completes the statement's LRS-set
    properties in place (stored, authority, timestamp and version when absent)."""
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        raise ValidationFailed.single("actor", N_("Thiếu tác nhân (actor)."))
    verb = statement.get("verb")
    if not isinstance(verb, dict) or not isinstance(verb.get("id"), str):
        raise ValidationFailed.single("verb", N_("Thiếu động từ (verb.id)."))
    obj = statement.get("object")
    if not isinstance(obj, dict):
        raise ValidationFailed.single("object", N_("Thiếu đối tượng (object)."))
    timestamp = parse_timestamp(statement["timestamp"]) if "timestamp" in statement else now
    statement.setdefault("timestamp", now.isoformat())
    statement["stored"] = now.isoformat()
    statement["authority"] = authority.agent
    statement.setdefault("version", "1.0.0")
    object_type = obj.get("objectType", "Activity")
    return {
        "id": statement["id"],
        "statement": statement,
        "actor_key": agent_key(actor),
        "verb_id": verb["id"],
        "activity_iri": obj.get("id") if object_type == "Activity" else None,
        "object_agent_key": object_agent_key_of(obj),
        "statement_ref": obj.get("id") if object_type == "StatementRef" else None,
        "registration": (statement.get("context") or {}).get("registration"),
        "timestamp": timestamp,
        "stored": now,
        "voided": False,
        "authority_key": authority_key,
        "source": authority.source,
        "credit_trusted": authority.credit_trusted,
    }


def _void_target_id(statement: dict[str, Any]) -> str:
    obj = statement["object"]
    if obj.get("objectType") != "StatementRef" or not isinstance(obj.get("id"), str):
        raise ValidationFailed.single("object", N_("Statement hủy phải trỏ tới một StatementRef."))
    return str(obj["id"])


def _voidable_targets(
    session: Session, voided_targets: dict[str, str], new_rows: dict[str, dict[str, Any]]
) -> list[str]:
    """The statements the batch's voiding statements void now. xAPI allows voiding a
    statement the LRS has not seen (nothing is withdrawn), and storing one that targets a
    voiding statement, which voids nothing: a voiding statement cannot be voided. A
    "voided" statement whose own target the LRS never had voided nothing, so it is not a
    voiding statement here and can be voided (as the ADL conformance suite expects)."""
    if not voided_targets:
        return []
    found = {
        row.id: (row.verb_id, row.voided, row.statement_ref)
        for row in session.execute(
            select(Statement.id, Statement.verb_id, Statement.voided, Statement.statement_ref).where(
                Statement.id.in_(voided_targets)
            )
        )
    }
    for target_id in voided_targets:
        if target_id in new_rows:
            row = new_rows[target_id]
            found[target_id] = (row["verb_id"], False, row["statement_ref"])
    refs = {ref for verb_id, _, ref in found.values() if verb_id == VOIDED and ref}
    known = set(session.scalars(select(Statement.id).where(Statement.id.in_(refs)))) if refs else set()
    known |= refs & new_rows.keys()
    return [
        target_id
        for target_id, (verb_id, voided, ref) in found.items()
        if not voided and not (verb_id == VOIDED and ref in known)
    ]


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
