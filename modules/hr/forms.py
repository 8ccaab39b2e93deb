"""Turn submitted form fields into the typed values the services expect. A value that
does not parse is passed on as it came, so the service reports it with the others."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict


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


def person_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "staff_code": form.get("staff_code", ""),
        "full_name": form.get("full_name", ""),
        "email": form.get("email", ""),
        "category": form.get("category", ""),
        "unit_id": optional_int(form.get("unit_id")),
        "position_id": optional_int(form.get("position_id")),
        "is_leader": form.get("is_leader") == "1",
        "start_date": optional_date(form.get("start_date")),
        "active": form.get("active", "1") == "1",
    }


def unit_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "code": form.get("code", ""),
        "name": form.get("name", ""),
        "kind": form.get("kind", ""),
        "parent_id": optional_int(form.get("parent_id")),
    }
