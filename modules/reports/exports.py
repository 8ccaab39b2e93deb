"""Reports as files: every report is a ``Table`` (Vietnamese column headers, rows produced
lazily, a totals row), written as CSV (UTF-8 with a BOM, so Excel reads the Vietnamese
letters) or as an .xlsx workbook (bold frozen header row, number formats, column widths,
bold totals).

Both stream in flat memory: CSV a few rows at a time; .xlsx through openpyxl's write-only
mode into a temporary file, which is then read back in blocks and deleted. Headless apart
from nothing: bytes out, the caller wraps them in a response.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lms_core.text import spreadsheet_safe

BOM = "\ufeff"
BLOCK = 64 * 1024
ROWS_PER_FLUSH = 500
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
# Column kinds: how a value is formatted and whether it is summed in the totals row.
TEXT, INT, PERCENT, DATE = "text", "int", "percent", "date"
FORMATS = {INT: "#,##0", PERCENT: "0.0%", DATE: "DD/MM/YYYY"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # already translated
    kind: str = TEXT
    width: int = 14
    total: bool = False  # summed in the totals row
    value: Callable[[dict[str, Any]], Any] | None = None  # computes the cell from the row


@dataclass
class Table:
    """One report as a table. ``totals`` (optional) computes the totals row's values from
    the summed columns once every row was written (e.g. a share of the summed figures)."""

    title: str
    columns: list[Column]
    rows: Iterable[dict[str, Any]]
    totals_label: str = ""
    totals: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    filename: str = "bao-cao"
    notes: list[str] = field(default_factory=list)

    def cells(self, row: dict[str, Any]) -> list[Any]:
        return [column.value(row) if column.value else row.get(column.key) for column in self.columns]


def _total_row(table: Table, sums: dict[str, Any]) -> list[Any] | None:
    if not table.totals_label:
        return None
    values = dict(sums)
    if table.totals is not None:
        values |= table.totals(sums)
    row: list[Any] = []
    for index, column in enumerate(table.columns):
        if index == 0:
            row.append(table.totals_label)
        else:
            row.append(values.get(column.key, ""))
    return row


def _add(sums: dict[str, Any], table: Table, cells: list[Any]) -> None:
    for column, value in zip(table.columns, cells, strict=True):
        if column.total and isinstance(value, int | float):
            sums[column.key] = sums.get(column.key, 0) + value


def csv_stream(table: Table) -> Iterator[bytes]:
    """The table as CSV bytes, a block of rows at a time: a BOM, the header, the rows, the
    totals. Percentages are written as fractions (0.25), dates as ISO days."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([c.header for c in table.columns])
    sums: dict[str, Any] = {}
    count = 0
    for row in table.rows:
        cells = table.cells(row)
        _add(sums, table, cells)
        writer.writerow(["" if v is None else spreadsheet_safe(v) for v in cells])
        count += 1
        if count % ROWS_PER_FLUSH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    total = _total_row(table, sums)
    if total is not None:
        writer.writerow(total)
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(table: Table, path: str) -> int:
    """Write the table to an .xlsx file at ``path`` (openpyxl write-only: rows go to disk
    as they come). Returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31] or "Báo cáo")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    sums: dict[str, Any] = {}
    count = 0
    formats = [FORMATS.get(column.kind) for column in table.columns]
    for row in table.rows:
        cells = table.cells(row)
        _add(sums, table, cells)
        out: list[Any] = []
        for value, number_format in zip(cells, formats, strict=True):
            if number_format is None or value is None or value == "":
                out.append(spreadsheet_safe(value))
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                out.append(cell)
        sheet.append(out)
        count += 1
    total = _total_row(table, sums)
    if total is not None:
        cells = []
        for value, number_format in zip(total, formats, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            if number_format and value != "":
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)
    return count


def xlsx_stream(table: Table) -> Iterator[bytes]:
    """The table as an .xlsx file, written to a temporary file first (the zip format needs
    seeking), then read back in blocks; the file is removed when the stream ends or is
    abandoned."""
    handle, path = tempfile.mkstemp(prefix="hocvu-report-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(table, path)
        with open(path, "rb") as stream:
            while block := stream.read(BLOCK):
                yield block
    finally:
        os.unlink(path)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
