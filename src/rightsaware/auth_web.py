"""Sign-in pages and :func:`require_role`, the guard for staff pages (dashboard, review, exports).

Register it as a default plugin (``rightsaware.auth_web``): it adds ``GET/POST /login``
and ``POST /logout`` through ``register_routes``. A channel protects a route with::

    from rightsaware.auth_web import require_role, csrf_token

    @require_role("reviewer")
    async def review_queue(request):
        user = request.state.user                  # rightsaware.auth.User
        token = csrf_token(request)                # put in every form as name="csrf_token"

Without a session, a page request is sent to ``/login?next=<path>`` and an API request
(``/api/…`` or ``Accept: application/json``) gets 401; a user without the role gets 403.
Every POST, PUT, PATCH or DELETE must carry the session's CSRF token, in the form field
``csrf_token`` or the ``X-CSRF-Token`` header, or it is refused with 403. The login form
itself is protected with a signed double-submit token (there is no session yet).

After five failed sign-ins in fifteen minutes from one client address, or for one user
name, the form answers 429 with ``Retry-After`` and does not check the password until the
oldest failure is fifteen minutes old (:class:`rightsaware.auth.LoginThrottle`). The client
address is the one uvicorn reports: behind a reverse proxy, run uvicorn with
``--forwarded-allow-ips`` set to the proxy's address so that it is the visitor's.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import inspect
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import audit
from .auth import LoginThrottle, Session, Users, wait_minutes
from .i18n import N_
from .plugins import hookimpl

SESSION_COOKIE = "rightsaware_session"
LOGIN_CSRF_COOKIE = "rightsaware_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_FORM_MAX_AGE = 3600
MAX_FIELD = 1024
NO_STORE = {"cache-control": "no-store"}

MSG_SIGNED_OUT = N_("You have signed out.")
MSG_WRONG = N_("The user name or password is not right, or the account is locked for a while after too many tries. Check them and try again.")
MSG_FORM_EXPIRED = N_("This form has expired. Please try again.")
MSG_FORBIDDEN = N_("Your account does not have access to this page. Ask an admin to give you the {role} role.")
MSG_SIGN_IN_FIRST = N_("Sign in to see this page.")


def _settings(request: Request) -> Any:  # noqa: ANN401
    return request.app.state.runtime.settings


def _users(request: Request) -> Users:
    runtime = request.app.state.runtime
    users = getattr(runtime, "_auth_users", None)
    if users is None or users.store is not runtime.store:
        users = Users(runtime.store)
        runtime._auth_users = users  # noqa: SLF001 - one hasher per runtime
    return users


def _throttle(request: Request) -> LoginThrottle:
    runtime = request.app.state.runtime
    throttle = getattr(runtime, "_login_throttle", None)
    if throttle is None or throttle.store is not runtime.store:
        throttle = LoginThrottle(runtime.store, _derived_key(runtime, b"rightsaware login throttle"))
        runtime._login_throttle = throttle  # noqa: SLF001 - one in-flight counter per runtime
    return throttle


def _secure(request: Request) -> bool:
    public = _settings(request).public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def _lifetime(request: Request) -> tuple[dt.timedelta, dt.timedelta]:
    settings = _settings(request)
    return dt.timedelta(minutes=settings.session_lifetime_minutes), dt.timedelta(minutes=settings.session_idle_minutes)


def current_session(request: Request) -> Session | None:
    """The signed-in session of this request, or ``None`` (looked up once per request)."""
    if "rightsaware_session" not in request.scope:
        _, idle = _lifetime(request)
        request.scope["rightsaware_session"] = _users(request).session(request.cookies.get(SESSION_COOKIE), idle=idle)
    return request.scope["rightsaware_session"]


def current_user(request: Request) -> Any:  # noqa: ANN401 - rightsaware.auth.User | None
    session = current_session(request)
    return session.user if session else None


def csrf_token(request: Request) -> str:
    """The token every form of a signed-in page must send back as ``csrf_token``."""
    session = current_session(request)
    return session.csrf_token if session else ""


async def check_csrf(request: Request, expected: str, form: Any = None) -> bool:  # noqa: ANN401
    """Whether an unsafe request carries ``expected`` in the header or the form.

    Give ``form`` when the endpoint has parsed the body itself (uploads with their own limits).
    """
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and form is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
    if not sent and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    return bool(expected) and hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    from .i18n import install_jinja
    from .server import SECURITY_HEADERS, make_environment, request_language

    runtime = request.app.state.runtime
    language = request_language(request, runtime)
    env = make_environment()
    install_jinja(env, runtime.messages(language))
    html = env.get_template(template).render(lang=language, languages=runtime.settings.languages, **context)
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **NO_STORE})


def _message(request: Request, message: str, **params: Any) -> str:
    from .server import request_language

    runtime = request.app.state.runtime
    return runtime.messages(request_language(request, runtime))._(message, **params)


def require_role(role: str, *, csrf: bool = True) -> Callable[[Callable[..., Any]], Callable[[Request], Awaitable[Response]]]:
    """Decorate a Starlette endpoint so that only signed-in users with ``role`` reach it.

    Sets ``request.state.user`` and ``request.state.csrf_token``; checks the CSRF token of
    unsafe methods. The endpoint may be ``async`` or a plain function (run in a thread).
    With ``csrf=False`` (an upload that parses its body with its own limits) the endpoint
    must call ``await check_csrf(request, request.state.csrf_token, form)`` itself.
    """
    from .auth import check_role

    check_role(role)

    def decorate(endpoint: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            session = await run_in_threadpool(current_session, request)
            if session is None:
                if _wants_json(request):
                    return JSONResponse({"title": _message(request, MSG_SIGN_IN_FIRST)}, status_code=401,
                                        headers={"www-authenticate": 'Cookie realm="rightsaware"', **NO_STORE})
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            if not session.user.has_role(role):
                text = _message(request, MSG_FORBIDDEN, role=role)
                if _wants_json(request):
                    return JSONResponse({"title": text}, status_code=403, headers=NO_STORE)
                return _page(request, "login.html", status=403, forbidden=text, user=session.user,
                             csrf=session.csrf_token)
            if csrf and request.method in UNSAFE_METHODS and not await check_csrf(request, session.csrf_token):
                text = _message(request, MSG_FORM_EXPIRED)
                if _wants_json(request):
                    return JSONResponse({"title": text}, status_code=403, headers=NO_STORE)
                return _page(request, "login.html", status=403, forbidden=text, user=session.user,
                             csrf=session.csrf_token)
            request.state.user = session.user
            request.state.csrf_token = session.csrf_token
            if inspect.iscoroutinefunction(endpoint):
                return await endpoint(request)
            return await run_in_threadpool(endpoint, request)

        guarded.required_role = role  # type: ignore[attr-defined] - for tests and route listings
        return guarded

    return decorate


# --- the login form --------------------------------------------------------------------

def _derived_key(runtime: Any, salt: bytes) -> bytes:  # noqa: ANN401
    """A key for one purpose, derived from the deployment's secret (HKDF), cached per runtime."""
    keys = runtime.__dict__.setdefault("_login_keys", {})
    if salt not in keys:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        from .settings import ensure_secret_key

        secret = ensure_secret_key(runtime.settings).encode("utf-8")
        keys[salt] = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"rightsaware login v1").derive(secret)
    return keys[salt]


