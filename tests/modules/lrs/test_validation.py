"""The xAPI statement validator, organised by the sections of xAPI 1.0.3 Part 2 (Data).

The cases follow the requirements and the valid/invalid templates of the ADL LRS conformance
suite (test/v1_0_3 and test/v2_0), rewritten with our own data. Each rejection asserts the
property path the error names.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lms_core.errors import ValidationFailed
from lms_core.statements import build_statement
from modules.lrs import validation as v
from modules.lrs.validation import (
    SUPPORTED_VERSIONS,
    parse_version_header,
    validate_agent_param,
    validate_statement,
    validate_statements,
)

SITE = "https://hocvu.example.gov.vn"
COURSE = f"{SITE}/xapi/activities/course/an-toan-thong-tin"
UUID = "3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c0d"
SHA2 = "9f2b1c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"


def agent(**extra: Any) -> dict[str, Any]:
    return {"objectType": "Agent", "name": "Trần Thị Mai", "mbox": "mailto:mai.tt@example.gov.vn", **extra}


def account_agent(name: str = "mai.tt") -> dict[str, Any]:
    return {"account": {"homePage": SITE, "name": name}}


def group(**extra: Any) -> dict[str, Any]:
    return {"objectType": "Group", "name": "Tổ Pháp chế", "mbox": "mailto:phapche@example.gov.vn", **extra}


def anonymous_group(*members: dict[str, Any]) -> dict[str, Any]:
    return {"objectType": "Group", "member": list(members) or [account_agent()]}


def activity(**definition: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"objectType": "Activity", "id": COURSE}
    if definition:
        result["definition"] = definition
    return result


def statement(**properties: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace or add top-level properties."""
    base: dict[str, Any] = {
        "actor": agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"vi": "đã tham dự"}},
        "object": activity(),
    }
    base.update(properties)
    return base


def attachment(**extra: Any) -> dict[str, Any]:
    return {
        "usageType": f"{SITE}/xapi/attachments/giay-chung-nhan",
        "display": {"vi": "Giấy chứng nhận"},
        "contentType": "application/pdf",
        "length": 4096,
        "sha2": SHA2,
        **extra,
    }


def interaction(interaction_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{SITE}/xapi/activities/cau-hoi/7",
        "definition": {
            "name": {"vi": "Câu hỏi 7"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": interaction_type,
            **extra,
        },
    }


def components(*ids: str) -> list[dict[str, Any]]:
    return [{"id": item, "description": {"vi": f"Lựa chọn {item}"}} for item in ids]


def rejected(value: object, version: str = "1.0.3") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        validate_statement(value, version)
    assert len(refused.value.errors) == 1
    return refused.value


def path_of(value: object, version: str = "1.0.3") -> str:
    return rejected(value, version).errors[0].field


def accepted(value: object, version: str = "1.0.3") -> None:
    validate_statement(value, version)


# --- Communication 3.3: the version header --------------------------------------------------


@pytest.mark.parametrize(
    ("header", "version"),
    [("1.0", "1.0.0"), ("1.0.0", "1.0.0"), ("1.0.1", "1.0.1"), ("1.0.2", "1.0.2"), ("1.0.3", "1.0.3"),
     (" 1.0.3 ", "1.0.3"), ("2.0.0", "2.0.0"), ("2.0", "2.0.0")],
)  # fmt: skip
def test_supported_version_headers_are_normalised(header: str, version: str) -> None:
    assert parse_version_header(header) == version
    assert version in SUPPORTED_VERSIONS


@pytest.mark.parametrize("header", ["0.9", "0.95", "1.1.0", "1.0.4", "1.0.x", "2.0.1", "2", "3.0.0", "latest"])
def test_unsupported_version_headers_are_refused(header: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_version_header(header)
    assert refused.value.errors[0].field == "X-Experience-API-Version"
    assert refused.value.errors[0].params == {"version": header}


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_version_header_is_refused(header: str | None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_version_header(header)
    assert refused.value.errors[0].field == "X-Experience-API-Version"
    assert refused.value.errors[0].message == v.M_HEADER_MISSING


def test_an_unsupported_version_argument_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_statement(statement(), "1.0")


# --- 2.2 Formatting requirements ------------------------------------------------------------


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_a_simple_statement_is_valid_in_every_version(version: str) -> None:
    accepted(statement(id=UUID, timestamp="2024-05-01T08:30:00.123Z"), version)


@pytest.mark.parametrize("missing", ["actor", "verb", "object"])
def test_actor_verb_and_object_are_required(missing: str) -> None:
    value = statement()
    del value[missing]
    error = rejected(value)
    assert error.errors[0].field == missing
    assert error.errors[0].message == v.M_REQUIRED


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (statement(actor=agent(name=None)), "actor.name"),
        (statement(verb={"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": None}}),
         "verb.display.en-US"),
        (statement(context={"registration": None}), "context.registration"),
        (statement(object=activity(moreInfo=None)), "object.definition.moreInfo"),
        (statement(result={"success": None}), "result.success"),
        (statement(id=None), "id"),
    ],
)  # fmt: skip
def test_null_is_refused_outside_extensions(value: dict[str, Any], path: str) -> None:
    error = rejected(value)
    assert error.errors[0].field == path
    assert error.errors[0].message == v.M_NULL


def test_null_is_allowed_as_an_extension_value() -> None:
    extensions = {f"{SITE}/xapi/extensions/ghi-chu": None}
    accepted(statement(object=activity(extensions=extensions), result={"extensions": extensions}))
    accepted(statement(context={"extensions": extensions}))


@pytest.mark.parametrize(
    ("result", "path"),
    [
        ({"score": {"max": "một trăm"}}, "result.score.max"),
        ({"score": {"raw": "95"}}, "result.score.raw"),
        ({"score": {"scaled": True}}, "result.score.scaled"),
        ({"success": "Rất tiếc, bạn chưa đạt."}, "result.success"),
        ({"completion": "false"}, "result.completion"),
        ({"success": 1}, "result.success"),
        ({"response": 42}, "result.response"),
    ],
)
def test_wrong_json_types_are_refused(result: dict[str, Any], path: str) -> None:
    assert path_of(statement(result=result)) == path


