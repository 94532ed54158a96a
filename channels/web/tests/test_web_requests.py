"""Reading a request cheaply without reading it differently: query parameters and the session cookie."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from rightsaware_web.config import WebConfig
from rightsaware_web.session import COOKIE, Session
from rightsaware_web.site import is_embed, query_value
from rightsaware_web.tokens import Tokens


def request(query: bytes = b"", cookie: str | None = None) -> Request:
    headers = [(b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", f"{COOKIE}={cookie}".encode()))
    return Request({"type": "http", "method": "GET", "path": "/s/x", "query_string": query, "headers": headers})


@pytest.mark.parametrize("query, embed, lang", [
    (b"", False, None),
    (b"change=1", False, None),
    (b"embed=1", True, None),
    (b"embed=0&lang=cy", False, "cy"),
    (b"%65mbed=1&l%61ng=gd", True, "gd"),  # names percent-encoded: still read
    (b"x=embed&y=lang", False, None),
    (b"lang=&embed=", False, ""),
    (b"embed=1&embed=0&lang=en&lang=cy", False, "cy"),  # the last value, as Starlette gives it
])
def test_query_values_are_what_starlette_reads(query, embed, lang):
    assert is_embed(request(query)) is embed
    assert query_value(request(query), "lang") == lang == request(query).query_params.get("lang")


def test_a_verified_cookie_is_shared_read_only_and_each_session_gets_its_own_copy():
    tokens = Tokens("a secret of the deployment, long enough")
    cookie = tokens.dump_session({"r": {"sample": "abc"}, "c": "x" * 24})
    config = WebConfig()
    first = Session.load(request(cookie=cookie), tokens, config)
    first.set_response("other", "def")
    first.forget("sample")
    second = Session.load(request(cookie=cookie), tokens, config)
    assert not first.fresh and not second.fresh
    assert second.responses == {"sample": "abc"} and second.csrf == "x" * 24
    assert tokens.read_session(cookie, max_age=60)[0] == {"r": {"sample": "abc"}, "c": "x" * 24}
    assert Session.load(request(cookie=cookie[:-2] + "xx"), tokens, config).fresh  # forged: a new session
