"""Reminders end to end through the app's registry: the credits module's digest,
deadlines and pending claims, the checklists module's mentor queue, the message log
(running twice sends nothing new) and muted digests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.accounts import create_account, grant_role
from lms_core.reminders import DEADLINES, MENTOR_QUEUE, PENDING_CLAIMS, WEEKLY_DIGEST
from modules.checklists import content
from modules.checklists import services as checklists
from modules.credits import reminders as credit_reminders
from modules.credits.hours import hours_for
from modules.notifications import services
from modules.notifications.models import OutboxEmail
from tests.conftest import TEST_PASSWORD
from tests.modules.checklists.conftest import CONTENT, SLUG, give_evidence, items_of
from tests.modules.credits.helpers import SITE
from tests.modules.credits.test_api import complete
from tests.modules.notifications.conftest import (
    account,
    collected,
    messages,
    pending_claim,
    remind,
    required_course,
    vn,
)

MID_YEAR = vn("2026-07-01T08:00:00+07:00")  # a Wednesday, ISO week 27: about half the year gone


def test_the_digest_goes_to_officials_behind_pace_and_not_to_those_at_pace(
    notif_app: Any, app_db: Session, demo: Any
) -> None:
    # Pace on 1 July: 40 × ~0.5 ≈ 20 periods. The mentor has 24, the official 4.
    complete(notif_app, app_db, "GL-00002", "dau-thau", "2026-03-10T09:00:00+07:00", periods=24)
    complete(notif_app, app_db, "GL-00001", "ke-toan", "2026-04-10T09:00:00+07:00", periods=4)
    result = remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR)

    official, mentor = account(app_db, "demo.official"), account(app_db, "demo.mentor")
    got = messages(app_db, kind=WEEKLY_DIGEST)
    assert official.id in {m.account_id for m in got}
    assert mentor.id not in {m.account_id for m in got}
    digest = next(m for m in got if m.account_id == official.id)
    assert digest.key == f"weekly_digest:2026:2026-W27:account:{official.id}"
    assert "4/40" in digest.subject and "còn thiếu 36 tiết" in digest.body and "khoảng 20 tiết" in digest.body
    assert digest.link == "/hours" and digest.read_at is None
    assert result.inserted == len(got) and result.collected == len(got)


def test_an_iso_week_across_new_year_gives_a_digest_for_each_year(notif_app: Any, app_db: Session, demo: Any) -> None:
    # Monday 29 December 2025 is in ISO week 2026-W01, as is Friday 2 January 2026; the
    # first digest counts 2025, the second 2026, and the second must not be a duplicate.
    official = account(app_db, "demo.official")
    remind(notif_app, app_db, WEEKLY_DIGEST, vn("2025-12-29T07:00:00+07:00"))
    remind(notif_app, app_db, WEEKLY_DIGEST, vn("2026-01-02T07:00:00+07:00"))
    digests = messages(app_db, kind=WEEKLY_DIGEST, account_id=official.id)
    assert [m.key for m in digests] == [
        f"weekly_digest:2025:2026-W01:account:{official.id}",
        f"weekly_digest:2026:2026-W01:account:{official.id}",
    ]
    assert "2025" in digests[0].subject and "2026" in digests[1].subject


def test_the_digest_figures_are_those_of_the_hours_page(notif_app: Any, app_db: Session, demo: Any) -> None:
    complete(notif_app, app_db, "GL-00001", "ke-toan", "2026-04-10T09:00:00+07:00", periods=6)
    standings = {s.person.id: s for s in credit_reminders.standings(app_db, 2026)}
    for staff in ("GL-00001", "GL-00002", "GL-00003"):
        person = demo.people[staff]
        hours = hours_for(app_db, person, 2026)
        assert (standings[person.id].required, standings[person.id].credited) == (hours["required"], hours["credited"])
    # Only people with an account are reminded at all.
    assert demo.people["GL-00100"].id not in standings


def test_running_a_job_twice_sends_nothing_new(notif_app: Any, app_db: Session, demo: Any) -> None:
    first = remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR, queue_email=True)
    assert first.inserted == first.queued == 5  # the five demo accounts, each with an e-mail address
    again = remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR + timedelta(hours=3), queue_email=True)
    assert (again.collected, again.inserted, again.queued) == (5, 0, 0)
    assert len(messages(app_db)) == 5
    assert app_db.scalar(select(func.count(OutboxEmail.id))) == 5
    # Next week is another digest.
    next_week = remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR + timedelta(days=7))
    assert next_week.inserted == 5 and next_week.queued == 0  # no SMTP: in-app only


def test_muting_skips_digests_only(notif_app: Any, app_db: Session, demo: Any) -> None:
    official = account(app_db, "demo.official")
    services.set_preferences(app_db, official, digests_muted=True)
    app_db.commit()
    result = remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR)
    assert result.muted == 1
    assert official.id not in {m.account_id for m in messages(app_db, kind=WEEKLY_DIGEST)}
    # 41 days before 31 December: the year deadline still reaches the muted official.
    remind(notif_app, app_db, DEADLINES, vn("2026-11-20T06:00:00+07:00"))
    keys = {m.key for m in messages(app_db, account_id=official.id)}
    assert keys == {f"deadline:year:2026:60:account:{official.id}"}
    # Unmuted, the next digest comes again.
    services.set_preferences(app_db, official, digests_muted=False)
    app_db.commit()
    remind(notif_app, app_db, WEEKLY_DIGEST, MID_YEAR + timedelta(days=7))
    assert f"weekly_digest:2026:2026-W28:account:{official.id}" in {m.key for m in messages(app_db)}


def test_year_deadline_windows_and_nobody_reminded_of_what_they_completed(
    notif_app: Any, app_db: Session, demo: Any
) -> None:
    official, mentor = account(app_db, "demo.official"), account(app_db, "demo.mentor")
    course = required_course(app_db, demo, "an-toan-thong-tin", "KT-TAICHINH")
    complete(notif_app, app_db, "GL-00002", "du-toan", "2026-05-10T09:00:00+07:00", periods=40)

    assert collected(notif_app, app_db, DEADLINES, vn("2026-10-01T06:00:00+07:00")) == []  # 91 days: too early
    at_60 = {r.key for r in collected(notif_app, app_db, DEADLINES, vn("2026-11-01T06:00:00+07:00"))}
    assert f"deadline:year:2026:60:account:{official.id}" in at_60
    assert f"deadline:activity:{course.id}:2026-12-31:60:account:{official.id}" in at_60
    # The mentor has the 40 periods but not the required course: only the course.
    assert f"deadline:year:2026:60:account:{mentor.id}" not in at_60
    assert f"deadline:activity:{course.id}:2026-12-31:60:account:{mentor.id}" in at_60

    remind(notif_app, app_db, DEADLINES, vn("2026-11-01T06:00:00+07:00"))
    remind(notif_app, app_db, DEADLINES, vn("2026-11-02T06:00:00+07:00"))  # same window: nothing new
    assert len(messages(app_db, account_id=official.id)) == 2
    at_14 = remind(notif_app, app_db, DEADLINES, vn("2026-12-20T06:00:00+07:00"))
    assert at_14.inserted > 0
    latest = {m.key for m in messages(app_db, account_id=official.id)}
    assert f"deadline:year:2026:14:account:{official.id}" in latest
    year_14 = next(m for m in messages(app_db, key=f"deadline:year:2026:14:account:{official.id}"))
    assert "còn 11 ngày" in year_14.body and "31/12/2026" in year_14.body

    # The official completes the course and the year's periods: no more reminders about them.
    complete(notif_app, app_db, "GL-00001", "an-toan-thong-tin", "2026-12-21T09:00:00+07:00")
    complete(notif_app, app_db, "GL-00001", "ke-toan-nang-cao", "2026-12-21T10:00:00+07:00", periods=40)
    after = collected(notif_app, app_db, DEADLINES, vn("2026-12-22T06:00:00+07:00"))
    assert not [r for r in after if r.account_id == official.id]
    # On 1 January the new year is a year away: nothing is "due in N days".
    assert collected(notif_app, app_db, DEADLINES, vn("2027-01-01T06:00:00+07:00")) == []


def test_a_curriculum_item_due_days_after_starting_is_reminded_before_its_own_day(
    notif_app: Any, app_db: Session, demo: Any
) -> None:
    # GL-00100 started on 1 January 2026 as VP-TONGHOP; the course is due 30 days later.
    person = demo.people["GL-00100"]
    newcomer = create_account(app_db, username="nhan.vien.moi", password=TEST_PASSWORD, person=person)
    grant_role(app_db, newcomer, "learner", person.unit)
    course = required_course(app_db, demo, "nhap-mon-cong-vu", "VP-TONGHOP", due_rule="days:30")
    due_key = f"deadline:activity:{course.id}:2026-01-31:%s:account:{newcomer.id}"
    first = {r.key for r in collected(notif_app, app_db, DEADLINES, vn("2026-01-02T06:00:00+07:00"))}
    assert due_key % 60 in first
    later = {r.key for r in collected(notif_app, app_db, DEADLINES, vn("2026-01-20T06:00:00+07:00"))}
    assert due_key % 14 in later
    complete(notif_app, app_db, "GL-00100", "nhap-mon-cong-vu", "2026-01-21T09:00:00+07:00")
    done = {r.key for r in collected(notif_app, app_db, DEADLINES, vn("2026-01-22T06:00:00+07:00"))}
    assert not [key for key in done if f"deadline:activity:{course.id}:" in key]


def test_pending_claims_reach_hr_over_the_claimant_once_a_day(notif_app: Any, app_db: Session, demo: Any) -> None:
    now = vn("2026-12-01T07:30:00+07:00")
    pending_claim(app_db, demo, "GL-00001", now - timedelta(days=2))  # Xã Ia Grai
    pending_claim(app_db, demo, "GL-00005", now - timedelta(days=1))  # demo.hr.quynhon's own claim
    found = {r.account_id: r for r in collected(notif_app, app_db, PENDING_CLAIMS, now)}
    hr, admin, quynhon = (account(app_db, name) for name in ("demo.hr", "demo.admin", "demo.hr.quynhon"))
    assert set(found) == {hr.id, admin.id}  # Quy Nhơn's HR decides neither Ia Grai's claim nor her own
    assert found[hr.id].key == f"pending_claims:2026-12-01:account:{hr.id}"
    assert found[hr.id].subject.startswith("2 khai báo") and "29/11/2026" in found[hr.id].body
    assert found[hr.id].link == "/credits/claims"
    remind(notif_app, app_db, PENDING_CLAIMS, now)
    assert remind(notif_app, app_db, PENDING_CLAIMS, now + timedelta(hours=5)).inserted == 0
    assert remind(notif_app, app_db, PENDING_CLAIMS, now + timedelta(days=1)).inserted == 2
    assert quynhon.id not in {m.account_id for m in messages(app_db)}


# --- the mentor queue -----------------------------------------------------------------


@pytest.fixture
def checklists_world(notif_app: Any, app_db: Session, demo: Any, tmp_path: Path) -> Any:
    """The real checklists imported and demo.mentor assigned to demo.official."""
    content.apply(app_db, CONTENT, SITE)
    checklists.seed_demo(app_db, demo)
    app_db.commit()
    return tmp_path / "evidence"


def test_mentors_are_reminded_of_items_waiting_more_than_three_days(
    notif_app: Any, app_db: Session, demo: Any, checklists_world: Path
) -> None:
    official, mentor = account(app_db, "demo.official"), account(app_db, "demo.mentor")
    requested = vn("2026-11-20T09:00:00+07:00")
    items = items_of(app_db)
    for item in items:
        give_evidence(app_db, official, item, checklists_world)
        checklists.mark_item(app_db, official, SLUG, item.key, True)
    checklists.request_review(app_db, official, SLUG, now=requested)
    app_db.commit()
    mentor_items = [item for item in items if item.sign_off == "mentor"]

    assert collected(notif_app, app_db, MENTOR_QUEUE, requested + timedelta(days=2)) == []
    later = requested + timedelta(days=4)
    (reminder,) = collected(notif_app, app_db, MENTOR_QUEUE, later)
    assert reminder.account_id == mentor.id and reminder.key == f"mentor_queue:2026-11-24:account:{mentor.id}"
    assert reminder.subject.startswith(f"{len(mentor_items)} mục") and "Nguyễn Thị Mai" in reminder.body
    assert reminder.link == "/checklists/mentor"

    for item in mentor_items:
        checklists.sign_off(app_db, mentor, demo.people["GL-00001"].id, SLUG, item.key, "Đạt", now=later)
    app_db.commit()
    assert collected(notif_app, app_db, MENTOR_QUEUE, later + timedelta(hours=1)) == []


def test_the_digest_costs_the_same_queries_for_five_or_forty_five_accounts(
    notif_app: Any, app_db: Session, demo: Any
) -> None:
    """Per chunk of people, not per person: more accounts, no more queries."""
    from sqlalchemy import event

    def count_queries() -> tuple[int, int]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        engine = app_db.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            found = credit_reminders.weekly_digest(app_db, MID_YEAR)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(found), len(statements)

    few, few_queries = count_queries()
    for staff, person in demo.people.items():
        if staff >= "GL-00100":
            create_account(app_db, username=f"cb.{staff.lower()}", password=TEST_PASSWORD, person=person)
    app_db.commit()
    many, many_queries = count_queries()
    # 40 more accounts; two of them start in August and September: no pace yet.
    assert (few, many) == (5, 43)
    assert many_queries == few_queries <= 6


@pytest.mark.parametrize(
    ("days_left", "window"), [(91, None), (61, None), (60, 60), (15, 60), (14, 14), (0, 14), (-1, None)]
)
def test_the_reminder_window_of_a_deadline(days_left: int, window: int | None) -> None:
    assert credit_reminders.threshold(days_left) == window
