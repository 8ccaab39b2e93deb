"""Each report as an export ``Table``: its Vietnamese column headers, the cells of a row,
and its totals. Shared by the page downloads and the API; headless (``translate`` renders
the headers in the reader's language)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lms_core.errors import N_
from lms_core.people import CATEGORY_LABELS, Category
from modules.reports.exports import DATE, INT, PERCENT, Column, Table
from modules.reports.services import Summary, Totals

Translate = Callable[[str], str]
REPORTS = ("hours", "units", "positions", "fields", "categories", "behind", "curriculum")
YES, NO = N_("Đạt"), N_("Chưa đạt")


def _share(sums: dict[str, Any]) -> dict[str, Any]:
    people = sums.get("people", 0)
    return {"share_on_track": (sums.get("on_track", 0) / people) if people else 1.0}


def _category(translate: Translate) -> Callable[[dict[str, Any]], str]:
    labels = {c.value: translate(label) for c, label in CATEGORY_LABELS.items()}
    return lambda row: labels.get(row["category"], row["category"])


def hours_row(row: dict[str, Any]) -> dict[str, Any]:
    """A person's row as ``GET /api/v1/reports/hours`` answers it (the fixed contract)."""
    start = row["start_date"]
    return {
        "person_id": row["person_id"],
        "staff_code": row["staff_code"],
        "name": row["name"],
        "unit": row["unit_name"],
        "unit_code": row["unit_code"],
        "position": row["position_name"],
        "position_code": row["position_code"],
        "field": row["field_code"],
        "category": row["category"],
        "is_leader": row["is_leader"],
        "active": row["active"],
        "start_date": start.isoformat() if start else None,
        "rule": row["rule_name"],
        "required": row["required"],
        "credited": row["credited"],
        "shortfall": row["shortfall"],
        "on_track": row["on_track"],
        "by_field": row["by_field"],
        "by_type": row["by_type"],
    }


def hours_table(rows: Iterable[dict[str, Any]], translate: Translate, title: str) -> Table:
    """Every person: who they are, what they must do and what is credited."""
    status = {True: translate(YES), False: translate(NO)}
    return Table(
        title=title,
        filename="so-tiet-theo-can-bo",
        rows=rows,
        columns=[
            Column("staff_code", translate(N_("Mã cán bộ")), width=14),
            Column("name", translate(N_("Họ và tên")), width=28),
            Column("unit_name", translate(N_("Đơn vị")), width=28),
            Column("position_name", translate(N_("Vị trí việc làm")), width=36),
            Column("category", translate(N_("Loại cán bộ")), value=_category(translate)),
            Column("required", translate(N_("Số tiết yêu cầu")), INT, total=True),
            Column("credited", translate(N_("Số tiết đã ghi nhận")), INT, total=True),
            Column("shortfall", translate(N_("Số tiết còn thiếu")), INT, total=True),
            Column("on_track", translate(N_("Kết quả")), value=lambda row: status[row["on_track"]]),
            Column("start_date", translate(N_("Ngày bắt đầu")), DATE, width=12),
            Column("rule_name", translate(N_("Quy định áp dụng")), width=36),
        ],
        totals_label=translate(N_("Tổng cộng")),
    )


def _totals_columns(translate: Translate, first: Column) -> list[Column]:
    return [
        first,
        Column("people", translate(N_("Số người")), INT, total=True),
        Column("required", translate(N_("Số tiết yêu cầu")), INT, total=True),
        Column("credited", translate(N_("Số tiết đã ghi nhận")), INT, total=True),
        Column("on_track", translate(N_("Số người đạt")), INT, total=True),
        Column("share_on_track", translate(N_("Tỷ lệ đạt")), PERCENT),
        Column("shortfall", translate(N_("Số tiết còn thiếu")), INT, total=True),
    ]


def totals_table(kind: str, summary: Summary, translate: Translate, title: str) -> Table:
    """One of the summary's rollups (units, positions, fields, categories) as a table; the
    units rollup indents each unit under its parent and totals only the report's unit
    (its own row already holds everything below it)."""
    labels = {
        "units": N_("Đơn vị"),
        "positions": N_("Vị trí việc làm"),
        "fields": N_("Lĩnh vực"),
        "categories": N_("Loại cán bộ"),
    }
    groups: list[Totals] = getattr(summary, kind)
    base = summary.filters.unit.path.count("/")
    if kind == "units":
        first = Column(
            "label", translate(labels[kind]), width=40, value=lambda r: "  " * (r["depth"] - base) + r["label"]
        )
        columns = [first, Column("code", translate(N_("Mã đơn vị"))), *_totals_columns(translate, first)[1:]]
        # Rolled up: the first row (the report's unit) is the total, so no sum of the rows.
        return Table(title=title, filename=f"bao-cao-{kind}", rows=[g.as_dict() for g in groups], columns=columns)
    first = Column("label", translate(labels[kind]), width=40)
    return Table(
        title=title,
        filename=f"bao-cao-{kind}",
        rows=[g.as_dict() for g in groups],
        columns=_totals_columns(translate, first),
        totals_label=translate(N_("Tổng cộng")),
        totals=_share,
    )


def behind_table(rows: Iterable[dict[str, Any]], translate: Translate, title: str) -> Table:
    """The people behind and what they lack."""

    def lacking(row: dict[str, Any]) -> str:
        return "; ".join(m["title"] for m in row["missing"])

    return Table(
        title=title,
        filename="can-bo-chua-dat",
        rows=rows,
        columns=[
            Column("staff_code", translate(N_("Mã cán bộ"))),
            Column("name", translate(N_("Họ và tên")), width=28),
            Column("unit_name", translate(N_("Đơn vị")), width=28),
            Column("position_name", translate(N_("Vị trí việc làm")), width=36),
            Column("required", translate(N_("Số tiết yêu cầu")), INT, total=True),
            Column("credited", translate(N_("Số tiết đã ghi nhận")), INT, total=True),
            Column("shortfall", translate(N_("Số tiết còn thiếu")), INT, total=True),
            Column("missing", translate(N_("Hoạt động bắt buộc chưa hoàn thành")), width=60, value=lacking),
        ],
        totals_label=translate(N_("Tổng cộng")),
    )


def curriculum_rows(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (position, required activity) of ``services.curriculum_completion``."""
    return [
        {
            "position": p["name"],
            "title": item["title"],
            "periods": item["periods"],
            "people": p["people"],
            "done": item["done"],
            "share": item["done"] / p["people"] if p["people"] else 1.0,
        }
        for p in positions
        for item in p["items"]
    ]


def curriculum_table(positions: list[dict[str, Any]], translate: Translate, title: str) -> Table:
    return Table(
        title=title,
        filename="hoan-thanh-chuong-trinh",
        rows=curriculum_rows(positions),
        columns=[
            Column("position", translate(N_("Vị trí việc làm")), width=40),
            Column("title", translate(N_("Hoạt động bắt buộc")), width=48),
            Column("periods", translate(N_("Số tiết")), INT),
            Column("people", translate(N_("Số người")), INT),
            Column("done", translate(N_("Đã hoàn thành")), INT),
            Column("share", translate(N_("Tỷ lệ hoàn thành")), PERCENT),
        ],
    )


def category_label(code: str, translate: Translate) -> str:
    return translate(CATEGORY_LABELS[Category(code)]) if code in {c.value for c in Category} else code
