"""What every web page shares: the runtime, signing, templates per language, URLs, languages.

:class:`Site` is built once per app. Jinja2 has one environment per language (the
gettext callables are bound to that language, so rendering needs no shared mutable
state and is safe in the thread pool). Templates are autoescaped; every text shown is a
plain string, escaped as a whole, so a Welsh or Gaelic translation can never inject
markup.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import anyio
import anyio.to_thread
import jinja2
from markupsafe import Markup
from rightsaware.errors import CatalogError, NotFound, RightsawareError
from rightsaware.i18n import bilingual_order, language_name, localize, negotiate, normalize_language
from rightsaware.interview import Interviewer
from rightsaware.settings import ensure_secret_key
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .config import WebConfig
from .guard import content_security_policy
from .cache import ResponseCache
from .i18n import DOMAIN, LOCALES_DIR
from .once import Once
from .session import Session, set_cookie
from .templating import make_environment
from .tokens import Tokens

STATIC_DIR = Path(__file__).parent / "static"
CHANNEL = "web"
DEFAULT_WORKERS = 4
MEMO_LIMIT = 10_000  # entries of Site.memo, forgotten all at once beyond this


@functools.lru_cache(maxsize=16)
def autonym(code: str) -> str:
    """A language's name in itself (CLDR): Cymraeg, Gàidhlig, English."""
    return language_name(code)


