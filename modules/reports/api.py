"""The reports JSON API under /api/v1: the hours of everyone in a unit and below (a fixed
contract, also as CSV or .xlsx), the summary rollups, the people behind and curriculum
completion. Only HR, and only within their scope: a unit outside it answers 403."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import Response, stream_with_context
from flask_babel import gettext

from app.extensions import db
from app.security import account_or_401, requires, token_auth
from lms_core.accounts import Role
from modules.reports import services, tables, web

api = APIBlueprint("reports_api", __name__, url_prefix="/api/v1", tag="Reports")


class ReportQuery(Schema):
    year = Integer(
        validate=Range(min=services.MIN_YEAR, max=services.MAX_YEAR),
        metadata={"description": "Year in Asia/Ho_Chi_Minh; the current year when omitted"},
    )
    unit = String(
        metadata={"description": "Unit code: the unit and everything below it; the caller's top HR unit when omitted"}
    )
    field = String(metadata={"description": "Only people whose position is in this field (code)"})
    category = String(
        validate=OneOf(["can_bo", "cong_chuc", "vien_chuc"]),
        metadata={"description": "Only people of this category"},
    )


class ExportQuery(ReportQuery):
    format = String(load_default="json", validate=OneOf(["json", "csv", "xlsx"]))


class HoursRow(Schema):
    person_id = Integer()
    staff_code = String()
    name = String()
    unit = String(metadata={"description": "The person's unit (name)"})
    unit_code = String()
    position = String(allow_none=True, metadata={"description": "Job position (name)"})
    position_code = String(allow_none=True)
    field = String(allow_none=True, metadata={"description": "The position's field code"})
    category = String(metadata={"description": "can_bo, cong_chuc or vien_chuc"})
    is_leader = Boolean()
    active = Boolean()
    start_date = String(allow_none=True)
    rule = String(allow_none=True, metadata={"description": "The requirement rule applied; null for the default"})
    required = Integer(metadata={"description": "Periods required in the year"})
    credited = Integer(metadata={"description": "Periods credited in the year, after the rule's caps"})
    shortfall = Integer(metadata={"description": "Periods still missing"})
    on_track = Boolean()
    by_field = Dict(keys=String(), values=Integer(), metadata={"description": "Periods counted per activity field"})
    by_type = Dict(keys=String(), values=Integer(), metadata={"description": "Periods counted per activity type"})


class HoursReport(Schema):
    year = Integer()
    unit = String(metadata={"description": "The unit code"})
    rows = List(Nested(HoursRow), metadata={"description": "Ordered by unit, then staff code"})


class ReportGroup(Schema):
    key = String(allow_none=True)
    code = String()
    label = String()
    depth = Integer(metadata={"description": "Units: depth in the tree"})
    people = Integer()
    required = Integer()
    credited = Integer()
    on_track = Integer()
    behind = Integer()
    share_on_track = Float()
    shortfall = Integer()


class ReportBin(Schema):
    low = Integer(metadata={"description": "Lowest percent of the requirement credited"})
    high = Integer(allow_none=True)
    people = Integer()


class ReportFieldPeriods(Schema):
    field = String()
    name = String()
    periods = Integer()


class SummaryOut(Schema):
    year = Integer()
    unit = String()
    total = Nested(ReportGroup)
    units = List(
        Nested(ReportGroup), metadata={"description": "Every unit of the subtree, rolled up over its own subtree"}
    )
    positions = List(Nested(ReportGroup))
    fields = List(Nested(ReportGroup), metadata={"description": "By the field of the people's position"})
    categories = List(Nested(ReportGroup))
    distribution = List(Nested(ReportBin))
    periods_by_field = List(Nested(ReportFieldPeriods), metadata={"description": "Periods counted per activity field"})


class ReportMissing(Schema):
    activity_id = Integer()
    title = String()
    periods = Integer()
    due = String(allow_none=True)


class BehindRow(HoursRow):
    missing = List(Nested(ReportMissing), metadata={"description": "Required curriculum activities not credited"})


class BehindOut(Schema):
    year = Integer()
    unit = String()
    rows = List(Nested(BehindRow))


class CurriculumItemOut(Schema):
    activity_id = Integer()
    title = String()
    periods = Integer()
    done = Integer(metadata={"description": "People who have it credited"})


class CurriculumPosition(Schema):
    position_id = Integer()
    code = String()
    name = String()
    people = Integer()
    complete = Integer(metadata={"description": "People who completed every required activity"})
    items = List(Nested(CurriculumItemOut))


class CurriculumOut(Schema):
    year = Integer()
    unit = String()
    positions = List(Nested(CurriculumPosition))


def _json_rows(filters: services.Filters, rows: Iterator[dict[str, Any]]) -> Response:
    """``{"year", "unit", "rows": [...]}`` streamed row by row: 100,000 rows never sit in
    memory at once (marshmallow would build them all; the schema above documents them)."""

    def body() -> Iterator[str]:
        yield json.dumps({"year": filters.year, "unit": filters.unit.code}, ensure_ascii=False)[:-1] + ', "rows": ['
        for n, row in enumerate(rows):
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False, default=str)
        yield "]}"

    return Response(stream_with_context(body()), mimetype="application/json")


@api.get("/reports/hours")
@api.auth_required(token_auth)
@api.input(ExportQuery, location="query", arg_name="query")
@api.output(HoursReport, description="JSON; with format=csv or xlsx, the same rows as a file")
@api.doc(
    summary="Required and credited periods of everyone in a unit and below (HR, within scope)",
    responses={403: "The unit is outside the caller's HR scope", 404: "No such unit"},
)
@requires(Role.HR)
def hours(query: dict[str, Any]) -> Any:
    filters = web.filters_from(account_or_401(), query)
    if query["format"] == "json":
        return _json_rows(
            filters, (tables.hours_row(r) for r in services.people(db.session, filters, web.people_hours))
        )
    return web.download(web.table("hours", filters, gettext), filters, query["format"])


@api.get("/reports/summary")
@api.auth_required(token_auth)
@api.input(ReportQuery, location="query", arg_name="query")
@api.output(SummaryOut)
@api.doc(summary="Totals per unit (rolled up the tree), position, field and category, and the chart figures")
@requires(Role.HR)
def summary(query: dict[str, Any]) -> Any:
    filters = web.filters_from(account_or_401(), query)
    found = web.summary(filters, gettext)
    return {
        "year": filters.year,
        "unit": filters.unit.code,
        "total": found.total.as_dict(),
        "units": [u.as_dict() for u in found.units],
        "positions": [p.as_dict() for p in found.positions],
        "fields": [f.as_dict() for f in found.fields],
        "categories": [c.as_dict() for c in found.categories],
        "distribution": found.distribution,
        "periods_by_field": found.periods_by_field,
    }


@api.get("/reports/behind")
@api.auth_required(token_auth)
@api.input(ExportQuery, location="query", arg_name="query")
@api.output(BehindOut, description="JSON; with format=csv or xlsx, the same rows as a file")
@api.doc(summary="People behind their requirement or their position's required curriculum, with what they lack")
@requires(Role.HR)
def behind(query: dict[str, Any]) -> Any:
    filters = web.filters_from(account_or_401(), query)
    if query["format"] != "json":
        return web.download(web.table("behind", filters, gettext), filters, query["format"])
    rows = (
        tables.hours_row(r) | {"missing": r["missing"]} for r in services.behind(db.session, filters, web.people_hours)
    )
    return _json_rows(filters, rows)


@api.get("/reports/curriculum")
@api.auth_required(token_auth)
@api.input(ExportQuery, location="query", arg_name="query")
@api.output(CurriculumOut, description="JSON; with format=csv or xlsx, one row per position and activity")
@api.doc(summary="Completion of each position's required curriculum")
@requires(Role.HR)
def curriculum(query: dict[str, Any]) -> Any:
    filters = web.filters_from(account_or_401(), query)
    if query["format"] != "json":
        return web.download(web.table("curriculum", filters, gettext), filters, query["format"])
    positions = services.curriculum_completion(db.session, filters, web.people_hours, gettext)
    return {"year": filters.year, "unit": filters.unit.code, "positions": positions}
