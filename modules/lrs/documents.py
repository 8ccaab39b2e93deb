"""The Document resources: activities/state, activities/profile and agents/profile.

A document is stored as sent (bytes and Content-Type). Concurrency follows xAPI's
ETag rules: ``If-Match`` / ``If-None-Match`` are checked under a row lock, so two
clients updating the same document cannot both succeed on the same ETag.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms_core.db import utcnow
from lms_core.errors import N_, Conflict, DomainError, ValidationFailed
from modules.lrs.models import Document

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"


@dataclass(frozen=True)
class Scope:
    """Which documents a request addresses; "" where a part does not apply."""

    kind: str
    scope_key: str = ""
    activity_iri: str = ""
    agent_key: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Preconditions:
    """The request's ``If-Match`` and ``If-None-Match`` headers, parsed."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        def tags(value: str | None) -> tuple[str, ...] | None:
            if value is None:
                return None
            return tuple(tag.strip().removeprefix("W/").strip('"') for tag in value.split(",") if tag.strip())

        return cls(tags(if_match), tags(if_none_match))

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None

    def check(self, existing: Document | None) -> None:
        if self.if_match is not None and (
            existing is None or ("*" not in self.if_match and existing.etag not in self.if_match)
        ):
            raise PreconditionFailed(N_("Tài liệu đã thay đổi (If-Match không khớp ETag hiện tại)."))
        if self.if_none_match is not None and existing is not None:
            if "*" in self.if_none_match or existing.etag in self.if_none_match:
                raise PreconditionFailed(N_("Tài liệu đã tồn tại (If-None-Match)."))


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


def _locked(session: Session, scope: Scope, document_id: str) -> Document | None:
    query = select(Document).where(*_scoped(scope), Document.document_id == document_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _scoped(scope: Scope) -> list[Any]:
    return [
        Document.kind == scope.kind,
        Document.scope_key == scope.scope_key,
        Document.activity_iri == scope.activity_iri,
        Document.agent_key == scope.agent_key,
        Document.registration == scope.registration,
    ]


def get(session: Session, scope: Scope, document_id: str) -> Document | None:
    return session.scalar(select(Document).where(*_scoped(scope), Document.document_id == document_id))


def ids(session: Session, scope: Scope, since: datetime | None) -> list[str]:
    """The ids of the documents in ``scope`` (updated after ``since``). A state listing
    without registration lists every registration's states."""
    conditions = _scoped(scope)
    if scope.kind == STATE and not scope.registration:
        conditions = conditions[:-1]
    if since is not None:
        conditions.append(Document.updated_at > since)
    return sorted(set(session.scalars(select(Document.document_id).where(*conditions))))


def put(
    session: Session,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
    *,
    missing_precondition: type[DomainError] | None = None,
    now: datetime | None = None,
) -> Document:
    """Store ``content`` as the document, replacing it. ``missing_precondition``: the
    error when the document exists and neither If-Match nor If-None-Match was sent (the
    profile resources require one). Caller commits."""
    existing = _locked(session, scope, document_id)
    preconditions.check(existing)
    if existing is not None and not preconditions.given and missing_precondition is not None:
        raise missing_precondition(N_("Tài liệu đã tồn tại: gửi kèm If-Match với ETag hiện tại để ghi đè."))
    return _write(session, existing, scope, document_id, content, content_type, now)


def post(
    session: Session,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
    now: datetime | None = None,
) -> Document:
    """Merge a JSON object into the document (its top-level properties replace the
    stored ones), or store it when there is none. Caller commits."""
    existing = _locked(session, scope, document_id)
    preconditions.check(existing)
    if existing is None:
        if is_json(content_type):
            _json_object(content)
        return _write(session, None, scope, document_id, content, content_type, now)
    if not (is_json(content_type) and is_json(existing.content_type)):
        raise ValidationFailed.single(
            "Content-Type", N_("Chỉ gộp được hai tài liệu JSON (Content-Type: application/json).")
        )
    merged = {**_json_object(existing.content), **_json_object(content)}
    body = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode()
    return _write(session, existing, scope, document_id, body, existing.content_type, now)


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValidationFailed.single("content", N_("Tài liệu phải là một đối tượng JSON."))
    return value


def _write(
    session: Session,
    existing: Document | None,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    now: datetime | None,
) -> Document:
    document = existing or Document(
        kind=scope.kind,
        scope_key=scope.scope_key,
        activity_iri=scope.activity_iri,
        agent_key=scope.agent_key,
        registration=scope.registration,
        document_id=document_id,
    )
    document.content = content
    document.content_type = content_type or "application/octet-stream"
    document.etag = etag_of(content)
    document.updated_at = now or utcnow()
    session.add(document)
    session.flush()
    return document


def delete_one(session: Session, scope: Scope, document_id: str, preconditions: Preconditions) -> None:
    """Delete the document (a missing one is fine: DELETE is idempotent). Caller commits."""
    existing = _locked(session, scope, document_id)
    preconditions.check(existing)
    if existing is not None:
        session.delete(existing)


def delete_all(session: Session, scope: Scope) -> None:
    """Delete every state document of an activity and agent (and registration). Caller commits."""
    if scope.kind != STATE:
        raise Conflict(N_("Chỉ xóa được nhiều tài liệu trạng thái cùng lúc."))
    conditions = _scoped(scope)
    if not scope.registration:
        conditions = conditions[:-1]
    session.execute(delete(Document).where(*conditions))
