"""The reports module's declaration: HR's compliance reports, their exports and the
hours report API. No tables of its own: every figure comes from the
``hocvu_people_hours`` hook, which the credits module answers."""

from __future__ import annotations

from lms_core.errors import N_
from lms_core.plugins.manifest import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="reports",
    title=N_("Báo cáo"),
    requires=("credits",),
    blueprints=("modules.reports.controllers:bp",),
    api_blueprints=("modules.reports.api:api",),
    nav=(NavItem("reports.index", N_("Báo cáo"), roles=("hr",)),),
)
