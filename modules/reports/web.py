"""What the report pages and the API share (the Flask end of the module): the registry's
``hocvu_people_hours`` and ``hocvu_unit_hours`` hooks, parsing the filters of a request's
arguments, building any report as an export table, and streaming it as a CSV or .xlsx
download."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from flask import Response, current_app, stream_with_context

from app.extensions import db
from lms_core.accounts import Account
from lms_core.errors import N_, NotFound
from lms_core.units import Unit
from modules.reports import exports, services, tables

Translate = Callable[[str], str]

TITLES = {
    "hours": N_("Số tiết bồi dưỡng theo cán bộ"),
    "units": N_("Tổng hợp theo đơn vị"),
    "positions": N_("Tổng hợp theo vị trí việc làm"),
    "fields": N_("Tổng hợp theo lĩnh vực"),
    "categories": N_("Tổng hợp theo loại cán bộ"),
    "behind": N_("Cán bộ chưa đạt yêu cầu"),
    "curriculum": N_("Hoàn thành chương trình theo vị trí việc làm"),
}


def people_hours(session: Any, unit: Unit, year: int) -> Iterator[dict[str, Any]] | None:
    """The ``hocvu_people_hours`` answer of whichever module keeps credits (None: none does)."""
    hook = current_app.extensions["hocvu_registry"].hook
    result: Iterator[dict[str, Any]] | None = hook.hocvu_people_hours(session=session, unit=unit, year=year)
    return result


def unit_hours(session: Any, unit: Unit, year: int, field: str | None, category: str | None) -> dict[str, Any] | None:
    """The ``hocvu_unit_hours`` answer (the summed figures) of whichever module keeps
    credits (None: none does)."""
    hook = current_app.extensions["hocvu_registry"].hook
    result: dict[str, Any] | None = hook.hocvu_unit_hours(
        session=session, unit=unit, year=year, field=field, category=category
    )
    return result


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def filters_from(account: Account, args: Mapping[str, Any]) -> services.Filters:
    """The filters of a page's or the API's query string (year, unit code, field, category);
    the unit is checked against the account's HR scope (403 outside it)."""
    return services.make_filters(
        db.session,
        account,
        year=_int(args.get("year")),
        unit_code=(args.get("unit") or "").strip() or None,
        field_code=args.get("field") or None,
        category=args.get("category") or None,
    )


def summary(filters: services.Filters, translate: Translate) -> services.Summary:
    return services.summary(db.session, filters, unit_hours, translate)


def table(report: str, filters: services.Filters, translate: Translate) -> exports.Table:
    """Any report (one of ``tables.REPORTS``) as an export table; rows stay lazy where the
    report is per person (hours, behind)."""
    title = translate(TITLES[report])
    if report == "hours":
        return tables.hours_table(services.people(db.session, filters, people_hours), translate, title)
    if report == "behind":
        return tables.behind_table(services.behind(db.session, filters, people_hours), translate, title)
    if report == "curriculum":
        positions = services.curriculum_completion(db.session, filters, people_hours, translate)
        return tables.curriculum_table(positions, translate, title)
    if report in ("units", "positions", "fields", "categories"):
        return tables.totals_table(report, summary(filters, translate), translate, title)
    raise NotFound(N_("Không tìm thấy trang hoặc tài nguyên yêu cầu."))


def filename(report_table: exports.Table, filters: services.Filters, extension: str) -> str:
    """ASCII download name: bao-cao-units-GL-2026-20260310.xlsx"""
    stamp = datetime.now(services.TIMEZONE).strftime("%Y%m%d")
    return f"{report_table.filename}-{filters.unit.code}-{filters.year}-{stamp}.{extension}"


def download(report_table: exports.Table, filters: services.Filters, fmt: str) -> Response:
    """Stream the table as ``fmt`` (csv or xlsx): the rows are produced while the client
    reads, within the request's app context (``stream_with_context``)."""
    if fmt == "csv":
        body, mimetype = exports.csv_stream(report_table), exports.CSV_TYPE
    else:
        body, mimetype = exports.xlsx_stream(report_table), exports.XLSX_TYPE
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(report_table, filters, fmt)}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
