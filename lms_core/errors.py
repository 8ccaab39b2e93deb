"""Errors the core raises; the shell turns them into JSON errors or page messages.

Messages are Vietnamese msgids marked with ``N_`` so the shell can translate them
(``gettext(message) % params``) without the core importing any i18n machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass
class FieldError:
    field: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    """Base of all expected failures. ``status`` is the HTTP status the shell uses."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class AuthenticationFailed(DomainError):
    status = 401
    code = "unauthorized"


class AccountLocked(AuthenticationFailed):
    code = "account_locked"


class ValidationFailed(DomainError):
    """One or more fields are wrong; nothing was written."""

    status = 400
    code = "validation_error"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(N_("Dữ liệu không hợp lệ."))
        self.errors = errors

    @classmethod
    def single(cls, field_name: str, message: str, **params: Any) -> ValidationFailed:
        return cls([FieldError(field_name, message, params)])
