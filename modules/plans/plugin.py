"""The plans module's declaration and hooks: the demo plan.

The plan-vs-actual report reads people's credited periods through the
``hocvu_people_hours`` hook (the credits module answers it); this module never imports
another module.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lms_core.errors import N_
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from modules.plans import demo as demo_data

MANIFEST = ModuleManifest(
    name="plans",
    title=N_("Kế hoạch đào tạo, bồi dưỡng"),
    models="modules.plans.models",
    blueprints=("modules.plans.controllers:bp",),
    api_blueprints=("modules.plans.api:api",),
    nav=(
        NavItem("plans.index", N_("Kế hoạch đào tạo"), roles=("hr",)),
        NavItem("plans.degrees", N_("Đào tạo sau đại học"), roles=("hr",)),
    ),
)


@hookimpl
def hocvu_demo_seed(session: Session, demo: Any) -> None:
    demo_data.seed(session, demo)
