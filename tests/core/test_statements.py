from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session
from tincan import Statement as XStatement

from lms_core import statements
from lms_core.errors import Conflict
from lms_core.events import Event, StatementStored, StatementVoided
from lms_core.statements import VERBS, Authority, account_agent, build_statement, store_statement
from lms_core.uow import UnitOfWork

HOME = "https://hocvu.test"
HOCVU = Authority(account_agent(HOME, "hocvu"), "hocvu:test", True)
COURSE = f"{HOME}/activities/course/dau-thau-cap-xa"


def completed(staff_code: str = "GL-00001", when: datetime | None = None) -> dict:
    return build_statement(
        actor=account_agent(HOME, staff_code, "Nguyễn Thị Mai"),
        verb="completed",
        activity_iri=COURSE,
        activity_name="Đấu thầu cho công chức cấp xã",
        activity_type="http://adlnet.gov/expapi/activities/course",
        result={"completion": True, "success": True},
        timestamp=when,
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, _session: Session, event: Event) -> list[Event]:
        self.events.append(event)
        return []


def test_built_statements_are_valid_xapi() -> None:
    data = completed()
    parsed = XStatement(data)  # tincan raises on anything outside xAPI 1.0.3
    assert parsed.verb.id == VERBS["completed"][0]
    assert data["actor"]["account"] == {"homePage": HOME, "name": "GL-00001"}


def test_events_are_published_only_after_commit(db_session: Session) -> None:
    recorder = Recorder()
    with UnitOfWork(db_session, recorder) as uow:
        row = store_statement(db_session, completed(), HOCVU)
        assert recorder.events == []
        uow.commit()
    assert recorder.events == [StatementStored(row.id, row.actor_key, VERBS["completed"][0], COURSE, True)]


def test_rolled_back_statement_publishes_nothing(db_session: Session) -> None:
    recorder = Recorder()
    uow = UnitOfWork(db_session, recorder)
    store_statement(db_session, completed(), HOCVU)
    uow.rollback()
    store_statement(db_session, completed("GL-00002"), HOCVU)
    uow.commit()
    assert [e.actor_key for e in recorder.events] == [f"account:{HOME}|GL-00002"]


def test_same_id_same_content_is_accepted_once_different_content_conflicts(db_session: Session) -> None:
    data = completed()
    first = store_statement(db_session, data, HOCVU)
    db_session.commit()
    assert store_statement(db_session, dict(data), HOCVU) is first
    changed = dict(data, result={"completion": True, "success": False})
    with pytest.raises(Conflict):
        store_statement(db_session, changed, HOCVU)


def test_voiding_marks_the_target_and_publishes(db_session: Session) -> None:
    recorder = Recorder()
    uow = UnitOfWork(db_session, recorder)
    target = store_statement(db_session, completed(), HOCVU)
    uow.commit()
    voiding = {
        "actor": account_agent(HOME, "hr"),
        "verb": {"id": statements.VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target.id},
    }
    row = store_statement(db_session, voiding, HOCVU)
    uow.commit()
    assert target.voided
    assert StatementVoided(target.id, row.id) in recorder.events
    assert statements.find_statements(db_session, activity_iri=COURSE) == []
    assert statements.find_statements(db_session, activity_iri=COURSE, include_voided=True) == [target]


def test_timestamp_is_indexed_in_utc(db_session: Session) -> None:
    data = completed(when=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    row = store_statement(db_session, data, HOCVU)
    db_session.commit()
    db_session.expire_all()
    assert row.timestamp == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