@pytest.mark.parametrize(
    ("key", "value"),
    [("iD", UUID), ("Actor", agent()), ("veRb", {"id": "http://example.com/v"}), ("oBject", activity()),
     ("RESULT", {"success": True}), ("conText", {"platform": "HocVu"}), ("timeStamp", "2024-05-01T08:30:00Z"),
     ("STOred", "2024-05-01T08:30:00Z"), ("auTHORity", agent()), ("Version", "1.0.3"),
     ("attachmentS", [attachment()])],
)  # fmt: skip
def test_keys_must_have_the_case_of_the_spec(key: str, value: object) -> None:
    error = rejected(statement(**{key: value}))
    assert error.errors[0].field == key
    assert error.errors[0].params == {"name": key}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (statement(ghiChu="không có trong đặc tả"), "ghiChu"),
        (statement(actor=agent(email="mai@example.gov.vn")), "actor.email"),
        (statement(actor={"account": {"homePage": SITE, "name": "mai", "id": 7}}), "actor.account.id"),
        (statement(verb={"id": "http://example.com/v", "name": {"vi": "x"}}), "verb.name"),
        (statement(object={"id": COURSE, "type": "course"}), "object.type"),
        (statement(object=activity(title={"vi": "x"})), "object.definition.title"),
        (statement(result={"foo": 1}), "result.foo"),
        (statement(result={"score": {"percent": 80}}), "result.score.percent"),
        (statement(context={"location": "Hà Nội"}), "context.location"),
        (statement(context={"contextActivities": {"parent": [{"id": COURSE, "name": "x"}]}}),
         "context.contextActivities.parent[0].name"),
        (statement(attachments=[attachment(title="x")]), "attachments[0].title"),
        (statement(object={"objectType": "StatementRef", "id": UUID, "version": "1.0.0"}), "object.version"),
    ],
)  # fmt: skip
def test_properties_the_spec_does_not_define_are_refused(value: dict[str, Any], path: str) -> None:
    error = rejected(value)
    assert error.errors[0].field == path
    assert error.errors[0].message == v.M_UNKNOWN


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (statement(result={}), "result"),
        (statement(context={}), "context"),
        (statement(context={"contextActivities": {}}), "context.contextActivities"),
        (statement(result={"score": {}}), "result.score"),
        # "An Activity Definition contains at least one of" its properties (ADL suite, 4.1.4.1).
        (statement(object=activity() | {"definition": {}}), "object.definition"),
        (statement(verb={"id": "http://example.com/v", "display": {}}), "verb.display"),
        (statement(attachments=[attachment(description={})]), "attachments[0].description"),
    ],
)
def test_empty_objects_are_refused(value: dict[str, Any], path: str) -> None:
    error = rejected(value)
    assert error.errors[0].field == path
    assert error.errors[0].message == v.M_EMPTY_OBJECT


def test_empty_extensions_are_allowed() -> None:
    accepted(statement(object=activity(extensions={}), result={"extensions": {}}, context={"extensions": {}}))


@pytest.mark.parametrize(
    "tag",
    ["vi", "de", "tlh", "ine", "cmn", "vi-VN", "de-DE", "es-419", "zh-Hant", "sr-Latn", "sr-Latn-RS",
     "zh-cmn-Hans-CN", "sl-rozaj-biske", "de-CH-1901", "hy-Latn-IT-arevela", "az-Arab-x-AZE-derbend",
     "x-whatever", "i-enochian", "en-GB-oed", "sgn-BE-FR", "en-a-bbb-x-a-ccc", "EN-us"],
)  # fmt: skip
def test_well_formed_rfc5646_language_tags_are_accepted(tag: str) -> None:
    accepted(statement(verb={"id": "http://example.com/v", "display": {tag: "đã tham dự"}}))
    accepted(statement(context={"language": tag}))


@pytest.mark.parametrize(
    "tag",
    ["de-419-DE", "a-DE", "ar-a-aaa-b-bbb-a-ccc", "zh-z-aaa-z-bbb-c-ccc", "a12345", "something",
     "de-1901-1901", "en_US", "en-", "", "vi VN", "x", "123", "\u212am"],
)  # fmt: skip
def test_malformed_language_tags_are_refused(tag: str) -> None:
    error = rejected(statement(verb={"id": "http://example.com/v", "display": {"vi": "x", tag: "y"}}))
    assert error.errors[0].field == f"verb.display.{tag}"
    assert error.errors[0].params == {"tag": tag}
    assert path_of(statement(context={"language": tag})) == "context.language"


def test_language_map_values_must_be_strings() -> None:
    assert path_of(statement(object=activity(name={"vi": ["Khóa học"]}))) == "object.definition.name.vi"


@pytest.mark.parametrize(
    "iri",
    ["http://example.com", f"{SITE}/xapi/verbs/da-hoc#phan-1", "urn:uuid:" + UUID, "tag:hocvu.vn,2024:khoa-hoc",
     "http://example.com/path/../khoa-hoc", "https://vi.wikipedia.org/wiki/Học_tập", "HTTPS://EXAMPLE.COM/A"],
)  # fmt: skip
def test_absolute_iris_are_accepted(iri: str) -> None:
    accepted(statement(verb={"id": iri}, object={"id": iri}))


@pytest.mark.parametrize(
    "iri",
    ["ab=c://should.fail.com", "khong co scheme", "valid", "/xapi/verbs/attended", "http:thieu-authority",
     "http://", "http://ví dụ.vn", "", "1http://example.com", "http://example.com/<script>"],
)  # fmt: skip
def test_iris_without_a_valid_scheme_are_refused(iri: str) -> None:
    error = rejected(statement(verb={"id": iri}))
    assert error.errors[0].field == "verb.id"
    assert error.errors[0].message == v.M_IRI


# --- 2.4.1 id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement_id",
    [UUID, UUID.upper(), "00000000-0000-0000-0000-000000000000", "fd41c918-b88b-1b20-c0a5-a4c32391aaa0"],
)
def test_statement_ids_are_uuids_of_any_variant_and_case(statement_id: str) -> None:
    accepted(statement(id=statement_id))


@pytest.mark.parametrize(
    "statement_id",
    ["AA97B177-9383-4934-8543-0F91A7A028368", "MA97B177-9383-4934-8543-0F91A7A02836",
     "3f1c9a527d4e4b8a9c215e6f7a8b9c0d", "{3f1c9a52-7d4e-4b8a-9c21-5e6f7a8b9c0d}", "", 12345, {"key": "x"}, True],
)  # fmt: skip
def test_malformed_statement_ids_are_refused(statement_id: object) -> None:
    assert path_of(statement(id=statement_id)) == "id"


# --- 2.4.2 actor: agents ------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        {"mbox": "mailto:mai.tt@example.gov.vn"},
        {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        {"openid": "http://openid.example.org/12345"},
        {"objectType": "Agent", "account": {"homePage": SITE, "name": "001234"}},
        {"name": "Lê Văn Hùng", "mbox": "mailto:hung+lop2@xn--hc-vu-0za.vn"},
    ],
)
def test_an_agent_is_identified_by_one_ifi(actor: dict[str, Any]) -> None:
    accepted(statement(actor=actor))
    accepted(statement(authority=actor))
    accepted(statement(context={"instructor": actor}))
    accepted(statement(object={"objectType": "Agent", **actor}))


