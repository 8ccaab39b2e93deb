"""The quizzes module's declaration and its hook implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lms_core.catalog import ActivityType
from lms_core.content import ContentError
from lms_core.errors import N_
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from lms_core.statements import VERBS
from modules.quizzes import content, services

MANIFEST = ModuleManifest(
    name="quizzes",
    title=N_("Bài kiểm tra"),
    models="modules.quizzes.models",
    blueprints=("modules.quizzes.controllers:bp",),
    api_blueprints=("modules.quizzes.api:api",),
    verbs=(VERBS["attempted"][0], VERBS["passed"][0], VERBS["failed"][0]),
    nav=(NavItem("quizzes.index", N_("Bài kiểm tra")),),
)


@hookimpl
def hocvu_content_validate(session: Session, root: Path, site_url: str) -> list[ContentError]:
    """Check every ``courses/<slug>/questions.yaml`` and ``quiz:`` block under ``root``."""
    return content.validate(session, Path(root))


@hookimpl
def hocvu_content_apply(session: Session, root: Path, site_url: str) -> list[str]:
    """Import the quizzes: the catalog activity and, when changed, a new quiz version."""
    return content.apply(session, Path(root), site_url)


@hookimpl
def hocvu_credit_refusal(session: Session, statement: Any, activity: Any) -> str | None:
    """A quiz counts only with the server's own record of the pass: a statement written by
    this module for an attempt that was submitted and passed."""
    if getattr(activity, "type", None) != ActivityType.QUIZ.value:
        return None
    context = statement.statement.get("context")
    registration = context.get("registration") if isinstance(context, dict) else None
    if (
        statement.source != f"hocvu:{content.MODULE}"
        or services.passed_attempt_for_registration(session, registration) is None
    ):
        return N_("Kết quả bài kiểm tra chỉ được tính khi HocVu ghi nhận bài làm đạt trên máy chủ.")
    return None
