"""The HR forms as the typed values the services expect (see app.forms)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from app.forms import optional_date, optional_int


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
