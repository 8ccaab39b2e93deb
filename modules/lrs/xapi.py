"""The xAPI HTTP interface under ``/xapi/`` (xAPI 1.0.3 Communication; 2.0 where a
client asks for it). Views parse the request and call the services; rules live in
``validation``, ``statements``, ``documents`` and ``attachments``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlencode

from apiflask import APIBlueprint
from flask import Response, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app.errors import field_errors, respond, translate
from app.extensions import db
from app.security import unit_of_work
from lms_core.db import utcnow
from lms_core.errors import N_, AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from lms_core.statements import agent_key, parse_timestamp
from modules.lrs import attachments, clients, documents, formats, statements
from modules.lrs.models import Attachment, LrsClient
from modules.lrs.validation import (
    SUPPORTED_VERSIONS,
    is_iri,
    is_uuid,
    parse_version_header,
    validate_agent_param,
    validate_statement,
    validate_statements,
)

# Out of the OpenAPI document: the xAPI specification is its contract.
bp = APIBlueprint("xapi", __name__, url_prefix="/xapi", enable_openapi=False)

# Headers the alternate request syntax carries as form fields (1.0.3 Communication 1.3).
_FORM_HEADERS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
    "accept-language": "HTTP_ACCEPT_LANGUAGE",
}
_ALTERNATE_ERROR = "hocvu.xapi.alternate_error"
_ALTERNATE = "hocvu.xapi.alternate"
EXPOSED_HEADERS = (
    "ETag, Last-Modified, Content-Type, Content-Length, WWW-Authenticate, "
    "X-Experience-API-Version, X-Experience-API-Consistent-Through"
)
ALLOWED_HEADERS = (
    "Authorization, Content-Type, Content-Length, If-Match, If-None-Match, X-Experience-API-Version, "
    "X-Requested-With, Accept-Language"
)


class XapiRequests:
    """WSGI middleware for two things browser content does before routing can help:
    doubled slashes (``/xapi//activities/state`` from a launch endpoint ending in ``/``)
    and the alternate request syntax (``POST …?method=PUT`` with headers and content as
    form fields, for clients that cannot send other methods or custom headers)."""

    def __init__(self, wsgi_app: Callable[..., Any], max_length: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_length = max_length

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/xapi/"):
            environ["PATH_INFO"] = re.sub("/{2,}", "/", path)
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if environ.get("REQUEST_METHOD") == "POST" and any(name == "method" for name, _ in query):
                self._rewrite(environ, query)
        return self.wsgi_app(environ, start_response)

    def _rewrite(self, environ: dict[str, Any], query: list[tuple[str, str]]) -> None:
        environ[_ALTERNATE] = True
        if len(query) != 1:
            environ[_ALTERNATE_ERROR] = N_("Cú pháp thay thế chỉ cho phép tham số 'method' trên URL.")
            return
        method = query[0][1].upper()
        if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
            environ[_ALTERNATE_ERROR] = N_("Phương thức không hợp lệ trong tham số 'method'.")
            return
        if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
            environ[_ALTERNATE_ERROR] = N_("Cú pháp thay thế cần Content-Type: application/x-www-form-urlencoded.")
            return
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_length:
            environ[_ALTERNATE_ERROR] = N_("Dữ liệu gửi lên quá lớn.")
            return
        form = parse_qsl(environ["wsgi.input"].read(length).decode("utf-8", "replace"), keep_blank_values=True)
        params, content = [], b""
        environ.pop("CONTENT_TYPE", None)
        for name, value in form:
            if name.lower() in _FORM_HEADERS:
                environ[_FORM_HEADERS[name.lower()]] = value
            elif name == "content":
                content = value.encode()
            else:
                params.append((name, value))
        environ["REQUEST_METHOD"] = method
        environ["QUERY_STRING"] = urlencode(params)
        environ["wsgi.input"] = BytesIO(content)
        environ["CONTENT_LENGTH"] = str(len(content))


@bp.record_once
def _install(state: Any) -> None:
    state.app.wsgi_app = XapiRequests(state.app.wsgi_app, state.app.config["MAX_CONTENT_LENGTH"])


def _version() -> str:
    return str(g.get("xapi_version") or "1.0.3")


@bp.after_app_request
def _xapi_headers(response: Response) -> Response:
    if not request.path.startswith("/xapi"):
        return response
    response.headers["X-Experience-API-Version"] = "2.0.0" if _version().startswith("2.") else "1.0.3"
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Origin"] = origin or "*"
    if origin:
        # Content may call with credentials; answers differ by Origin.
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.vary.add("Origin")
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.path.startswith("/xapi/statements") and "X-Experience-API-Consistent-Through" not in response.headers:
        # Every answer of the statement resource, errors included (xAPI 1.0.3, 2.1.3).
        response.headers["X-Experience-API-Consistent-Through"] = utcnow().isoformat()
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "HEAD, GET, POST, PUT, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.errorhandler(AuthenticationFailed)
def _unauthorized(error: AuthenticationFailed) -> Any:
    db.session.rollback()
    message = translate(error.message, error.params)
    return respond(401, error.code, message, headers={"WWW-Authenticate": 'Basic realm="HocVu LRS"'})


@bp.errorhandler(ValidationFailed)
def _invalid(error: ValidationFailed) -> Any:
    # xAPI clients often show only the message: it names the offending property itself.
    db.session.rollback()
    fields = field_errors(error)
    message = "; ".join(f"{name}: {text}" for name, text in fields.items())
    return respond(400, error.code, message, fields)


@bp.before_request
def _authenticate() -> None:
    if request.method == "OPTIONS":
        return
    if request.environ.get(_ALTERNATE_ERROR):
        raise ValidationFailed.single("method", request.environ[_ALTERNATE_ERROR])
    if request.endpoint == "xapi.about":
        return
    auth = request.authorization
    client = None
    if auth is not None and auth.type == "basic" and auth.username and auth.password:
        client = clients.authenticate(db.session, current_app.config["SECRET_KEY"], auth.username, auth.password)
    if client is None:
        raise AuthenticationFailed(N_("Sai hoặc thiếu khóa và bí mật của client LRS (HTTP Basic)."))
    g.lrs_client = client
    g.xapi_version = parse_version_header(request.headers.get("X-Experience-API-Version"))
    if g.xapi_version.startswith("2.") and request.environ.get(_ALTERNATE):
        raise ValidationFailed.single("method", N_("xAPI 2.0 không còn cú pháp thay thế (tham số 'method')."))


def _client() -> LrsClient:
    return g.lrs_client  # type: ignore[no-any-return]


def _site_url() -> str:
    return str(current_app.config["SITE_URL"])


def _params(allowed: Iterable[str]) -> MultiDict[str, str]:
    """The query parameters (also what the alternate syntax moved there); xAPI clients
    must not send others, and none twice."""
    params = request.args
    allowed = set(allowed)
    for name in params:
        if name not in allowed:
            raise ValidationFailed.single(name, N_("Tham số không được hỗ trợ: %(name)s."), name=name)
        if len(params.getlist(name)) > 1:
            raise ValidationFailed.single(name, N_("Tham số chỉ được gửi một lần: %(name)s."), name=name)
    return params


def _timestamp(params: MultiDict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    return None if value is None else parse_timestamp(value, name)


def _boolean(params: MultiDict[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ValidationFailed.single(name, N_("%(name)s phải là true hoặc false."), name=name)
    return value == "true"


def _uuid(params: MultiDict[str, str], name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None and required:
        raise ValidationFailed.single(name, N_("Thiếu tham số %(name)s."), name=name)
    if value is not None and not is_uuid(value):
        raise ValidationFailed.single(name, N_("%(name)s phải là một UUID."), name=name)
    return value.lower() if value else None


def _iri(params: MultiDict[str, str], name: str, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise ValidationFailed.single(name, N_("Thiếu tham số %(name)s."), name=name)
        return None
    if not is_iri(value):
        raise ValidationFailed.single(name, N_("%(name)s phải là một IRI tuyệt đối."), name=name)
    return value


def _agent(params: MultiDict[str, str], name: str = "agent", required: bool = True) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None:
        if required:
            raise ValidationFailed.single(name, N_("Thiếu tham số %(name)s."), name=name)
        return None
    return validate_agent_param(value, name)


def _consistent(response: Response, last_modified: datetime | None = None) -> Response:
    response.headers["X-Experience-API-Consistent-Through"] = utcnow().isoformat()
    if last_modified is not None:
        response.last_modified = last_modified
    return response


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status, mimetype="application/json")


# -- about ------------------------------------------------------------------------------


@bp.get("/about", strict_slashes=False)
def about() -> Response:
    # A 1.0.x client is told the 1.0.x versions: under 1.0.3 the list may hold nothing
    # else (Communication 2.8); without a version header, or under 2.0, every version.
    asked = request.headers.get("X-Experience-API-Version", "")
    versions = [v for v in SUPPORTED_VERSIONS if not asked.startswith("1.") or v.startswith("1.")]
    return _json({"version": versions, "extensions": {}})


# -- statements ---------------------------------------------------------------------------


def _statement_body() -> tuple[Any, dict[str, tuple[str, bytes]]]:
    content_type = request.headers.get("Content-Type", "")
    raw = request.get_data(cache=False)
    data: dict[str, tuple[str, bytes]] = {}
    if content_type.lower().startswith("multipart/mixed"):
        raw, data = attachments.statements_and_attachments(attachments.split_multipart(raw, content_type))
    elif content_type and not documents.is_json(content_type):
        raise ValidationFailed.single(
            "Content-Type", N_("Statement phải gửi dạng application/json hoặc multipart/mixed.")
        )
    try:
        return json.loads(raw), data
    except ValueError:
        raise ValidationFailed.single("body", N_("Nội dung không phải JSON hợp lệ.")) from None


def _store(batch: list[dict[str, Any]], data: dict[str, tuple[str, bytes]]) -> list[str]:
    attachments.check_attachments(batch, data)

    def store_and_commit() -> list[str]:
        ids = statements.store(db.session, _client(), batch, site_url=_site_url(), version=_version(), attachments=data)
        unit_of_work().commit()
        return ids

    try:
        return store_and_commit()
    except IntegrityError:
        # Another request stored one of these ids meanwhile: look again, once (an id
        # with the same content is then accepted, with other content refused).
        db.session.rollback()
        return store_and_commit()


@bp.post("/statements", strict_slashes=False)
def post_statements() -> Response:
    _params(())
    body, data = _statement_body()
    batch = validate_statements(body, _version())
    return _consistent(_json(_store(batch, data)))


@bp.put("/statements", strict_slashes=False)
def put_statement() -> Response:
    params = _params(("statementId",))
    statement_id = _uuid(params, "statementId", required=True)
    body, data = _statement_body()
    validate_statement(body, _version())
    if "id" in body and str(body["id"]).lower() != statement_id:
        raise ValidationFailed.single("id", N_("id của statement khác với tham số statementId."))
    _store([{**body, "id": body.get("id", statement_id)}], data)
    return _consistent(Response(status=204))


QUERY_PARAMS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
)


@bp.route("/statements", methods=["GET", "HEAD"], strict_slashes=False)
def get_statements() -> Response:
    params = _params(("statementId", "voidedStatementId", "more", *QUERY_PARAMS))
    languages = [lang for lang, _ in request.accept_languages]
    fmt = params.get("format", "exact")
    if fmt not in ("exact", "ids", "canonical"):
        raise ValidationFailed.single("format", N_("format phải là exact, ids hoặc canonical."))
    with_attachments = _boolean(params, "attachments")
    single = [name for name in ("statementId", "voidedStatementId") if name in params]
    if single:
        if len(single) > 1 or set(params) - {*single, "format", "attachments"}:
            raise ValidationFailed.single(
                single[0], N_("Khi lấy một statement chỉ được dùng thêm format và attachments.")
            )
        statement_id = _uuid(params, single[0], required=True)
        assert statement_id is not None
        row = statements.get_one(db.session, _client(), statement_id, voided=single[0] == "voidedStatementId")
        document = formats.as_format(row.statement, fmt, languages)
        return _consistent(_answer(document, [row.statement], with_attachments), row.stored)
    if "more" in params:
        if len(params) > 1:
            raise ValidationFailed.single("more", N_("Liên kết trang tiếp (more) không dùng kèm tham số khác."))
        query = statements.StatementQuery.from_token(params["more"])
    else:
        query = _statement_query(params, fmt, with_attachments)
    page = statements.find(db.session, _client(), query)
    more = f"{request.script_root}/xapi/statements?more={page.more.to_token()}" if page.more else ""
    document = {"statements": [formats.as_format(s, query.format, languages) for s in page.statements], "more": more}
    return _consistent(_answer(document, page.statements, query.attachments), page.last_stored)


def _statement_query(params: MultiDict[str, str], fmt: str, with_attachments: bool) -> statements.StatementQuery:
    agent = _agent(params, required=False)
    limit = params.get("limit", "0")
    if not limit.isdigit():
        raise ValidationFailed.single("limit", N_("limit phải là một số nguyên không âm."))
    return statements.StatementQuery(
        agent=agent_key(agent) if agent else None,
        verb=_iri(params, "verb"),
        activity=_iri(params, "activity"),
        registration=_uuid(params, "registration"),
        related_activities=_boolean(params, "related_activities"),
        related_agents=_boolean(params, "related_agents"),
        since=_timestamp(params, "since"),
        until=_timestamp(params, "until"),
        limit=int(limit),
        ascending=_boolean(params, "ascending"),
        format=fmt,
        attachments=with_attachments,
    )


def _answer(document: Any, stored: list[dict[str, Any]], with_attachments: bool) -> Response:
    if not with_attachments:
        return _json(document)
    wanted = {str(a.get("sha2", "")).lower() for s in stored for a in s.get("attachments") or () if "sha2" in a}
    rows = db.session.scalars(select(Attachment).where(Attachment.sha2.in_(wanted))).all() if wanted else []
    body, content_type = attachments.multipart_answer(document, ((r.sha2, r.content_type, r.content) for r in rows))
    return Response(body, 200, content_type=content_type)


# -- documents ------------------------------------------------------------------------------


def _document_scope(kind: str, params: MultiDict[str, str]) -> documents.Scope:
    client = _client()
    if kind == documents.AGENT_PROFILE:
        agent = _agent(params)
        assert agent is not None
        if client.actor_key is not None and agent_key(agent) != client.actor_key:
            raise NotFound(N_("Không tìm thấy tài liệu."))
        return documents.Scope(kind, _scope_key(client), agent_key=agent_key(agent))
    activity = _iri(params, "activityId", required=True)
    assert activity is not None
    if kind == documents.ACTIVITY_PROFILE:
        return documents.Scope(kind, _scope_key(client), activity_iri=activity)
    agent = _agent(params)
    assert agent is not None
    if client.actor_key is not None and agent_key(agent) != client.actor_key:
        raise NotFound(N_("Không tìm thấy tài liệu."))
    return documents.Scope(
        kind,
        _scope_key(client),
        activity_iri=activity,
        agent_key=agent_key(agent),
        registration=_uuid(params, "registration") or "",
    )


def _scope_key(client: LrsClient) -> str:
    return client.key if client.scope == "own" else ""


_DOCUMENT_ID = {
    documents.STATE: "stateId",
    documents.ACTIVITY_PROFILE: "profileId",
    documents.AGENT_PROFILE: "profileId",
}
_DOCUMENT_PARAMS = {
    documents.STATE: ("activityId", "agent", "registration"),
    documents.ACTIVITY_PROFILE: ("activityId",),
    documents.AGENT_PROFILE: ("agent",),
}


def _document(kind: str) -> Response:
    id_name = _DOCUMENT_ID[kind]
    params = _params((*_DOCUMENT_PARAMS[kind], id_name, "since"))
    scope = _document_scope(kind, params)
    client = _client()
    document_id = params.get(id_name)
    preconditions = documents.Preconditions.parse(request.headers.get("If-Match"), request.headers.get("If-None-Match"))
    if request.method in ("GET", "HEAD"):
        if not client.can_read:
            raise PermissionDenied(N_("Client LRS này chỉ được ghi."))
        if document_id is None:
            return _consistent(_json(documents.ids(db.session, scope, _timestamp(params, "since"))))
        if "since" in params:
            raise ValidationFailed.single("since", N_("since chỉ dùng khi liệt kê tài liệu."))
        found = documents.get(db.session, scope, document_id)
        if found is None:
            raise NotFound(N_("Không tìm thấy tài liệu."))
        response = Response(found.content, 200, content_type=found.content_type)
        response.set_etag(found.etag)
        return _consistent(response, found.updated_at)
    if "since" in params:
        raise ValidationFailed.single("since", N_("since chỉ dùng khi liệt kê tài liệu."))
    if not client.can_write:
        raise PermissionDenied(N_("Client LRS này chỉ được đọc."))
    if request.method == "DELETE":
        if document_id is None and kind != documents.STATE:
            raise ValidationFailed.single(id_name, N_("Thiếu tham số %(name)s."), name=id_name)
        if document_id is None:
            documents.delete_all(db.session, scope)
        else:
            documents.delete_one(db.session, scope, document_id, preconditions)
        unit_of_work().commit()
        return _consistent(Response(status=204))
    if document_id is None:
        raise ValidationFailed.single(id_name, N_("Thiếu tham số %(name)s."), name=id_name)
    content = request.get_data(cache=False)
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    if request.method == "PUT":
        # Overwriting a document needs If-Match or If-None-Match: 409 without either. xAPI
        # 1.0.3 asks it of the profile resources only, and a precondition even to create
        # one (400 without); xAPI 2.0 asks it of every document resource.
        missing: type[Any] | None = None
        if _version().startswith("2."):
            missing = Conflict
        elif kind != documents.STATE:
            missing = Conflict
            if not preconditions.given and documents.get(db.session, scope, document_id) is None:
                raise ValidationFailed.single(
                    "If-None-Match", N_("Gửi kèm If-None-Match: * để tạo, hoặc If-Match với ETag để ghi đè.")
                )
        saved = documents.put(
            db.session, scope, document_id, content, content_type, preconditions, missing_precondition=missing
        )
    else:
        saved = documents.post(db.session, scope, document_id, content, content_type, preconditions)
    etag = saved.etag
    unit_of_work().commit()
    response = Response(status=204)
    response.set_etag(etag)
    return _consistent(response)


DOCUMENT_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


@bp.route("/activities/state", methods=DOCUMENT_METHODS, strict_slashes=False)
def activity_state() -> Response:
    return _document(documents.STATE)


@bp.route("/activities/profile", methods=DOCUMENT_METHODS, strict_slashes=False)
def activity_profile() -> Response:
    return _document(documents.ACTIVITY_PROFILE)


@bp.route("/agents/profile", methods=DOCUMENT_METHODS, strict_slashes=False)
def agent_profile() -> Response:
    return _document(documents.AGENT_PROFILE)


# -- agents and activities -----------------------------------------------------------------


@bp.route("/agents", methods=["GET", "HEAD"], strict_slashes=False)
def agents() -> Response:
    agent = _agent(_params(("agent",)))
    assert agent is not None
    return _consistent(_json(statements.person(db.session, _client(), agent)))


@bp.route("/activities", methods=["GET", "HEAD"], strict_slashes=False)
def activities() -> Response:
    activity_iri = _iri(_params(("activityId",)), "activityId", required=True)
    assert activity_iri is not None
    return _consistent(_json(statements.activity(db.session, _client(), activity_iri)))
