"""The notifications module's scheduled jobs (declared in ``plugin.MANIFEST``).

Each takes the ``Session`` the scheduler contract gives (``lms_core.scheduler.run_once``
commits it when the job returns) and runs inside the app context that both
``flask --app wsgi jobs run NAME`` and ``flask --app wsgi scheduler`` provide, which is
where the registry (for the ``hocvu_reminders`` hook) and the SMTP settings come from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from lms_core.db import utcnow
from lms_core.reminders import DEADLINES, MENTOR_QUEUE, PENDING_CLAIMS, WEEKLY_DIGEST
from modules.notifications import services

# The jobs' clock; tests replace it to run a job "on" a given day.
clock: Callable[[], datetime] = utcnow


def smtp_settings() -> services.SmtpSettings | None:
    """The running app's SMTP settings (``SMTP_*`` config keys); None: e-mail is off."""
    return services.SmtpSettings.from_config(current_app.config)


def remind(session: Session, kind: str) -> services.RunResult:
    """Deliver the reminders of ``kind`` the enabled modules want sent now."""
    registry = current_app.extensions["hocvu_registry"]
    return services.run(session, kind, clock(), registry.hook, queue_email=smtp_settings() is not None)


def weekly_digest(session: Session) -> None:
    remind(session, WEEKLY_DIGEST)


def mentor_queue(session: Session) -> None:
    remind(session, MENTOR_QUEUE)


def pending_claims(session: Session) -> None:
    remind(session, PENDING_CLAIMS)


def deadlines(session: Session) -> None:
    remind(session, DEADLINES)


def outbox(session: Session) -> None:
    """Send the due e-mails. While SMTP is not configured nothing is sent and, since the
    reminder jobs then queue no e-mails (only inbox messages), nothing is waiting either:
    reminders delivered meanwhile never get an e-mail. E-mails queued before SMTP was
    turned off stay pending and go once it is configured again."""
    settings = smtp_settings()
    if settings is not None:
        # The clock itself, not one reading of it: the outbox reads it per e-mail.
        services.deliver_outbox(session, settings, clock, site_url=current_app.config["SITE_URL"])
