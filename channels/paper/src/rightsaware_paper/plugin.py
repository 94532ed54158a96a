"""Hook implementations of the paper channel (entry point ``paper`` in group ``rightsaware``).

The channel itself, the ``rightsaware_paper`` catalogs, the ``rightsaware paper`` commands
(print, scan, review, pages) and the pages under ``/paper`` (print a form, upload scans,
the review queue), and the erasure of a respondent's scans and sheets (``respondent_erased``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rightsaware.plugins import hookimpl

from .channel import PaperChannel
from .texts import DOMAIN, LOCALES_DIR


@hookimpl
def register_channels(register: Any, runtime: Any) -> None:  # noqa: ARG001
    register(PaperChannel())


@hookimpl
def register_message_catalogs(register: Any, runtime: Any) -> None:  # noqa: ARG001
    register(DOMAIN, LOCALES_DIR, Path(__file__).parent)


@hookimpl
def register_commands(cli: Any, runtime: Any) -> None:  # noqa: ARG001
    from .commands import paper

    if "paper" not in getattr(cli, "commands", {}):
        cli.add_command(paper)


@hookimpl
def register_routes(register: Any, runtime: Any) -> None:
    from .web import make_routes

    routes = make_routes(runtime)
    register(routes[0], title="Paper forms", domain="rightsaware_paper")  # msgid from the templates
    for route in routes[1:]:
        register(route)


@hookimpl
def respondent_erased(respondent_id: Any, response_ids: Any, runtime: Any) -> None:  # noqa: ARG001
    """Delete the scans, crops and paper rows of the person's sheets (see :mod:`.privacy`)."""
    from .privacy import erase_responses
    from .service import PaperService

    erase_responses(PaperService(runtime), list(response_ids))
