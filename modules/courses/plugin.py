"""The courses module's declaration and hooks: content import and the quiz-passed event."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from lms_core.content import ContentError
from lms_core.errors import N_
from lms_core.events import Event
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from lms_core.statements import VERBS
from modules.courses import importer, services

MANIFEST = ModuleManifest(
    name="courses",
    title=N_("Khóa học trực tuyến"),
    requires=("quizzes",),
    models="modules.courses.models",
    blueprints=("modules.courses.controllers:bp",),
    api_blueprints=("modules.courses.api:api",),
    verbs=(VERBS["launched"][0], VERBS["experienced"][0], VERBS["completed"][0]),
    nav=(NavItem("courses.catalog", N_("Khóa học")),),
)


@hookimpl
def hocvu_content_validate(session: Session, root: Path, site_url: str) -> list[ContentError]:
    return importer.validate(session, Path(root))


@hookimpl
def hocvu_content_apply(session: Session, root: Path, site_url: str) -> list[str]:
    return importer.apply(session, Path(root), site_url)


@hookimpl
def hocvu_events(session: Session, events: Sequence[Event]) -> None:
    services.on_events(session, events)
