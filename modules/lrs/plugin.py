"""The LRS module's declaration: the xAPI interface under ``/xapi/`` (HTTP Basic with LRS
clients, so no CSRF), its admin page, the ``lrs`` commands and the forwarding job."""

from __future__ import annotations

from lms_core.errors import N_
from lms_core.plugins.manifest import JobSpec, ModuleManifest, NavItem

MANIFEST = ModuleManifest(
    name="lrs",
    title=N_("Kho dữ liệu học tập (LRS)"),
    models="modules.lrs.models",
    blueprints=("modules.lrs.xapi:bp", "modules.lrs.admin:bp"),
    csrf_exempt=("modules.lrs.xapi:bp",),
    cli=("modules.lrs.cli:lrs",),
    # A cron minute, not an interval: every scheduler process fires at the same second
    # and the scheduler's claim lets one of them run it.
    jobs=(JobSpec("lrs.forward", "modules.lrs.forwarding:forward", {"trigger": "cron", "minute": "*"}),),
    nav=(NavItem("lrs_admin.index", N_("LRS"), roles=("admin",)),),
)
