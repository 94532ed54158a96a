"""The ASGI middleware in front of every web route: headers, body size and submission rate.

* Security headers on every response: a strict Content-Security-Policy (no scripts at
  all, styles only from this server, forms only to this server, no framing unless the
  page is in embed mode and sets its own ``frame-ancestors``), ``nosniff``, no referrer
  (links carry tokens), ``no-store`` caching (answers must not stay in a shared computer's
  cache, and the browser's back button then asks the server for the page's true state).
* Request bodies larger than the limit are refused with 413 before they are read in full.
* Submissions (POST) are limited per client IP address with a token bucket: 429 with
  ``Retry-After`` when a client sends faster than the deployment allows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors {ancestors}"
)
BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BASE_RAW = tuple((name.encode(), value.encode()) for name, value in BASE_HEADERS.items())

#: (scope, status) -> an ASGI response for 413 / 429, HTML or JSON as the path suits.
Rejecter = Callable[[Scope, int, dict[str, str]], Awaitable[ASGIApp]]


def content_security_policy(frame_ancestors: tuple[str, ...] | None = None) -> str:
    """The CSP header; ``frame_ancestors=None`` forbids framing altogether."""
    return CSP.format(ancestors=" ".join(frame_ancestors) if frame_ancestors else "'none'")


class RateLimiter:
    """A token bucket per client address: ``burst`` at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before trying again."""
        now = self.clock()
        tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > 50_000:
                self._forget_idle(now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}


_DEFAULT_CSP = content_security_policy().encode()


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a body grows past the limit."""


class Guard:
    """Shared state of the guard middleware: limits and the rejection pages."""

    def __init__(self, *, max_body: int, max_api_body: int, limiter: RateLimiter, reject: Rejecter,
                 secure_hsts: bool = True) -> None:
        self.max_body = max_body
        self.max_api_body = max_api_body
        self.limiter = limiter
        self.reject = reject
        self.secure_hsts = secure_hsts

    def limit_for(self, scope: Scope) -> int:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        relative = path[len(root):] if root and path.startswith(root) else path
        return self.max_api_body if relative.startswith("/api/") else self.max_body


class GuardMiddleware:
    """Wraps one route's ASGI app with the :class:`Guard`'s checks and headers."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = self.guard
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                for name, value in _BASE_RAW:
                    if name not in present:
                        headers.append((name, value))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", _DEFAULT_CSP))
                    headers.append((b"x-frame-options", b"DENY"))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if secure and guard.secure_hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        limit = guard.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._reject(scope, receive, send_with_headers, 413, {})
            return
        if scope.get("method") in UNSAFE_METHODS:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = guard.limiter.take(client)
            if wait > 0:
                await self._reject(scope, receive, send_with_headers, 429, {"retry-after": str(math.ceil(wait))})
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._reject(scope, receive, send_with_headers, 413, {})

    async def _reject(self, scope: Scope, receive: Receive, send: Send, status: int, headers: dict[str, str]) -> None:
        response = await self.guard.reject(scope, status, headers)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

