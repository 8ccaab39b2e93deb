"""Core events. Services record them during a transaction; they are dispatched to
modules (the ``hocvu_event`` hook) only after that transaction commits, so no module
ever reacts to something that was rolled back.

Each event is a frozen dataclass holding ids, not ORM objects: a subscriber loads
what it needs in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_PENDING = "hocvu_pending_events"


class Event:
    """Marker base class of every core and module event."""


@dataclass(frozen=True)
class StatementStored(Event):
    """An xAPI statement was stored. ``credit_trusted`` says whether its source may award
    credit (HocVu's own services, a launch credential, an LRS client created as crediting)."""

    statement_id: str
    actor_key: str
    verb_id: str
    activity_iri: str | None
    credit_trusted: bool


@dataclass(frozen=True)
class StatementVoided(Event):
    """A voiding statement (``voiding_statement_id``) voided ``statement_id``:
    whatever that statement earned is withdrawn."""

    statement_id: str
    voiding_statement_id: str


@dataclass(frozen=True)
class PersonCreated(Event):
    """A person was created in ``unit_id``."""

    person_id: int
    unit_id: int


@dataclass(frozen=True)
class PersonChanged(Event):
    """A person's unit, position, category or active flag changed.
    ``old_unit_id`` differs from ``unit_id`` when the person moved."""

    person_id: int
    unit_id: int
    old_unit_id: int


@dataclass(frozen=True)
class UnitChanged(Event):
    """A unit was created, renamed or moved in the tree."""

    unit_id: int


def record(session: Session, event: Event) -> None:
    """Queue ``event`` on the session; the unit of work publishes it after commit."""
    session.info.setdefault(_PENDING, []).append(event)


def drain(session: Session) -> list[Event]:
    """Take the queued events off the session (called after a commit)."""
    return session.info.pop(_PENDING, [])


@sa_event.listens_for(Session, "after_rollback")
def _discard_on_rollback(session: Session) -> None:
    # Whatever the rolled-back transaction recorded never happened. (A savepoint
    # rollback is not a database rollback and keeps the outer transaction's events.)
    session.info.pop(_PENDING, None)
