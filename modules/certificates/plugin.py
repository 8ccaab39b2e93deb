"""The certificates module's declaration and hooks: revoking the certificates of a
voided statement.

Certificates are issued from a person's credited hours, which the credits module
answers through the ``hocvu_person_hours`` hook; this module never imports it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lms_core.errors import N_
from lms_core.events import Event, StatementVoided
from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest, NavItem
from modules.certificates import services

MANIFEST = ModuleManifest(
    name="certificates",
    title=N_("Giấy chứng nhận"),
    requires=("credits",),
    models="modules.certificates.models",
    blueprints=("modules.certificates.controllers:bp",),
    api_blueprints=("modules.certificates.api:api",),
    nav=(NavItem("certificates.mine", N_("Giấy chứng nhận"), roles=("learner",)),),
)


@hookimpl
def hocvu_event(session: Session, event: Event) -> None:
    """A voided statement revokes the certificates it earned (the registry commits)."""
    if isinstance(event, StatementVoided):
        services.revoke_for_voided(session, event.statement_id, event.voiding_statement_id)
