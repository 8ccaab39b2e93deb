from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="broken_ref", title="Broken", blueprints=("tests.core.fake_modules.broken_ref.nope:bp",))
