from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="batched", title="Batched")
CALLS: list = []
BAD_UNIT = 13


@hookimpl
def hocvu_events(events):
    """Takes a batch at once; refuses any batch holding the bad unit's event."""
    CALLS.append([e.unit_id for e in events])
    if any(e.unit_id == BAD_UNIT for e in events):
        raise RuntimeError("subscriber bug")
