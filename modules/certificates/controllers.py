"""Certificates pages: "Giấy chứng nhận của tôi", HR's view of a person's certificates,
the PDF downloads, and the public verification page. Parse, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.extensions import db, limiter
from app.security import account_or_401, requires
from lms_core import access, units
from lms_core.accounts import Role
from lms_core.errors import N_, NotFound
from lms_core.people import Person, get_person
from modules.certificates import services, web

bp = Blueprint(
    "certificates",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/certificates/static",
)


def _verify_limit() -> str:
    return str(current_app.config.get("CERTIFICATES_VERIFY_RATE_LIMIT", "60 per minute"))


def _render_list(person: Person, own: bool) -> str:
    year = web.parse_year(request.args.get("year"))
    hours = web.person_hours(person, year, gettext)
    items = services.certifiable_items(db.session, person, year, hours)
    current = services.current_year()
    years = sorted({year, *range(current, current - 5, -1)}, reverse=True)
    return render_template(
        "certificates/list.html",
        person=person,
        own=own,
        year=year,
        years=years,
        items=items,
        hours=hours,
        transcripts=services.transcripts_of(db.session, person, year),
        group_code=services.group_code,
        verify_url=web.verify_url,
    )


@bp.get("/certificates")
@requires()
def mine() -> str:
    account = account_or_401()
    if account.person is None:
        return render_template("certificates/no_person.html")
    return _render_list(account.person, own=True)


@bp.get("/certificates/people/<int:person_id>")
@requires()
def person(person_id: int) -> str:
    account = account_or_401()
    found = get_person(db.session, person_id)
    access.require_person_view(account, found)
    return _render_list(found, own=found.id == account.person_id)


@bp.get("/certificates/people/<int:person_id>/<int:year>/activities/<int:activity_id>.pdf")
@requires()
def download_activity(person_id: int, year: int, activity_id: int) -> Response:
    account = account_or_401()
    found = get_person(db.session, person_id)
    access.require_person_view(account, found)
    return web.download_activity(account, found, web.require_year(year), activity_id)


@bp.get("/certificates/people/<int:person_id>/<int:year>/transcript.pdf")
@requires()
def download_transcript(person_id: int, year: int) -> Response:
    account = account_or_401()
    found = get_person(db.session, person_id)
    access.require_person_view(account, found)
    return web.download_transcript(account, found, web.require_year(year))


# --- public verification ------------------------------------------------------------------


@bp.get("/verify")
@limiter.limit(_verify_limit)
def verify_form() -> Any:
    """A form to type a code; a typed code goes to its page."""
    code = request.args.get("code", "").strip()
    if code:
        normal = services.normalise_code(code)
        if normal is not None:
            return redirect(url_for("certificates.verify", code=services.group_code(normal)))
        return _noindex(render_template("certificates/verify.html", verification=None, code=code), 404)
    return _noindex(render_template("certificates/verify.html", verification=None, code=None), 200)


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str) -> Any:
    verification = web.verify(code)
    if verification is None:
        return _noindex(render_template("certificates/verify.html", verification=None, code=code), 404)
    return _noindex(
        render_template(
            "certificates/verify.html",
            verification=verification,
            data=web.verification_data(verification),
            code=code,
        ),
        200,
    )


def _noindex(body: str, status: int) -> Response:
    response = current_app.make_response((body, status))
    # The page names a person: keep it out of search engines (the meta tag says it too).
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- HR: every certificate of a unit --------------------------------------------------------


@bp.post("/certificates/units/<code>.zip")
@requires(Role.HR)
def unit_archive(code: str) -> Response:
    """All certificates and transcripts of a unit (and below) for the form's ``year``, as
    one zip. A POST with the CSRF token: building it issues certificates, which another
    site must not be able to trigger with a link."""
    account = account_or_401()
    unit = units.unit_by_code(db.session, code)
    if unit is None:
        raise NotFound(N_("Không tìm thấy đơn vị."))
    access.require(account, Role.HR, unit)
    return web.unit_archive(account, unit, web.parse_year(request.form.get("year")))
