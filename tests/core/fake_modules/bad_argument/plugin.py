from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="bad_argument", title="Bad")


@hookimpl
def hocvu_event(session, evnt):  # misspelt argument
    pass
