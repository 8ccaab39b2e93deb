from lms_core.plugins.manifest import ModuleManifest

MANIFEST = ModuleManifest(name="something_else", title="Misnamed")
