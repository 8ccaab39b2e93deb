"""The module contract: hook specifications, the manifest, and the registry."""

import pluggy

PROJECT = "hocvu"
hookimpl = pluggy.HookimplMarker(PROJECT)
hookspec = pluggy.HookspecMarker(PROJECT)
