"""Hook implementations of the web channel (entry point ``web`` in group ``rightsaware``)."""

from __future__ import annotations

from typing import Any

from rightsaware.i18n import N_
from rightsaware.plugins import hookimpl

from .i18n import DOMAIN, LOCALES_DIR


@hookimpl
def register_channels(register: Any, runtime: Any) -> None:
    """The ``web`` channel object."""
    from .channel import WebChannel

    register(WebChannel())


@hookimpl
def register_message_catalogs(register: Any, runtime: Any) -> None:
    """The ``rightsaware_web`` gettext domain (pages, buttons, errors) in en, cy and gd."""
    register(DOMAIN, LOCALES_DIR)


@hookimpl
def register_routes(register: Any, runtime: Any) -> None:
    """Respondent pages (``/s/…``, ``/r/…``), the JSON API (``/api/…``) and the stylesheet."""
    from .app import web_routes

    for route in web_routes(runtime):
        title = N_("Surveys on the web") if getattr(route, "path", "") == "/s" else None
        register(route, title=title, domain="rightsaware_web")
