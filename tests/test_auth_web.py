"""Sign-in pages and require_role: redirects, roles, CSRF, expiry, open redirects, escaping."""

from __future__ import annotations

import datetime as dt
import re

import argon2
import pytest
from sqlalchemy import update
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rightsaware import audit, logsafety
from rightsaware.auth import THROTTLE_FAILURES
from rightsaware.auth import Users
from rightsaware.auth_web import SESSION_COOKIE, check_csrf, csrf_token, require_role, safe_next
from rightsaware.plugins import hookimpl, make_plugin_manager
from rightsaware.runtime import Runtime
from rightsaware.server import make_app
from rightsaware.store import tables

PASSWORD = "llwybr tarw glas 42"
CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@require_role("reviewer")
async def review(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"queue for {request.state.user.username} {csrf_token(request)[:4]}")


@require_role("viewer")
def dashboard(request: Request) -> PlainTextResponse:  # a plain function runs in a thread
    return PlainTextResponse("dashboard")


@require_role("reviewer")
async def decide(request: Request) -> PlainTextResponse:
    form = await request.form()  # the guard read the form first; the endpoint can still read it
    audit.record_request(request, "scan.decide", subject_kind="response", subject_id="r-1")
    return PlainTextResponse(f"decided {form.get('choice')}")


@require_role("reviewer", csrf=False)
async def upload(request: Request) -> PlainTextResponse:
    form = await request.form(max_files=2, max_fields=5)  # its own limits
    if not await check_csrf(request, request.state.csrf_token, form):
        return PlainTextResponse("refused", status_code=403)
    return PlainTextResponse(f"{len(form.getlist('scan'))} scans")


@require_role("admin")
async def api_export(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


class Pages:
    @hookimpl
    def register_routes(self, register):
        register(Route("/review", review))
        register(Route("/dashboard", dashboard))
        register(Route("/review/decide", decide, methods=["POST"]))
        register(Route("/api/exports", api_export, methods=["GET", "POST"]))
        register(Route("/review/upload", upload, methods=["POST"]))


@pytest.fixture
def runtime(rightsaware_settings, sample_instrument, sample_instrument_path):
    pm = make_plugin_manager(entrypoints=False)
    pm.register(Pages(), name="pages")
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    runtime._auth_users = Users(runtime.store, hasher=CHEAP)
    users = runtime._auth_users
    users.add("siân", PASSWORD, "admin")
    users.add("morag", PASSWORD, "reviewer")
    users.add("iolo", PASSWORD, "viewer")
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime) -> TestClient:
    return TestClient(make_app(runtime), follow_redirects=False)


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_: str = "/") -> object:
    page = client.get("/login", params={"next": next_})
    return client.post("/login", data={"csrf_token": form_token(page.text), "username": username,
                                       "password": password, "next": next_})


def test_pages_ask_for_sign_in_and_come_back(client) -> None:
    response = client.get("/review?page=2")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Freview%3Fpage%3D2"
    signed = sign_in(client, "Morag", next_="/review?page=2")
    assert signed.status_code == 303 and signed.headers["location"] == "/review?page=2"
    cookie = signed.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get("/review")
    assert page.status_code == 200 and page.text.startswith("queue for morag ")
    assert client.get("/dashboard").text == "dashboard"


def test_roles_are_enforced(client) -> None:
    sign_in(client, "iolo")
    assert client.get("/dashboard").status_code == 200
    refused = client.get("/review")
    assert refused.status_code == 403 and "reviewer" in refused.text and "no-store" in refused.headers["cache-control"]
    api = client.get("/api/exports")
    assert api.status_code == 403 and api.json()["title"]


def test_api_without_a_session_gets_401(client) -> None:
    response = client.get("/api/exports")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Cookie")
    assert client.get("/dashboard", headers={"accept": "application/json"}).status_code == 401


