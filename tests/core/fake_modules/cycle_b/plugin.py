from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="cycle_b", title="B", requires=("cycle_a",))
