"""Report pages for HR: the overview (figures, charts, rollups), the people behind, the
curriculum completion, a print-friendly view, and every report as a CSV or .xlsx
download. Parse the filters, call the service, render; the unit is always checked
against the account's HR scope (``services.resolve_unit``)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from app.extensions import db
from app.security import account_or_401, requires
from lms_core.accounts import Role
from lms_core.errors import N_, NotFound
from lms_core.people import CATEGORY_LABELS
from modules.reports import charts, services, tables, web

bp = Blueprint(
    "reports",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/reports/static",
)

PAGE_SIZE = 100


def _context(filters: services.Filters) -> dict[str, Any]:
    """What every report page needs for its filter form and its links."""
    account = account_or_401()
    units = services.units_in_scope(db.session, account)
    current = services.current_year()
    return {
        "filters": filters,
        "query": filters.query(),
        "years": sorted({filters.year, *range(current + 1, current - 5, -1)}, reverse=True),
        "unit_choices": [(u.code, f"{'  ' * (u.path.count('/') - 2)}{u.name}") for u in units],
        "field_choices": services.field_choices(db.session),
        "category_choices": [(c.value, gettext(label)) for c, label in CATEGORY_LABELS.items()],
        "export_formats": ("xlsx", "csv"),
        # The certificates module's zip of a unit, linked when that module is enabled.
        "certificates_zip": "certificates.unit_archive" in current_app.view_functions,
    }


@bp.get("/reports")
@requires(Role.HR)
def index() -> str:
    filters = web.filters_from(account_or_401(), request.args)
    summary = web.summary(filters, gettext)
    return render_template(
        "reports/index.html", summary=summary, charts=charts.for_summary(summary, gettext), **_context(filters)
    )


@bp.get("/reports/behind")
@requires(Role.HR)
def behind() -> str:
    filters = web.filters_from(account_or_401(), request.args)
    page = max(1, web._int(request.args.get("page")) or 1)
    rows = services.behind(db.session, filters, web.people_hours)
    shown = list(islice(rows, (page - 1) * PAGE_SIZE, page * PAGE_SIZE + 1))
    more = len(shown) > PAGE_SIZE
    return render_template("reports/behind.html", rows=shown[:PAGE_SIZE], page=page, more=more, **_context(filters))


@bp.get("/reports/curriculum")
@requires(Role.HR)
def curriculum() -> str:
    filters = web.filters_from(account_or_401(), request.args)
    positions = services.curriculum_completion(db.session, filters, web.people_hours, gettext)
    return render_template("reports/curriculum.html", positions=positions, **_context(filters))


@bp.get("/reports/print")
@requires(Role.HR)
def print_view() -> str:
    filters = web.filters_from(account_or_401(), request.args)
    summary = web.summary(filters, gettext)
    return render_template(
        "reports/print.html", summary=summary, charts=charts.for_summary(summary, gettext), **_context(filters)
    )


@bp.get("/reports/export/<report>.<any(csv, xlsx):fmt>")
@requires(Role.HR)
def export(report: str, fmt: str) -> Response:
    if report not in tables.REPORTS:
        raise NotFound(N_("Không tìm thấy trang hoặc tài nguyên yêu cầu."))
    filters = web.filters_from(account_or_401(), request.args)
    return web.download(web.table(report, filters, gettext), filters, fmt)
