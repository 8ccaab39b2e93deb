from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="unknown_hook", title="Unknown")


@hookimpl
def hocvu_evnt(session, event):
    pass