def test_an_agent_without_ifi_is_refused() -> None:
    error = rejected(statement(actor={"objectType": "Agent", "name": "Ẩn danh"}))
    assert error.errors[0].field == "actor"
    assert error.errors[0].message == v.M_IFI_NONE
    assert path_of(statement(context={"instructor": {"objectType": "Agent"}})) == "context.instructor"


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}, "actor.mbox_sha1sum"),
        ({"openid": "http://openid.example.org/12345"}, "actor.openid"),
        ({"account": {"homePage": SITE, "name": "mai"}}, "actor.account"),
    ],
)
def test_an_agent_with_two_ifis_is_refused(extra: dict[str, Any], path: str) -> None:
    error = rejected(statement(actor=agent(**extra)))
    assert error.errors[0].field == path
    assert error.errors[0].params == {"other": "mbox"}


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        ({"mbox": "http://should.fail.com"}, "actor.mbox"),
        ({"mbox": "mailto:should.fail.com"}, "actor.mbox"),
        ({"mbox": "mai.tt@example.gov.vn"}, "actor.mbox"),
        ({"mbox": "mailto:"}, "actor.mbox"),
        ({"mbox": ""}, "actor.mbox"),
        ({"mbox": {"key": "value"}}, "actor.mbox"),
        ({"mbox_sha1sum": {"key": "value"}}, "actor.mbox_sha1sum"),
        ({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab97606"}, "actor.mbox_sha1sum"),
        ({"openid": "ab=c://should.fail.com"}, "actor.openid"),
        ({"openid": "http://openid.example.org/người-dùng"}, "actor.openid"),
        ({"account": {"name": "mai"}}, "actor.account.homePage"),
        ({"account": {"homePage": "ab=c://should.fail.com", "name": "mai"}}, "actor.account.homePage"),
        ({"account": {"homePage": SITE}}, "actor.account.name"),
        ({"account": {"homePage": SITE, "name": {"key": "value"}}}, "actor.account.name"),
        ({"account": {"homePage": SITE, "name": ""}}, "actor.account.name"),
        ({"account": "mai"}, "actor.account"),
        ({"mbox": "mailto:mai@example.vn", "objectType": "agent"}, "actor.objectType"),
        ({"mbox": "mailto:mai@example.vn", "objectType": 123}, "actor.objectType"),
        ({"mbox": "mailto:mai@example.vn", "objectType": {"key": "value"}}, "actor.objectType"),
        ({"mbox": "mailto:mai@example.vn", "name": 123}, "actor.name"),
        ({"mbox": "mailto:mai@example.vn", "name": {"key": "value"}}, "actor.name"),
    ],
)
def test_malformed_agents_are_refused(actor: dict[str, Any], path: str) -> None:
    assert path_of(statement(actor=actor)) == path


def test_the_same_agent_rules_apply_in_every_position() -> None:
    bad = {"mbox": "mailto:should.fail.com"}
    assert path_of(statement(authority=bad)) == "authority.mbox"
    assert path_of(statement(context={"instructor": bad})) == "context.instructor.mbox"
    assert path_of(statement(object={"objectType": "Agent", **bad})) == "object.mbox"
    sub = {"objectType": "SubStatement", "actor": bad, "verb": {"id": "http://example.com/v"}, "object": activity()}
    assert path_of(statement(object=sub)) == "object.actor.mbox"
    assert path_of(statement(actor=anonymous_group(account_agent(), bad))) == "actor.member[1].mbox"


def test_an_actor_must_be_an_object() -> None:
    assert path_of(statement(actor="mailto:mai@example.vn")) == "actor"
    assert path_of(statement(actor=[agent()])) == "actor"


# --- 2.4.2.2 actor: groups ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        group(),
        group(member=[agent(), account_agent()]),
        group(member=[]),
        {"objectType": "Group", "account": {"homePage": SITE, "name": "to-phap-che"}},
        {"objectType": "Group", "openid": "http://openid.example.org/to-1"},
        anonymous_group(agent(), account_agent("hung.lv")),
    ],
)
def test_identified_and_anonymous_groups_are_accepted(value: dict[str, Any]) -> None:
    accepted(statement(actor=value))
    accepted(statement(object=value))
    accepted(statement(context={"instructor": value, "team": value}))


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        ({"objectType": "Group"}, "actor.member"),
        ({"objectType": "Group", "member": []}, "actor.member"),
        ({"objectType": "Group", "member": agent()}, "actor.member"),
        ({"objectType": "Group", "member": [agent(), group()]}, "actor.member[1].objectType"),
        (group(member=[{"objectType": "Group", "member": [agent()]}]), "actor.member[0].objectType"),
        ({"objectType": "Group", "member": [{"name": "Không định danh"}]}, "actor.member[0]"),
        (group(openid="http://openid.example.org/to-1"), "actor.openid"),
        (group(mbox="mailto:should.fail.com"), "actor.mbox"),
        ({"objectType": "group", "member": [agent()]}, "actor.objectType"),
        (group(name=7), "actor.name"),
    ],
)
def test_malformed_groups_are_refused(actor: dict[str, Any], path: str) -> None:
    assert path_of(statement(actor=actor)) == path


def test_a_team_must_be_a_group() -> None:
    assert path_of(statement(context={"team": agent()})) == "context.team.objectType"
    assert path_of(statement(context={"team": {"mbox": "mailto:to@example.vn"}})) == "context.team.objectType"
    assert path_of(statement(context={"team": "Tổ 1"})) == "context.team"
    assert path_of(statement(context={"team": {"key": "should fail"}})) == "context.team.key"


# --- 2.4.3 verb ---------------------------------------------------------------------------


def test_a_verb_needs_an_iri_id_and_a_language_map_display() -> None:
    accepted(statement(verb={"id": "http://adlnet.gov/expapi/verbs/attended"}))
    assert path_of(statement(verb={"display": {"vi": "đã học"}})) == "verb.id"
    assert path_of(statement(verb={"id": "ab=c://should.fail.com"})) == "verb.id"
    assert path_of(statement(verb={"id": "http://example.com/v", "display": "đã học"})) == "verb.display"
    assert path_of(statement(verb={"id": "http://example.com/v", "display": {"a12345": "x"}})) == "verb.display.a12345"
    assert path_of(statement(verb="http://adlnet.gov/expapi/verbs/attended")) == "verb"


