from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="alpha", title="Alpha", requires=("beta",))
SEEN: list = []


@hookimpl
def hocvu_event(event):  # fewer arguments than the spec is allowed
    SEEN.append(("alpha", event))
