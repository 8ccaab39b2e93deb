"""Language: Vietnamese by default. Pages follow the user's choice (the language
switch); the API follows ``Accept-Language``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.security import is_api_request, safe_local_path

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if is_api_request():
        return request.accept_languages.best_match(languages, default=languages[0])
    chosen = session.get("lang")
    return chosen if chosen in languages else languages[0]


@bp.get("/lang/<code>")
def set_language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_local_path(request.args.get("next"), "/"))


def vn_datetime(moment: datetime | None) -> str:
    """A stored (UTC) moment as people in Vietnam read it: 31/12/2026 17:30."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%d/%m/%Y %H:%M")


def vn_date(day: date | str | None) -> str:
    """A day (a ``date`` or ISO "2026-03-10") as people in Vietnam write it: 10/03/2026."""
    if not day:
        return ""
    return (date.fromisoformat(day) if isinstance(day, str) else day).strftime("%d/%m/%Y")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(vn_datetime, "vn_datetime")
    app.add_template_filter(vn_date, "vn_date")

    @app.context_processor
    def language() -> dict[str, object]:
        return {"current_language": str(get_locale()), "languages": app.config["LANGUAGES"]}
