"""The plugin manager: pluggy markers, entry-point loading and the core's default plugins.

There is no global plugin manager: :func:`make_plugin_manager` returns a fresh one and a
:class:`~rightsaware.runtime.Runtime` owns it. Installed channels are found through the
entry-point group ``rightsaware``, exactly as a third party's plugin would be.
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs

PROJECT = "rightsaware"
ENTRY_POINT_GROUP = "rightsaware"
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Core modules registered as plugins on every plugin manager.
DEFAULT_PLUGINS = ("rightsaware.default_hooks", "rightsaware.referral", "rightsaware.auth_web")


def make_plugin_manager(*, entrypoints: bool = True, blocked: tuple[str, ...] = (), defaults: bool = True) -> pluggy.PluginManager:
    """A new plugin manager with the hookspecs, installed plugins and default plugins.

    :param entrypoints: load plugins from the ``rightsaware`` entry-point group.
    :param blocked: plugin names to block (also read from ``RIGHTSAWARE_DISABLE_PLUGINS``,
        comma-separated).
    :param defaults: register the core's default plugins.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    env_blocked = [name.strip() for name in os.environ.get("RIGHTSAWARE_DISABLE_PLUGINS", "").split(",")]
    for name in (*blocked, *env_blocked):
        if name:
            pm.set_blocked(name)
    if entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    if defaults:
        for module_name in DEFAULT_PLUGINS:
            if not pm.is_blocked(module_name) and pm.get_plugin(module_name) is None:
                pm.register(importlib.import_module(module_name), name=module_name)
    pm.check_pending()
    if os.environ.get("RIGHTSAWARE_TRACE_PLUGINS"):
        pm.trace.root.setwriter(print)
        pm.enable_tracing()
    return pm


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Each registered plugin with its distribution, version and the hooks it implements."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: str(item[0])):
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        if dist is not None:
            dist_name, version = dist.metadata["Name"], dist.version
        else:
            dist_name, version = PROJECT, _core_version()
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        rows.append({"name": str(name), "distribution": dist_name, "version": version, "hooks": hooks})
    return rows


def _core_version() -> str:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"