def test_a_voiding_statement_must_target_a_statement_ref() -> None:
    voided = {"id": v.VOIDED, "display": {"vi": "đã hủy"}}
    accepted(statement(verb=voided, object={"objectType": "StatementRef", "id": UUID}))
    error = rejected(statement(verb=voided))
    assert error.errors[0].field == "object.objectType"
    assert error.errors[0].message == v.M_VOIDING_OBJECT


# --- 2.4.4 object ---------------------------------------------------------------------------


def test_an_object_without_object_type_is_an_activity() -> None:
    accepted(statement(object={"id": COURSE}))


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"objectType": "activity", "id": COURSE}, "object.objectType"),
        ({"objectType": "agent", "mbox": "mailto:mai@example.vn"}, "object.objectType"),
        ({"objectType": "group", "mbox": "mailto:to@example.vn"}, "object.objectType"),
        ({"objectType": "statementref", "id": UUID}, "object.objectType"),
        ({"objectType": "substatement"}, "object.objectType"),
        ({"objectType": "Person", "mbox": "mailto:mai@example.vn"}, "object.objectType"),
        ({"objectType": None, "id": COURSE}, "object.objectType"),
        ("http://example.com/activity", "object"),
    ],
)
def test_object_types_are_an_exact_vocabulary(value: object, path: str) -> None:
    assert path_of(statement(object=value)) == path


def test_an_agent_or_group_as_object_must_say_so() -> None:
    error = rejected(statement(object={"mbox": "mailto:mai@example.vn"}))
    assert error.errors[0].field == "object.objectType"
    assert error.errors[0].message == v.M_AGENT_AS_OBJECT
    assert path_of(statement(object={"member": [agent()]})) == "object.objectType"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"objectType": "Activity"}, "object.id"),
        ({"id": "ab=c://should.fail.com"}, "object.id"),
        ({"id": 42}, "object.id"),
        ({"id": COURSE, "definition": "should fail"}, "object.definition"),
        ({"id": COURSE, "definition": 12345}, "object.definition"),
        (activity(name="Khóa học"), "object.definition.name"),
        (activity(name=12345), "object.definition.name"),
        (activity(name={}), "object.definition.name"),
        (activity(description="Mô tả"), "object.definition.description"),
        (activity(name={"de-419-DE": "Kurs"}), "object.definition.name.de-419-DE"),
        (activity(type="khoa-hoc"), "object.definition.type"),
        (activity(moreInfo="xem trang chủ"), "object.definition.moreInfo"),
        (activity(extensions="should fail"), "object.definition.extensions"),
        (activity(extensions={"id": "valid", "description": {"en-US": "valid"}}), "object.definition.extensions.id"),
    ],
)
def test_malformed_activities_are_refused(value: dict[str, Any], path: str) -> None:
    assert path_of(statement(object=value)) == path


def test_a_full_activity_definition_is_accepted() -> None:
    accepted(
        statement(
            object=activity(
                name={"vi": "An toàn thông tin", "en-US": "Information security"},
                description={"vi": "Khóa học bắt buộc"},
                type="http://adlnet.gov/expapi/activities/course",
                moreInfo=f"{SITE}/khoa-hoc/an-toan-thong-tin",
                extensions={f"{SITE}/xapi/extensions/so-tiet": 8, f"{SITE}/xapi/extensions/meta": {"id": "x"}},
            )
        )
    )


# --- 2.4.4.1 interaction activities ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        interaction("true-false", correctResponsesPattern=["true"]),
        interaction("choice", correctResponsesPattern=["a[,]c"], choices=components("a", "b", "c")),
        interaction("fill-in", correctResponsesPattern=["Hà Nội"]),
        interaction("long-fill-in", correctResponsesPattern=["{case_matters=false}{lang=vi}Bảo vệ dữ liệu."]),
        interaction("matching", correctResponsesPattern=["a[.]1"], source=components("a"), target=components("1")),
        interaction("performance", correctResponsesPattern=["b1[.]x"], steps=components("b1", "b2")),
        interaction("sequencing", correctResponsesPattern=["c[,]a[,]b"], choices=components("a", "b", "c")),
        interaction("likert", correctResponsesPattern=["l3"], scale=components("l1", "l2", "l3")),
        interaction("numeric", correctResponsesPattern=["4[:]"]),
        interaction("other", correctResponsesPattern=["(21.0285,105.8542)"]),
        interaction("choice"),
        interaction("likert"),
        interaction("choice", correctResponsesPattern=[]),
        interaction("matching", source=[], target=[]),
    ],
)
def test_interaction_activities_are_accepted(value: dict[str, Any]) -> None:
    accepted(statement(object=value))


@pytest.mark.parametrize(
    "interaction_type",
    ["true-faLse", "choiCe", "fill-iN", "long-fiLl-in", "matchIng", "perfOrmance", "seqUencing", "liKert",
     "nUmeric", "Other", "ab=c://should.fail.com", "multiple-choice", ""],
)  # fmt: skip
def test_interaction_types_must_match_the_vocabulary_exactly(interaction_type: str) -> None:
    error = rejected(statement(object=interaction(interaction_type)))
    assert error.errors[0].field == "object.definition.interactionType"
    assert error.errors[0].params == {"value": interaction_type}


@pytest.mark.parametrize("interaction_type", [12345, {"key": "value"}, None])
def test_an_interaction_type_must_be_a_string(interaction_type: object) -> None:
    assert path_of(statement(object=interaction(interaction_type))) == "object.definition.interactionType"  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["correctResponsesPattern", "choices", "scale", "source", "target", "steps"])
def test_interaction_properties_need_an_interaction_type(name: str) -> None:
    value = components("a") if name != "correctResponsesPattern" else ["a"]
    error = rejected(statement(object=activity(name={"vi": "Câu hỏi"}, **{name: value})))
    assert error.errors[0].field == f"object.definition.{name}"
    assert error.errors[0].message == v.M_INTERACTION_NEEDED


