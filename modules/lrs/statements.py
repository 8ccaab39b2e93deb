"""The Statement resource: storing what a client sends and answering queries.

Statements go to the core's statement store (``lms_core.statements``), the same record
HocVu's own services write, so a ``completed`` statement POSTed for a catalog activity
credits the official exactly like one written by a course.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, literal, or_, select, union
from sqlalchemy.orm import Session, aliased

from lms_core.errors import N_, NotFound, PermissionDenied, ValidationFailed
from lms_core.statements import (
    Statement,
    StatementActivity,
    StatementAgent,
    agent_key,
    store_statements,
)
from modules.lrs import formats
from modules.lrs.clients import authority_for
from modules.lrs.models import Attachment, LrsClient

MAX_LIMIT = 500
# How deep StatementRef chains are followed when a query matches a targeted statement.
MAX_REF_DEPTH = 10


@dataclass(frozen=True)
class StatementQuery:
    """The filters of ``GET statements`` (xAPI Communication 2.1.3), already parsed."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    # Paging: the (stored, id) of the last statement of the previous page.
    after: tuple[str, str] | None = None
    format: str = "exact"
    attachments: bool = False

    def to_token(self) -> str:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> StatementQuery:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            data["since"] = datetime.fromisoformat(data["since"]) if data["since"] else None
            data["until"] = datetime.fromisoformat(data["until"]) if data["until"] else None
            data["after"] = tuple(data["after"]) if data["after"] else None
            return cls(**data)
        except (ValueError, TypeError, KeyError):
            raise ValidationFailed.single("more", N_("Liên kết trang tiếp (more) không hợp lệ.")) from None


@dataclass(frozen=True)
class Page:
    statements: list[dict[str, Any]]
    more: StatementQuery | None
    last_stored: datetime | None


def check_write(client: LrsClient, statements: Sequence[dict[str, Any]]) -> None:
    """A client may store only what its credentials allow: a launch credential only
    statements about its own official."""
    if not client.can_write:
        raise PermissionDenied(N_("Client LRS này chỉ được đọc."))
    if client.actor_key is not None:
        for index, statement in enumerate(statements):
            if agent_key(statement["actor"]) != client.actor_key:
                raise PermissionDenied(
                    N_("Lần mở học liệu này chỉ ghi được statement của chính người học (statement %(index)s)."),
                    index=index,
                )


def store(
    session: Session,
    client: LrsClient,
    statements: Sequence[dict[str, Any]],
    *,
    site_url: str,
    version: str,
    attachments: dict[str, tuple[str, bytes]] | None = None,
) -> list[str]:
    """Store validated statements (and the raw data of their attachments, by sha2) for
    ``client``. Caller commits."""
    check_write(client, statements)
    default_version = "2.0.0" if version.startswith("2.") else "1.0.0"
    prepared = [_as_stored(statement, default_version) for statement in statements]
    ids = store_statements(session, prepared, authority_for(client, site_url))
    for sha2, (content_type, content) in (attachments or {}).items():
        if session.get(Attachment, sha2) is None:
            session.add(Attachment(sha2=sha2, content_type=content_type, content=content))
    return ids


def _as_stored(statement: dict[str, Any], default_version: str) -> dict[str, Any]:
    """The statement as the LRS keeps it: its version, and each context activity kind as
    an array even when one Activity was sent (xAPI returns them as arrays)."""
    stored = statement if "version" in statement else {**statement, "version": default_version}
    return _context_arrays(stored)


def _context_arrays(statement: dict[str, Any]) -> dict[str, Any]:
    context = statement.get("context")
    kinds = (context or {}).get("contextActivities")
    if kinds and any(isinstance(v, dict) for v in kinds.values()):
        arrays = {k: [v] if isinstance(v, dict) else v for k, v in kinds.items()}
        statement = {**statement, "context": {**context, "contextActivities": arrays}}
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        statement = {**statement, "object": _context_arrays(obj)}
    return statement


def _check_readable(client: LrsClient) -> None:
    if not client.can_read:
        raise PermissionDenied(N_("Client LRS này chỉ được ghi."))


def _scoped(s: Any, own_scope: bool, launch: bool) -> list[Any]:
    """What a client may read, with bound parameters (``_scope_params``): scope "own" its
    own statements; a launch credential its official's statements."""
    conditions: list[Any] = []
    if own_scope:
        conditions.append(s.source.in_((bindparam("own_lrs"), bindparam("own_launch"))))
    if launch:
        conditions.append(s.actor_key == bindparam("launch_actor"))
    return conditions


