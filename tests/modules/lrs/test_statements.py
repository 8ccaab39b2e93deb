"""The Statement resource over HTTP: storing, the MUST rules, every query filter,
voiding, paging, formats, attachments and the protocol headers (xAPI 1.0.3 Communication)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.statements import Statement
from tests.modules.lrs.conftest import SITE, Credentials, Xapi, agent, make_client, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def count(session: Session) -> int:
    session.rollback()  # end the test's read before the next request writes (SQLite)
    return session.scalar(select(func.count()).select_from(Statement)) or 0


def stored_ids(response: Any) -> list[str]:
    return [s["id"] for s in response.get_json()["statements"]]


def test_post_single_and_batch_then_get_back(xapi: Xapi, app_db: Session) -> None:
    one = statement()
    response = xapi.post(one)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [one["id"]]
    batch = [statement(), statement(verb="completed")]
    assert xapi.post(batch).get_json() == [s["id"] for s in batch]

    got = xapi.get(statementId=one["id"])
    assert got.status_code == 200
    body = got.get_json()
    assert body["actor"] == one["actor"] and body["verb"] == one["verb"]
    # The LRS sets stored, authority, timestamp and version; the client's id is kept.
    assert body["id"] == one["id"] and body["version"] == "1.0.0"
    assert body["authority"]["account"]["name"] == xapi.credentials.key
    assert {"stored", "timestamp"} <= body.keys()
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in got.headers
    assert got.headers["Last-Modified"]
    assert count(app_db) == 3


def test_statement_ids_are_generated_when_absent(xapi: Xapi) -> None:
    data = statement()
    del data["id"]
    [new_id] = xapi.post(data).get_json()
    assert uuid.UUID(new_id)
    assert xapi.get(statementId=new_id).status_code == 200


def test_put_with_statement_id(xapi: Xapi, app_db: Session) -> None:
    data = statement()
    statement_id = data.pop("id")
    assert xapi.put(data, statement_id).status_code == 204
    assert xapi.get(statementId=statement_id).get_json()["verb"] == data["verb"]
    # The id in the body must agree with the parameter.
    other = statement()
    response = xapi.put(other, str(uuid.uuid4()))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"id": response.get_json()["error"]["fields"]["id"]}
    assert (
        xapi.request("PUT", "/xapi/statements", data=json.dumps(other), content_type="application/json").status_code
        == 400
    )
    assert count(app_db) == 1


def test_resent_id_same_content_is_accepted_different_content_is_409(xapi: Xapi, app_db: Session) -> None:
    data = statement()
    assert xapi.post(data).status_code == 200
    assert xapi.post(data).status_code == 200
    assert xapi.put(data, data["id"]).status_code == 204
    changed = {**data, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    assert xapi.post(changed).status_code == 409
    assert xapi.put(changed, data["id"]).status_code == 409
    assert count(app_db) == 1
    assert xapi.get(statementId=data["id"]).get_json()["verb"] == data["verb"]  # immutable


@pytest.mark.parametrize(
    ("change", "property_path"),
    [
        (lambda s: s["verb"].update(id="completed"), "verb.id"),
        (lambda s: s.pop("actor"), "actor"),
        (lambda s: s.update(timestamp="2026-13-01T10:00:00Z"), "timestamp"),
        (lambda s: s.update(colour="red"), "colour"),
        (lambda s: s["object"].update(id="not an iri"), "object.id"),
        (lambda s: s["actor"].update(mbox="mailto:mai@example.vn"), "actor"),
    ],
    ids=["bad verb IRI", "missing actor", "malformed timestamp", "unknown property", "bad activity id", "two IFIs"],
)
def test_invalid_statements_are_rejected_naming_the_property(
    xapi: Xapi, app_db: Session, change: Any, property_path: str
) -> None:
    good = statement()
    bad = statement()
    change(bad)
    response = xapi.post([good, bad])
    assert response.status_code == 400
    error = response.get_json()["error"]
    field = next(iter(error["fields"]))
    assert field.startswith("[1]") and property_path in field, error
    assert field in error["message"]  # clients that show only the message see the property too
    assert count(app_db) == 0  # nothing of the batch is stored


def test_version_header_is_required_and_checked(client: Any, lrs: Credentials, app_db: Session) -> None:
    body = json.dumps(statement())
    for version in (None, "0.95", "1.1.0", "3.0.0"):
        response = client.post(
            "/xapi/statements", data=body, content_type="application/json", headers=lrs.headers(version)
        )
        assert response.status_code == 400, version
        assert "X-Experience-API-Version" in response.get_json()["error"]["fields"]
    for version in ("1.0.0", "1.0.2", "1.0.3", "2.0.0"):
        response = client.get("/xapi/statements", headers=lrs.headers(version))
        assert response.status_code == 200, version
        assert response.headers["X-Experience-API-Version"] == ("2.0.0" if version == "2.0.0" else "1.0.3")
    assert count(app_db) == 0


def test_about_lists_versions_without_credentials(client: Any) -> None:
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.get_json()["version"] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]


def test_wrong_or_missing_credentials_are_401(client: Any, lrs: Credentials, app_db: Session) -> None:
    wrong = Credentials(lrs.key, lrs.secret + "x")
    for headers in ({"X-Experience-API-Version": "1.0.3"}, wrong.headers(), Credentials("nobody", "x").headers()):
        response = client.get("/xapi/statements", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    from modules.lrs.clients import revoke_client
    from modules.lrs.models import LrsClient

    row = app_db.scalar(select(LrsClient).where(LrsClient.key == lrs.key))
    revoke_client(app_db, row.id, None)
    app_db.commit()
    assert client.get("/xapi/statements", headers=lrs.headers()).status_code == 401


def test_read_only_and_write_only_clients(client: Any, app_db: Session) -> None:
    reader = Xapi(client, make_client(app_db, can_write=False))
    writer = Xapi(client, make_client(app_db, can_read=False))
    data = statement()
    assert reader.post(data).status_code == 403
    assert writer.post(data).status_code == 200
    assert writer.get(statementId=data["id"]).status_code == 403
    assert reader.get(statementId=data["id"]).status_code == 200


def test_own_scope_reads_only_its_own_statements(client: Any, app_db: Session) -> None:
    province = Xapi(client, make_client(app_db, name="Sở Nội vụ", scope="own"))
    commune = Xapi(client, make_client(app_db, name="Xã Ia Grai", scope="own"))
    mine, theirs = statement(), statement()
    province.post(mine)
    commune.post(theirs)
    assert stored_ids(province.get()) == [mine["id"]]
    assert province.get(statementId=theirs["id"]).status_code == 404
    assert stored_ids(commune.get()) == [theirs["id"]]


def test_launch_credentials_write_and_read_only_their_official(client: Any, app_db: Session) -> None:
    from lms_core.statements import agent_key
    from modules.lrs.clients import issue_launch_credentials

    registration = str(uuid.uuid4())
    issued = issue_launch_credentials(
        app_db,
        server_key="test-secret",
        actor_key=agent_key(agent("GL-00001")),
        activity_iri="https://content.example/xapi/bai-1",
        registration=registration,
    )
    app_db.commit()
    launch = Xapi(client, Credentials(issued.key, issued.secret))
    assert launch.post(statement(actor=agent("GL-00002"))).status_code == 403
    own = statement()
    assert launch.post(own).status_code == 200
    other = Xapi(client, make_client(app_db))
    someone_else = statement(actor=agent("GL-00002"))
    other.post(someone_else)
    assert stored_ids(launch.get()) == [own["id"]]
    assert launch.get(statementId=someone_else["id"]).status_code == 404

    expired = issue_launch_credentials(
        app_db,
        server_key="test-secret",
        actor_key=agent_key(agent()),
        activity_iri="https://x.example/a",
        registration=registration,
        now=datetime.now(UTC) - timedelta(days=1),
    )
    app_db.commit()
    assert client.get("/xapi/statements", headers=Credentials(expired.key, expired.secret).headers()).status_code == 401


# -- queries ---------------------------------------------------------------------------------


@pytest.fixture
def history(xapi: Xapi) -> dict[str, Any]:
    """Statements of two officials on two activities, one with a context parent, posted
    in order so ``stored`` increases."""
    registration = str(uuid.uuid4())
    parent = "https://content.example/xapi/khoa-hoc"
    made = {
        "mai_exp": statement(actor=agent("GL-00001")),
        "mai_done": statement(
            verb="completed",
            actor=agent("GL-00001"),
            context={"registration": registration, "contextActivities": {"parent": [{"id": parent}]}},
        ),
        "hung_exp": statement(actor=agent("GL-00002"), activity="https://content.example/xapi/bai-2"),
        "about_mai": {**statement(verb="mentored", actor=agent("GL-00002")), "object": agent("GL-00001")},
    }
    for data in made.values():
        assert xapi.post(data).status_code == 200
    made["registration"] = registration
    made["parent"] = parent
    return made


def query(xapi: Xapi, **params: Any) -> list[str]:
    response = xapi.get(**params)
    assert response.status_code == 200, response.get_json()
    return stored_ids(response)


def test_every_query_filter(xapi: Xapi, history: dict[str, Any]) -> None:
    mai, hung = json.dumps(agent("GL-00001")), json.dumps(agent("GL-00002"))
    ids = {k: v["id"] for k, v in history.items() if isinstance(v, dict)}
    # Newest first by default; ascending on request.
    assert query(xapi) == [ids["about_mai"], ids["hung_exp"], ids["mai_done"], ids["mai_exp"]]
    assert query(xapi, ascending="true") == [ids["mai_exp"], ids["mai_done"], ids["hung_exp"], ids["about_mai"]]
    # agent matches the actor or the object.
    assert set(query(xapi, agent=mai)) == {ids["mai_exp"], ids["mai_done"], ids["about_mai"]}
    assert set(query(xapi, agent=hung)) == {ids["hung_exp"], ids["about_mai"]}
    assert query(xapi, verb="http://adlnet.gov/expapi/verbs/completed") == [ids["mai_done"]]
    assert query(xapi, activity="https://content.example/xapi/bai-2") == [ids["hung_exp"]]
    assert query(xapi, activity=history["parent"]) == []
    assert query(xapi, activity=history["parent"], related_activities="true") == [ids["mai_done"]]
    assert query(xapi, registration=history["registration"]) == [ids["mai_done"]]
    # related_agents also matches the authority: every statement here is the client's.
    authority = json.dumps(
        {"objectType": "Agent", "account": {"homePage": f"{SITE}/xapi/clients", "name": xapi.credentials.key}}
    )
    assert query(xapi, agent=authority) == []
    assert len(query(xapi, agent=authority, related_agents="true")) == 4
    assert query(xapi, agent=mai, verb="http://adlnet.gov/expapi/verbs/experienced") == [ids["mai_exp"]]


def test_since_until_limit_and_more(xapi: Xapi, history: dict[str, Any]) -> None:
    everything = xapi.get(ascending="true").get_json()["statements"]
    second_stored = everything[1]["stored"]
    assert query(xapi, since=second_stored, ascending="true") == [s["id"] for s in everything[2:]]
    assert query(xapi, until=second_stored, ascending="true") == [s["id"] for s in everything[:2]]
    # Paging: the more link walks every statement exactly once.
    seen: list[str] = []
    page = xapi.get(limit=1, ascending="true").get_json()
    while True:
        seen += [s["id"] for s in page["statements"]]
        if not page["more"]:
            break
        assert page["more"].startswith("/xapi/statements?")
        page = xapi.get(page["more"]).get_json()
    assert seen == [s["id"] for s in everything]
    for bad in (
        {"since": "yesterday"},
        {"limit": "-1"},
        {"ascending": "maybe"},
        {"format": "short"},
        {"verb": "completed"},
        {"agent": '{"name": "no id"}'},
        {"colour": "red"},
    ):
        response = xapi.get(**bad)
        assert response.status_code == 400, bad
        assert next(iter(bad)) in response.get_json()["error"]["fields"], bad


def test_voiding(xapi: Xapi, app_db: Session, history: dict[str, Any]) -> None:
    target = history["mai_exp"]["id"]
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target}
    assert xapi.post(voiding).status_code == 200
    # A voided statement is found only by voidedStatementId and is left out of queries…
    assert xapi.get(statementId=target).status_code == 404
    assert xapi.get(voidedStatementId=target).get_json()["id"] == target
    assert xapi.get(voidedStatementId=history["mai_done"]["id"]).status_code == 404
    mai = json.dumps(agent("GL-00001"))
    found = query(xapi, agent=mai)
    assert target not in found
    # …while the voiding statement is returned for the filters its target matches.
    assert voiding["id"] in found
    assert voiding["id"] in query(xapi, verb="http://adlnet.gov/expapi/verbs/experienced")
    # A statement voiding a voiding statement is stored but voids nothing (Data 2.3.2);
    # voiding needs a StatementRef.
    again = statement(verb="voided")
    again["object"] = {"objectType": "StatementRef", "id": voiding["id"]}
    assert xapi.post(again).status_code == 200
    assert xapi.get(statementId=voiding["id"]).status_code == 200
    not_ref = statement(verb="voided")
    assert xapi.post(not_ref).status_code == 400


def test_formats(xapi: Xapi, history: dict[str, Any]) -> None:
    statement_id = history["mai_exp"]["id"]
    ids = xapi.get(statementId=statement_id, format="ids").get_json()
    assert ids["actor"] == {"objectType": "Agent", "account": {"homePage": SITE, "name": "GL-00001"}}
    assert ids["verb"] == {"id": "http://adlnet.gov/expapi/verbs/experienced"}
    assert ids["object"] == {"id": "https://content.example/xapi/bai-1"}
    canonical = xapi.get(statementId=statement_id, format="canonical", headers={"Accept-Language": "vi"}).get_json()
    assert canonical["object"]["definition"]["name"] == {"vi": "Bài 1"}
    assert canonical["verb"]["display"] == {"vi": "experienced"}
    exact = xapi.get(statementId=statement_id).get_json()
    assert exact["object"]["definition"]["name"] == {"vi": "Bài 1", "en-US": "Lesson 1"}


# -- attachments ------------------------------------------------------------------------------


def multipart(parts: list[tuple[dict[str, str], bytes]]) -> tuple[bytes, str]:
    boundary = "hocvu-boundary-7d3f"
    chunks = []
    for headers, content in parts:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/mixed; boundary={boundary}"


def attachment_for(
    content: bytes, usage: str = "https://hocvu.test/attachments/evidence", content_type: str = "application/pdf"
) -> dict[str, Any]:
    return {
        "usageType": usage,
        "display": {"vi": "Minh chứng"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def test_attachments_round_trip_exactly(xapi: Xapi, app_db: Session) -> None:
    content = b"%PDF-1.4\r\n\x00\xff binary\n\r\n tail"
    data = statement(attachments=[attachment_for(content)])
    body, content_type = multipart(
        [
            ({"Content-Type": "application/json"}, json.dumps(data).encode()),
            (
                {
                    "Content-Type": "application/pdf",
                    "Content-Transfer-Encoding": "binary",
                    "X-Experience-API-Hash": hashlib.sha256(content).hexdigest(),
                },
                content,
            ),
        ]
    )
    response = xapi.request("POST", "/xapi/statements", data=body, content_type=content_type)
    assert response.status_code == 200, response.get_json()
    answer = xapi.get(statementId=data["id"], attachments="true")
    assert answer.mimetype == "multipart/mixed"
    from modules.lrs.attachments import split_multipart

    parts = split_multipart(answer.get_data(), answer.headers["Content-Type"])
    assert json.loads(parts[0].content)["id"] == data["id"]
    assert parts[1].content == content
    assert parts[1].headers["x-experience-api-hash"] == hashlib.sha256(content).hexdigest()


def test_attachment_without_data_or_with_wrong_hash_is_rejected(xapi: Xapi, app_db: Session) -> None:
    content = b"evidence"
    data = statement(attachments=[attachment_for(content)])
    assert xapi.post(data).status_code == 400  # no fileUrl and no data
    body, content_type = multipart(
        [
            ({"Content-Type": "application/json"}, json.dumps(data).encode()),
            ({"Content-Type": "application/pdf", "X-Experience-API-Hash": "0" * 64}, content),
        ]
    )
    assert xapi.request("POST", "/xapi/statements", data=body, content_type=content_type).status_code == 400
    with_url = statement(attachments=[{**attachment_for(content), "fileUrl": "https://files.example/e.pdf"}])
    assert xapi.post(with_url).status_code == 200
    assert count(app_db) == 1


def jws(payload: dict[str, Any], alg: str = "RS256") -> bytes:
    def b64(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).decode().rstrip("=")

    header = b64(json.dumps({"alg": alg}).encode())
    return f"{header}.{b64(json.dumps(payload).encode())}.{b64(b'not-checked-signature')}".encode()


def post_signed(xapi: Xapi, data: dict[str, Any], signature: bytes) -> Any:
    signed = {
        **data,
        "attachments": [
            attachment_for(signature, "http://adlnet.gov/expapi/attachments/signature", "application/octet-stream")
        ],
    }
    body, content_type = multipart(
        [
            ({"Content-Type": "application/json"}, json.dumps(signed).encode()),
            (
                {
                    "Content-Type": "application/octet-stream",
                    "Content-Transfer-Encoding": "binary",
                    "X-Experience-API-Hash": hashlib.sha256(signature).hexdigest(),
                },
                signature,
            ),
        ]
    )
    return xapi.request("POST", "/xapi/statements", data=body, content_type=content_type)


def test_signed_statements(xapi: Xapi) -> None:
    data = statement()
    assert post_signed(xapi, data, jws(data)).status_code == 200
    other = statement()
    assert (
        post_signed(xapi, other, jws({**other, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})).status_code
        == 400
    )
    assert post_signed(xapi, statement(), jws(statement(), alg="HS256")).status_code == 400
    assert post_signed(xapi, statement(), b"not a jws").status_code == 400


# -- protocol -----------------------------------------------------------------------------------


def test_cors_preflight_and_headers(client: Any, xapi: Xapi) -> None:
    preflight = client.options(
        "/xapi/statements",
        headers={
            "Origin": "https://content.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, x-experience-api-version, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://content.example"
    assert "X-Experience-API-Version" in preflight.headers["Access-Control-Allow-Headers"]
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    response = xapi.get(headers={"Origin": "https://content.example"})
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_doubled_slash_in_resource_path(xapi: Xapi) -> None:
    data = statement()
    response = xapi.request("POST", "/xapi//statements", data=json.dumps(data), content_type="application/json")
    assert response.status_code == 200
    assert xapi.get("/xapi//statements", statementId=data["id"]).status_code == 200


def test_alternate_request_syntax(client: Any, lrs: Credentials, app_db: Session) -> None:
    data = statement()
    statement_id = data.pop("id")
    form = {
        **lrs.headers(),
        "Content-Type": "application/json",
        "content": json.dumps(data),
        "statementId": statement_id,
    }
    response = client.post(
        "/xapi/statements?method=PUT", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    got = client.post(
        "/xapi/statements?method=GET",
        data=urlencode({**lrs.headers(), "statementId": statement_id}),
        content_type="application/x-www-form-urlencoded",
    )
    assert got.get_json()["id"] == statement_id
    # Only `method` may be on the URL; xAPI 2.0 has no alternate syntax.
    extra = client.post(
        f"/xapi/statements?method=GET&statementId={statement_id}",
        data=urlencode(lrs.headers()),
        content_type="application/x-www-form-urlencoded",
    )
    assert extra.status_code == 400
    v2 = client.post(
        "/xapi/statements?method=GET",
        data=urlencode(lrs.headers("2.0.0")),
        content_type="application/x-www-form-urlencoded",
    )
    assert v2.status_code == 400


def test_xapi_2_sets_version_2(client: Any, lrs: Credentials) -> None:
    xapi2 = Xapi(client, lrs, version="2.0.0")
    data = statement()
    assert xapi2.post(data).status_code == 200
    assert xapi2.get(statementId=data["id"]).get_json()["version"] == "2.0.0"


def test_a_single_context_activity_is_kept_as_an_array(xapi: Xapi) -> None:
    parent = {"id": "https://content.example/xapi/khoa-hoc"}
    data = statement(context={"contextActivities": {"parent": parent, "grouping": [parent]}})
    sub = statement(context={"contextActivities": {"category": parent}})
    for key in ("id", "stored", "version", "authority"):
        sub.pop(key, None)
    nested = statement(object={"objectType": "SubStatement", **sub})
    xapi.post([data, nested])
    kinds = xapi.get(statementId=data["id"]).get_json()["context"]["contextActivities"]
    assert kinds == {"parent": [parent], "grouping": [parent]}
    inner = xapi.get(statementId=nested["id"]).get_json()["object"]["context"]["contextActivities"]
    assert inner == {"category": [parent]}


def test_errors_of_the_statement_resource_carry_consistent_through(xapi: Xapi) -> None:
    for response in (xapi.get(statementId="not-a-uuid"), xapi.get(statementId=str(uuid.uuid4()))):
        assert response.status_code in (400, 404)
        assert response.headers["X-Experience-API-Consistent-Through"]


def test_binary_sent_as_utf8_text_is_repaired_when_that_restores_the_hash(xapi: Xapi) -> None:
    # A JavaScript client reading a file as a "binary" string and sending it as text.
    content = bytes(range(256))
    data = statement(attachments=[attachment_for(content, content_type="image/jpeg")])
    sha2 = hashlib.sha256(content).hexdigest()
    head = {"Content-Type": "image/jpeg", "Content-Transfer-Encoding": "binary", "X-Experience-API-Hash": sha2}
    garbled = content.decode("latin-1").encode("utf-8")
    body, content_type = multipart([({"Content-Type": "application/json"}, json.dumps(data).encode()), (head, garbled)])
    assert xapi.request("POST", "/xapi/statements", data=body, content_type=content_type).status_code == 200
    from modules.lrs.attachments import split_multipart

    answer = xapi.get(statementId=data["id"], attachments="true")
    assert split_multipart(answer.get_data(), answer.headers["Content-Type"])[1].content == content


def test_signed_durations_compare_to_hundredths(xapi: Xapi) -> None:
    data = statement(result={"duration": "PT1M2.5S"})
    signed = {**data, "result": {"duration": "PT1M2.50123S"}}
    assert post_signed(xapi, data, jws(signed)).status_code == 200
    other = statement(result={"duration": "PT1M2.5S"})
    assert post_signed(xapi, other, jws({**other, "result": {"duration": "PT1M2.6S"}})).status_code == 400
