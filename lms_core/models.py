"""Import every core model so ``Base.metadata`` is complete (migrations, tests)."""

from lms_core.accounts import Account, ApiToken, RoleGrant
from lms_core.audit import AuditEntry
from lms_core.catalog import Activity, ActivityVersion, CurriculumItem
from lms_core.db import Base
from lms_core.people import Field, Person, Position
from lms_core.scheduler import JobRun
from lms_core.statements import Statement
from lms_core.units import Unit

__all__ = [
    "Account",
    "Activity",
    "ActivityVersion",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CurriculumItem",
    "Field",
    "JobRun",
    "Person",
    "Position",
    "RoleGrant",
    "Statement",
    "Unit",
]
