"""The hr module's declaration."""

from lms_core.errors import N_
from lms_core.plugins.manifest import ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="hr",
    title=N_("Tổ chức và nhân sự"),
    models="modules.hr.models",
    blueprints=("modules.hr.controllers:bp",),
    api_blueprints=("modules.hr.api:api",),
    cli=("modules.hr.cli:people",),
    nav=(
        NavItem("hr.units_page", N_("Đơn vị"), roles=("hr",)),
        NavItem("hr.people", N_("Cán bộ"), roles=("hr",)),
        NavItem("hr.positions", N_("Vị trí việc làm"), roles=("hr",)),
    ),
)