def _serializer(request: Request) -> URLSafeTimedSerializer:
    key = _derived_key(request.app.state.runtime, b"rightsaware login form")
    return URLSafeTimedSerializer(key, salt="rightsaware login form")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not value or len(value) > 2000:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_form(request: Request, status: int = 200, error: str | None = None, notice: str | None = None,
                username: str = "") -> Response:
    nonce = secrets.token_urlsafe(16)
    token = _serializer(request).dumps(nonce)
    response = _page(request, "login.html", status=status, csrf=token, error=error, notice=notice,
                     username=username[:64], next=safe_next(request.query_params.get("next")), user=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, max_age=LOGIN_FORM_MAX_AGE, httponly=True, samesite="strict",
                        secure=_secure(request), path="/login")
    return response


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        notice = _message(request, MSG_SIGNED_OUT) if request.query_params.get("signed_out") else None
        return _login_form(request, notice=notice)
    form = await request.form()
    fields = {name: form.get(name) for name in (CSRF_FIELD, "username", "password", "next")}
    fields = {name: value[:MAX_FIELD] if isinstance(value, str) else "" for name, value in fields.items()}
    try:
        nonce = _serializer(request).loads(fields[CSRF_FIELD], max_age=LOGIN_FORM_MAX_AGE)
    except BadSignature:
        nonce = None
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), cookie.encode()):
        return _login_form(request, status=403, error=_message(request, MSG_FORM_EXPIRED), username=fields["username"])
    throttle = _throttle(request)
    tags = throttle.tags(request.client.host if request.client else "", fields["username"])
    wait = await run_in_threadpool(throttle.begin, tags)
    if wait is not None:
        await run_in_threadpool(throttle.refused, tags)
        return _too_many_attempts(request, wait, fields["username"])
    users = _users(request)
    user = None
    try:
        user = await run_in_threadpool(users.authenticate, fields["username"], fields["password"])
    finally:
        await run_in_threadpool(functools.partial(throttle.end, tags, failed=user is None))
    store = request.app.state.runtime.store
    if user is None:
        return _login_form(request, status=400, error=_message(request, MSG_WRONG), username=fields["username"])
    lifetime, _idle = _lifetime(request)
    token, _session = await run_in_threadpool(users.start_session, user, lifetime=lifetime)
    await run_in_threadpool(audit.record, store, audit.user_actor(user.username), audit.USER_LOGIN,
                            subject_kind="user", subject_id=str(user.id))
    response = RedirectResponse(safe_next(fields["next"]), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _too_many_attempts(request: Request, wait: dt.timedelta, username: str) -> Response:
    """429: the form again, saying how many minutes to wait; the password was not checked."""
    from .server import request_language

    runtime = request.app.state.runtime
    minutes = wait_minutes(wait)
    m = runtime.messages(request_language(request, runtime))
    text = m.ngettext("Too many attempts to sign in. Try again in {n} minute.",
                      "Too many attempts to sign in. Try again in {n} minutes.", minutes)
    response = _login_form(request, status=429, error=text, username=username)
    response.headers["retry-after"] = str(math.ceil(wait.total_seconds()))
    return response


async def logout(request: Request) -> Response:
    session = await run_in_threadpool(current_session, request)
    if session is not None:
        if not await check_csrf(request, session.csrf_token):
            return _page(request, "login.html", status=403, forbidden=_message(request, MSG_FORM_EXPIRED),
                         user=session.user, csrf=session.csrf_token)
        await run_in_threadpool(_users(request).end_session, request.cookies.get(SESSION_COOKIE, ""))
        await run_in_threadpool(audit.record, request.app.state.runtime.store, audit.user_actor(session.user.username),
                                audit.USER_LOGOUT, subject_kind="user", subject_id=str(session.user.id))
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def routes() -> list[Route]:
    """The sign-in routes, for applications that assemble their own Starlette app."""
    return [Route("/login", login_page, methods=["GET", "POST"], name="login"),
            Route("/logout", logout, methods=["POST"], name="logout")]


@hookimpl
def register_routes(register: Callable[..., None], runtime: Any) -> None:  # noqa: ANN401
    """Add ``/login`` and ``/logout`` to ``rightsaware serve``."""
    for route in routes():
        register(route)