def _client_scope(s: Any, client: LrsClient) -> list[Any]:
    return _scoped(s, client.scope == "own", client.actor_key is not None)


def _scope_params(client: LrsClient) -> dict[str, Any]:
    params = {"own_lrs": f"lrs:{client.key}", "own_launch": f"launch:{client.key}"}
    return {**params, "launch_actor": client.actor_key} if client.actor_key else params


def get_one(session: Session, client: LrsClient, statement_id: str, *, voided: bool) -> Statement:
    """``GET statements?statementId=`` (a statement that is not voided) or
    ``?voidedStatementId=`` (one that is)."""
    _check_readable(client)
    query = select(Statement).where(
        Statement.id == statement_id, Statement.voided.is_(voided), *_client_scope(Statement, client)
    )
    row = session.scalar(query, _scope_params(client))
    if row is None:
        raise NotFound(N_("Không tìm thấy statement %(id)s."), id=statement_id)
    return row


@dataclass(frozen=True)
class _Shape:
    """Which filters a query uses: each shape's SQL is built once, with bound parameters,
    so a request pays neither building nor compiling it (and PostgreSQL can keep a
    prepared plan)."""

    agent: str  # "", "plain" or "related"
    verb: bool
    activity: str
    registration: bool
    since: bool
    until: bool
    after: bool
    ascending: bool
    own_scope: bool
    launch: bool

    @classmethod
    def of(cls, query: StatementQuery, client: LrsClient) -> _Shape:
        return cls(
            agent="" if query.agent is None else ("related" if query.related_agents else "plain"),
            verb=query.verb is not None,
            activity="" if query.activity is None else ("related" if query.related_activities else "plain"),
            registration=query.registration is not None,
            since=query.since is not None,
            until=query.until is not None,
            after=query.after is not None,
            ascending=query.ascending,
            own_scope=client.scope == "own",
            launch=client.actor_key is not None,
        )


def _matches(s: Any, shape: _Shape) -> list[Any]:
    """The filters other than time and paging, on the statements alias ``s``."""
    conditions: list[Any] = []
    if shape.agent == "related":
        conditions.append(
            s.id.in_(select(StatementAgent.statement_id).where(StatementAgent.agent_key == bindparam("agent")))
        )
    elif shape.agent == "plain":
        conditions.append(or_(s.actor_key == bindparam("agent"), s.object_agent_key == bindparam("agent")))
    if shape.verb:
        conditions.append(s.verb_id == bindparam("verb"))
    if shape.activity == "related":
        conditions.append(
            s.id.in_(
                select(StatementActivity.statement_id).where(StatementActivity.activity_iri == bindparam("activity"))
            )
        )
    elif shape.activity == "plain":
        conditions.append(s.activity_iri == bindparam("activity"))
    if shape.registration:
        conditions.append(s.registration == bindparam("registration"))
    return conditions


def _window(s: Any, shape: _Shape) -> list[Any]:
    """The time and paging filters: they apply to the returned statement itself."""
    conditions: list[Any] = []
    if shape.since:
        conditions.append(s.stored > bindparam("since"))
    if shape.until:
        conditions.append(s.stored <= bindparam("until"))
    if shape.after:
        stored, last_id = bindparam("after_stored"), bindparam("after_id")
        if shape.ascending:
            conditions.append(or_(s.stored > stored, and_(s.stored == stored, s.id > last_id)))
        else:
            conditions.append(or_(s.stored < stored, and_(s.stored == stored, s.id < last_id)))
    return conditions


def _ordered(query: Select[Any], s: Any, ascending: bool) -> Select[Any]:
    order = (s.stored.asc(), s.id.asc()) if ascending else (s.stored.desc(), s.id.desc())
    return query.order_by(*order).limit(bindparam("fetch"))


