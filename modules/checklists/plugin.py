"""The checklists module's declaration and hooks: content import, the credit refusal for
checklist statements, and the demo mentor assignment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lms_core.content import ContentError
from lms_core.errors import N_
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from lms_core.statements import VERBS
from modules.checklists import content, reminders, services

MANIFEST = ModuleManifest(
    name="checklists",
    title=N_("Danh mục thực hành"),
    models="modules.checklists.models",
    blueprints=("modules.checklists.controllers:bp",),
    api_blueprints=("modules.checklists.api:api",),
    verbs=(VERBS["attempted"][0], VERBS["completed"][0], VERBS["voided"][0]),
    nav=(
        NavItem("checklists.mine", N_("Thực hành"), roles=("learner",)),
        NavItem("checklists.mentor_home", N_("Kèm cặp"), roles=("mentor",)),
        NavItem("checklists.hr_home", N_("Người hướng dẫn"), roles=("hr",)),
    ),
)


@hookimpl
def hocvu_content_validate(session: Session, root: Path, site_url: str) -> list[ContentError]:
    return content.validate(session, root)


@hookimpl
def hocvu_content_apply(session: Session, root: Path, site_url: str) -> list[str]:
    return content.apply(session, root, site_url)


@hookimpl
def hocvu_credit_refusal(session: Session, statement: Any, activity: Any) -> str | None:
    return services.credit_refusal(session, statement, activity)


@hookimpl
def hocvu_reminders(session: Session, kind: str, now: Any) -> list[Any]:
    return reminders.reminders(session, kind, now)


@hookimpl
def hocvu_demo_seed(session: Session, demo: Any) -> None:
    services.seed_demo(session, demo)