@pytest.mark.parametrize(
    ("interaction_type", "name"),
    [("true-false", "choices"), ("fill-in", "choices"), ("numeric", "scale"), ("other", "steps"),
     ("choice", "scale"), ("likert", "choices"), ("matching", "steps"), ("performance", "source"),
     ("sequencing", "target")],
)  # fmt: skip
def test_component_lists_only_where_the_interaction_type_uses_them(interaction_type: str, name: str) -> None:
    error = rejected(statement(object=interaction(interaction_type, **{name: components("a")})))
    assert error.errors[0].field == f"object.definition.{name}"
    assert error.errors[0].params == {"type": interaction_type, "name": name}


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"correctResponsesPattern": "a"}, "object.definition.correctResponsesPattern"),
        ({"correctResponsesPattern": ["a", 2]}, "object.definition.correctResponsesPattern[1]"),
        ({"choices": {"id": "a"}}, "object.definition.choices"),
        ({"choices": ["a", "b"]}, "object.definition.choices[0]"),
        ({"choices": components("a", "b") + [{"description": {"vi": "c"}}]}, "object.definition.choices[2].id"),
        ({"choices": components("a", "b") + [{"id": 3}]}, "object.definition.choices[2].id"),
        ({"choices": components("a", "b") + [{"id": ""}]}, "object.definition.choices[2].id"),
        ({"choices": components("a", "b", "a")}, "object.definition.choices[2].id"),
        ({"choices": [{"id": "a", "name": {"vi": "x"}}]}, "object.definition.choices[0].name"),
        ({"choices": [{"id": "a", "description": {"de-419-DE": "x"}}]},
         "object.definition.choices[0].description.de-419-DE"),
        ({"choices": [{"id": "a", "description": "x"}]}, "object.definition.choices[0].description"),
    ],
)  # fmt: skip
def test_malformed_interaction_components_are_refused(extra: dict[str, Any], path: str) -> None:
    assert path_of(statement(object=interaction("choice", **extra))) == path


# --- 2.4.4.3 statement references and sub-statements -------------------------------------


def test_statement_references() -> None:
    accepted(statement(object={"objectType": "StatementRef", "id": UUID}))
    assert path_of(statement(object={"objectType": "StatementRef"})) == "object.id"
    assert path_of(statement(object={"objectType": "StatementRef", "id": "should fail"})) == "object.id"
    assert path_of(statement(object={"objectType": "StatementRef", "id": 12345})) == "object.id"
    assert path_of(statement(object={"id": UUID, "objectType": "StatementRef", "definition": {}})) == (
        "object.definition"
    )


def substatement(**properties: Any) -> dict[str, Any]:
    return {
        "objectType": "SubStatement",
        "actor": agent(),
        "verb": {"id": f"{SITE}/xapi/verbs/se-hoc", "display": {"vi": "sẽ học"}},
        "object": activity(),
        **properties,
    }


@pytest.mark.parametrize(
    "sub",
    [
        substatement(),
        substatement(object={"objectType": "Agent", "mbox": "mailto:hung@example.vn"}),
        substatement(object=group()),
        substatement(object={"objectType": "StatementRef", "id": UUID}),
        substatement(result={"completion": True}, context={"registration": UUID, "platform": "HocVu"}),
        substatement(timestamp="2099-01-01T00:00:00Z"),
        substatement(attachments=[attachment()]),
    ],
)
def test_sub_statements_are_accepted(sub: dict[str, Any]) -> None:
    accepted(statement(object=sub))


@pytest.mark.parametrize(
    ("sub", "path"),
    [
        (substatement(id=UUID), "object.id"),
        (substatement(stored="2024-05-01T08:30:00Z"), "object.stored"),
        (substatement(version="1.0.0"), "object.version"),
        (substatement(authority=agent()), "object.authority"),
        (substatement(object=substatement()), "object.object.objectType"),
        ({k: val for k, val in substatement().items() if k != "actor"}, "object.actor"),
        ({k: val for k, val in substatement().items() if k != "verb"}, "object.verb"),
        ({k: val for k, val in substatement().items() if k != "object"}, "object.object"),
        (substatement(verb={"id": "should fail"}), "object.verb.id"),
        (substatement(verb={"id": "http://example.com/v", "display": {"de-419-DE": "x"}}),
         "object.verb.display.de-419-DE"),
        (substatement(object={"objectType": "Agent"}), "object.object"),
        (substatement(object={"mbox": "mailto:hung@example.vn"}), "object.object.objectType"),
        (substatement(object={"objectType": "StatementRef", "id": "MA97B177-9383-4934-8543-0F91A7A02836"}),
         "object.object.id"),
        (substatement(context={"language": {"a12345": "x"}}), "object.context.language"),
        (substatement(timestamp="01/011/2015"), "object.timestamp"),
        (substatement(result={"score": {"scaled": -1.00001}}), "object.result.score.scaled"),
        (substatement(ghiChu="x"), "object.ghiChu"),
    ],
)  # fmt: skip
def test_sub_statements_follow_statement_rules_and_their_own(sub: dict[str, Any], path: str) -> None:
    assert path_of(statement(object=sub)) == path


# --- 2.4.5 result ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score",
    [{"scaled": 0.6767676}, {"scaled": 1.0}, {"scaled": -1}, {"raw": 0.6767676}, {"min": 0.6767676},
     {"max": 100.6767676}, {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}, {"raw": 100, "min": 0, "max": 100},
     {"raw": -5}, {"min": 5, "max": 5, "raw": 5}],
)  # fmt: skip
def test_scores_within_their_ranges_are_accepted(score: dict[str, Any]) -> None:
    accepted(statement(result={"score": score}))


@pytest.mark.parametrize(
    ("score", "path"),
    [
        ({"scaled": 1.01}, "result.score.scaled"),
        ({"scaled": -1.00001}, "result.score.scaled"),
        ({"raw": 0.67, "max": 0.65}, "result.score.raw"),
        ({"raw": 0.67, "min": 1.4}, "result.score.raw"),
        ({"min": 0.67, "max": 0.66, "raw": 0.665}, "result.score.min"),
        ({"max": 100.6, "min": 104.6, "raw": 101.6}, "result.score.min"),
        ({"raw": float("nan")}, "result.score.raw"),
        ({"max": float("inf")}, "result.score.max"),
    ],
)
def test_scores_outside_their_ranges_are_refused(score: dict[str, Any], path: str) -> None:
    assert path_of(statement(result={"score": score})) == path


@pytest.mark.parametrize("score", [12345, "should fail", [0.5]])
def test_a_score_must_be_an_object(score: object) -> None:
    assert path_of(statement(result={"score": score})) == "result.score"


@pytest.mark.parametrize(
    "duration",
    ["PT1H0M0S", "PT1H0M0.1S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "P1D",
     "PT0S", "P0.5Y", "PT1,5H", "P1M", "PT1M"],
)  # fmt: skip
def test_iso8601_durations_are_accepted(duration: str) -> None:
    accepted(statement(result={"duration": duration}))


@pytest.mark.parametrize(
    "duration",
    ["PA1H0M0S", "should fail", "P4W1D", "P", "PT", "P1YT", "1H", "pt1h", "PT1.5H30M", "P0003-01-29T04:35:59",
     "PT-1S", "P1H", "PT1D", "", "PT\u0661H"],
)  # fmt: skip
def test_malformed_durations_are_refused(duration: str) -> None:
    error = rejected(statement(result={"duration": duration}))
    assert error.errors[0].field == "result.duration"
    assert error.errors[0].message == v.M_DURATION