class Site:
    """Shared state and helpers of the respondent pages and the JSON API."""

    def __init__(self, runtime: Any, config: WebConfig) -> None:
        self.runtime = runtime
        self.config = config
        self.tokens = Tokens(ensure_secret_key(runtime.settings))
        self.interviewer = CachingInterviewer(runtime, self)  # the JSON API: complete when all is answered
        # The pages: complete only at "Send my answers", after "Check your answers".
        self.pages_interviewer = CachingInterviewer(runtime, self, defer_completion=True)
        translator = runtime.translator
        if not translator.has_domain(DOMAIN):
            translator.add_domain(DOMAIN, LOCALES_DIR)
        self.languages = tuple(translator.languages)
        self._environments: dict[str, jinja2.Environment] = {}
        self._instruments: dict[str, Any] = {}
        self._available: dict[str | None, tuple[str, ...]] = {}
        self._messages: dict[tuple[str, str], Any] = {}
        self._texts: dict[tuple[str, str], Any] = {}
        self._templates: dict[tuple[str, str], jinja2.Template] = {}
        self._css_urls: dict[str, str] = {}
        self._page_csp = content_security_policy()
        self._embed_csp = content_security_policy(config.frame_ancestors)
        self.memo: dict[tuple, Any] = {}  # parts of pages that depend only on the instrument and language
        # Blocking work (store, engine, templates) runs in a few threads: many threads at once
        # would only wait for each other (the GIL, SQLite's single writer). See run().
        self._inline: bool | None = None if config.workers is None else config.workers == 0
        self.limiter = anyio.CapacityLimiter(config.workers or DEFAULT_WORKERS)
        self.once = Once()
        self._responses: ResponseCache | None = None
        css = (STATIC_DIR / "web.css").read_bytes()
        self.css_version = hashlib.sha256(css).hexdigest()[:12]

    @property
    def inline(self) -> bool:
        """Whether blocking work runs in the event loop itself (by default with SQLite).

        A page's work on a local SQLite file takes well under a millisecond and SQLite
        writes one at a time anyway; handing it to a thread and back costs more than the
        work (the threads and the event loop take turns holding the GIL). With PostgreSQL,
        whose queries wait on the network, threads let other requests go on meanwhile.
        """
        if self._inline is None:
            self._inline = self.runtime.store.engine.dialect.name == "sqlite"
        return self._inline

    async def run(self, function: Any, *args: Any) -> Any:
        """Run blocking ``function(*args)``: in the event loop or in a worker thread (see :attr:`inline`)."""
        if self.inline:
            return function(*args)
        return await anyio.to_thread.run_sync(functools.partial(function, *args), limiter=self.limiter)

    @property
    def responses(self) -> ResponseCache:
        """Responses by id, loaded from the store (or memory, when still current)."""
        if self._responses is None:
            self._responses = ResponseCache(self.runtime.store)
        return self._responses

    # -- instruments and languages ---------------------------------------------------------
    def instrument(self, instrument_id: str) -> Any:
        """The instrument (its catalogs loaded once); NotFound if there is none."""
        instrument = self._instruments.get(instrument_id)
        if instrument is None:
            instrument = self.runtime.instrument(instrument_id)
            self._instruments[instrument_id] = instrument
        return instrument

    def available(self, instrument: Any | None = None) -> tuple[str, ...]:
        """Languages offered (the instrument's and the deployment's), Welsh or Gaelic first."""
        key = None if instrument is None else instrument.id
        found = self._available.get(key)
        if found is None:
            codes = [code for code in self.languages if instrument is None or code in instrument.languages]
            if not codes:
                codes = [instrument.languages[0]] if instrument is not None else ["en"]
            found = self._available[key] = bilingual_order(codes, self.runtime.settings.bilingual_order)
        return found

    def requested_language(self, request: Request, available: tuple[str, ...]) -> str | None:
        """A valid ``?lang=`` the page offers, else ``None``."""
        value = query_value(request, "lang")
        if not value:
            return None
        try:
            code = normalize_language(value)
        except RightsawareError:
            return None
        return code if code in available else None

    def page_language(self, request: Request, available: tuple[str, ...], preferred: str | None = None) -> str:
        """``?lang=``, then the response's language, the ``lang`` cookie, Accept-Language, the default."""
        requested = self.requested_language(request, available)
        if requested:
            return requested
        if preferred in available:
            return preferred
        cookie = request.cookies.get("lang")
        if cookie:
            try:
                code = normalize_language(cookie)
            except RightsawareError:
                code = None
            if code in available:
                return code
        negotiated = negotiate(request.headers.get("accept-language"), available)
        if negotiated:
            return negotiated
        default = self.runtime.settings.default_language
        return default if default in available else available[0]

    @staticmethod
    def language_name(code: str) -> str:
        """The language's own name: Cymraeg, Gàidhlig, English."""
        return autonym(code)

    def messages(self, language: str) -> Any:
        """This package's messages in ``language``."""
        return self._cached_messages(language, DOMAIN)

    def core_messages(self, language: str) -> Any:
        """The core's messages (the engine's errors) in ``language``."""
        return self._cached_messages(language, "rightsaware")

    def _cached_messages(self, language: str, domain: str) -> Any:
        found = self._messages.get((language, domain))
        if found is None:
            found = self.runtime.messages(language)
            found = self._messages[(language, domain)] = found.domain(domain) if domain != "rightsaware" else found
        return found

    def text(self, instrument: Any, language: str) -> Any:
        """The instrument's text in ``language`` (``rightsaware.extract.LocalizedText``)."""
        found = self._texts.get((instrument.id, language))
        if found is None:
            found = self._texts[(instrument.id, language)] = localize(instrument, self.core_messages(language))
        return found

    # -- templates -------------------------------------------------------------------------
    def environment(self, language: str) -> jinja2.Environment:
        env = self._environments.get(language)
        if env is None:
            env = self._environments[language] = make_environment(self.messages(language))
        return env

    def render(self, request: Request, template: str, language: str, *, status: int = 200, embed: bool = False,
               session: Session | None = None, switcher_languages: tuple[str, ...] | None = None,
               **context: Any) -> HTMLResponse:
        """Render a page with the shared chrome (language switcher, stylesheet, headers)."""
        languages = switcher_languages or self.available()
        context.setdefault("service_name", self.messages(language)._("Have your say"))
        html = self.template(language, template).render(
            lang=language,
            embed=embed,
            css_url=self.css_url(request),
            switcher=self.switcher(request, language, languages),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=self.frame_header_values(embed))
        if session is not None:
            session.save(request, response, self.tokens, self.config, embed=embed)
        if self.requested_language(request, languages) == language:  # the respondent's own choice: remember it
            set_cookie(response, "lang", language, max_age=365 * 86400, embed=embed, secure=request.url.scheme == "https",
                       path=(request.scope.get("root_path") or "").rstrip("/") + "/")
        return response

    def frame_header_values(self, embed: bool) -> dict[str, str]:
        """The Content-Security-Policy (framing only by the allowed sites when embedded, else by
        none, with ``X-Frame-Options: DENY`` too)."""
        if embed:
            return {"content-security-policy": self._embed_csp}
        return {"content-security-policy": self._page_csp, "x-frame-options": "DENY"}

    def template(self, language: str, name: str) -> jinja2.Template:
        """A compiled template in ``language`` (compiled once)."""
        found = self._templates.get((language, name))
        if found is None:
            found = self._templates[(language, name)] = self.environment(language).get_template(name)
        return found

    def css_url(self, request: Request) -> str:
        """The stylesheet's URL (with its version, so browsers fetch it again when it changes)."""
        root = request.scope.get("root_path") or ""
        found = self._css_urls.get(root)
        if found is None:
            found = self._css_urls[root] = self.url(request, "/web-static/web.css", v=self.css_version)
        return found

    def switcher(self, request: Request, current: str, languages: tuple[str, ...]) -> Markup:
        """The language switcher: links to this same page in every other language (progress and
        answers are kept). Rendered once per page address and language, then kept."""
        key = ("switcher", request.scope["path"], request.scope.get("query_string", b""), current, languages)
        found = self.memo.get(key)
        if found is None:
            items = self._switcher(request, current, languages)
            found = self.remember(key, Markup(self.template(current, "_switcher.html").render(switcher=items)))
        return found

    def _switcher(self, request: Request, current: str, languages: tuple[str, ...]) -> list[dict[str, Any]]:
        items = []
        for code in languages:
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", code)]
            items.append({
                "code": code,
                "name": autonym(code),
                "current": code == current,
                "href": request.url.path + "?" + urlencode(params),
            })
        return items

    # -- URLs --------------------------------------------------------------------------------
    @staticmethod
    def url(request: Request, path: str, **query: Any) -> str:
        """A path inside this app (wherever it is mounted) with a query string."""
        base = (request.scope.get("root_path") or "").rstrip("/")
        params = {k: v for k, v in query.items() if v not in (None, False, "")}
        return base + path + ("?" + urlencode(params) if params else "")

    def survey_url(self, request: Request, instrument_id: str, page: str = "", *, embed: bool = False,
                   **query: Any) -> str:
        """A page of a survey (``page``: ``""``, ``"q/<name>"``, ``"check"``…); kept once built."""
        key = ("url", request.scope.get("root_path") or "", instrument_id, page, embed, *query.items())
        found = self.memo.get(key)
        if found is None:
            path = "/s/" + quote(instrument_id, safe="")
            if page:
                path += "/" + page
            found = self.remember(key, self.url(request, path, embed="1" if embed else None, **query))
        return found

    def remember(self, key: tuple, value: Any) -> Any:
        """Keep ``value`` in :attr:`memo` (forgotten all at once beyond ``MEMO_LIMIT`` entries)."""
        if len(self.memo) > MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = value
        return value

    def absolute(self, request: Request, path: str) -> str:
        """An absolute URL for a path of this app: the public URL's origin if one is set."""
        public = self.runtime.settings.public_url
        if public:
            parts = urlsplit(public)
            return f"{parts.scheme}://{parts.netloc}{path}"
        return f"{request.url.scheme}://{request.url.netloc}{path}"

    def redirect(self, url: str, session: Session | None = None, request: Request | None = None,
                 embed: bool = False) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        if session is not None and request is not None:
            session.save(request, response, self.tokens, self.config, embed=embed)
        return response

    # -- links -------------------------------------------------------------------------------
    def resume_token(self, response_id: str) -> tuple[str, int]:
        expires = int(time.time()) + self.config.resume_days * 86400
        return self.tokens.resume(response_id, expires), expires

    def withdrawal_token(self, response_id: str) -> tuple[str, int]:
        expires = int(time.time()) + self.config.withdraw_days * 86400
        return self.tokens.withdrawal(response_id, expires), expires

    @staticmethod
    def nonce() -> str:
        return secrets.token_urlsafe(16)


