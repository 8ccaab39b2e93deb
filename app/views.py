"""Shell pages: the home page and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from sqlalchemy import text

from app.extensions import db
from app.security import current_account, requires
from lms_core import access

bp = Blueprint("views", __name__)


@bp.get("/")
@requires()
def home() -> str:
    return render_template("home.html")


@bp.get("/healthz")
def healthz() -> Any:
    """200 {"status": "ok"} when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def nav_items() -> list[Any]:
        account = current_account()
        if account is None:
            return []
        items = [item for loaded in current_app.extensions["hocvu_registry"].modules for item in loaded.manifest.nav]
        return [item for item in items if not item.roles or any(access.has_role(account, role) for role in item.roles)]

    return {"nav_items": nav_items}
