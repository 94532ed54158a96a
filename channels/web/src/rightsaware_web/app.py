"""The web channel's routes, and :func:`make_app` for mounting them in another ASGI app.

``rightsaware serve`` gets the same routes through the ``register_routes`` hook; an
embedding application mounts :func:`make_app`'s Starlette app anywhere::

    app.mount("/survey", make_app(runtime))

Every route sits behind :class:`~rightsaware_web.guard.GuardMiddleware` (security
headers, body size limit, per-address submission rate limit). URLs inside the pages are
built from the ASGI ``root_path``, so the pages work wherever they are mounted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from .api import Api
from .config import WebConfig
from .guard import Guard, GuardMiddleware, RateLimiter
from .links import Links
from .pages import Pages
from .problems import make_rejecter, problem_page
from .site import STATIC_DIR, Site, is_embed

STATIC_FILES = {"web.css": "text/css; charset=utf-8"}


def web_routes(runtime: Any, config: WebConfig | None = None) -> list[BaseRoute]:
    """Every route of the web channel (pages, links, JSON API, stylesheet)."""
    config = config or WebConfig.from_environ()
    site = Site(runtime, config)
    pages = Pages(site)
    links = Links(site, pages)
    api = Api(site)
    guard = Guard(max_body=config.max_form_bytes, max_api_body=config.max_api_bytes,
                  limiter=RateLimiter(config.rate_per_minute, config.rate_burst), reject=make_rejecter(site))
    middleware = [Middleware(GuardMiddleware, guard=guard)]

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return problem_page(site, request, "not_found", embed=is_embed(request))
        response = FileResponse(Path(STATIC_DIR) / name, media_type=STATIC_FILES[name])
        response.headers["cache-control"] = "public, max-age=86400"
        return response

    def route(path: str, endpoint: Any, methods: list[str], name: str) -> Route:
        return Route(path, endpoint, methods=methods, name=name, middleware=middleware)

    return [
        route("/s", pages.index, ["GET"], "web_surveys"),
        route("/s/{instrument_id}", pages.landing, ["GET"], "web_landing"),
        Route("/s/{instrument_id}", pages.start, methods=["POST"], name="web_start", middleware=middleware),
        route("/s/{instrument_id}/q/{name}", pages.question, ["GET", "POST"], "web_question"),
        route("/s/{instrument_id}/check", pages.check, ["GET", "POST"], "web_check"),
        route("/s/{instrument_id}/done", pages.done, ["GET"], "web_done"),
        route("/s/{instrument_id}/save", pages.save, ["GET"], "web_save"),
        route("/r/{token}", links.link, ["GET", "POST"], "web_link"),
        route("/web-static/{name}", static, ["GET"], "web_static"),
        route("/api/openapi.json", api.openapi, ["GET"], "api_openapi"),
        route("/api/instruments", api.instruments, ["GET"], "api_instruments"),
        route("/api/instruments/{instrument_id}", api.instrument, ["GET"], "api_instrument"),
        route("/api/responses", api.create_response, ["POST"], "api_create_response"),
        route("/api/responses/{response_id}", api.get_response, ["GET"], "api_response"),
        route("/api/responses/{response_id}/answers", api.answers, ["POST"], "api_answers"),
    ]


def make_app(runtime: Any, config: WebConfig | None = None) -> Starlette:
    """A Starlette app with only the web channel's routes, to mount inside another app."""
    app = Starlette(routes=web_routes(runtime, config))
    app.state.runtime = runtime
    return app
