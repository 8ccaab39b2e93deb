from lms_core.plugins import hookimpl
from lms_core.plugins.manifest import JobSpec, ModuleManifest

MANIFEST = ModuleManifest(
    name="beta", title="Beta", jobs=(JobSpec("beta.nightly", "tests.core.fake_modules.beta.plugin:nightly", {}),)
)
SEEN: list = []


def nightly(session):
    SEEN.append("nightly")


@hookimpl
def hocvu_event(session, event):
    SEEN.append(("beta", event))
