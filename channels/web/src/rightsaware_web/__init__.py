"""The web channel of rightsaware (distribution ``rightsaware-web``).

Accessible, server-rendered survey pages in English, Welsh and Gaelic, a JSON API and an
embed mode. :func:`make_app` gives the ASGI app to mount in another application;
:func:`make_personal_link` makes the signed link an SMS or e-mail invitation carries.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["WebConfig", "make_app", "make_personal_link", "web_routes"]


def __getattr__(name: str):  # noqa: ANN202 - lazy imports keep `import rightsaware_web` light
    if name in ("make_app", "web_routes"):
        from . import app

        return getattr(app, name)
    if name == "make_personal_link":
        from .links import make_personal_link

        return make_personal_link
    if name == "WebConfig":
        from .config import WebConfig

        return WebConfig
    raise AttributeError(name)
