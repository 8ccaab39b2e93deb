"""The credits module's declaration and hooks.

The engine is headless and takes the site URL and the refusal hook as arguments; this
file adapts them from the running app (``current_app``: its config and its registry) or,
outside any app (a script, the benchmarks), from ``bind(registry, site_url=…)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from lms_core.errors import N_
from lms_core.events import Event
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from modules.credits import bulk, claims, engine, reminders, requirements
from modules.credits.hours import hours_for
from modules.credits.requirements import seed_demo_rules

MANIFEST = ModuleManifest(
    name="credits",
    title=N_("Ghi nhận số tiết bồi dưỡng"),
    models="modules.credits.models",
    blueprints=("modules.credits.controllers:bp",),
    api_blueprints=("modules.credits.api:api",),
    cli=("modules.credits.cli:credits",),
    nav=(
        NavItem("credits.my_hours", N_("Giờ học của tôi")),
        NavItem("credits.my_claims", N_("Bồi dưỡng bên ngoài"), roles=("learner",)),
        NavItem("credits.rules", N_("Quy định số tiết"), roles=("hr",)),
        NavItem("credits.claims_review", N_("Duyệt khai báo"), roles=("hr",)),
        NavItem("credits.closings", N_("Chốt số liệu"), roles=("hr",)),
    ),
)


@dataclass(frozen=True)
class Settings:
    site_url: str
    refusal: engine.Refusal | None


_bound: dict[str, Any] = {}


def bind(registry: Any, *, site_url: str) -> None:
    """Use ``registry``'s ``hocvu_credit_refusal`` and ``site_url`` when events are
    published outside a Flask app (scripts, benchmarks, headless tests)."""
    _bound["registry"] = registry
    _bound["site_url"] = site_url


def settings() -> Settings:
    """The site URL and the refusal adapter: the running app's, else the bound ones."""
    if has_app_context() and "hocvu_registry" in current_app.extensions:
        registry = current_app.extensions["hocvu_registry"]
        return Settings(current_app.config["SITE_URL"], engine.refusal_from_hook(registry.hook))
    if "registry" not in _bound:
        raise RuntimeError(
            "credits: no app context and no bound registry; call modules.credits.plugin.bind(registry, site_url=…)"
        )
    return Settings(_bound["site_url"], engine.refusal_from_hook(_bound["registry"].hook))


@hookimpl
def hocvu_events(session: Session, events: Sequence[Event]) -> None:
    if not any(isinstance(event, engine.HANDLED_EVENTS) for event in events):
        return
    current = settings()
    engine.handle_events(session, events, site_url=current.site_url, refusal=current.refusal)


def default_periods() -> int:
    """The requirement when no rule applies: the app's ``DEFAULT_REQUIRED_PERIODS``, else 40."""
    if has_app_context():
        return int(current_app.config.get("DEFAULT_REQUIRED_PERIODS", requirements.DEFAULT_PERIODS))
    return requirements.DEFAULT_PERIODS


@hookimpl
def hocvu_person_hours(session: Session, person: Any, year: int, translate: Any) -> dict[str, Any]:
    return hours_for(
        session, person, year, default_periods=default_periods(), translate=translate or requirements.identity
    )


@hookimpl
def hocvu_people_hours(session: Session, unit: Any, year: int) -> Any:
    return bulk.people_hours(session, unit, year, default_periods=default_periods())


@hookimpl
def hocvu_unit_hours(session: Session, unit: Any, year: int, field: str | None, category: str | None) -> Any:
    return bulk.unit_cells(session, unit, year, default_periods=default_periods(), field=field, category=category)


@hookimpl
def hocvu_reminders(session: Session, kind: str, now: Any) -> list[Any]:
    return reminders.reminders(session, kind, now, default_periods=default_periods())


@hookimpl
def hocvu_credit_refusal(session: Session, statement: Any, activity: Any) -> str | None:
    return claims.credit_refusal(statement, activity)


@hookimpl
def hocvu_demo_seed(session: Session, demo: Any) -> None:
    seed_demo_rules(session, demo)
    if has_app_context():  # the claims' evidence files live in the app's instance folder
        from modules.credits.api import claims_folder

        claims.seed_demo_claims(session, demo, folder=claims_folder(), site_url=current_app.config["SITE_URL"])
