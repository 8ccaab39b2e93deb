"""Load the enabled modules in dependency order, check them, and publish events to them.

A module that cannot be imported, declares itself wrongly, needs a module that is not
enabled, or implements a hook with the wrong arguments raises ``ModuleLoadError``;
start-up stops with that message rather than running without the module.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy
from sqlalchemy.orm import Session

from lms_core.events import Event, drain
from lms_core.plugins import PROJECT, hookspecs
from lms_core.plugins.manifest import NAME_PATTERN, JobSpec, ModuleManifest

log = logging.getLogger(__name__)


class ModuleLoadError(RuntimeError):
    pass


@dataclass
class LoadedModule:
    manifest: ModuleManifest
    plugin: ModuleType


def resolve(ref: str) -> Any:
    """Import "package.module:attribute" (or a plain module path)."""
    module_path, _, attribute = ref.partition(":")
    module = importlib.import_module(module_path)
    return getattr(module, attribute) if attribute else module


class Registry:
    """The enabled modules, in load order, and the pluggy manager that calls their hooks."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.modules: list[LoadedModule] = []

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def load(self, names: Iterable[str], package: str = "modules") -> None:
        """Import ``<package>.<name>.plugin`` for each name and register it, dependencies first."""
        names = list(dict.fromkeys(names))
        found: dict[str, LoadedModule] = {}
        for name in names:
            if not NAME_PATTERN.match(name):
                raise ModuleLoadError(f"module name {name!r} is not a valid identifier")
            try:
                plugin = importlib.import_module(f"{package}.{name}.plugin")
            except Exception as exc:
                raise ModuleLoadError(f"module {name!r} failed to import: {exc!r}") from exc
            manifest = getattr(plugin, "MANIFEST", None)
            if not isinstance(manifest, ModuleManifest):
                raise ModuleLoadError(f"module {name!r} has no MANIFEST = ModuleManifest(...) in its plugin.py")
            if manifest.name != name:
                raise ModuleLoadError(f"module folder {name!r} declares the name {manifest.name!r}")
            found[name] = LoadedModule(manifest, plugin)
        for loaded in self._dependency_order(found):
            self._check_references(loaded.manifest)
            try:
                self.pm.register(loaded.plugin, name=loaded.manifest.name)
            except pluggy.PluginValidationError as exc:
                raise ModuleLoadError(f"module {loaded.manifest.name!r}: {exc}") from exc
            self.modules.append(loaded)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ModuleLoadError(f"a module implements an unknown hook: {exc}") from exc

    @staticmethod
    def _dependency_order(found: dict[str, LoadedModule]) -> list[LoadedModule]:
        order: list[LoadedModule] = []
        state: dict[str, str] = {}

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise ModuleLoadError(f"modules require each other in a cycle: {' -> '.join((*chain, name))}")
            state[name] = "visiting"
            for required in found[name].manifest.requires:
                if required not in found:
                    raise ModuleLoadError(f"module {name!r} requires module {required!r}, which is not enabled")
                visit(required, (*chain, name))
            state[name] = "done"
            order.append(found[name])

        for name in found:
            visit(name, ())
        return order

    @staticmethod
    def _check_references(manifest: ModuleManifest) -> None:
        refs = [*manifest.blueprints, *manifest.api_blueprints, *manifest.cli, *(job.func for job in manifest.jobs)]
        if manifest.models:
            refs.append(manifest.models)
        for ref in refs:
            try:
                resolve(ref)
            except Exception as exc:
                raise ModuleLoadError(f"module {manifest.name!r}: cannot load {ref!r}: {exc!r}") from exc

    def jobs(self) -> list[JobSpec]:
        return [job for loaded in self.modules for job in loaded.manifest.jobs]

    def publish(self, session: Session, event: Event) -> list[Event]:
        """Deliver one event; see ``publish_batch``."""
        return self.publish_batch(session, [event])

    def publish_batch(self, session: Session, events: Sequence[Event]) -> list[Event]:
        """Deliver ``events`` to each module in load order (``hocvu_events`` once, or
        ``hocvu_event`` per event), committing each module's work on its own so one
        failing subscriber neither blocks nor undoes the others. Returns the events the
        subscribers recorded, for the unit of work to publish next."""
        recorded: list[Event] = []
        single = {impl.plugin_name: impl for impl in self.pm.hook.hocvu_event.get_hookimpls()}
        batched = {impl.plugin_name: impl for impl in self.pm.hook.hocvu_events.get_hookimpls()}
        for name, _plugin in self.pm.list_name_plugin():  # registration order: load order
            if name in batched:
                if not self._deliver(session, batched[name], {"events": list(events)}, recorded) and len(events) > 1:
                    for event in events:  # one bad event then costs only itself
                        self._deliver(session, batched[name], {"events": [event]}, recorded)
            elif name in single:
                for event in events:
                    self._deliver(session, single[name], {"event": event}, recorded)
        return recorded

    @staticmethod
    def _deliver(session: Session, impl: Any, arguments: dict[str, Any], recorded: list[Event]) -> bool:
        arguments = {"session": session, **arguments}
        try:
            impl.function(**{name: arguments[name] for name in impl.argnames})
            session.commit()
            recorded.extend(drain(session))
            return True
        except Exception:
            session.rollback()
            log.exception(
                "module %s failed to handle %r", impl.plugin_name, arguments.get("event", arguments.get("events"))
            )
            return False
