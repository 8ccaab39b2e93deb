"""The Document resources: state, activity profile and agent profile, with ETag
concurrency (If-Match / If-None-Match) and JSON merge on POST."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.modules.lrs.conftest import Credentials, Xapi, agent, make_client

COURSE = "https://content.example/xapi/dau-thau-cap-xa"
MAI = json.dumps(agent("GL-00001"))


def state(
    xapi: Xapi,
    method: str,
    state_id: str | None = "vi-tri",
    body: Any = None,
    headers: dict | None = None,
    content_type: str = "application/json",
    **params: Any,
) -> Any:
    query = {"activityId": COURSE, "agent": MAI, **params}
    if state_id is not None:
        query["stateId"] = state_id
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return xapi.request(
        method, "/xapi/activities/state", query_string=query, data=data, content_type=content_type, headers=headers
    )


def test_state_put_get_list_delete(xapi: Xapi) -> None:
    assert state(xapi, "PUT", body={"lesson": 2}).status_code == 204
    got = state(xapi, "GET")
    assert got.status_code == 200 and got.get_json() == {"lesson": 2}
    assert got.headers["ETag"].strip('"') and got.headers["Last-Modified"]
    assert state(xapi, "PUT", "ghi-chu", b"plain text", content_type="text/plain").status_code == 204
    assert state(xapi, "GET", "ghi-chu").get_data() == b"plain text"
    assert state(xapi, "GET", "ghi-chu").mimetype == "text/plain"
    assert state(xapi, "GET", None).get_json() == ["ghi-chu", "vi-tri"]
    later = state(xapi, "GET", None, since="2999-01-01T00:00:00Z")
    assert later.get_json() == []
    assert state(xapi, "DELETE", "ghi-chu").status_code == 204
    assert state(xapi, "GET", "ghi-chu").status_code == 404
    assert state(xapi, "DELETE", None).status_code == 204
    assert state(xapi, "GET", None).get_json() == []


def test_state_is_per_registration(xapi: Xapi) -> None:
    registration = "b4ffb55f-a7ef-4a2e-a2c2-f7ec02b0f3f1"
    state(xapi, "PUT", body={"lesson": 1})
    state(xapi, "PUT", body={"lesson": 5}, registration=registration)
    assert state(xapi, "GET").get_json() == {"lesson": 1}
    assert state(xapi, "GET", registration=registration).get_json() == {"lesson": 5}


def test_post_merges_json_objects(xapi: Xapi) -> None:
    state(xapi, "POST", body={"lesson": 2, "score": 7})
    assert state(xapi, "POST", body={"lesson": 3, "done": False}).status_code == 204
    assert state(xapi, "GET").get_json() == {"lesson": 3, "score": 7, "done": False}
    # Merging needs JSON on both sides.
    assert state(xapi, "POST", body=b"[1, 2]").status_code == 400
    assert state(xapi, "POST", body=b"plain", content_type="text/plain").status_code == 400
    assert state(xapi, "GET").get_json() == {"lesson": 3, "score": 7, "done": False}


def profile(
    xapi: Xapi, method: str, body: Any = None, headers: dict | None = None, resource: str = "activities", **params: Any
) -> Any:
    if resource == "activities":
        query = {"activityId": COURSE, "profileId": "cau-hinh"}
    else:
        query = {"agent": MAI, "profileId": "so-thich"}
    data = json.dumps(body).encode() if body is not None else None
    return xapi.request(
        method,
        f"/xapi/{resource}/profile",
        query_string={**query, **params},
        data=data,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize("resource", ["activities", "agents"])
def test_profile_concurrency(xapi: Xapi, resource: str) -> None:
    # xAPI 1.0.3 asks a precondition of every profile PUT: none on a new one is a 400.
    assert profile(xapi, "PUT", {"v": 0}, None, resource).status_code == 400
    assert profile(xapi, "GET", resource=resource).status_code == 404
    # Creating: If-None-Match: * succeeds once.
    created = profile(xapi, "PUT", {"v": 1}, {"If-None-Match": "*"}, resource)
    assert created.status_code == 204
    etag = created.headers["ETag"]
    assert profile(xapi, "PUT", {"v": 9}, {"If-None-Match": "*"}, resource).status_code == 412
    # Updating an existing profile without a precondition is a conflict (xAPI 1.0.3).
    assert profile(xapi, "PUT", {"v": 2}, None, resource).status_code == 409
    # With the current ETag it succeeds; with a stale one it fails.
    assert profile(xapi, "PUT", {"v": 2}, {"If-Match": etag}, resource).status_code == 204
    assert profile(xapi, "PUT", {"v": 3}, {"If-Match": etag}, resource).status_code == 412
    current = profile(xapi, "GET", resource=resource)
    assert current.get_json() == {"v": 2}
    assert profile(xapi, "DELETE", headers={"If-Match": '"stale"'}, resource=resource).status_code == 412
    assert profile(xapi, "DELETE", headers={"If-Match": current.headers["ETag"]}, resource=resource).status_code == 204
    assert profile(xapi, "GET", resource=resource).status_code == 404
    # A profile is deleted by its id only.
    query = {"activityId": COURSE} if resource == "activities" else {"agent": MAI}
    assert xapi.request("DELETE", f"/xapi/{resource}/profile", query_string=query).status_code == 400


def test_xapi_2_requires_a_precondition_to_overwrite_any_document(client: Any, lrs: Credentials) -> None:
    xapi2 = Xapi(client, lrs, version="2.0.0")
    assert profile(xapi2, "PUT", {"v": 1}).status_code == 204  # creating needs none in 2.0
    assert profile(xapi2, "PUT", {"v": 2}).status_code == 409
    assert state(xapi2, "PUT", body={"lesson": 1}).status_code == 204
    assert state(xapi2, "PUT", body={"lesson": 2}).status_code == 409
    assert state(Xapi(client, lrs), "PUT", body={"lesson": 2}).status_code == 204  # 1.0.3: state needs none


def test_document_parameters_are_checked(xapi: Xapi) -> None:
    missing_agent = xapi.request("GET", "/xapi/activities/state", query_string={"activityId": COURSE, "stateId": "x"})
    assert missing_agent.status_code == 400
    bad_agent = state(xapi, "GET", agent='{"name": "no identifier"}')
    assert bad_agent.status_code == 400
    bad_activity = xapi.request("GET", "/xapi/activities/profile", query_string={"activityId": "not an iri"})
    assert bad_activity.status_code == 400
    assert state(xapi, "GET", registration="not-a-uuid").status_code == 400
    assert state(xapi, "PUT", None, body={"a": 1}).status_code == 400  # stateId needed to write


def test_own_scoped_clients_keep_their_documents_apart(client: Any, app_db: Session) -> None:
    one = Xapi(client, make_client(app_db, scope="own"))
    two = Xapi(client, make_client(app_db, scope="own"))
    state(one, "PUT", body={"who": "one"})
    assert state(two, "GET").status_code == 404
    state(two, "PUT", body={"who": "two"})
    assert state(one, "GET").get_json() == {"who": "one"}


def test_agents_and_activities_resources(xapi: Xapi) -> None:
    from tests.modules.lrs.conftest import statement

    xapi.post(statement(activity=COURSE))
    person = xapi.get("/xapi/agents", agent=MAI)
    assert person.status_code == 200
    assert person.get_json() == {
        "objectType": "Person",
        "name": ["Nguyễn Thị Mai"],
        "account": [agent("GL-00001")["account"]],
    }
    # Each statement's definition adds what it says: every language of the name.
    xapi.post({**statement(activity=COURSE), "object": {"id": COURSE, "definition": {"name": {"fr": "Leçon 1"}}}})
    activity = xapi.get("/xapi/activities", activityId=COURSE).get_json()
    assert activity == {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {"name": {"vi": "Bài 1", "en-US": "Lesson 1", "fr": "Leçon 1"}},
    }

    unknown = xapi.get("/xapi/activities", activityId="https://content.example/unknown").get_json()
    assert unknown == {"objectType": "Activity", "id": "https://content.example/unknown"}
    assert xapi.get("/xapi/agents").status_code == 400


def test_agents_and_activities_show_only_what_the_client_may_read(client: Any, app_db: Session) -> None:
    from tests.modules.lrs.conftest import statement

    Xapi(client, make_client(app_db)).post(statement(activity=COURSE))
    own = Xapi(client, make_client(app_db, scope="own"))
    nameless = json.dumps({"objectType": "Agent", "account": agent("GL-00001")["account"]})
    # The other client's statement names her; an "own" client is not told that name.
    assert own.get("/xapi/agents", agent=nameless).get_json() == {
        "objectType": "Person",
        "account": [agent("GL-00001")["account"]],
    }
    assert own.get("/xapi/activities", activityId=COURSE).get_json() == {"objectType": "Activity", "id": COURSE}
    everyone = Xapi(client, make_client(app_db))
    assert everyone.get("/xapi/agents", agent=nameless).get_json()["name"] == ["Nguyễn Thị Mai"]
