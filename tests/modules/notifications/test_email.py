"""The e-mail outbox against a local SMTP server (aiosmtpd) started by the test: the
Vietnamese subject arrives encoded, refusals and a stopped server are retried with
backoff until they succeed, permanent refusals and too many attempts give up, login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.reminders import WEEKLY_DIGEST
from modules.notifications import services
from modules.notifications.models import OutboxEmail
from tests.modules.notifications.conftest import SmtpServer, account, free_port, fresh, messages, remind, vn

NOW = vn("2026-07-06T07:00:00+07:00")  # a Monday


def outbox(session: Session) -> list[OutboxEmail]:
    fresh(session)
    return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


@pytest.fixture
def one_digest(notif_app: Any, app_db: Session, demo: Any) -> OutboxEmail:
    """A digest for demo.official only, with its e-mail queued."""
    for name in ("demo.mentor", "demo.hr", "demo.admin", "demo.hr.quynhon"):
        services.set_preferences(app_db, account(app_db, name), digests_muted=True)
    app_db.commit()
    result = remind(notif_app, app_db, WEEKLY_DIGEST, NOW, queue_email=True)
    assert result.queued == 1
    (email,) = outbox(app_db)
    return email


def deliver(session: Session, server: SmtpServer, now: Any, **kwargs: Any) -> services.DeliveryResult:
    return services.deliver_outbox(session, server.settings(**kwargs), now, site_url="https://hocvu.test")


def test_an_email_arrives_with_its_vietnamese_subject_encoded(
    app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer
) -> None:
    result = deliver(app_db, smtp_server, NOW)
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    (raw,) = smtp_server.mailbox.received
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: =?utf-8?" in headers  # RFC 2047: no raw UTF-8 in the header
    (email,) = smtp_server.mailbox.emails()
    (message,) = messages(app_db)
    assert email["Subject"] == message.subject and "Tiến độ bồi dưỡng năm 2026" in email["Subject"]
    assert email["To"] == "gl-00001@gialai.gov.vn" == smtp_server.mailbox.recipients[0][0]
    assert email["Message-ID"] == f"<hocvu-notification-{message.id}@gialai.gov.vn>"
    body = email.get_content()
    assert message.body in body and "https://hocvu.test/hours" in body
    assert "https://hocvu.test/notifications/preferences" in body
    (row,) = outbox(app_db)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, NOW, "")
    # Sent is sent: a later run has nothing to do.
    assert deliver(app_db, smtp_server, NOW + timedelta(hours=1)).sent == 0
    assert len(smtp_server.mailbox.received) == 1


def test_a_refusing_server_is_retried_with_backoff_then_the_email_goes(
    app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.refuse = ["451 4.3.0 Máy chủ bận, thử lại sau", "421 4.7.0 Try again later"]
    first = deliver(app_db, smtp_server, NOW)
    assert (first.sent, first.retried) == (0, 1)
    (row,) = outbox(app_db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + timedelta(minutes=1))
    assert "451" in row.last_error
    # Not due yet: nothing is tried before the backoff ends.
    assert deliver(app_db, smtp_server, NOW + timedelta(seconds=30)).retried == 0
    second = deliver(app_db, smtp_server, NOW + timedelta(minutes=1))
    assert second.retried == 1
    (row,) = outbox(app_db)
    assert (row.attempts, row.next_attempt_at) == (2, NOW + timedelta(minutes=3))  # 1 min, then 2 min
    third = deliver(app_db, smtp_server, NOW + timedelta(minutes=3))
    assert third.sent == 1
    (row,) = outbox(app_db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert len(smtp_server.mailbox.received) == 1


def test_a_stopped_server_is_retried_until_it_is_back(app_db: Session, one_digest: OutboxEmail) -> None:
    pytest.importorskip("aiosmtpd")
    server = SmtpServer(free_port())  # not started: the connection is refused
    assert deliver(app_db, server, NOW).retried == 1
    (row,) = outbox(app_db)
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error
    server.start()
    try:
        assert deliver(app_db, server, NOW + timedelta(minutes=1)).sent == 1
    finally:
        server.stop()
    assert len(server.mailbox.received) == 1


def test_a_permanent_refusal_fails_at_once(app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse = ["550 5.1.1 Hộp thư không tồn tại"]
    assert deliver(app_db, smtp_server, NOW).failed == 1
    (row,) = outbox(app_db)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    assert deliver(app_db, smtp_server, NOW + timedelta(days=1)).sent == 0


def test_after_the_last_attempt_an_email_is_failed(app_db: Session, one_digest: OutboxEmail) -> None:
    pytest.importorskip("aiosmtpd")
    server = SmtpServer(free_port())  # never started
    moment = NOW
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        result = deliver(app_db, server, moment)
        (row,) = outbox(app_db)
        assert row.attempts == attempt
        moment = row.next_attempt_at
    assert (result.retried, result.failed) == (0, 1)
    assert row.status == "failed"


def test_a_worker_that_died_while_sending_leaves_the_email_to_another_after_its_lease(
    app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer
) -> None:
    claimed = services.claim_next(app_db, NOW)  # ... and the worker dies here
    assert claimed is not None and claimed.status == "sending"
    assert deliver(app_db, smtp_server, NOW + timedelta(minutes=1)).sent == 0  # leased
    assert deliver(app_db, smtp_server, NOW + services.LEASE).sent == 1
    (row,) = outbox(app_db)
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_when_a_username_is_set(app_db: Session, one_digest: OutboxEmail) -> None:
    pytest.importorskip("aiosmtpd")
    server = SmtpServer(free_port(), auth=("hocvu", "mat-khau-smtp"))
    server.start()
    try:
        wrong = deliver(app_db, server, NOW, username="hocvu", password="sai")
        assert wrong.retried == 1  # a bad login may be fixed in the settings: keep trying
        good = deliver(app_db, server, NOW + timedelta(minutes=1), username="hocvu", password="mat-khau-smtp")
        assert good.sent == 1
    finally:
        server.stop()
    assert server.mailbox.logins[-1] == ("hocvu", "mat-khau-smtp")


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [services.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert services.backoff(30) == services.RETRY_CAP


def test_smtp_settings_come_from_the_config() -> None:
    assert services.SmtpSettings.from_config({}) is None
    assert services.SmtpSettings.from_config({"SMTP_HOST": "  "}) is None
    plain = services.SmtpSettings.from_config({"SMTP_HOST": "smtp.gialai.gov.vn"})
    assert plain is not None and (plain.port, plain.starttls, plain.ssl, plain.username) == (25, False, False, None)
    tls = services.SmtpSettings.from_config(
        {
            "SMTP_HOST": "smtp.gialai.gov.vn",
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            "SMTP_USERNAME": "hocvu",
            "SMTP_PASSWORD": "bí-mật",
            "SMTP_SENDER": "HocVu <hocvu@gialai.gov.vn>",
            "SMTP_TIMEOUT": "3",
        }
    )
    assert tls is not None and (tls.port, tls.starttls, tls.username, tls.timeout) == (587, True, "hocvu", 3.0)
    assert "bí-mật" not in repr(tls)
    implicit = services.SmtpSettings.from_config({"SMTP_HOST": "smtp.gialai.gov.vn", "SMTP_SSL": "1"})
    assert implicit is not None and (implicit.port, implicit.ssl, implicit.starttls) == (465, True, False)
