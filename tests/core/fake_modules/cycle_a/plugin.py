from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="cycle_a", title="A", requires=("cycle_b",))
