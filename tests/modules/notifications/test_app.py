"""The notifications pages and API, and the jobs through ``flask --app wsgi jobs run NAME``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.reminders import DEADLINES, WEEKLY_DIGEST
from lms_core.scheduler import JobRun
from modules.notifications import jobs
from modules.notifications.models import OutboxEmail
from tests.conftest import bearer, login
from tests.modules.notifications.conftest import SmtpServer, account, fresh, messages, remind, vn

MONDAY = vn("2026-07-06T07:00:00+07:00")


@pytest.fixture
def inbox(notif_app: Any, app_db: Session, demo: Any) -> Any:
    """A digest and a year deadline for every demo account."""
    remind(notif_app, app_db, WEEKLY_DIGEST, MONDAY)
    remind(notif_app, app_db, DEADLINES, vn("2026-11-20T06:00:00+07:00"))
    return demo


def test_the_api_lists_the_callers_notifications_and_marks_one_read(client: Any, app_db: Session, inbox: Any) -> None:
    official = bearer(client, "demo.official")
    listed = client.get("/api/v1/notifications", headers=official)
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["unread"] == 2 and len(body["items"]) == 2
    newest = body["items"][0]
    assert newest["kind"] == DEADLINES and newest["read_at"] is None and newest["link"] == "/hours"
    assert {"id", "subject", "body", "created_at"} <= set(newest)

    read = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=official)
    assert read.status_code == 200 and read.get_json()["read_at"]
    again = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=official)
    assert again.get_json()["read_at"] == read.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=official).get_json()
    assert unread["unread"] == 1 and [i["kind"] for i in unread["items"]] == [WEEKLY_DIGEST]
    older = client.get(f"/api/v1/notifications?before={newest['id']}", headers=official).get_json()
    assert [i["kind"] for i in older["items"]] == [WEEKLY_DIGEST]

    # Another account's notification does not exist for the caller.
    other = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=bearer(client, "demo.mentor"))
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications?limit=0", headers=official).status_code == 400


def test_the_api_mutes_digests(notif_app: Any, client: Any, app_db: Session, demo: Any) -> None:
    official = bearer(client, "demo.official")
    assert client.get("/api/v1/notifications/preferences", headers=official).get_json() == {"digests_muted": False}
    put = client.put("/api/v1/notifications/preferences", json={"digests_muted": True}, headers=official)
    assert put.status_code == 200 and put.get_json() == {"digests_muted": True}
    assert client.put("/api/v1/notifications/preferences", json={}, headers=official).status_code == 400
    remind(notif_app, app_db, WEEKLY_DIGEST, MONDAY)
    assert account(app_db, "demo.official").id not in {m.account_id for m in messages(app_db)}
    assert "/api/v1/notifications/preferences" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_the_page_lists_messages_and_marks_them_read(client: Any, app_db: Session, inbox: Any) -> None:
    login(client, "demo.official")
    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Thông báo" in html and "2 thông báo chưa đọc" in html and "csrf_token" in html
    official = account(app_db, "demo.official")
    deadline, digest = sorted(messages(app_db, account_id=official.id), key=lambda m: m.kind)
    assert deadline.subject in html and digest.subject in html

    opened = client.post(f"/notifications/{deadline.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "/hours"
    marked = client.post(f"/notifications/{digest.id}/read", data={"next": "https://evil.example/"})
    assert marked.status_code == 302 and marked.headers["Location"] == "/notifications"  # no open redirect
    assert all(m.read_at is not None for m in messages(app_db, account_id=official.id))
    assert "Không có thông báo chưa đọc" in client.get("/notifications").get_data(as_text=True)
    mentor = account(app_db, "demo.mentor")
    (theirs, *_) = messages(app_db, account_id=mentor.id)
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404


def test_read_all_and_the_preference_form(client: Any, app_db: Session, inbox: Any) -> None:
    login(client, "demo.mentor")
    done = client.post("/notifications/read-all", follow_redirects=True)
    assert "Đã đánh dấu 2 thông báo là đã đọc" in done.get_data(as_text=True)
    form = client.get("/notifications/preferences")
    assert form.status_code == 200 and 'name="digests_muted"' in form.get_data(as_text=True)
    saved = client.post("/notifications/preferences", data={"digests_muted": "1"}, follow_redirects=True)
    assert "Đã lưu lựa chọn nhận thông báo" in saved.get_data(as_text=True)
    assert "checked" in client.get("/notifications/preferences").get_data(as_text=True)
    client.post("/notifications/preferences", data={})
    assert "checked" not in client.get("/notifications/preferences").get_data(as_text=True)


def test_pages_need_a_signed_in_user(notif_app: Any, client: Any) -> None:
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read-all").status_code == 302


def test_jobs_run_runs_the_digest_now_and_the_outbox_sends_it(
    notif_app: Any, app_db: Session, demo: Any, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "clock", lambda: datetime.fromisoformat("2026-07-06T07:00:00+07:00"))
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_SENDER": "hocvu@test"}.items():
        monkeypatch.setitem(notif_app.config, key, value)
    runner = notif_app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert "notifications.weekly_digest" in listed.output and "notifications.outbox" in listed.output

    first = runner.invoke(args=["jobs", "run", "notifications.weekly_digest"])
    assert first.exit_code == 0 and "notifications.weekly_digest: done" in first.output, first.output
    assert len(messages(app_db, kind=WEEKLY_DIGEST)) == 5
    again = runner.invoke(args=["jobs", "run", "notifications.weekly_digest"])
    assert "done" in again.output and len(messages(app_db)) == 5  # the message log: nothing new
    fresh(app_db)
    runs = app_db.scalars(select(JobRun).where(JobRun.job == "notifications.weekly_digest")).all()
    assert [r.status for r in runs] == ["done", "done"]

    sent = runner.invoke(args=["jobs", "run", "notifications.outbox"])
    assert "done" in sent.output
    assert len(smtp_server.mailbox.received) == 5
    fresh(app_db)
    assert {row.status for row in app_db.scalars(select(OutboxEmail))} == {"sent"}


def test_without_smtp_the_jobs_keep_to_in_app_messages(
    notif_app: Any, app_db: Session, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "clock", lambda: datetime.fromisoformat("2026-11-20T06:00:00+07:00"))
    monkeypatch.setitem(notif_app.config, "SMTP_HOST", None)
    runner = notif_app.test_cli_runner()
    assert "done" in runner.invoke(args=["jobs", "run", "notifications.deadlines"]).output
    assert len(messages(app_db, kind=DEADLINES)) == 5
    assert app_db.scalars(select(OutboxEmail)).all() == []
    assert "done" in runner.invoke(args=["jobs", "run", "notifications.outbox"]).output
    for name in ("notifications.mentor_queue", "notifications.pending_claims"):
        assert "done" in runner.invoke(args=["jobs", "run", name]).output
