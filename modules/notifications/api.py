"""The notifications JSON API under /api/v1: the caller's inbox, marking a message read,
and the preference to mute the weekly digest."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Range

from app.extensions import db
from app.security import account_or_401, requires, token_auth, unit_of_work
from modules.notifications import services
from modules.notifications.models import Message, Preference

api = APIBlueprint("notifications_api", __name__, url_prefix="/api/v1", tag="Notifications")


class InboxQuery(Schema):
    unread = Boolean(load_default=False, metadata={"description": "Only unread messages"})
    before = Integer(metadata={"description": "Only messages older than this id (the next page)"})
    limit = Integer(load_default=50, validate=Range(min=1, max=200))


class MessageOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "weekly_digest, mentor_queue, pending_claims or deadlines"})
    subject = String()
    body = String()
    link = String(metadata={"description": "A path on the site"})
    created_at = String(metadata={"description": "ISO 8601, UTC"})
    read_at = String(allow_none=True)


class InboxOut(Schema):
    items = List(Nested(MessageOut), metadata={"description": "Newest first"})
    unread = Integer(metadata={"description": "Unread messages in all"})


class PreferencesIn(Schema):
    digests_muted = Boolean(required=True, metadata={"description": "Skip the weekly progress digest"})


class PreferencesOut(Schema):
    digests_muted = Boolean()


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "link": message.link,
        "created_at": message.created_at.isoformat(),
        "read_at": message.read_at.isoformat() if message.read_at else None,
    }


def preferences_out(preference: Preference) -> dict[str, Any]:
    return {"digests_muted": bool(preference.digests_muted)}


@api.get("/notifications")
@api.auth_required(token_auth)
@api.input(InboxQuery, location="query", arg_name="query")
@api.output(InboxOut)
@api.doc(summary="The caller's notifications, newest first, with the unread count")
@requires()
def list_notifications(query: dict[str, Any]) -> Any:
    account = account_or_401()
    messages = services.inbox(
        db.session, account, unread_only=query["unread"], before_id=query.get("before"), limit=query["limit"]
    )
    return {"items": [message_out(m) for m in messages], "unread": services.unread_count(db.session, account.id)}


@api.post("/notifications/<int:message_id>/read")
@api.auth_required(token_auth)
@api.output(MessageOut)
@api.doc(summary="Mark one of the caller's notifications read", responses={404: "Not the caller's notification"})
@requires()
def read_notification(message_id: int) -> Any:
    message = services.mark_read(db.session, account_or_401(), message_id)
    unit_of_work().commit()
    return message_out(message)


@api.get("/notifications/preferences")
@api.auth_required(token_auth)
@api.output(PreferencesOut)
@api.doc(summary="The caller's notification preferences")
@requires()
def get_preferences() -> Any:
    return preferences_out(services.preferences(db.session, account_or_401()))


@api.put("/notifications/preferences")
@api.auth_required(token_auth)
@api.input(PreferencesIn, arg_name="data")
@api.output(PreferencesOut)
@api.doc(summary="Mute or unmute the weekly digest (deadlines and review queues are always sent)")
@requires()
def put_preferences(data: dict[str, Any]) -> Any:
    preference = services.set_preferences(db.session, account_or_401(), digests_muted=data["digests_muted"])
    unit_of_work().commit()
    return preferences_out(preference)