def test_unsafe_methods_need_the_sessions_csrf_token(client, runtime) -> None:
    sign_in(client, "morag")
    assert client.post("/review/decide", data={"choice": "2"}).status_code == 403
    assert client.post("/review/decide", data={"choice": "2", "csrf_token": "forged"}).status_code == 403
    token = re.search(r"queue for morag (\w{4})", client.get("/review").text)
    session = Users(runtime.store, hasher=CHEAP).session(client.cookies[SESSION_COOKIE], idle=dt.timedelta(hours=1))
    assert token.group(1) == session.csrf_token[:4]
    ok = client.post("/review/decide", data={"choice": "2", "csrf_token": session.csrf_token})
    assert ok.status_code == 200 and ok.text == "decided 2"
    header = client.post("/review/decide", data={"choice": "3"}, headers={"x-csrf-token": session.csrf_token})
    assert header.text == "decided 3"
    entry = audit.entries(runtime.store, action="scan.decide")[0]
    assert entry.actor == "user:morag" and entry.subject_id == "r-1"


def test_uploads_check_csrf_after_parsing_with_their_own_limits(client, runtime) -> None:
    sign_in(client, "morag")
    session = Users(runtime.store, hasher=CHEAP).session(client.cookies[SESSION_COOKIE], idle=dt.timedelta(hours=1))
    files = [("scan", ("a.png", b"x", "image/png")), ("scan", ("b.png", b"y", "image/png"))]
    assert client.post("/review/upload", files=files, data={"csrf_token": "forged"}).status_code == 403
    ok = client.post("/review/upload", files=files, data={"csrf_token": session.csrf_token})
    assert ok.status_code == 200 and ok.text == "2 scans"


def test_login_form_needs_its_own_token(client, runtime) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    no_token = client.post("/login", data={"username": "siân", "password": PASSWORD})
    assert no_token.status_code == 403 and SESSION_COOKIE not in no_token.headers.get("set-cookie", "")
    other = TestClient(make_app(runtime), follow_redirects=False)  # a token from someone else's form
    stolen = other.post("/login", data={"csrf_token": form_token(page.text), "username": "siân", "password": PASSWORD})
    assert stolen.status_code == 403


def test_wrong_password_is_audited_and_says_nothing_about_the_account(client, runtime) -> None:
    wrong = sign_in(client, "siân", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - tokens and the typed name differ
    assert strip(wrong.text).replace("siân", "nobody") == strip(unknown.text)
    assert [e.action for e in audit.entries(runtime.store)] == [audit.USER_LOGIN_FAILED] * 2


def test_sign_out_needs_csrf_and_ends_the_session(client, runtime) -> None:
    sign_in(client, "siân")
    token = client.cookies[SESSION_COOKIE]
    assert client.post("/logout").status_code == 403
    session = Users(runtime.store, hasher=CHEAP).session(token, idle=dt.timedelta(hours=1))
    out = client.post("/logout", data={"csrf_token": session.csrf_token})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert client.get("/login?signed_out=1").status_code == 200
    client.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie does not work
    assert client.get("/dashboard").status_code == 303
    assert [e.action for e in audit.entries(runtime.store, action="user.")][:2] == [audit.USER_LOGOUT, audit.USER_LOGIN]


def test_idle_sessions_expire(client, runtime) -> None:
    sign_in(client, "siân")
    assert client.get("/dashboard").status_code == 200
    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=runtime.settings.session_idle_minutes + 1)
    with runtime.store.engine.begin() as connection:
        connection.execute(update(tables.user_sessions).values(last_seen_at=stale))
    assert client.get("/dashboard").status_code == 303


