"""The respondent's session: a signed cookie naming their responses and their CSRF secret.

Nothing personal is kept in the cookie: only the id of the response being answered for
each instrument and a random CSRF secret. It is signed (not encrypted) with the web
channel's key, ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` over HTTPS. In embed mode
(inside another site's ``<iframe>``) it is ``SameSite=None; Secure; Partitioned`` so that
browsers that partition third-party cookies (CHIPS) still keep it for that site.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .config import WebConfig
from .tokens import Tokens

COOKIE = "rightsaware_web"
MAX_RESPONSES = 8  # instruments remembered at once; the oldest is forgotten first
REFRESH_SECONDS = 600  # an unchanged cookie is signed again (its idle timeout renewed) this often


class Session:
    """One browser's session, loaded from (and written back to) the cookie."""

    def __init__(self, data: dict[str, Any] | None, *, fresh: bool, signed: float = 0.0) -> None:
        data = data or {}
        self.signed = signed
        responses = data.get("r")
        self.responses: dict[str, str] = (
            {str(k): str(v) for k, v in responses.items()} if isinstance(responses, dict) else {}
        )
        csrf = data.get("c")
        self.csrf: str = csrf if isinstance(csrf, str) and len(csrf) >= 16 else secrets.token_urlsafe(24)
        self.fresh = fresh  # no valid cookie came with the request
        self.changed = fresh

    @classmethod
    def load(cls, request: Request, tokens: Tokens, config: WebConfig) -> Session:
        raw = request.cookies.get(COOKIE)
        # the shared data is only read: __init__ copies what it keeps
        loaded = tokens.read_session(raw, max_age=config.session_hours * 3600) if raw else None
        if loaded is None:
            return cls(None, fresh=True)
        return cls(loaded[0], fresh=False, signed=loaded[1])

    # -- responses ---------------------------------------------------------------------
    def response_for(self, instrument_id: str) -> str | None:
        return self.responses.get(instrument_id)

    def set_response(self, instrument_id: str, response_id: str) -> None:
        self.responses.pop(instrument_id, None)
        self.responses[instrument_id] = response_id
        while len(self.responses) > MAX_RESPONSES:
            self.responses.pop(next(iter(self.responses)))
        self.changed = True

    def forget(self, instrument_id: str) -> None:
        if self.responses.pop(instrument_id, None) is not None:
            self.changed = True

    # -- CSRF --------------------------------------------------------------------------
    def check_csrf(self, submitted: Any) -> bool:
        """Whether a form's ``csrf_token`` matches this (already existing) session."""
        if self.fresh or not isinstance(submitted, str):
            return False
        return hmac.compare_digest(submitted.encode(), self.csrf.encode())

    # -- writing -----------------------------------------------------------------------
    def save(self, request: Request, response: Response, tokens: Tokens, config: WebConfig, *, embed: bool) -> None:
        """Write the cookie when it changed, or to renew its idle timeout (its signature's age)."""
        if not self.changed and time.time() - self.signed < REFRESH_SECONDS:
            return
        secure = config.secure_cookies if config.secure_cookies is not None else request.url.scheme == "https"
        value = tokens.dump_session({"r": self.responses, "c": self.csrf})
        path = (request.scope.get("root_path") or "").rstrip("/") + "/"
        set_cookie(response, COOKIE, value, path=path, secure=secure, embed=embed)


def set_cookie(response: Response, name: str, value: str, *, path: str, secure: bool, embed: bool,
               max_age: int | None = None) -> None:
    """An ``HttpOnly`` cookie: ``SameSite=Lax``, or ``None; Secure; Partitioned`` inside an iframe."""
    if not embed:
        response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, secure=secure, samesite="lax")
        return
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, secure=True, samesite="none")
    # CHIPS: Starlette writes "Partitioned" only on Python 3.14+, so add it to the header here.
    for index in range(len(response.raw_headers) - 1, -1, -1):
        header, raw = response.raw_headers[index]
        if header == b"set-cookie" and raw.startswith(name.encode() + b"="):
            response.raw_headers[index] = (header, raw + b"; Partitioned")
            break