@functools.lru_cache(maxsize=256)
def _page_query(shape: _Shape) -> Select[Any]:
    """The page of a query of ``shape``: statements that match, plus (when there are
    filters) statements whose StatementRef chain reaches one that matches."""
    s = aliased(Statement, name="s")
    matches = _matches(s, shape)
    own = select(s.id, s.stored).where(
        s.voided.is_(False), *_scoped(s, shape.own_scope, shape.launch), *_window(s, shape), *matches
    )
    branches = [_ordered(own, s, shape.ascending).subquery()]
    if matches:
        branches.append(_targeting(shape).subquery())
    # union, not union all: a statement can match itself and through its target too.
    found = union(*(select(b.c.id, b.c.stored) for b in branches)).subquery()
    page = _ordered(select(found.c.id), found.c, shape.ascending).subquery()
    r = aliased(Statement, name="r")
    order = (r.stored.asc(), r.id.asc()) if shape.ascending else (r.stored.desc(), r.id.desc())
    return select(r.id, r.stored, r.statement).join(page, page.c.id == r.id).order_by(*order)


def _targeting(shape: _Shape) -> Select[Any]:
    """Statements in the window whose StatementRef chain reaches a statement matching the
    filters (the target may itself be voided: its voiding statement is still returned)."""
    t, u, m, s = aliased(Statement), aliased(Statement), aliased(Statement), aliased(Statement)
    chain = (
        select(t.id.label("id"), t.statement_ref.label("target"), literal(1).label("depth"))
        .where(t.statement_ref.is_not(None), t.voided.is_(False), *_window(t, shape))
        .cte("ref_chain", recursive=True)
    )
    chain = chain.union_all(
        select(chain.c.id, u.statement_ref, chain.c.depth + 1)
        .join(u, u.id == chain.c.target)
        .where(u.statement_ref.is_not(None), chain.c.depth < MAX_REF_DEPTH)
    )
    reached = select(chain.c.id).join(m, m.id == chain.c.target).where(*_matches(m, shape))
    query = select(s.id, s.stored).where(s.id.in_(reached), *_scoped(s, shape.own_scope, shape.launch))
    return _ordered(query, s, shape.ascending)


def find(session: Session, client: LrsClient, query: StatementQuery) -> Page:
    """The statements matching ``query`` that ``client`` may read, newest first unless
    ``ascending``, at most ``limit`` (0: the server's maximum), with the query of the next
    page. Voided statements are left out; a statement targeting a matching statement
    (StatementRef, e.g. a voiding statement) is returned too (xAPI 1.0.3, 2.1.3)."""
    _check_readable(client)
    limit = MAX_LIMIT if query.limit <= 0 else min(query.limit, MAX_LIMIT)
    params: dict[str, Any] = {
        "agent": query.agent,
        "verb": query.verb,
        "activity": query.activity,
        "registration": query.registration,
        "since": query.since,
        "until": query.until,
        "fetch": limit + 1,
        **_scope_params(client),
    }
    if query.after is not None:
        params["after_stored"], params["after_id"] = datetime.fromisoformat(query.after[0]), query.after[1]
    shape = _Shape.of(query, client)
    rows = session.execute(_page_query(shape), {k: v for k, v in params.items() if v is not None}).all()
    more = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        more = StatementQuery(**{**asdict(query), "after": (last.stored.isoformat(), last.id)})
    last_stored = max((row.stored for row in rows), default=None)
    return Page([row.statement for row in rows], more, last_stored)


def person(session: Session, client: LrsClient, agent: dict[str, Any]) -> dict[str, Any]:
    """The Person object of ``agent``: the names and identifiers of its recent statements
    that ``client`` may read."""
    _check_readable(client)
    query = (
        select(Statement.statement)
        .where(Statement.actor_key == agent_key(agent), *_client_scope(Statement, client))
        .order_by(Statement.stored.desc())
        .limit(20)
    )
    return formats.person(agent, [s["actor"] for s in session.scalars(query, _scope_params(client))])


def activity(session: Session, client: LrsClient, activity_iri: str) -> dict[str, Any]:
    """The canonical Activity object: what the latest statements ``client`` may read said
    of it, merged (every language of its name and description; the newest elsewhere)."""
    _check_readable(client)
    query = (
        select(Statement.statement)
        .where(Statement.activity_iri == activity_iri, *_client_scope(Statement, client))
        .order_by(Statement.stored.desc())
        .limit(100)
    )
    definitions = (s["object"].get("definition") for s in session.scalars(query, _scope_params(client)))
    found: dict[str, Any] = {"objectType": "Activity", "id": activity_iri}
    definition = formats.merged_definition(definitions)
    return {**found, "definition": definition} if definition else found
