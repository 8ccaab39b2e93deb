"""The caller's catalog: ``GET /api/v1/catalog`` (a fixed contract in DESIGN.md)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import current_app

from app.extensions import db
from app.security import account_or_401, requires, token_auth
from lms_core.catalog import catalog_for
from lms_core.statements import account_key

api = APIBlueprint("catalog_api", __name__, url_prefix="/api/v1", tag="Catalog")


class CatalogItemOut(Schema):
    id = String(metadata={"description": "The activity IRI (the xAPI object id)"})
    type = String(metadata={"description": "course, quiz, checklist, class, package or external"})
    title = String()
    field = String(allow_none=True)
    periods = Integer()
    required = Boolean(metadata={"description": "Required by the caller's job position"})
    in_curriculum = Boolean(metadata={"description": "Required or elective for the caller's position"})
    status = String(metadata={"description": "not_started, in_progress or completed"})
    module = String(allow_none=True)


class CatalogOut(Schema):
    items = List(Nested(CatalogItemOut))


def catalog_items(person: Any) -> list[dict[str, Any]]:
    """The catalog of ``person`` (or of nobody: every item not started)."""
    site_url = current_app.config["SITE_URL"]
    items = catalog_for(
        db.session,
        position_id=person.position_id if person else None,
        actor_key=account_key(site_url, person.staff_code) if person else "",
    )
    return [
        {
            "id": item.activity.iri,
            "type": item.activity.type,
            "title": item.activity.title,
            "field": item.activity.field_code,
            "periods": item.activity.periods,
            "required": item.required,
            "in_curriculum": item.in_curriculum,
            "status": item.status,
            "module": item.activity.module,
        }
        for item in items
    ]


@api.get("/catalog")
@api.auth_required(token_auth)
@api.output(CatalogOut)
@api.doc(summary="The caller's activities: required for their position first, then electives, then the rest")
@requires()
def catalog() -> Any:
    return {"items": catalog_items(account_or_401().person)}
