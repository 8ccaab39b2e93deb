"""Errors as users see them: JSON ``{"error": {"code", "message"}}`` on the API,
a friendly page elsewhere; translated; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import render_template
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.security import is_api_request
from lms_core.errors import N_, DomainError, ValidationFailed

log = logging.getLogger(__name__)

# Messages for HTTP statuses raised by Flask itself (unknown URL, wrong method, …).
STATUS_MESSAGES = {
    400: ("bad_request", N_("Yêu cầu không hợp lệ.")),
    401: ("unauthorized", N_("Vui lòng đăng nhập để tiếp tục.")),
    403: ("forbidden", N_("Bạn không có quyền truy cập trang này.")),
    404: ("not_found", N_("Không tìm thấy trang hoặc tài nguyên yêu cầu.")),
    405: ("method_not_allowed", N_("Phương thức không được hỗ trợ.")),
    409: ("conflict", N_("Dữ liệu xung đột với dữ liệu đã có.")),
    413: ("payload_too_large", N_("Dữ liệu gửi lên quá lớn.")),
    415: ("unsupported_media_type", N_("Định dạng dữ liệu không được hỗ trợ.")),
    422: ("validation_error", N_("Dữ liệu không hợp lệ.")),
    429: ("too_many_requests", N_("Quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.")),
    500: ("internal_error", N_("Đã có lỗi hệ thống. Vui lòng thử lại sau.")),
}


# How every API error looks, for the OpenAPI document (apiflask's default shape differs).
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string", "description": "Vietnamese, or English with Accept-Language: en"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["code", "message"],
        }
    },
}


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    text = gettext(message)
    return text % params if params else text


def field_errors(error: ValidationFailed) -> dict[str, str]:
    return {e.field: translate(e.message, e.params) for e in error.errors}


def respond(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Any:
    if is_api_request():
        body: dict[str, Any] = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return {"error": body}, status, headers or {}
    return render_template("error.html", status=status, message=message, fields=fields), status, headers or {}


def init_app(app: APIFlask) -> None:
    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        db.session.rollback()  # nothing half-written
        fields = field_errors(error) if isinstance(error, ValidationFailed) else None
        return respond(error.status, error.code, translate(error.message, error.params), fields)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        code, message = STATUS_MESSAGES.get(status, ("error", error.name))
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return respond(status, code, translate(message), headers=headers)

    @app.error_processor
    def api_error(error: HTTPError) -> Any:
        # Raised by apiflask: request validation (schemas) and authentication.
        code, message = STATUS_MESSAGES.get(error.status_code, ("error", error.message))
        fields = None
        if error.status_code == 400 and isinstance(error.detail, dict):
            # {"json": {"field": ["msg"]}} -> {"field": "msg"}
            fields = {
                name: "; ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs)
                for location in error.detail.values()
                if isinstance(location, dict)
                for name, msgs in location.items()
            }
        return respond(error.status_code, code, translate(message), fields, dict(error.headers or {}))

    @app.errorhandler(IntegrityError)
    def integrity_error(_error: IntegrityError) -> Any:
        # Two requests raced past the same uniqueness check; the database kept one.
        db.session.rollback()
        code, message = STATUS_MESSAGES[409]
        return respond(409, code, translate(message))

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError) -> Any:
        # SQLite refuses a write by a transaction that read before another writer
        # committed ("database is locked"): the other request won; this one may retry.
        db.session.rollback()
        if "database is locked" not in str(error.orig):
            log.exception("database error")
            code, message = STATUS_MESSAGES[500]
            return respond(500, code, translate(message))
        code, message = STATUS_MESSAGES[409]
        return respond(409, code, translate(N_("Dữ liệu vừa được người khác thay đổi. Vui lòng thử lại.")))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        db.session.rollback()
        log.exception("unhandled error")
        code, message = STATUS_MESSAGES[500]
        return respond(500, code, translate(message))
