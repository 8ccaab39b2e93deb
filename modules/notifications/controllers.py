"""Notification pages: "Thông báo" (the signed-in account's inbox, mark read) and the
preference to mute the weekly digest. Parse the form, call one service, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.errors import translate
from app.extensions import db
from app.forms import optional_int
from app.security import account_or_401, current_account, requires, safe_local_path, unit_of_work
from lms_core.errors import N_
from modules.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")

PAGE_SIZE = 50


@bp.app_context_processor
def unread() -> dict[str, Any]:
    """``notifications_unread()`` for any template (e.g. a badge in the menu): the
    signed-in account's unread messages, 0 when signed out. A callable, so a page that
    never shows it costs no query."""

    def notifications_unread() -> int:
        account = current_account()
        return services.unread_count(db.session, account.id) if account is not None else 0

    return {"notifications_unread": notifications_unread}


@bp.get("")
@requires()
def inbox() -> str:
    account = account_or_401()
    unread_only = request.args.get("unread") == "1"
    before = optional_int(request.args.get("before"))
    messages = services.inbox(
        db.session,
        account,
        unread_only=unread_only,
        before_id=before if isinstance(before, int) else None,
        limit=PAGE_SIZE + 1,
    )
    return render_template(
        "notifications/inbox.html",
        messages=messages[:PAGE_SIZE],
        older=messages[PAGE_SIZE - 1].id if len(messages) > PAGE_SIZE else None,
        unread_only=unread_only,
        unread_total=services.unread_count(db.session, account.id),
    )


def _back() -> str:
    return safe_local_path(request.form.get("next"), url_for("notifications.inbox"))


@bp.post("/<int:message_id>/read")
@requires()
def mark_read(message_id: int) -> Response:
    services.mark_read(db.session, account_or_401(), message_id)
    unit_of_work().commit()
    return redirect(_back())


@bp.post("/<int:message_id>/open")
@requires()
def open_message(message_id: int) -> Response:
    """Mark the message read and follow its link (a path on this site)."""
    message = services.mark_read(db.session, account_or_401(), message_id)
    unit_of_work().commit()
    return redirect(safe_local_path(message.link, url_for("notifications.inbox")))


@bp.post("/read-all")
@requires()
def mark_all_read() -> Response:
    count = services.mark_all_read(db.session, account_or_401())
    unit_of_work().commit()
    flash(translate(N_("Đã đánh dấu %(count)s thông báo là đã đọc."), {"count": count}), "success")
    return redirect(_back())


@bp.route("/preferences", methods=["GET", "POST"])
@requires()
def preferences() -> Any:
    account = account_or_401()
    if request.method == "POST":
        services.set_preferences(db.session, account, digests_muted=request.form.get("digests_muted") == "1")
        unit_of_work().commit()
        flash(translate(N_("Đã lưu lựa chọn nhận thông báo.")), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", preference=services.preferences(db.session, account))
