"""Parsing submitted form fields for the services. A value that does not parse is passed
on as it came, so the service reports it together with the other fields' errors."""

from __future__ import annotations

from datetime import date


def optional_int(value: str | None) -> int | str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def optional_date(value: str | None) -> date | str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value
