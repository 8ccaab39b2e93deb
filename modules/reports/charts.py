"""The figures of the report charts, laid out for server-side SVG (no JavaScript, no chart
library): the distribution of people by share of their requirement credited, the share
on track per unit below the report's unit, and the periods counted per field. Each chart
is a title, a description (its text alternative) and bars with their values; the
template draws them (``templates/reports/_charts.html``) and repeats them as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lms_core.errors import N_
from modules.reports.services import Summary

MAX_BARS = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str  # the value as written next to the bar and in the table
    fraction: float  # of the longest bar (0..1)
    ok: bool = False  # drawn in the "on track" colour


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    value_header: str
    bars: list[Bar]
    vertical: bool = False
    more: int = 0  # bars left out (only the first MAX_BARS are drawn)

    @property
    def height(self) -> int:
        return 240 if self.vertical else 20 + 44 * len(self.bars)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%".replace(".", ",")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # Vietnamese thousands separator


def for_summary(summary: Summary, translate: Callable[[str], str]) -> list[Chart]:
    """The three charts of a summary; a chart without data is left out."""
    result: list[Chart] = []
    people = [b["people"] for b in summary.distribution]
    top = max(people) if people else 0
    if top:
        bars = []
        for b in summary.distribution:
            if b["high"] is None:
                label = f"≥ {b['low']}%"
            elif b["low"] == b["high"]:
                label = f"{b['low']}%"
            else:
                label = f"{b['low']}–{b['high']}%"
            bars.append(Bar(label, b["people"], _number(b["people"]), b["people"] / top, ok=b["high"] is None))
        result.append(
            Chart(
                "chart-distribution",
                translate(N_("Phân bố cán bộ theo tỷ lệ số tiết đã ghi nhận so với yêu cầu")),
                translate(N_("Số người theo phần trăm số tiết yêu cầu đã được ghi nhận; cột cuối là số người đã đạt.")),
                translate(N_("Số người")),
                bars,
                vertical=True,
            )
        )
    units = [u for u in summary.child_units if u.people]
    if units:
        shown = sorted(units, key=lambda u: (u.share_on_track, u.label))[:MAX_BARS]
        result.append(
            Chart(
                "chart-units",
                translate(N_("Tỷ lệ cán bộ đạt yêu cầu theo đơn vị")),
                translate(N_("Phần trăm số người đã đủ số tiết yêu cầu ở mỗi đơn vị trực thuộc, thấp nhất trước.")),
                translate(N_("Tỷ lệ đạt")),
                [Bar(u.label, u.share_on_track, _percent(u.share_on_track), u.share_on_track, ok=True) for u in shown],
                more=len(units) - len(shown),
            )
        )
    fields = summary.periods_by_field
    if fields and fields[0]["periods"]:
        top_periods = fields[0]["periods"]
        shown_fields = fields[:MAX_BARS]
        result.append(
            Chart(
                "chart-fields",
                translate(N_("Số tiết đã ghi nhận theo lĩnh vực")),
                translate(N_("Tổng số tiết được tính theo lĩnh vực của hoạt động bồi dưỡng, nhiều nhất trước.")),
                translate(N_("Số tiết")),
                [Bar(f["name"], f["periods"], _number(f["periods"]), f["periods"] / top_periods) for f in shown_fields],
                more=len(fields) - len(shown_fields),
            )
        )
    return result


def as_dict(chart: Chart) -> dict[str, Any]:
    return {"id": chart.id, "title": chart.title, "bars": [b.__dict__ for b in chart.bars]}