@pytest.mark.parametrize("duration", [12345, {"key": "invalid"}])
def test_a_duration_must_be_a_string(duration: object) -> None:
    assert path_of(statement(result={"duration": duration})) == "result.duration"


def test_result_extensions_keys_must_be_iris() -> None:
    assert path_of(statement(result={"extensions": {"should fail": True}})) == "result.extensions.should fail"
    assert path_of(statement(result={"extensions": "x"})) == "result.extensions"


# --- 2.4.6 context --------------------------------------------------------------------------


def test_a_full_context_is_accepted() -> None:
    parent = {"id": f"{SITE}/xapi/activities/chuong-trinh/7"}
    accepted(
        statement(
            context={
                "registration": UUID,
                "instructor": agent(name="Giảng viên"),
                "team": anonymous_group(agent(), account_agent("hung.lv")),
                "contextActivities": {
                    "parent": [parent],
                    "grouping": parent,  # a single Activity is allowed (0.95 compatibility)
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                    "other": [{"objectType": "Activity", "id": COURSE, "definition": {"name": {"vi": "x"}}}],
                },
                "revision": "2024.1",
                "platform": "HocVu",
                "language": "vi-VN",
                "statement": {"objectType": "StatementRef", "id": UUID},
                "extensions": {f"{SITE}/xapi/extensions/don-vi": "Sở Nội vụ"},
            }
        )
    )


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"registration": {"key": "should fail"}}, "context.registration"),
        ({"registration": "should fail"}, "context.registration"),
        ({"registration": "AA97B177-9383-4934-8543-0F91A7A028368"}, "context.registration"),
        ({"registration": 12345}, "context.registration"),
        ({"instructor": {"key": "should fail"}}, "context.instructor.key"),
        ({"instructor": "should fail"}, "context.instructor"),
        ({"contextActivities": "should fail"}, "context.contextActivities"),
        ({"contextActivities": {"consequences": [{"id": COURSE}]}}, "context.contextActivities.consequences"),
        ({"contextActivities": {"Parent": [{"id": COURSE}]}}, "context.contextActivities.Parent"),
        ({"contextActivities": {"other": [{"id": COURSE}, {"key": "should fail"}]}},
         "context.contextActivities.other[1].key"),
        ({"contextActivities": {"other": [{"key": "should fail"}, {"id": COURSE}]}},
         "context.contextActivities.other[0].key"),
        ({"contextActivities": {"parent": [COURSE]}}, "context.contextActivities.parent[0]"),
        ({"contextActivities": {"parent": COURSE}}, "context.contextActivities.parent"),
        ({"contextActivities": {"parent": [{"id": "khoa-hoc"}]}}, "context.contextActivities.parent[0].id"),
        ({"contextActivities": {"parent": [{"objectType": "Agent", "id": COURSE}]}},
         "context.contextActivities.parent[0].objectType"),
        ({"revision": 12345}, "context.revision"),
        ({"revision": {"key": "should fail"}}, "context.revision"),
        ({"platform": 12345}, "context.platform"),
        ({"language": 12345}, "context.language"),
        ({"language": {"a12345": "should fail"}}, "context.language"),
        ({"statement": {"objectType": "statementref", "id": UUID}}, "context.statement.objectType"),
        ({"statement": {"id": UUID}}, "context.statement.objectType"),
        ({"statement": {"objectType": "StatementRef", "id": "should fail"}}, "context.statement.id"),
        ({"statement": {"objectType": "StatementRef", "id": 12345}}, "context.statement.id"),
        ({"extensions": {"should fail": True}}, "context.extensions.should fail"),
        ({"contextAgents": []}, "context.contextAgents"),  # xAPI 2.0 only
    ],
)  # fmt: skip
def test_malformed_contexts_are_refused(context: dict[str, Any], path: str) -> None:
    assert path_of(statement(context=context)) == path


@pytest.mark.parametrize("name", ["revision", "platform"])
@pytest.mark.parametrize(
    "target",
    [
        {"objectType": "Agent", "mbox": "mailto:hung@example.vn"},
        {"objectType": "Group", "mbox": "mailto:to@example.vn"},
        {"objectType": "StatementRef", "id": UUID},
        substatement(),
    ],
)
def test_revision_and_platform_only_with_an_activity_object(name: str, target: dict[str, Any]) -> None:
    error = rejected(statement(object=target, context={name: "x"}))
    assert error.errors[0].field == f"context.{name}"
    assert error.errors[0].params == {"name": name}
    # The rule holds inside a SubStatement, for its own object.
    sub = substatement(object=target if target.get("objectType") != "SubStatement" else activity())
    sub["context"] = {name: "x"}
    if sub["object"].get("objectType") == "Activity":
        accepted(statement(object=sub))
    else:
        assert path_of(statement(object=sub)) == f"object.context.{name}"


def test_revision_and_platform_with_an_object_that_defaults_to_activity() -> None:
    accepted(statement(object={"id": COURSE}, context={"revision": "2", "platform": "HocVu"}))
    sub = substatement(object={"id": COURSE}, context={"revision": "2"})
    accepted(statement(object=sub))


# --- 2.4.7 timestamp and 2.4.8 stored -------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    ["2013-05-18T05:32:34.804Z", "2024-05-01T08:30:00+07:00", "2024-05-01T08:30:00.123456789-05:00",
     "2024-05-01T08:30Z", "20240501T083000Z", "20240501T083000+0700", "2024-05-01T08:30:00,5Z", "2024-02-29T00:00:00Z",
     "2024-05-01T08:30:00+07", "2024-12-31T23:59:60Z", "2099-01-01T00:00:00Z"],
)  # fmt: skip
def test_iso8601_timestamps_with_a_zone_are_accepted(timestamp: str) -> None:
    accepted(statement(timestamp=timestamp, stored=timestamp))


@pytest.mark.parametrize(
    "timestamp",
    ["should fail", "01/011/2015", "2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000",
     "2008-09-15T15:53:00.601-00:00", "2024-05-01T08:30:00", "2024-05-01", "2024-05-01 08:30:00Z",
     "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z",
     "2024-05-01T08:61:00Z", "2024-05-01T08:30:00+25:00", "2024-05-01t08:30:00z", "",
     "\u0662\u0660\u0662\u0664-05-01T08:30:00Z"],
)  # fmt: skip
def test_malformed_or_zoneless_timestamps_are_refused(timestamp: str) -> None:
    assert path_of(statement(timestamp=timestamp)) == "timestamp"
    assert path_of(statement(stored=timestamp)) == "stored"


def test_negative_zero_offsets_have_their_own_message() -> None:
    assert rejected(statement(timestamp="2008-09-15T15:53:00.601-00:00")).errors[0].message == (
        v.M_TIMESTAMP_NEGATIVE_ZERO
    )


