"""Fixtures for the notifications module: the app with the module enabled, the demo data,
helpers to run a reminder job through the app's registry, and a local SMTP server
(aiosmtpd) started by the test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.catalog import Activity, activity_iri, set_curriculum_item, upsert_activity
from lms_core.demo import DemoData
from modules.credits.models import ExternalClaim
from modules.notifications import services
from modules.notifications.models import Message
from tests.modules.credits.helpers import SITE

REQUIRED_MODULES = {"credits", "checklists", "notifications"}


@pytest.fixture
def notif_app(app: Any) -> Any:
    """The test app, which must have the notifications, credits and checklists modules."""
    missing = REQUIRED_MODULES - set(app.config["MODULES"])
    if missing:
        pytest.skip(
            f"modules not enabled: {', '.join(sorted(missing))}; run with "
            "HOCVU_MODULES=hr,quizzes,courses,checklists,credits,certificates,notifications"
        )
    return app


def account(session: Session, username: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == username))
    assert found is not None, username
    return found


def vn(moment: str) -> datetime:
    """An ISO moment, e.g. "2026-07-01T08:00:00+07:00"."""
    return datetime.fromisoformat(moment)


def remind(app: Any, session: Session, kind: str, now: datetime, **kwargs: Any) -> services.RunResult:
    """Run one reminder kind through the app's registry (as the job does) and commit."""
    with app.app_context():
        result = services.run(session, kind, now, app.extensions["hocvu_registry"].hook, **kwargs)
    session.commit()
    return result


def collected(app: Any, session: Session, kind: str, now: datetime) -> list[Any]:
    """What the modules would remind of at ``now``, before the message log filters it."""
    with app.app_context():
        return services.collect(session, kind, now, app.extensions["hocvu_registry"].hook)


def fresh(session: Session) -> None:
    """End the session's transaction so it sees what the app committed since (SQLite WAL
    and PostgreSQL keep a snapshot per transaction), and reload its objects."""
    session.commit()
    session.expire_all()


def messages(session: Session, **where: Any) -> list[Message]:
    fresh(session)
    query = select(Message).order_by(Message.id)
    for name, value in where.items():
        query = query.where(getattr(Message, name) == value)
    return list(session.scalars(query))


def required_course(session: Session, demo: DemoData, slug: str, position: str, due_rule: str = "year_end") -> Activity:
    """A course required for ``position``, with ``due_rule``."""
    activity = upsert_activity(
        session,
        iri=activity_iri(SITE, "course", slug),
        type="course",
        title=f"Khóa học bắt buộc {slug}",
        periods=4,
        field_code="tai-chinh",
        module="courses",
    )
    set_curriculum_item(session, demo.positions[position], activity, required=True, due_rule=due_rule)
    session.commit()
    return activity


def pending_claim(session: Session, demo: DemoData, staff: str, submitted: datetime) -> ExternalClaim:
    """A pending external training claim of ``staff`` (written directly: the claims
    service and its evidence files are the credits module's tests)."""
    claim = ExternalClaim(
        person_id=demo.people[staff].id,
        title="Lớp bồi dưỡng kỹ năng số",
        organiser="Sở Nội vụ",
        mode="tap_trung",
        start_date=date(2026, 10, 5),
        end_date=date(2026, 10, 6),
        periods=16,
        title_key="lớp bồi dưỡng kỹ năng số",
        status="pending",
        submitted_at=submitted,
    )
    session.add(claim)
    session.commit()
    return claim


# --- a local SMTP server --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the test server received; ``refuse`` answers for the next DATA commands
    (e.g. "451 4.3.0 …"), consumed one per e-mail; ``refuse_sender`` the answer to every
    MAIL FROM and ``refuse_recipient`` to RCPT TO of those addresses (both kept)."""

    received: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)
    refuse_sender: str = ""
    refuse_recipient: dict[str, str] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering DATA, to keep concurrent senders busy

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_recipient:
            return self.refuse_recipient[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse.pop(0)
        self.received.append(envelope.original_content or envelope.content)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def emails(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=email_policy.default) for raw in self.received]  # type: ignore[misc]


class SmtpServer:
    """aiosmtpd in a thread on 127.0.0.1; ``stop()`` and ``start()`` again on the same port."""

    def __init__(self, port: int, *, auth: tuple[str, str] | None = None) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.auth = auth
        self.controller: Any = None

    def _authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        login, password = data.login.decode(), data.password.decode()
        self.mailbox.logins.append((login, password))
        return AuthResult(success=(login, password) == self.auth)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        extra: dict[str, Any] = {}
        if self.auth is not None:
            extra = {"authenticator": self._authenticator, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, loop=asyncio.new_event_loop(), **extra
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **overrides: Any) -> services.SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "sender": "HocVu <hocvu@gialai.gov.vn>",
            "timeout": 5.0,
        }
        values.update(overrides)
        return services.SmtpSettings(**values)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    pytest.importorskip("aiosmtpd")
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
