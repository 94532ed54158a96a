"""The ASGI app that ``rightsaware serve`` runs, assembled from the routes plugins register.

The core contributes a home page (instruments and installed channels, in the reader's
language) and ``GET /healthz``; channels add theirs through ``register_routes``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from .logsafety import SafeErrors

TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def make_environment() -> jinja2.Environment:
    """Jinja2 with autoescaping and the i18n extension (``{% trans %}``, ``_()``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    return env


def request_language(request: Request, runtime: Any) -> str:
    """``?lang=`` first, then the ``lang`` cookie, then Accept-Language, then the default."""
    from .i18n import negotiate, normalize_language
    from .errors import RightsawareError

    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate:
            try:
                return normalize_language(candidate)
            except RightsawareError:
                pass
    header = request.headers.get("accept-language", "")
    return negotiate(header, runtime.settings.languages) or runtime.settings.default_language


def render(env: jinja2.Environment, runtime: Any, language: str, template: str, **context: Any) -> str:
    messages = runtime.messages(language)
    env.install_gettext_callables(
        gettext=lambda s, **kw: messages._(s, **kw),
        ngettext=lambda s, p, n, **kw: messages.ngettext(s, p, n, **kw),
        newstyle=True,
    )
    return env.get_template(template).render(lang=language, languages=runtime.settings.languages, **context)


def _channel_title(messages: Any, channel: Any) -> str:
    """A channel's title in the reader's language, from the channel's own domain when it has one."""
    title = channel.info.title or channel.info.name
    translator = messages.translator
    domain = f"rightsaware_{channel.info.name}"
    if translator is not None and translator.has_domain(domain):
        return messages.domain(domain)._(title)
    return title


def make_app(runtime: Any) -> Starlette:
    """One Starlette app: the core's pages plus every route that plugins register."""
    env = make_environment()

    async def home(request: Request) -> HTMLResponse:
        from .i18n import localize

        language = request_language(request, runtime)
        entries = []
        for entry in runtime.instruments.entries():
            instrument = runtime.instrument(entry.instrument.id)
            text = localize(instrument, runtime.messages(language))
            entries.append({"id": instrument.id, "title": text.title(), "languages": instrument.languages,
                            "questions": len(instrument.answerable)})
        messages = runtime.messages(language)
        channels = [{"name": c.info.name, "title": _channel_title(messages, c)} for c in runtime.channels]
        links = sorted((path, (messages.domain(domain) if domain else messages)._(title))
                       for path, title, domain in runtime_links)
        html = render(env, runtime, language, "home.html", instruments=entries, channels=channels, links=links)
        response = HTMLResponse(html, headers=SECURITY_HEADERS)
        if request.query_params.get("lang"):
            response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
        return response

    async def healthz(_request: Request) -> JSONResponse:
        from sqlalchemy import text

        try:
            with runtime.store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - report, never crash the probe
            return JSONResponse({"status": "error", "store": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "channels": runtime.channels.names(),
                             "instruments": runtime.instruments.ids()})

    routes: list[Any] = [Route("/", home), Route("/healthz", healthz)]
    runtime_links: list[tuple[str, str, str | None]] = []

    def register(route: Any, *, title: str | None = None, domain: str | None = None) -> None:
        """Add a route; with ``title`` (an English msgid of ``domain``), link it from the home page."""
        routes.append(route)
        if title:
            runtime_links.append((getattr(route, "path", ""), title, domain))

    from .results_routes import results_routes

    for route in results_routes(runtime):  # the live dashboard, behind a staff login
        register(route, title="Results" if getattr(route, "path", "") == "/results" else None)  # msgid from results.html
    runtime.hook.register_routes(register=register, runtime=runtime)
    # An unhandled error becomes a plain 500 page and one log line without personal data.
    app = Starlette(routes=routes, middleware=[Middleware(SafeErrors)])
    app.state.runtime = runtime
    return app
