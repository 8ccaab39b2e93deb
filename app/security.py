"""Authentication (session for pages, bearer token for the API) and the one place
views ask for roles: ``requires`` and ``current_account``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from apiflask import HTTPTokenAuth
from flask import Flask, current_app, g, request
from flask_login import current_user

from app.extensions import db, login_manager
from lms_core import access
from lms_core.accounts import Account, account_for_session_id, account_for_token
from lms_core.errors import N_, AuthenticationFailed, PermissionDenied
from lms_core.uow import UnitOfWork

F = TypeVar("F", bound=Callable[..., Any])

token_auth = HTTPTokenAuth(
    scheme="Bearer",
    description="Token from POST /api/v1/auth/token, sent as `Authorization: Bearer <token>`.",
)


@token_auth.verify_token
def _verify_token(token: str) -> Account | None:
    return account_for_token(db.session, token) if token else None


@token_auth.error_processor
def _token_error(error: Any) -> Any:
    # Same JSON error body as every other API error (the app runs with json_errors off
    # so that pages get HTML error pages).
    return current_app.error_callback(error)  # type: ignore[attr-defined]


@login_manager.user_loader
def _load_user(session_id: str) -> Account | None:
    return account_for_session_id(db.session, session_id)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Vui lòng đăng nhập để tiếp tục.")
    login_manager.session_protection = "basic"


def safe_local_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (no open redirects:
    browsers ignore tabs and treat backslashes as slashes, so both are refused)."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def is_api_request() -> bool:
    return request.path.startswith(("/api/", "/xapi/"))


def current_account() -> Account | None:
    """The signed-in account: the bearer token's on the API, the session's on pages."""
    if is_api_request():
        return cast(Account | None, token_auth.current_user)
    return cast(Account, current_user._get_current_object()) if current_user.is_authenticated else None


def account_or_401() -> Account:
    account = current_account()
    if account is None:
        raise AuthenticationFailed(N_("Vui lòng đăng nhập để tiếp tục."))
    return account


def requires(role: str | None = None) -> Callable[[F], F]:
    """Guard a page or API view: a signed-in account, holding ``role`` somewhere.
    Whether the role covers the unit at hand is then checked by the service."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not is_api_request() and not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            account = account_or_401()
            if role is not None and not access.has_role(account, role):
                raise PermissionDenied(N_("Bạn không có quyền truy cập trang này."))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def unit_of_work() -> UnitOfWork:
    """The request's unit of work: commits ``db.session`` and publishes the events
    to the modules afterwards."""
    if "uow" not in g:
        g.uow = UnitOfWork(db.session, publish_batch=current_app.extensions["hocvu_registry"].publish_batch)
    return cast(UnitOfWork, g.uow)