def test_a_timestamp_must_be_a_string() -> None:
    assert path_of(statement(timestamp=1715000000)) == "timestamp"


# --- 2.4.9 authority ------------------------------------------------------------------------


def test_an_oauth_three_legged_authority_is_a_group_of_two_agents() -> None:
    application = {"account": {"homePage": f"{SITE}/xapi/OAuth/token", "name": "ung-dung-x75db"}}
    accepted(statement(authority=anonymous_group(application, agent())))
    accepted(statement(authority=agent()))
    accepted(statement(authority=account_agent()))


@pytest.mark.parametrize(
    ("authority", "path"),
    [
        ({"objectType": "Group", "member": [agent()]}, "authority.member"),
        ({"objectType": "Group", "member": [account_agent(), agent(), agent(mbox="mailto:b@example.vn")]},
         "authority.member"),
        ({"objectType": "Group", "member": [agent(), agent(mbox="mailto:b@example.vn")]}, "authority.member"),
        (group(member=[account_agent(), agent()]), "authority"),
        ({"objectType": "Group", "openid": "http://openid.example.org/1"}, "authority"),
        ({"objectType": "Group"}, "authority.member"),
        ({"objectType": "Agent"}, "authority"),
        ({"objectType": "agent", "mbox": "mailto:a@example.vn"}, "authority.objectType"),
        ({"objectType": 123, "mbox": "mailto:a@example.vn"}, "authority.objectType"),
        ("HocVu", "authority"),
    ],
)  # fmt: skip
def test_other_authorities_are_refused(authority: object, path: str) -> None:
    assert path_of(statement(authority=authority)) == path


# --- 2.4.10 version -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "1.0.9"])
def test_statement_versions_starting_with_1_0_are_accepted(version: str) -> None:
    accepted(statement(version=version))
    accepted(statement(version=version), "2.0.0")


@pytest.mark.parametrize("version", ["should fail", "0.9.9", "1.1.0", "0.95", "2.0.0", "1", "1.0.", 100])
def test_other_statement_versions_are_refused_in_1_0(version: object) -> None:
    assert path_of(statement(version=version)) == "version"


def test_statement_version_2_0_0_needs_xapi_2() -> None:
    accepted(statement(version="2.0.0"), "2.0.0")
    assert path_of(statement(version="2.1.0"), "2.0.0") == "version"
    assert path_of(statement(version="2.0"), "2.0.0") == "version"


# --- 2.4.11 attachments ---------------------------------------------------------------------


def test_attachments_are_accepted() -> None:
    accepted(statement(attachments=[]))
    accepted(
        statement(
            attachments=[
                attachment(description={"vi": "Bản quét"}, fileUrl=f"{SITE}/files/gcn.pdf"),
                attachment(contentType="text/plain; charset=utf-8", length=0),
                attachment(usageType=v.SIGNATURE_USAGE, contentType="application/octet-stream"),
            ]
        )
    )


@pytest.mark.parametrize(
    ("attachments", "path"),
    [
        (attachment(), "attachments"),
        ([12345], "attachments[0]"),
        (["should fail"], "attachments[0]"),
        ([attachment(usageType="should fail")], "attachments[0].usageType"),
        ([attachment(contentType="should fail")], "attachments[0].contentType"),
        ([attachment(contentType="text/plain; charset")], "attachments[0].contentType"),
        ([attachment(length="should fail")], "attachments[0].length"),
        ([attachment(length=27.5)], "attachments[0].length"),
        ([attachment(length=-1)], "attachments[0].length"),
        ([attachment(length=True)], "attachments[0].length"),
        ([attachment(sha2=12345)], "attachments[0].sha2"),
        ([attachment(sha2="not-a-hash")], "attachments[0].sha2"),
        ([attachment(fileUrl="should fail")], "attachments[0].fileUrl"),
        ([attachment(display={})], "attachments[0].display"),
        ([attachment(display="should error")], "attachments[0].display"),
        ([attachment(display={"de-419-DE": "x"})], "attachments[0].display.de-419-DE"),
        ([attachment(description=12345)], "attachments[0].description"),
        ([attachment(description={"vi": "x", "something": "y"})], "attachments[0].description.something"),
        ([attachment(usageType=v.SIGNATURE_USAGE)], "attachments[0].contentType"),
        ([attachment(), attachment(sha2=None)], "attachments[1].sha2"),
    ],
)
def test_malformed_attachments_are_refused(attachments: object, path: str) -> None:
    assert path_of(statement(attachments=attachments)) == path


@pytest.mark.parametrize("missing", ["usageType", "display", "contentType", "length", "sha2"])
def test_attachment_required_properties(missing: str) -> None:
    value = attachment()
    del value[missing]
    error = rejected(statement(attachments=[value]))
    assert error.errors[0].field == f"attachments[0].{missing}"
    assert error.errors[0].message == v.M_REQUIRED


# --- 4.1 extensions -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, 12345, {"key": "valid"}, "valid", [1, "hai"], None])
def test_extension_values_are_free_form(value: object) -> None:
    extensions = {"http://example.com/ex": value}
    accepted(statement(object=activity(extensions=extensions), result={"extensions": extensions}))
    accepted(statement(context={"extensions": extensions}))
    accepted(statement(object=substatement(result={"extensions": extensions})))


# --- xAPI 2.0 (IEEE 9274.1.1) -------------------------------------------------------------


def test_context_agents_and_groups_are_accepted_in_2_0() -> None:
    context = {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": agent(),
                "relevantTypes": [f"{SITE}/xapi/activity-types/giang-vien"],
            },
            {"objectType": "contextAgent", "agent": account_agent()},
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": group(member=[agent(), account_agent()]),
                "relevantTypes": [f"{SITE}/xapi/activity-types/to-cong-tac"],
            },
            {"objectType": "contextGroup", "group": anonymous_group()},
        ],
    }
    accepted(statement(context=context), "2.0.0")
    accepted(statement(object=substatement(context=context)), "2.0.0")


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"contextAgents": [{"objectType": "Should fail", "agent": agent()}]}, "context.contextAgents[0].objectType"),
        ({"contextAgents": [{"agent": agent()}]}, "context.contextAgents[0].objectType"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": {"key": "Should fail"}}]},
         "context.contextAgents[0].agent.key"),
        ({"contextAgents": [{"objectType": "contextAgent"}]}, "context.contextAgents[0].agent"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": group()}]},
         "context.contextAgents[0].agent.objectType"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": agent(), "relevantTypes": []}]},
         "context.contextAgents[0].relevantTypes"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": agent(), "relevantTypes": ["abc"]}]},
         "context.contextAgents[0].relevantTypes[0]"),
        ({"contextAgents": {"objectType": "contextAgent", "agent": agent()}}, "context.contextAgents"),
        ({"contextGroups": [{"objectType": "Should fail", "group": group()}]}, "context.contextGroups[0].objectType"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": {"key": "Should fail"}}]},
         "context.contextGroups[0].group.key"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": agent()}]},
         "context.contextGroups[0].group.objectType"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": group(), "relevantTypes": []}]},
         "context.contextGroups[0].relevantTypes"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": group(), "relevantTypes": ["abc"]}]},
         "context.contextGroups[0].relevantTypes[0]"),
        ({"contextGroups": [{"objectType": "contextGroup", "group": group(), "member": [agent()]}]},
         "context.contextGroups[0].member"),
    ],
)  # fmt: skip
def test_malformed_context_agents_and_groups_are_refused(context: dict[str, Any], path: str) -> None:
    assert path_of(statement(context=context), "2.0.0") == path
    assert path_of(statement(object=substatement(context=context)), "2.0.0") == f"object.{path}"


