"""Sign-in and sign-out, password change (pages), and the token API."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Integer, List, String
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from app.errors import field_errors, translate
from app.extensions import db, limiter
from app.security import account_or_401, requires, safe_local_path, token_auth
from lms_core import accounts
from lms_core.accounts import Account
from lms_core.errors import N_, AuthenticationFailed, ValidationFailed
from lms_core.statements import account_agent

bp = Blueprint("auth", __name__)
api = APIBlueprint("auth_api", __name__, url_prefix="/api/v1", tag="Auth")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            account = accounts.authenticate(
                db.session, request.form.get("username", ""), request.form.get("password", "")
            )
        except AuthenticationFailed as exc:
            db.session.commit()  # keep the failure count
            error = translate(exc.message, exc.params)
        else:
            db.session.commit()
            login_user(account)
            return redirect(safe_local_path(request.args.get("next"), url_for("views.home")))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=request.form.get("username", "")), status


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash(translate(N_("Bạn đã đăng xuất.")), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires()
def change_password() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        account = account_or_401()
        try:
            if request.form.get("new_password") != request.form.get("confirm_password"):
                raise ValidationFailed.single("confirm_password", N_("Mật khẩu nhập lại không khớp."))
            accounts.change_password(
                account, request.form.get("current_password", ""), request.form.get("new_password", "")
            )
        except ValidationFailed as exc:
            db.session.rollback()
            errors = field_errors(exc)
        else:
            db.session.commit()
            login_user(account)  # the session id follows the new password
            flash(translate(N_("Đã đổi mật khẩu.")), "success")
            return redirect(url_for("views.home"))
    return render_template("auth/password.html", errors=errors), 400 if errors else 200


# --- API ------------------------------------------------------------------------------


class TokenIn(Schema):
    username = String(required=True)
    password = String(required=True)


class TokenOut(Schema):
    token = String(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    expires_in = Integer(metadata={"description": "Seconds until the token expires."})


class MeOut(Schema):
    username = String()
    roles = List(String())
    person_id = Integer(allow_none=True)
    staff_code = String(allow_none=True)
    name = String(allow_none=True)
    unit = Dict(allow_none=True, metadata={"description": '{"id", "code", "name"}'})
    position = Dict(allow_none=True, metadata={"description": '{"id", "code", "name"}'})
    actor = Dict(allow_none=True, metadata={"description": "The person's xAPI Agent."})


@api.post("/auth/token")
@api.input(TokenIn, arg_name="credentials")
@api.output(TokenOut)
@api.doc(
    summary="Exchange a username and password for a bearer token",
    responses={401: "Wrong credentials or account locked", 429: "Too many attempts"},
)
@limiter.limit(_login_limit)
def issue_token(credentials: dict[str, str]) -> Any:
    try:
        account = accounts.authenticate(db.session, credentials["username"], credentials["password"])
    except AuthenticationFailed:
        db.session.commit()  # keep the failure count
        raise
    token = accounts.issue_token(db.session, account)
    db.session.commit()
    return {"token": token, "expires_in": int(accounts.TOKEN_LIFETIME.total_seconds())}


def describe_account(account: Account) -> dict[str, Any]:
    person = account.person
    home_page = current_app.config["SITE_URL"]
    return {
        "username": account.username,
        "roles": list(accounts.roles_of(account)),
        "person_id": person.id if person else None,
        "staff_code": person.staff_code if person else None,
        "name": person.full_name if person else None,
        "unit": {"id": person.unit.id, "code": person.unit.code, "name": person.unit.name} if person else None,
        "position": (
            {"id": person.position.id, "code": person.position.code, "name": person.position.name}
            if person and person.position
            else None
        ),
        "actor": account_agent(home_page, person.staff_code, person.full_name) if person else None,
    }


@api.get("/me")
@api.auth_required(token_auth)
@api.output(MeOut)
@api.doc(summary="The signed-in account, its roles and its person")
def me() -> Any:
    return describe_account(account_or_401())
