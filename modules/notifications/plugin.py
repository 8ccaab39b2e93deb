"""The notifications module's declaration: reminders from every module (through the
``hocvu_reminders`` hook) delivered once each, in-app and by e-mail when SMTP is
configured, on the scheduler contract."""

from __future__ import annotations

from lms_core.errors import N_
from lms_core.plugins.manifest import JobSpec, ModuleManifest, NavItem

# Daily and weekly jobs still run when the scheduler was down at the minute (within an
# hour); the message log makes a late or repeated run harmless.
_LATE_OK = {"misfire_grace_time": 3600, "coalesce": True}

MANIFEST = ModuleManifest(
    name="notifications",
    title=N_("Thông báo"),
    models="modules.notifications.models",
    blueprints=("modules.notifications.controllers:bp",),
    api_blueprints=("modules.notifications.api:api",),
    jobs=(
        JobSpec(
            "notifications.weekly_digest",
            "modules.notifications.jobs:weekly_digest",
            {"trigger": "cron", "day_of_week": "mon", "hour": 7, "minute": 0, **_LATE_OK},
        ),
        JobSpec(
            "notifications.mentor_queue",
            "modules.notifications.jobs:mentor_queue",
            {"trigger": "cron", "hour": 7, "minute": 0, **_LATE_OK},
        ),
        JobSpec(
            "notifications.pending_claims",
            "modules.notifications.jobs:pending_claims",
            {"trigger": "cron", "hour": 7, "minute": 30, **_LATE_OK},
        ),
        JobSpec(
            "notifications.deadlines",
            "modules.notifications.jobs:deadlines",
            {"trigger": "cron", "hour": 6, "minute": 0, **_LATE_OK},
        ),
        # A cron minute rather than an interval: every scheduler process fires it at the
        # same second, so they share one slot and the claim lets one of them run it.
        JobSpec("notifications.outbox", "modules.notifications.jobs:outbox", {"trigger": "cron", "minute": "*"}),
    ),
    nav=(NavItem("notifications.inbox", N_("Thông báo")),),
)