@pytest.mark.parametrize(
    "timestamp",
    ["2008-09-15 15:53:00.601+00:00", "2008-09-15T15:53:00Z", "2008-09-15t15:53:00.601z", "2024-05-01T08:30:00+07:00"],
)
def test_rfc3339_timestamps_are_accepted_in_2_0(timestamp: str) -> None:
    accepted(statement(timestamp=timestamp), "2.0.0")


@pytest.mark.parametrize(
    "timestamp",
    ["2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000", "2008-09-15T15:53:00.601-00:00",
     "20080915T155300Z", "2008-09-15T15:53Z", "2008-09-15T15:53:00+0700", "2008-09-15T15:53:00", "01/011/2015"],
)  # fmt: skip
def test_other_timestamps_are_refused_in_2_0(timestamp: str) -> None:
    assert path_of(statement(timestamp=timestamp), "2.0.0") == "timestamp"


def test_the_1_0_rules_still_hold_in_2_0() -> None:
    assert path_of(statement(result={"duration": "P4W1D"}), "2.0.0") == "result.duration"
    assert path_of(statement(verb={"id": "http://example.com/v", "display": {"something": "x"}}), "2.0.0") == (
        "verb.display.something"
    )
    assert path_of(statement(object=interaction("liKert")), "2.0.0") == "object.definition.interactionType"
    assert path_of(statement(authority=group()), "2.0.0") == "authority"


# --- batches, the agent parameter, and the input left untouched --------------------------


def test_a_single_statement_body_becomes_a_list() -> None:
    value = statement()
    assert validate_statements(value, "1.0.3") == [value]


def test_a_batch_is_returned_as_it_came() -> None:
    batch = [statement(id=UUID), statement()]
    assert validate_statements(batch, "1.0.3") is batch
    assert validate_statements([], "1.0.3") == []


def test_batch_errors_name_the_statement_index() -> None:
    batch = [statement(), statement(), statement(), statement(verb={"id": "should fail"})]
    with pytest.raises(ValidationFailed) as refused:
        validate_statements(batch, "1.0.3")
    assert refused.value.errors[0].field == "[3].verb.id"
    with pytest.raises(ValidationFailed) as refused:
        validate_statements([statement(), "không phải statement"], "1.0.3")
    assert refused.value.errors[0].field == "[1]"


def test_a_batch_may_not_repeat_an_id() -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_statements([statement(id=UUID), statement(), statement(id=UUID.upper())], "1.0.3")
    assert refused.value.errors[0].field == "[2].id"


@pytest.mark.parametrize("body", ["statement", 42, None, True])
def test_a_body_must_be_a_statement_or_an_array(body: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_statements(body, "1.0.3")
    assert refused.value.errors[0].field == ""
    assert refused.value.errors[0].message == v.M_STATEMENTS_BODY


def test_validate_statement_prefixes_errors_with_the_given_path() -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_statement(statement(actor={}), "1.0.3", "[7]")
    assert refused.value.errors[0].field == "[7].actor"
    with pytest.raises(ValidationFailed) as refused:
        validate_statement("x", "1.0.3")
    assert refused.value.errors[0].field == ""


@pytest.mark.parametrize(
    "value",
    [
        {"mbox": "mailto:mai.tt@example.gov.vn"},
        {"objectType": "Agent", "account": {"homePage": SITE, "name": "mai"}},
        {"objectType": "Group", "openid": "http://openid.example.org/to-1", "member": []},
        group(member=[agent()]),
        {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
    ],
)
def test_the_agent_parameter_is_an_agent_or_identified_group(value: dict[str, Any]) -> None:
    assert validate_agent_param(json.dumps(value), "agent") == value


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("mailto:mai@example.vn", "agent"),
        ('["mailto:mai@example.vn"]', "agent"),
        ("{", "agent"),
        ('{"name": "Mai"}', "agent"),
        ('{"mbox": "mailto:should.fail.com"}', "agent.mbox"),
        ('{"mbox": "mailto:a@example.vn", "openid": "http://openid.example.org/1"}', "agent.openid"),
        ('{"objectType": "Group", "member": [{"mbox": "mailto:a@example.vn"}]}', "agent"),
        ('{"objectType": "Person", "mbox": "mailto:a@example.vn"}', "agent.objectType"),
        ('{"Mbox": "mailto:a@example.vn"}', "agent.Mbox"),
    ],
)
def test_malformed_agent_parameters_are_refused(text: str, path: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_agent_param(text, "agent")
    assert refused.value.errors[0].field == path


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_statements_hocvu_writes_itself_are_valid(version: str) -> None:
    built = build_statement(
        actor=account_agent("mai.tt"),
        verb="passed",
        activity_iri=COURSE,
        activity_name="An toàn thông tin",
        activity_type="http://adlnet.gov/expapi/activities/assessment",
        result={"score": {"scaled": 0.9, "raw": 9, "min": 0, "max": 10}, "success": True, "duration": "PT25M"},
        context={"registration": UUID, "contextActivities": {"parent": [{"id": f"{SITE}/xapi/activities/khoa"}]}},
    )
    accepted(built, version)


def test_the_input_is_never_modified() -> None:
    value = statement(
        id=UUID,
        context={"contextActivities": {"parent": {"id": COURSE}}, "registration": UUID},
        result={"score": {"raw": 3, "min": 0, "max": 5}, "duration": "PT5M"},
        object=interaction("choice", choices=components("a", "b")),
        attachments=[attachment()],
    )
    before = copy.deepcopy(value)
    validate_statements([value], "2.0.0")
    assert value == before
    assert isinstance(value["context"]["contextActivities"]["parent"], dict)  # not wrapped in a list
