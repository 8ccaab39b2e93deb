from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="failing", title="Failing")


@hookimpl
def hocvu_event(session, event):
    raise RuntimeError("subscriber bug")
