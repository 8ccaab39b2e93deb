from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="needs_missing", title="X", requires=("nowhere",))
