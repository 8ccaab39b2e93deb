"""Validation of incoming xAPI statements: xAPI 1.0.3 Part 2 (Data) and, for clients that send
``X-Experience-API-Version: 2.0.0``, xAPI 2.0 (IEEE 9274.1.1) where its rules differ.

Hand-written rather than schema-driven because the LRS must ingest thousands of statements a
second: every check is a dict/set lookup, a type test or a precompiled regex, the input is never
copied or changed, and validation stops at the first error. Errors are ``ValidationFailed`` with
the offending property as a dotted/indexed path (``object.definition.choices[2].id``) and a
Vietnamese msgid saying which rule was broken.

Deliberate choices where the spec leaves room (none contradicts the ADL conformance suite):

* Empty objects are rejected everywhere except ``extensions`` (conformance requirement
  XAPI-00001); empty arrays are accepted except an anonymous Group's ``member``.
* Timestamps must carry a time zone (Z or an offset, never -00:00): the store needs an
  absolute instant, and 2.0 requires RFC 3339, which mandates one.
* UUIDs are accepted in any variant and in either case (RFC 4122 input is case-insensitive).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from lms_core.errors import N_, ValidationFailed

SUPPORTED_VERSIONS: tuple[str, ...] = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")

# "1.0" and "2.0" mean their .0 patch (Communication 3.3); 0.9x and unknown patches are refused.
_HEADER_VERSIONS = {"1.0": "1.0.0", "2.0": "2.0.0", **{v: v for v in SUPPORTED_VERSIONS}}

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

# --- messages (msgids; the shell translates them) -------------------------------------------

M_NOT_OBJECT = N_("Phải là một đối tượng JSON.")
M_EMPTY_OBJECT = N_("Không được là đối tượng rỗng.")
M_NULL = N_("Không được là null (null chỉ được phép bên trong extensions).")
M_NOT_STRING = N_("Phải là một chuỗi.")
M_EMPTY_STRING = N_("Không được là chuỗi rỗng.")
M_NOT_BOOLEAN = N_("Phải là true hoặc false (không phải chuỗi).")
M_NOT_NUMBER = N_("Phải là một số hữu hạn (không phải chuỗi).")
M_NOT_LENGTH = N_("Phải là một số nguyên không âm.")
M_NOT_ARRAY = N_("Phải là một mảng.")
M_REQUIRED = N_("Thiếu thuộc tính bắt buộc.")
M_UNKNOWN = N_("Thuộc tính không được phép: %(name)s.")
M_IRI = N_("Phải là một IRI tuyệt đối (có scheme, không có khoảng trắng).")
M_URI = N_("Phải là một URI tuyệt đối.")
M_UUID = N_("Phải là một UUID dạng chuẩn (8-4-4-4-12 ký tự hex).")
M_MBOX = N_("Phải có dạng mailto:địa-chỉ-email.")
M_SHA1 = N_("Phải là mã SHA-1 gồm 40 ký tự hex.")
M_SHA2 = N_("Phải là mã SHA-2 dạng hex (56, 64, 96 hoặc 128 ký tự).")
M_LANGUAGE_TAG = N_("Không phải thẻ ngôn ngữ RFC 5646 hợp lệ: %(tag)s.")
M_LANGUAGE_VALUE = N_("Giá trị của bản đồ ngôn ngữ phải là chuỗi.")
M_OBJECT_TYPE = N_("objectType %(value)s không được dùng ở đây.")
M_OBJECT_TYPE_MUST = N_("objectType phải là %(value)s.")
M_AGENT_AS_OBJECT = N_("Agent hoặc Group làm object phải ghi rõ objectType.")
M_IFI_NONE = N_("Phải có đúng một định danh: mbox, mbox_sha1sum, openid hoặc account.")
M_IFI_MANY = N_("Chỉ được có một định danh; đã có %(other)s.")
M_ANONYMOUS_NO_MEMBER = N_("Group không có định danh phải có member là mảng Agent không rỗng.")
M_MEMBER_GROUP = N_("Thành viên của Group phải là Agent, không được là Group.")
M_PARAM_GROUP_ANONYMOUS = N_("Group ở đây phải có định danh (mbox, mbox_sha1sum, openid hoặc account).")
M_AUTHORITY_GROUP = N_(
    "authority là Group chỉ dùng cho OAuth ba bên: Group không định danh gồm đúng hai Agent, "
    "một trong hai định danh bằng account."
)
M_SUBSTATEMENT_FORBIDDEN = N_("SubStatement không được có thuộc tính %(name)s.")
M_SUBSTATEMENT_NESTED = N_("SubStatement không được chứa SubStatement khác.")
M_VOIDING_OBJECT = N_("Statement hủy (verb voided) phải có object là StatementRef.")
M_ACTIVITY_ONLY = N_("Chỉ dùng %(name)s khi object của statement là một Activity.")
M_CONTEXT_ACTIVITY = N_("Phải là một Activity hoặc một mảng các Activity.")
M_RELEVANT_TYPES_EMPTY = N_("relevantTypes phải có ít nhất một IRI.")
M_SCALED = N_("scaled phải nằm trong khoảng từ -1 đến 1.")
M_RAW_BELOW_MIN = N_("raw không được nhỏ hơn min.")
M_RAW_ABOVE_MAX = N_("raw không được lớn hơn max.")
M_MIN_ABOVE_MAX = N_("min không được lớn hơn max.")
M_DURATION = N_("Phải là khoảng thời gian ISO 8601 dạng PnYnMnDTnHnMnS hoặc PnW (ví dụ PT1H30M).")
M_TIMESTAMP_ISO = N_("Phải là thời điểm ISO 8601 có ngày, giờ và múi giờ (ví dụ 2024-05-01T08:30:00Z).")
M_TIMESTAMP_RFC = N_("Phải là thời điểm RFC 3339 có múi giờ (ví dụ 2024-05-01T08:30:00Z).")
M_TIMESTAMP_NEGATIVE_ZERO = N_("Không được dùng độ lệch múi giờ -00:00; hãy dùng Z hoặc +00:00.")
M_VERSION_1 = N_("version của statement phải bắt đầu bằng 1.0.")
M_VERSION_2 = N_("version của statement phải là 1.0.x hoặc 2.0.0.")
M_INTERACTION_TYPE = N_("interactionType không hợp lệ: %(value)s.")
M_INTERACTION_NEEDED = N_("Dùng %(name)s thì định nghĩa phải có interactionType.")
M_COMPONENTS_NOT_ALLOWED = N_("Loại tương tác %(type)s không dùng danh sách %(name)s.")
M_COMPONENT_DUPLICATE = N_("id thành phần bị trùng trong danh sách: %(id)s.")
M_CONTENT_TYPE = N_("Phải là kiểu nội dung MIME hợp lệ (ví dụ text/plain).")
M_SIGNATURE_CONTENT_TYPE = N_("Tệp đính kèm chữ ký phải có contentType application/octet-stream.")
M_DUPLICATE_ID = N_("Hai statement trong cùng lô trùng id %(id)s.")
M_STATEMENTS_BODY = N_("Phải là một statement hoặc một mảng statement.")
M_HEADER_MISSING = N_("Thiếu header X-Experience-API-Version.")
M_HEADER_UNSUPPORTED = N_("Phiên bản xAPI không được hỗ trợ: %(version)s.")
M_AGENT_PARAM = N_("Phải là JSON của một Agent hoặc Group có định danh.")

# --- property sets ---------------------------------------------------------------------------

_STATEMENT_KEYS = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"}
)
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_SUBSTATEMENT_FORBIDDEN = ("id", "stored", "version", "authority")
_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = frozenset({"objectType", "name", *_IFI_KEYS})
_GROUP_KEYS = frozenset({*_AGENT_KEYS, "member"})
_AGENT_MARKERS = frozenset({*_IFI_KEYS, "member"})
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *_COMPONENT_LISTS})
_DEFINITION_KEYS = frozenset({"name", "description", "type", "moreInfo", "extensions", *_INTERACTION_KEYS})
_COMPONENT_KEYS = frozenset({"id", "description"})
_INTERACTION_TYPES = frozenset(
    "true-false choice fill-in long-fill-in matching performance sequencing likert numeric other".split()
)
# Which component lists each interactionType may carry (Data 2.4.4.1, interaction components).
_LISTS_BY_TYPE = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
}
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS_1 = frozenset(
    "registration instructor team contextActivities revision platform language statement extensions".split()
)
_CONTEXT_KEYS_2 = _CONTEXT_KEYS_1 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
_ATTACHMENT_KEYS = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")

# --- formats ---------------------------------------------------------------------------------

# Characters never allowed in an IRI (RFC 3987): whitespace, controls and the "unwise" ones.
_IRI_CHAR = r"[^\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`]"
# Best-effort IRI check (Data 2.2.s4.b6): a valid scheme, then no forbidden characters; http(s)
# also needs an authority, which catches "http:foo" and similar typos.
_IRI_RE = re.compile(
    rf"(?:[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f-\x9f<>\"{{}}|\\^`/?#]+(?:[/?#]{_IRI_CHAR}*)?"
    rf"|(?![Hh][Tt][Tt][Pp][Ss]?:)[A-Za-z][A-Za-z0-9+.\-]*:{_IRI_CHAR}+)\Z"
)
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_MBOX_RE = re.compile(rf"mailto:[^\s@<>()\[\]\\,;:\"]+@(?:{_LABEL}\.)*{_LABEL}\Z")
_SHA1_RE = re.compile(r"[0-9a-fA-F]{40}\Z")
_SHA2_RE = re.compile(r"(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})\Z")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_CONTENT_TYPE_RE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\]|\\.)*\"))*[ \t]*\Z")
_VERSION_1_RE = re.compile(r"1\.0(?:\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?\Z", re.ASCII)

# RFC 5646 well-formedness (the LRS "MUST at least validate the sequence of token lengths").
_LANGUAGE_TAG_RE = re.compile(
    r"""(?:
        (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{5,8})   # language, extlangs (4 letters: reserved)
        (?:-[a-z]{4})?                                # script
        (?:-(?:[a-z]{2}|[0-9]{3}))?                   # region
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*      # variants
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*           # extensions
        (?:-x(?:-[a-z0-9]{1,8})+)?                    # private use
      | x(?:-[a-z0-9]{1,8})+
    )\Z""",
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)
_GRANDFATHERED_TAGS = frozenset(
    {
        "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
        "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
    }
)  # fmt: skip

# Durations: ISO 8601:2004 4.4.3.2 only (the 4.4.3.3 alternative format is forbidden); weeks
# stand alone; a decimal fraction is allowed on the last component only (checked separately).
_N = r"\d+(?:[.,]\d+)?"
_DURATION_RE = re.compile(
    rf"P(?:{_N}W|(?=\d|T\d)(?:{_N}Y)?(?:{_N}M)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?)\Z",
    re.ASCII,
)
_DURATION_FRACTION_TAIL = re.compile(r"[.,]\d+[YMWDHS]\Z", re.ASCII)

# Timestamps. Ranges are in the regex; only days 29-31 need a calendar check afterwards.
# re.ASCII here and above: Python's \d and case-folding would otherwise admit other scripts'
# digits and letters such as the Kelvin sign.
_DATE = r"(\d{4})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])"
_SECOND = r"(?:[0-5]\d|60)"  # 60: a leap second
# xAPI 1.0.x: ISO 8601 extended or basic, minutes or seconds precision, offset required.
_TIMESTAMP_ISO_RE = re.compile(
    rf"{_DATE}T(?:[01]\d|2[0-3]):?[0-5]\d(?::?{_SECOND}(?:[.,]\d+)?)?(Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)\Z",
    re.ASCII,
)
# xAPI 2.0: RFC 3339 (extended format, seconds required, "T", "t" or a space; Z or +hh:mm).
_TIMESTAMP_RFC_RE = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ](?:[01]\d|2[0-3]):[0-5]\d:"
    rf"{_SECOND}(?:\.\d+)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z",
    re.ASCII,
)
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Values that passed once are remembered, so the verbs, activity types, extension keys and
# language tags every statement repeats cost one set lookup. Bounded in count and in string
# length so that hostile input cannot grow them without limit.
_CACHE_LIMIT = 20_000
_CACHED_LENGTH = 256
_IRIS_SEEN: set[str] = set()
_TAGS_SEEN: set[str] = set()


# --- public interface ------------------------------------------------------------------------


def parse_version_header(value: str | None) -> str:
    """The xAPI version of a request from its ``X-Experience-API-Version`` header, normalised to
    one of ``SUPPORTED_VERSIONS`` ("1.0" is 1.0.0, "2.0" is 2.0.0 as the specs say)."""
    if value is None or not value.strip():
        _fail("X-Experience-API-Version", M_HEADER_MISSING)
    version = _HEADER_VERSIONS.get(value.strip())
    if version is None:
        _fail("X-Experience-API-Version", M_HEADER_UNSUPPORTED, version=value.strip())
    return version


def validate_statement(statement: object, version: str, path: str = "") -> None:
    """Raise ``ValidationFailed`` for the first rule ``statement`` breaks under xAPI ``version``
    (a value of ``SUPPORTED_VERSIONS``). ``path`` prefixes every error path, e.g. "[3]"; errors
    about the statement itself are reported at ``path``."""
    _statement(statement, path, _is_v2(version))


def validate_statements(body: object, version: str) -> list[dict[str, Any]]:
    """Validate a POSTed body: one statement or an array of them (an empty array is valid, the
    spec does not forbid it). Returns the statements as a list; errors name the index, e.g.
    "[3].verb.id". Two statements with the same id in one batch are rejected."""
    v2 = _is_v2(version)
    if isinstance(body, dict):
        _statement(body, "", v2)
        return [body]
    if not isinstance(body, list):
        _fail("", M_STATEMENTS_BODY)
    seen: set[str] = set()
    for index, statement in enumerate(body):
        path = f"[{index}]"
        _statement(statement, path, v2)
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in seen:
                _fail(f"{path}.id", M_DUPLICATE_ID, id=statement_id)
            seen.add(key)
    return body


def validate_agent_param(value: str, field: str) -> dict[str, Any]:
    """Parse and validate an ``agent`` query parameter (JSON of an Agent or an identified Group)
    as the statement rules require (Data 2.2.s4.b4). Errors are reported at ``field`` or below
    it, e.g. "agent.mbox"."""
    try:
        agent = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        agent = None
    if not isinstance(agent, dict):
        _fail(field, M_AGENT_PARAM)
    if agent.get("objectType") == "Group":
        if _group(agent, field) is None:
            _fail(field, M_PARAM_GROUP_ANONYMOUS)
    else:
        _agent(agent, field)
    return agent


# --- helpers ---------------------------------------------------------------------------------


def _fail(path: str, message: str, **params: Any) -> NoReturn:
    raise ValidationFailed.single(path, message, **params)


def _is_v2(version: str) -> bool:
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported xAPI version {version!r}; use parse_version_header()")
    return version == "2.0.0"


def _sub(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# Leaf checks take the parent's path and their key and only build the full path on failure:
# most properties are valid, and joining paths up front was a fifth of the validation time.


def _at(path: str, key: str) -> str:
    return (f"{path}.{key}" if path else key) if key else path


def _type_error(path: str, value: object, message: str) -> NoReturn:
    # A null gets its own message: it is the commonest mistake and has its own rule (2.2.s4.b1.b1).
    _fail(path, M_NULL if value is None else message)


def _unknown_key(obj: dict[str, Any], allowed: frozenset[str], path: str) -> NoReturn:
    for key in obj:
        if key not in allowed:
            _fail(_sub(path, key), M_UNKNOWN, name=key)
    raise AssertionError("no unknown key")  # pragma: no cover


def _object_of(value: object, path: str, allowed: frozenset[str]) -> dict[str, Any]:
    """``value`` as a non-empty JSON object with only ``allowed`` properties."""
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    if not value:
        _fail(path, M_EMPTY_OBJECT)
    if not value.keys() <= allowed:
        _unknown_key(value, allowed, path)
    return value


def _required(obj: dict[str, Any], key: str, path: str) -> Any:
    value = obj.get(key)
    if value is None:
        _fail(_sub(path, key), M_NULL if key in obj else M_REQUIRED)
    return value


def _string(value: object, path: str, key: str = "") -> str:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    return value


def _boolean(value: object, path: str, key: str = "") -> None:
    if value is not True and value is not False:
        _type_error(_at(path, key), value, M_NOT_BOOLEAN)


def _number(value: object, path: str, key: str = "") -> float:
    # type() rather than isinstance(): a bool is an int but never a valid xAPI number.
    kind = type(value)
    if (kind is not int and kind is not float) or not math.isfinite(value):  # type: ignore[arg-type]
        _type_error(_at(path, key), value, M_NOT_NUMBER)
    return value  # type: ignore[return-value]


def is_iri(value: str) -> bool:
    """An absolute IRI (a scheme; for http(s) a host), as every xAPI IRI must be."""
    if value in _IRIS_SEEN:
        return True
    if _IRI_RE.match(value) is None:
        return False
    if len(value) <= _CACHED_LENGTH and len(_IRIS_SEEN) < _CACHE_LIMIT:
        _IRIS_SEEN.add(value)
    return True


def _iri(value: object, path: str, key: str = "") -> None:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    if not is_iri(value):
        _fail(_at(path, key), M_IRI)


def is_uuid(value: str) -> bool:
    return _UUID_RE.match(value) is not None


def _uuid(value: object, path: str, key: str = "") -> None:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    if _UUID_RE.match(value) is None:
        _fail(_at(path, key), M_UUID)


def _is_language_tag(tag: str) -> bool:
    if tag in _TAGS_SEEN:
        return True
    lowered = tag.lower()
    if lowered not in _GRANDFATHERED_TAGS:
        if _LANGUAGE_TAG_RE.match(tag) is None:
            return False
        parts = lowered.split("-")
        if len(parts) > 2 and not _no_repeated_subtags(parts):
            return False
    if len(tag) <= _CACHED_LENGTH and len(_TAGS_SEEN) < _CACHE_LIMIT:
        _TAGS_SEEN.add(tag)
    return True


def _no_repeated_subtags(parts: list[str]) -> bool:
    # RFC 5646 2.2.5/2.2.6: a variant or an extension singleton may not appear twice; the
    # regex cannot express that (e.g. "ar-a-aaa-b-bbb-a-ccc").
    singletons: set[str] = set()
    variants: set[str] = set()
    for part in parts[1:]:
        if part == "x":
            break
        if len(part) == 1:
            if part in singletons:
                return False
            singletons.add(part)
        elif not singletons and (len(part) >= 5 or (len(part) == 4 and part[0].isdigit())):
            if part in variants:
                return False
            variants.add(part)
    return True


def _language_map(value: object, path: str, key: str = "") -> None:
    if not isinstance(value, dict):
        _type_error(_at(path, key), value, M_NOT_OBJECT)
    if not value:
        _fail(_at(path, key), M_EMPTY_OBJECT)
    for tag, text in value.items():
        if not _is_language_tag(tag):
            _fail(_sub(_at(path, key), tag), M_LANGUAGE_TAG, tag=tag)
        if not isinstance(text, str):
            _type_error(_sub(_at(path, key), tag), text, M_LANGUAGE_VALUE)


def _extensions(value: object, path: str, key: str = "") -> None:
    # Keys must be IRIs; values are free-form, null included (Data 4.1), and {} is allowed.
    if not isinstance(value, dict):
        _type_error(_at(path, key), value, M_NOT_OBJECT)
    for name in value:
        if not is_iri(name):
            _fail(_sub(_at(path, key), name), M_IRI)


def _timestamp(value: object, path: str, key: str, v2: bool) -> None:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    match = (_TIMESTAMP_RFC_RE if v2 else _TIMESTAMP_ISO_RE).match(value)
    if match is None:
        _fail(_at(path, key), M_TIMESTAMP_RFC if v2 else M_TIMESTAMP_ISO)
    year, month, day, offset = match.groups()
    if day > "28" and int(day) > _days_in(int(year), int(month)):
        _fail(_at(path, key), M_TIMESTAMP_RFC if v2 else M_TIMESTAMP_ISO)
    # -00, -0000 and -00:00 mean "offset unknown" (RFC 3339 4.3): not a point in time.
    if offset[0] == "-" and not offset.strip("-:0"):
        _fail(_at(path, key), M_TIMESTAMP_NEGATIVE_ZERO)


def _days_in(year: int, month: int) -> int:
    if month == 2 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return 28
    return _DAYS_IN_MONTH[month]


def _duration(value: object, path: str, key: str = "") -> None:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    if _DURATION_RE.match(value) is None:
        _fail(_at(path, key), M_DURATION)
    fraction = value.find(".")
    if fraction < 0:
        fraction = value.find(",")
    if fraction >= 0 and _DURATION_FRACTION_TAIL.match(value, fraction) is None:
        _fail(_at(path, key), M_DURATION)


# --- agents and groups -----------------------------------------------------------------------


def _actor(value: object, path: str) -> None:
    """An Agent or a Group: the actor, an instructor."""
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    object_type = value.get("objectType")
    if object_type == "Group":
        _group(value, path)
    elif object_type is None or object_type == "Agent":
        _agent(value, path)
    else:
        _bad_object_type(value, path)


def _bad_object_type(obj: dict[str, Any], path: str) -> NoReturn:
    value = obj["objectType"]
    if not isinstance(value, str):
        _type_error(_sub(path, "objectType"), value, M_NOT_STRING)
    _fail(_sub(path, "objectType"), M_OBJECT_TYPE, value=value)


def _agent(value: object, path: str) -> str:
    """An Agent; returns the property that identifies it."""
    agent = _object_of(value, path, _AGENT_KEYS)
    object_type = agent.get("objectType", "Agent")
    if object_type != "Agent":
        if not isinstance(object_type, str):
            _type_error(_sub(path, "objectType"), object_type, M_NOT_STRING)
        _fail(_sub(path, "objectType"), M_OBJECT_TYPE_MUST, value="Agent")
    if "name" in agent:
        _string(agent["name"], path, "name")
    ifi = _ifi(agent, path)
    if ifi is None:
        _fail(path, M_IFI_NONE)
    return ifi


def _group(value: object, path: str) -> str | None:
    """A Group (objectType "Group" required); returns its identifying property, None if anonymous."""
    group = _object_of(value, path, _GROUP_KEYS)
    object_type = group.get("objectType")
    if object_type != "Group":
        if object_type is None and "objectType" not in group:
            _fail(_sub(path, "objectType"), M_REQUIRED)
        if not isinstance(object_type, str):
            _type_error(_sub(path, "objectType"), object_type, M_NOT_STRING)
        _fail(_sub(path, "objectType"), M_OBJECT_TYPE_MUST, value="Group")
    if "name" in group:
        _string(group["name"], path, "name")
    ifi = _ifi(group, path)
    if "member" in group:
        members = group["member"]
        members_path = _sub(path, "member")
        if not isinstance(members, list):
            _type_error(members_path, members, M_NOT_ARRAY)
        for index, member in enumerate(members):
            member_path = f"{members_path}[{index}]"
            if isinstance(member, dict) and member.get("objectType") == "Group":
                _fail(_sub(member_path, "objectType"), M_MEMBER_GROUP)
            _agent(member, member_path)
        if ifi is None and not members:
            _fail(members_path, M_ANONYMOUS_NO_MEMBER)
    elif ifi is None:
        _fail(_sub(path, "member"), M_ANONYMOUS_NO_MEMBER)
    return ifi


def _ifi(obj: dict[str, Any], path: str) -> str | None:
    """Validate the inverse functional identifier; at most one is allowed."""
    found = None
    for key in _IFI_KEYS:
        if key in obj:
            if found is not None:
                _fail(_sub(path, key), M_IFI_MANY, other=found)
            found = key
    if found is None:
        return None
    value = obj[found]
    ifi_path = _sub(path, found)
    if found == "account":
        account = _object_of(value, ifi_path, _ACCOUNT_KEYS)
        _iri(_required(account, "homePage", ifi_path), ifi_path, "homePage")
        name = _string(_required(account, "name", ifi_path), ifi_path, "name")
        if not name:
            _fail(_sub(ifi_path, "name"), M_EMPTY_STRING)
        return found
    if not isinstance(value, str):
        _type_error(ifi_path, value, M_NOT_STRING)
    if found == "mbox":
        if _MBOX_RE.match(value) is None:
            _fail(ifi_path, M_MBOX)
    elif found == "mbox_sha1sum":
        if _SHA1_RE.match(value) is None:
            _fail(ifi_path, M_SHA1)
    elif not value.isascii() or not is_iri(value):  # openid is a URI: ASCII only
        _fail(ifi_path, M_URI)
    return found


def _authority(value: object, path: str) -> None:
    # An Agent, or for 3-legged OAuth an anonymous Group of the application (an account) and
    # the user (Data 2.4.9); an identified Group or any other group size is refused.
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    object_type = value.get("objectType")
    if object_type is None or object_type == "Agent":
        _agent(value, path)
        return
    if object_type != "Group":
        _bad_object_type(value, path)
    if _group(value, path) is not None:
        _fail(path, M_AUTHORITY_GROUP)
    members = value["member"]
    if len(members) != 2 or ("account" not in members[0] and "account" not in members[1]):
        _fail(_sub(path, "member"), M_AUTHORITY_GROUP)


# --- statements ------------------------------------------------------------------------------


def _statement(value: object, path: str, v2: bool) -> None:
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    if not value.keys() <= _STATEMENT_KEYS:
        _unknown_key(value, _STATEMENT_KEYS, path)
    if "id" in value:
        _uuid(value["id"], path, "id")
    _actor(_required(value, "actor", path), _sub(path, "actor"))
    verb_id = _verb(_required(value, "verb", path), _sub(path, "verb"))
    object_path = _sub(path, "object")
    object_type = _object(_required(value, "object", path), object_path, v2, False)
    if "result" in value:
        _result(value["result"], _sub(path, "result"))
    if "context" in value:
        _context(value["context"], _sub(path, "context"), v2, object_type)
    if "timestamp" in value:
        _timestamp(value["timestamp"], path, "timestamp", v2)
    if "stored" in value:
        _timestamp(value["stored"], path, "stored", v2)
    if "authority" in value:
        _authority(value["authority"], _sub(path, "authority"))
    if "version" in value:
        _version(value["version"], path, "version", v2)
    if "attachments" in value:
        _attachments(value["attachments"], _sub(path, "attachments"))
    # Voiding (Data 2.3.2): checked last so the object's own errors are reported first.
    if verb_id == VOIDED and object_type != "StatementRef":
        _fail(_sub(object_path, "objectType"), M_VOIDING_OBJECT)


def _version(value: object, path: str, key: str, v2: bool) -> None:
    if not isinstance(value, str):
        _type_error(_at(path, key), value, M_NOT_STRING)
    if _VERSION_1_RE.match(value) is None and not (v2 and value == "2.0.0"):
        _fail(_at(path, key), M_VERSION_2 if v2 else M_VERSION_1)


def _verb(value: object, path: str) -> str:
    verb = _object_of(value, path, _VERB_KEYS)
    verb_id = _required(verb, "id", path)
    _iri(verb_id, path, "id")
    if "display" in verb:
        _language_map(verb["display"], path, "display")
    return verb_id


def _object(value: object, path: str, v2: bool, in_substatement: bool) -> str:
    """The object of a statement or SubStatement; returns its objectType."""
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    object_type = value.get("objectType")
    if object_type is None or object_type == "Activity":
        _activity(value, path)
        return "Activity"
    if object_type == "Agent":
        _agent(value, path)
    elif object_type == "Group":
        _group(value, path)
    elif object_type == "StatementRef":
        _statement_ref(value, path)
    elif object_type == "SubStatement":
        if in_substatement:
            _fail(_sub(path, "objectType"), M_SUBSTATEMENT_NESTED)
        _substatement(value, path, v2)
    else:
        _bad_object_type(value, path)
    return object_type


def _activity(value: object, path: str) -> None:
    if not isinstance(value, dict):
        _type_error(path, value, M_NOT_OBJECT)
    if not value.keys() <= _ACTIVITY_KEYS:
        if "objectType" not in value and not value.keys().isdisjoint(_AGENT_MARKERS):
            # Without objectType an object is an Activity; say why an Agent was not recognised.
            _fail(_sub(path, "objectType"), M_AGENT_AS_OBJECT)
        _unknown_key(value, _ACTIVITY_KEYS, path)
    if "objectType" in value and value["objectType"] != "Activity":
        if not isinstance(value["objectType"], str):
            _type_error(_sub(path, "objectType"), value["objectType"], M_NOT_STRING)
        _fail(_sub(path, "objectType"), M_OBJECT_TYPE_MUST, value="Activity")
    _iri(_required(value, "id", path), path, "id")
    if "definition" in value:
        _definition(value["definition"], _sub(path, "definition"))


def _definition(value: object, path: str) -> None:
    definition = _object_of(value, path, _DEFINITION_KEYS)
    if "name" in definition:
        _language_map(definition["name"], path, "name")
    if "description" in definition:
        _language_map(definition["description"], path, "description")
    if "type" in definition:
        _iri(definition["type"], path, "type")
    if "moreInfo" in definition:
        _iri(definition["moreInfo"], path, "moreInfo")
    if "extensions" in definition:
        _extensions(definition["extensions"], path, "extensions")
    if not definition.keys().isdisjoint(_INTERACTION_KEYS):
        _interaction(definition, path)


def _interaction(definition: dict[str, Any], path: str) -> None:
    interaction_type = definition.get("interactionType")
    if "interactionType" in definition:
        type_path = _sub(path, "interactionType")
        if not isinstance(interaction_type, str):
            _type_error(type_path, interaction_type, M_NOT_STRING)
        if interaction_type not in _INTERACTION_TYPES:
            _fail(type_path, M_INTERACTION_TYPE, value=interaction_type)
    if "correctResponsesPattern" in definition:
        pattern_path = _sub(path, "correctResponsesPattern")
        if interaction_type is None:
            _fail(pattern_path, M_INTERACTION_NEEDED, name="correctResponsesPattern")
        patterns = definition["correctResponsesPattern"]
        if not isinstance(patterns, list):
            _type_error(pattern_path, patterns, M_NOT_ARRAY)
        for index, pattern in enumerate(patterns):
            if not isinstance(pattern, str):
                _type_error(f"{pattern_path}[{index}]", pattern, M_NOT_STRING)
    allowed = _LISTS_BY_TYPE.get(interaction_type, ())  # type: ignore[arg-type]
    for name in _COMPONENT_LISTS:
        if name in definition:
            list_path = _sub(path, name)
            if interaction_type is None:
                _fail(list_path, M_INTERACTION_NEEDED, name=name)
            if name not in allowed:
                _fail(list_path, M_COMPONENTS_NOT_ALLOWED, type=interaction_type, name=name)
            _components(definition[name], list_path)


def _components(value: object, path: str) -> None:
    if not isinstance(value, list):
        _type_error(path, value, M_NOT_ARRAY)
    ids: set[str] = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        component = _object_of(item, item_path, _COMPONENT_KEYS)
        component_id = _string(_required(component, "id", item_path), item_path, "id")
        if not component_id:
            _fail(_sub(item_path, "id"), M_EMPTY_STRING)
        if component_id in ids:
            _fail(_sub(item_path, "id"), M_COMPONENT_DUPLICATE, id=component_id)
        ids.add(component_id)
        if "description" in component:
            _language_map(component["description"], item_path, "description")


def _statement_ref(value: object, path: str) -> None:
    ref = _object_of(value, path, _STATEMENT_REF_KEYS)
    object_type = _required(ref, "objectType", path)
    if object_type != "StatementRef":
        _fail(_sub(path, "objectType"), M_OBJECT_TYPE_MUST, value="StatementRef")
    _uuid(_required(ref, "id", path), path, "id")


def _substatement(value: dict[str, Any], path: str, v2: bool) -> None:
    for key in _SUBSTATEMENT_FORBIDDEN:
        if key in value:
            _fail(_sub(path, key), M_SUBSTATEMENT_FORBIDDEN, name=key)
    if not value.keys() <= _SUBSTATEMENT_KEYS:
        _unknown_key(value, _SUBSTATEMENT_KEYS, path)
    _actor(_required(value, "actor", path), _sub(path, "actor"))
    _verb(_required(value, "verb", path), _sub(path, "verb"))
    object_type = _object(_required(value, "object", path), _sub(path, "object"), v2, True)
    if "result" in value:
        _result(value["result"], _sub(path, "result"))
    if "context" in value:
        _context(value["context"], _sub(path, "context"), v2, object_type)
    if "timestamp" in value:  # may be in the future (Data 2.4.7.s3.b5): no extra rule
        _timestamp(value["timestamp"], path, "timestamp", v2)
    if "attachments" in value:
        _attachments(value["attachments"], _sub(path, "attachments"))


# --- result ----------------------------------------------------------------------------------


def _result(value: object, path: str) -> None:
    result = _object_of(value, path, _RESULT_KEYS)
    if "score" in result:
        _score(result["score"], _sub(path, "score"))
    if "success" in result:
        _boolean(result["success"], path, "success")
    if "completion" in result:
        _boolean(result["completion"], path, "completion")
    if "response" in result:
        _string(result["response"], path, "response")
    if "duration" in result:
        _duration(result["duration"], path, "duration")
    if "extensions" in result:
        _extensions(result["extensions"], path, "extensions")


def _score(value: object, path: str) -> None:
    score = _object_of(value, path, _SCORE_KEYS)
    if "scaled" in score:
        scaled = _number(score["scaled"], path, "scaled")
        if not -1 <= scaled <= 1:
            _fail(_sub(path, "scaled"), M_SCALED)
    low = _number(score["min"], path, "min") if "min" in score else None
    high = _number(score["max"], path, "max") if "max" in score else None
    if low is not None and high is not None and low > high:
        _fail(_sub(path, "min"), M_MIN_ABOVE_MAX)
    if "raw" in score:
        raw = _number(score["raw"], path, "raw")
        if low is not None and raw < low:
            _fail(_sub(path, "raw"), M_RAW_BELOW_MIN)
        if high is not None and raw > high:
            _fail(_sub(path, "raw"), M_RAW_ABOVE_MAX)


# --- context ---------------------------------------------------------------------------------


def _context(value: object, path: str, v2: bool, object_type: str) -> None:
    allowed = _CONTEXT_KEYS_2 if v2 else _CONTEXT_KEYS_1
    context = _object_of(value, path, allowed)
    if "registration" in context:
        _uuid(context["registration"], path, "registration")
    if "instructor" in context:
        _actor(context["instructor"], _sub(path, "instructor"))
    if "team" in context:
        _group(context["team"], _sub(path, "team"))
    if "contextActivities" in context:
        _context_activities(context["contextActivities"], _sub(path, "contextActivities"))
    for name in ("revision", "platform"):
        if name in context:
            _string(context[name], path, name)
            if object_type != "Activity":
                _fail(_sub(path, name), M_ACTIVITY_ONLY, name=name)
    if "language" in context:
        language = _string(context["language"], path, "language")
        if not _is_language_tag(language):
            _fail(_sub(path, "language"), M_LANGUAGE_TAG, tag=language)
    if "statement" in context:
        _statement_ref(context["statement"], _sub(path, "statement"))
    if "extensions" in context:
        _extensions(context["extensions"], path, "extensions")
    if "contextAgents" in context:  # only reachable in 2.0: the key set above rejects it in 1.0
        _context_people(context["contextAgents"], _sub(path, "contextAgents"), "contextAgent")
    if "contextGroups" in context:
        _context_people(context["contextGroups"], _sub(path, "contextGroups"), "contextGroup")


def _context_activities(value: object, path: str) -> None:
    activities = _object_of(value, path, _CONTEXT_ACTIVITY_KEYS)
    for kind, entry in activities.items():
        entry_path = _sub(path, kind)
        if isinstance(entry, dict):  # a single Activity: allowed for 0.95 compatibility
            _activity(entry, entry_path)
        elif isinstance(entry, list):
            for index, activity in enumerate(entry):
                _activity(activity, f"{entry_path}[{index}]")
        else:
            _type_error(entry_path, entry, M_CONTEXT_ACTIVITY)


def _context_people(value: object, path: str, object_type: str) -> None:
    """xAPI 2.0 contextAgents / contextGroups: arrays of {objectType, agent|group, relevantTypes}."""
    if not isinstance(value, list):
        _type_error(path, value, M_NOT_ARRAY)
    is_agent = object_type == "contextAgent"
    allowed = _CONTEXT_AGENT_KEYS if is_agent else _CONTEXT_GROUP_KEYS
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        entry = _object_of(item, item_path, allowed)
        if _required(entry, "objectType", item_path) != object_type:
            _fail(_sub(item_path, "objectType"), M_OBJECT_TYPE_MUST, value=object_type)
        if is_agent:
            _agent(_required(entry, "agent", item_path), _sub(item_path, "agent"))
        else:
            _group(_required(entry, "group", item_path), _sub(item_path, "group"))
        if "relevantTypes" in entry:
            types_path = _sub(item_path, "relevantTypes")
            types = entry["relevantTypes"]
            if not isinstance(types, list):
                _type_error(types_path, types, M_NOT_ARRAY)
            if not types:
                _fail(types_path, M_RELEVANT_TYPES_EMPTY)
            for type_index, relevant_type in enumerate(types):
                _iri(relevant_type, f"{types_path}[{type_index}]")


# --- attachments -----------------------------------------------------------------------------


def _attachments(value: object, path: str) -> None:
    if not isinstance(value, list):
        _type_error(path, value, M_NOT_ARRAY)
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        attachment = _object_of(item, item_path, _ATTACHMENT_KEYS)
        for key in _ATTACHMENT_REQUIRED:
            _required(attachment, key, item_path)
        usage_type = attachment["usageType"]
        _iri(usage_type, item_path, "usageType")
        _language_map(attachment["display"], item_path, "display")
        if "description" in attachment:
            _language_map(attachment["description"], item_path, "description")
        content_type = _string(attachment["contentType"], item_path, "contentType")
        if _CONTENT_TYPE_RE.match(content_type) is None:
            _fail(_sub(item_path, "contentType"), M_CONTENT_TYPE)
        if usage_type == SIGNATURE_USAGE and content_type != "application/octet-stream":
            _fail(_sub(item_path, "contentType"), M_SIGNATURE_CONTENT_TYPE)
        length = attachment["length"]
        if type(length) is not int or length < 0:
            _type_error(_sub(item_path, "length"), length, M_NOT_LENGTH)
        sha2 = _string(attachment["sha2"], item_path, "sha2")
        if _SHA2_RE.match(sha2) is None:
            _fail(_sub(item_path, "sha2"), M_SHA2)
        if "fileUrl" in attachment:
            _iri(attachment["fileUrl"], item_path, "fileUrl")