class CachingInterviewer(Interviewer):
    """The core's interviewer, loading responses through the site's :class:`ResponseCache`.

    The cache serves a response only when its stored revision is unchanged, and every save
    still checks the revision (optimistic concurrency), so nothing can be lost.
    """

    def __init__(self, runtime: Any, site: Site, *, defer_completion: bool = False) -> None:
        super().__init__(runtime, defer_completion=defer_completion)
        self._site = site

    def load(self, response_id: str) -> Any:
        cache = self._site.responses
        response = cache.take_checked(response_id) or cache.load(response_id)
        if response is None:
            raise NotFound(f"no response with id {response_id!r}")
        return response


def query_value(request: Request, name: str) -> str | None:
    """The query parameter ``name`` (its last value, as Starlette reads it), without parsing a query that
    cannot have it."""
    raw = request.scope.get("query_string", b"")
    if name.encode() not in raw and b"%" not in raw:  # the usual case: no such name, even percent-encoded
        return None
    return request.query_params.get(name)


def is_embed(request: Request) -> bool:
    """Whether the page is shown inside another site's ``<iframe>`` (``?embed=1``)."""
    return query_value(request, "embed") == "1"


def load_instrument_or_none(site: Site, instrument_id: str) -> Any | None:
    try:
        return site.instrument(instrument_id)
    except (NotFound, CatalogError):
        return None
