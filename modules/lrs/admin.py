"""The LRS admin page (``/admin/lrs/``, admins only): the LRS clients with a revoke
button, and how forwarding to the external LRS stands, with the parked statements and
a "send again" button. Parse the form, call one service, render or redirect."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.errors import translate
from app.extensions import db
from app.security import account_or_401, requires, unit_of_work
from lms_core.accounts import Role
from lms_core.db import utcnow
from lms_core.errors import N_
from modules.lrs import forwarding
from modules.lrs.clients import list_clients, revoke_client

bp = Blueprint("lrs_admin", __name__, url_prefix="/admin/lrs", template_folder="templates")


def _settings() -> tuple[forwarding.ForwardSettings | None, bool]:
    """The forwarding settings and whether ``LRS_FORWARD_URL`` is set but unusable."""
    try:
        return forwarding.ForwardSettings.from_config(current_app.config), False
    except ValueError:
        return None, True


@bp.get("/")
@requires(Role.ADMIN)
def index() -> str:
    settings, misconfigured = _settings()
    backlog = forwarding.backlog(db.session)
    state = backlog.state
    return render_template(
        "lrs/admin.html",
        clients=list_clients(db.session),
        settings=settings,
        misconfigured=misconfigured,
        backlog=backlog,
        # Every statement stored before this moment is sent or parked.
        covered_until=state.watermark - forwarding.LAG if state and state.watermark > forwarding.EPOCH else None,
        now=utcnow(),
    )


@bp.post("/clients/<int:client_id>/revoke")
@requires(Role.ADMIN)
def revoke(client_id: int) -> Response:
    client = revoke_client(db.session, client_id, account_or_401().id)
    unit_of_work().commit()
    flash(translate(N_("Đã thu hồi client %(name)s."), {"name": client.name}), "success")
    return redirect(url_for("lrs_admin.index"))


@bp.post("/forwarding/<statement_id>/retry")
@requires(Role.ADMIN)
def retry(statement_id: str) -> Response:
    forwarding.retry_parked(db.session, statement_id, account_or_401().id)
    unit_of_work().commit()
    flash(translate(N_("Statement %(id)s sẽ được gửi lại ở lượt chuyển tiếp tới."), {"id": statement_id}), "success")
    return redirect(url_for("lrs_admin.index", _anchor="parked"))
