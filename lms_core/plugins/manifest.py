"""What a module declares about itself, once, in ``modules/<name>/plugin.py``:

    MANIFEST = ModuleManifest(
        name="courses",
        title="Khóa học trực tuyến",
        requires=("quizzes",),
        models="modules.courses.models",
        blueprints=("modules.courses.blueprint:bp",),
        api_blueprints=("modules.courses.blueprint:api",),
        cli=("modules.courses.cli:content",),
        jobs=(JobSpec("courses.cleanup", "modules.courses.jobs:cleanup", {"trigger": "cron", "hour": 2}),),
        verbs=("http://adlnet.gov/expapi/verbs/completed",),
        nav=(NavItem("courses.catalog", "Khóa học", roles=("learner",)),),
    )

Everything is named by string ("package.module:attribute") so declaring costs nothing
and the registry imports and checks each piece at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: ``func`` ("pkg.mod:callable") takes a ``Session``; ``trigger`` holds
    APScheduler 3 trigger arguments, e.g. ``{"trigger": "cron", "day_of_week": "mon", "hour": 7}``."""

    name: str
    func: str
    trigger: dict[str, Any]


@dataclass(frozen=True)
class NavItem:
    """A link in the main menu: a Flask endpoint, its label (Vietnamese msgid) and the
    roles that see it (empty: every signed-in user)."""

    endpoint: str
    label: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleManifest:
    name: str
    title: str
    requires: tuple[str, ...] = ()
    models: str | None = None
    blueprints: tuple[str, ...] = ()
    api_blueprints: tuple[str, ...] = ()
    cli: tuple[str, ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    verbs: tuple[str, ...] = ()
    nav: tuple[NavItem, ...] = ()
    # Blueprints whose clients authenticate per request (LRS Basic auth) and skip CSRF.
    csrf_exempt: tuple[str, ...] = field(default=())
