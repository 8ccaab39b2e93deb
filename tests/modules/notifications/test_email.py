"""The e-mail outbox against a local SMTP server (aiosmtpd) started by the test: the
Vietnamese subject arrives encoded, refusals are retried with backoff until they succeed,
permanent refusals and too many attempts give up, a stopped server, a failed login or a
refused sender use no e-mail's attempts, login, and the clock is read per e-mail."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
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


@pytest.fixture
def five_digests(notif_app: Any, app_db: Session, demo: Any) -> list[OutboxEmail]:
    """A digest for each of the five demo accounts, with its e-mail queued."""
    assert remind(notif_app, app_db, WEEKLY_DIGEST, NOW, queue_email=True).queued == 5
    return outbox(app_db)


def deliver(session: Session, server: SmtpServer, now: datetime, **kwargs: Any) -> services.DeliveryResult:
    return services.deliver_outbox(session, server.settings(**kwargs), lambda: now, site_url="https://hocvu.test")


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


def test_a_stopped_server_uses_no_attempts_and_everything_goes_when_it_is_back(
    app_db: Session, five_digests: list[OutboxEmail]
) -> None:
    pytest.importorskip("aiosmtpd")
    server = SmtpServer(free_port())  # not started: the connection is refused
    for minute in range(services.MAX_ATTEMPTS + 2):  # an outage longer than all the retries
        result = deliver(app_db, server, NOW + timedelta(minutes=minute))
        # One e-mail tried, handed back, and the run stops: no reconnecting 200 times.
        assert (result.deferred, result.retried, result.failed, result.stopped) == (1, 0, 0, "server")
    rows = outbox(app_db)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 0)}
    assert any("ConnectionRefusedError" in row.last_error for row in rows)
    server.start()
    try:
        assert deliver(app_db, server, NOW + timedelta(minutes=20)).sent == 5
    finally:
        server.stop()
    assert len(server.mailbox.received) == 5
    assert {(row.status, row.attempts) for row in outbox(app_db)} == {("sent", 1)}


def test_a_5xx_greeting_fails_no_email(app_db: Session, five_digests: list[OutboxEmail]) -> None:
    def refused(settings: services.SmtpSettings) -> smtplib.SMTP:
        raise smtplib.SMTPConnectError(554, b"5.3.2 Service not available")

    server_settings = services.SmtpSettings(host="127.0.0.1", port=free_port())
    result = services.deliver_outbox(app_db, server_settings, lambda: NOW, connector=refused)
    assert (result.deferred, result.failed, result.stopped) == (1, 0, "server")
    rows = outbox(app_db)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 0)}
    assert any("SMTPConnectError" in row.last_error for row in rows)


def test_a_refused_sender_fails_no_email(
    app_db: Session, five_digests: list[OutboxEmail], smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.refuse_sender = "553 5.7.1 Sender address rejected: not owned by user"
    result = deliver(app_db, smtp_server, NOW)
    assert (result.deferred, result.failed, result.stopped) == (1, 0, "server")
    rows = outbox(app_db)
    assert {(row.status, row.attempts) for row in rows} == {("pending", 0)}
    assert any("SMTPSenderRefused" in row.last_error for row in rows)
    smtp_server.mailbox.refuse_sender = ""  # the settings fixed
    assert deliver(app_db, smtp_server, NOW + timedelta(minutes=1)).sent == 5


def test_a_refused_recipient_counts_against_that_email_only(
    app_db: Session, five_digests: list[OutboxEmail], smtp_server: SmtpServer
) -> None:
    bounced, busy, *_ = (row.recipient for row in five_digests)
    smtp_server.mailbox.refuse_recipient = {
        bounced: "550 5.1.1 Hộp thư không tồn tại",
        busy: "450 4.2.1 Mailbox busy",
    }
    result = deliver(app_db, smtp_server, NOW)
    assert (result.sent, result.retried, result.failed, result.deferred, result.stopped) == (3, 1, 1, 0, "")
    by_recipient = {row.recipient: row for row in outbox(app_db)}
    assert (by_recipient[bounced].status, by_recipient[bounced].attempts) == ("failed", 1)
    assert (by_recipient[busy].status, by_recipient[busy].attempts) == ("pending", 1)
    assert by_recipient[busy].next_attempt_at == NOW + timedelta(minutes=1)
    assert "450" in by_recipient[busy].last_error
    assert len(smtp_server.mailbox.received) == 3


def test_a_permanent_refusal_fails_at_once(app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse = ["550 5.1.1 Hộp thư không tồn tại"]
    assert deliver(app_db, smtp_server, NOW).failed == 1
    (row,) = outbox(app_db)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    assert deliver(app_db, smtp_server, NOW + timedelta(days=1)).sent == 0


def test_after_the_last_attempt_an_email_is_failed(
    app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.refuse = ["451 4.3.0 Try again later"] * services.MAX_ATTEMPTS
    moment = NOW
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        result = deliver(app_db, smtp_server, moment)
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
        # The settings' fault, not the e-mail's: kept, no attempt used, tried next run.
        assert (wrong.deferred, wrong.retried, wrong.stopped) == (1, 0, "server")
        (row,) = outbox(app_db)
        assert (row.status, row.attempts) == ("pending", 0) and row.last_error
        good = deliver(app_db, server, NOW + timedelta(minutes=1), username="hocvu", password="mat-khau-smtp")
        assert good.sent == 1
    finally:
        server.stop()
    assert server.mailbox.logins[-1] == ("hocvu", "mat-khau-smtp")


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_each_email_is_leased_and_stamped_at_its_own_time_and_a_long_run_stops_before_the_lease(
    app_db: Session, five_digests: list[OutboxEmail], smtp_server: SmtpServer
) -> None:
    clock = FakeClock(NOW)
    step = timedelta(seconds=100)  # each e-mail takes 100 s to send (a slow server)
    leases: dict[str, datetime] = {}
    claimed_at: dict[str, datetime] = {}

    def slow(settings: services.SmtpSettings) -> smtplib.SMTP:
        smtp = services.connect(settings)
        send: Callable[..., Any] = smtp.send_message

        def send_message(email: Any, *args: Any, **kwargs: Any) -> Any:
            to = str(email["To"])
            claimed_at[to] = clock.now
            leases[to] = app_db.scalar(select(OutboxEmail.next_attempt_at).where(OutboxEmail.recipient == to))
            clock.now += step
            return send(email, *args, **kwargs)

        smtp.send_message = send_message  # type: ignore[method-assign]
        return smtp

    result = services.deliver_outbox(app_db, smtp_server.settings(), clock, connector=slow)
    # 0, 100, 200 s: three e-mails; at 300 s the run is too close to the lease to claim more.
    assert (result.sent, result.stopped) == (3, "time")
    assert sorted(claimed_at.values()) == [NOW, NOW + step, NOW + 2 * step]
    for to, moment in claimed_at.items():
        assert leases[to] == moment + services.LEASE  # not the run's start + LEASE
    rows = outbox(app_db)
    sent = sorted(row.sent_at for row in rows if row.status == "sent")
    assert sent == [NOW + step, NOW + 2 * step, NOW + 3 * step]
    assert sorted((row.status, row.attempts) for row in rows if row.status != "sent") == [("pending", 0)] * 2
    # The next run takes the rest.
    assert services.deliver_outbox(app_db, smtp_server.settings(), clock).sent == 2


def test_a_retry_waits_from_the_time_it_failed(
    app_db: Session, one_digest: OutboxEmail, smtp_server: SmtpServer
) -> None:
    clock = FakeClock(NOW)

    def slow(settings: services.SmtpSettings) -> smtplib.SMTP:
        clock.now += timedelta(seconds=40)  # a slow connection
        return services.connect(settings)

    smtp_server.mailbox.refuse = ["451 4.3.0 Try again later"]
    assert services.deliver_outbox(app_db, smtp_server.settings(), clock, connector=slow).retried == 1
    (row,) = outbox(app_db)
    assert row.next_attempt_at == NOW + timedelta(seconds=40) + services.backoff(1)


def test_permanent_never_blames_an_email_for_the_server() -> None:
    assert not services.permanent(smtplib.SMTPConnectError(554, b"no"))
    assert not services.permanent(smtplib.SMTPSenderRefused(553, b"no", "hocvu@gialai.gov.vn"))
    assert services.permanent(smtplib.SMTPSenderRefused(552, b"too big", "hocvu@gialai.gov.vn"))
    assert services.permanent(smtplib.SMTPDataError(554, b"spam"))
    assert not services.permanent(smtplib.SMTPDataError(451, b"later"))


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
