"""Interoperability: the ``tincan`` package's RemoteLRS, a real xAPI client, against the
running server (over HTTP, not the test client)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tincan import (
    About,
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    LanguageMap,
    RemoteLRS,
    StateDocument,
    Statement,
    Verb,
)

from tests.browser.conftest import live_server  # noqa: F401  (the running server)
from tests.modules.lrs.conftest import SITE, Credentials

COURSE = "https://content.example/xapi/dau-thau-cap-xa"


@pytest.fixture
def remote(live_server: str, lrs: Credentials) -> RemoteLRS:  # noqa: F811
    # tincan speaks xAPI 1.0.x; its default version header is its newest, 1.0.3.
    return RemoteLRS(endpoint=f"{live_server}/xapi/", username=lrs.key, password=lrs.secret)


def mai() -> Agent:
    return Agent(account=AgentAccount(home_page=SITE, name="GL-00001"), name="Nguyễn Thị Mai")


def completed(registration: uuid.UUID | None = None) -> Statement:
    return Statement(
        actor=mai(),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/completed", display=LanguageMap({"vi": "đã hoàn thành"})),
        object=Activity(id=COURSE, definition=ActivityDefinition(name=LanguageMap({"vi": "Đấu thầu cấp xã"}))),
        context={"registration": registration} if registration else None,
    )


def test_remote_lrs_saves_and_queries_statements(remote: RemoteLRS, app_db: Session) -> None:
    registration = uuid.uuid4()
    without_id = completed(registration)
    saved = remote.save_statement(without_id)  # POST: the LRS assigns the id
    assert saved.success, saved.data
    with_id = completed(registration)
    with_id.id = uuid.uuid4()
    assert remote.save_statement(with_id).success  # PUT ?statementId=
    batch = remote.save_statements([completed(), completed()])
    assert batch.success, batch.data

    found = remote.query_statements(
        {"agent": mai(), "verb": Verb(id="http://adlnet.gov/expapi/verbs/completed"), "registration": registration}
    )
    assert found.success, found.data
    ids = {str(s.id) for s in found.content.statements}
    assert ids == {str(saved.content.id), str(with_id.id)}

    one = remote.retrieve_statement(with_id.id)
    assert one.success and one.content.object.id == COURSE

    page = remote.query_statements({"limit": 1})
    assert page.success and len(page.content.statements) == 1 and page.content.more
    following = remote.more_statements(page.content)
    assert following.success and len(following.content.statements) == 1


def test_remote_lrs_saves_and_reads_state(remote: RemoteLRS) -> None:
    state = StateDocument(
        activity=Activity(id=COURSE),
        agent=mai(),
        id="vi-tri-bai-hoc",
        content=json.dumps({"lesson": 3}),
        content_type="application/json",
    )
    assert remote.save_state(state).success
    ids = remote.retrieve_state_ids(activity=Activity(id=COURSE), agent=mai())
    assert ids.success and ids.content == ["vi-tri-bai-hoc"]
    # tincan 1.0's retrieve_state fails on Python 3 (it hands the answer's bytes to
    # bytearray(value, "utf-8")), so the document is read with its raw request.
    got = remote._send_request(state_request("GET"))
    assert got.success and json.loads(got.data) == {"lesson": 3}
    assert remote.delete_state(state).success
    assert not remote._send_request(state_request("GET")).success


def state_request(method: str) -> Any:
    from tincan.http_request import HTTPRequest

    request = HTTPRequest(method=method, resource="activities/state")
    request.query_params = {"activityId": COURSE, "agent": mai().to_json("1.0.3"), "stateId": "vi-tri-bai-hoc"}
    return request


def test_about_and_tincans_1_0_only_version_list(remote: RemoteLRS, live_server: str) -> None:  # noqa: F811
    # tincan sends X-Experience-API-Version 1.0.3, so it is told the 1.0.x versions (all
    # xAPI 1.0.3 allows in that list) and its about() works.
    about = remote.about()
    assert about.success and "1.0.3" in about.content.version
    # Without a version header (or under 2.0) the LRS also lists 2.0.0, which tincan 1.0
    # does not know: its About refuses the list. That is tincan's limit; the LRS is right.
    with urllib.request.urlopen(f"{live_server}/xapi/about") as response:
        listed = json.loads(response.read())
    assert listed["version"] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]
    with pytest.raises(ValueError):
        About.from_json(json.dumps(listed))
