"""Exported cells never start a formula in a spreadsheet."""

from datetime import date

import pytest

from lms_core.text import spreadsheet_safe


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_compute_stays_text(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Nguyễn Thị Mai", "", 5, -3, 1.5, None, date(2026, 3, 10)])
def test_everything_else_passes_unchanged(value: object) -> None:
    assert spreadsheet_safe(value) == value