@pytest.mark.parametrize(("target", "expected"), [
    ("/review", "/review"), ("/r?x=1", "/r?x=1"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"), (None, "/"),
])
def test_no_open_redirect(target, expected) -> None:
    assert safe_next(target) == expected


def test_typed_text_is_escaped_and_pages_are_translated(client) -> None:
    page = sign_in(client, '<script>alert("x")</script>', "wrong password!")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    welsh = client.get("/login?lang=cy")
    assert "Mewngofnodi" in welsh.text and 'lang="cy"' in welsh.text
    gaelic = client.get("/login?lang=gd")
    assert "Clàraich a-steach" in gaelic.text


def test_secure_cookie_behind_https(rightsaware_settings, sample_instrument) -> None:
    settings = rightsaware_settings.with_overrides(public_url="https://survey.example.org")
    pm = make_plugin_manager(entrypoints=False)
    runtime = Runtime(settings, plugin_manager=pm)
    runtime._auth_users = Users(runtime.store, hasher=CHEAP)
    runtime._auth_users.add("siân", PASSWORD, "admin")
    client = TestClient(make_app(runtime), follow_redirects=False, base_url="https://testserver")
    assert "Secure" in client.get("/login").headers["set-cookie"]
    signed = sign_in(client, "siân")
    assert signed.status_code == 303 and SESSION_COOKIE in signed.headers["set-cookie"]
    assert "Secure" in signed.headers["set-cookie"]
    runtime.close()


def test_plain_http_on_localhost_still_works(client) -> None:
    signed = sign_in(client, "siân")
    assert signed.status_code == 303 and "Secure" not in signed.headers["set-cookie"]


def test_too_many_failed_sign_ins_get_429_until_the_oldest_ages_out(client, runtime) -> None:
    for _ in range(THROTTLE_FAILURES):
        assert sign_in(client, "siân", "not the password").status_code == 400
    with logsafety.capture() as captured:
        refused = sign_in(client, "siân")  # even the right password is not checked now
    assert refused.status_code == 429 and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert 14 * 60 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts to sign in. Try again in 15 minutes." in refused.text
    assert 'name="password"' in refused.text and "no-store" in refused.headers["cache-control"]
    actions = [e.action for e in audit.entries(runtime.store, action="user.")]
    assert actions == [audit.USER_LOGIN_THROTTLED] + [audit.USER_LOGIN_FAILED] * THROTTLE_FAILURES
    # the failures move out of the window: the right password works again
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)
    with runtime.store.engine.begin() as connection:
        connection.execute(update(tables.audit_log).values(at=old))
    assert sign_in(client, "siân").status_code == 303
    assert logsafety.find_personal_data([captured.text], [PASSWORD]) == []


def test_the_limit_is_per_address_and_per_user_name(runtime) -> None:
    attacker = TestClient(make_app(runtime), follow_redirects=False, client=("203.0.113.9", 4000))
    for name in ("a1", "b2", "c3", "d4", "e5"):  # a different user name each time: the address counts
        assert sign_in(attacker, name, "guess guess guess").status_code == 400
    assert sign_in(attacker, "morag").status_code == 429
    colleague = TestClient(make_app(runtime), follow_redirects=False, client=("198.51.100.20", 4000))
    assert sign_in(colleague, "morag").status_code == 303  # another address is not affected
    spread = [TestClient(make_app(runtime), follow_redirects=False, client=(f"192.0.2.{n}", 4000))
              for n in range(THROTTLE_FAILURES + 1)]
    for botnet in spread[:-1]:  # one user name from many addresses: the user name counts
        assert sign_in(botnet, "iolo", "guess guess guess").status_code == 400
    assert sign_in(spread[-1], "IOLO").status_code == 429


@pytest.mark.parametrize("language", ["cy", "gd"])
def test_the_too_many_attempts_page_is_in_the_readers_language(client, language) -> None:
    for _ in range(THROTTLE_FAILURES):
        sign_in(client, "siân", "not the password")
    page = client.get("/login", params={"lang": language})
    refused = client.post(f"/login?lang={language}", data={"csrf_token": form_token(page.text), "username": "siân",
                                                          "password": PASSWORD, "next": "/"})
    assert refused.status_code == 429 and f'lang="{language}"' in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert "15" in refused.text and "<script>" not in refused.text


def test_the_password_is_never_stored_or_logged(client, runtime) -> None:
    secret_guess = "tarw-glas-cyfrinachol-99"
    with logsafety.capture() as captured:
        for _ in range(THROTTLE_FAILURES + 1):
            sign_in(client, "siân", secret_guess)
    with runtime.store.engine.connect() as connection:
        dump = repr(connection.execute(tables.audit_log.select()).all())
    assert secret_guess not in dump and "testclient" not in dump
    assert logsafety.find_personal_data([captured.text, dump], [secret_guess, PASSWORD]) == []
