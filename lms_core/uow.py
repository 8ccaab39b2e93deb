"""Unit of work: commit, then publish the events the services recorded.

Services take a plain ``Session`` and never commit; the caller (a view, a CLI command,
a test) decides the transaction boundary with ``UnitOfWork.commit``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from types import TracebackType

from sqlalchemy.orm import Session

from lms_core.events import Event, drain

log = logging.getLogger(__name__)

# Delivers one event and returns the events its subscribers recorded in turn.
Publisher = Callable[[Session, Event], list[Event]]
# Delivers the events of one transaction together (``Registry.publish_batch``).
BatchPublisher = Callable[[Session, Sequence[Event]], list[Event]]


def _publish_nothing(_session: Session, _event: Event) -> list[Event]:
    return []


class UnitOfWork:
    """Wrap a session; ``commit`` commits and then publishes pending events.

    Events recorded by subscribers while handling an event are published in turn,
    after the subscriber's own commit (see ``lms_core.plugins.registry.publish``).
    """

    def __init__(
        self, session: Session, publish: Publisher | None = None, *, publish_batch: BatchPublisher | None = None
    ) -> None:
        self.session = session
        self.publish = publish or _publish_nothing
        self.publish_batch = publish_batch

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.rollback()

    def commit(self) -> None:
        self.session.commit()
        if self.publish_batch is not None:
            events = drain(self.session)
            while events:
                events = self.publish_batch(self.session, events)
            return
        queue = deque(drain(self.session))
        while queue:
            queue.extend(self.publish(self.session, queue.popleft()))

    def rollback(self) -> None:
        self.session.rollback()
