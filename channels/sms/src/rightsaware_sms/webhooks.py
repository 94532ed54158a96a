"""Twilio's webhooks: ``POST /sms/inbound`` (texts) and ``POST /sms/status`` (status callbacks).

Every request's ``X-Twilio-Signature`` is checked against the configured public URL
(``RIGHTSAWARE_PUBLIC_URL`` + the route's path and query), never against the ``Host`` the
server sees; a missing or wrong signature gets 403 and changes nothing. A text is recorded
durably (once per ``MessageSid``; an opt-out takes effect at once) before the answer, an
empty TwiML ``<Response/>``, goes back; it is then applied and answered by the pump of
:mod:`rightsaware_sms.service` (or by the worker), through the outbox. The pump waits for a
gap between webhook requests, so it is told when each one starts and ends.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .channel import INBOUND_PATH, STATUS_PATH
from .conversation import BadInbound
from .gateway import SignatureChecker, twiml

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 64 * 1024  # Twilio's webhooks are a few kilobytes; anything bigger is not from Twilio
TWIML = "application/xml"


def signed_url(runtime: Any, path: str, request: Request) -> str | None:
    """The URL Twilio was configured with: the public URL, the route's path and the query."""
    base = (runtime.settings.public_url or "").rstrip("/")
    if not base:
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    return base + path + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=32)
def _checker(auth_token: str, url: str) -> SignatureChecker:
    return SignatureChecker(auth_token, url)


async def verified_form(request: Request, runtime: Any, channel: Any, path: str) -> dict[str, str] | None:
    """The form parameters if the request is signed by Twilio for this URL, else ``None``.

    Blank values are kept and every parameter counts (Twilio signs all it sends).
    """
    url = signed_url(runtime, path, request)
    if url is None or not channel.signing_key:
        log.warning("SMS webhook refused: set RIGHTSAWARE_PUBLIC_URL and TWILIO_AUTH_TOKEN to accept Twilio's requests")
        return None
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        return None
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return None
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return None
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if not _checker(channel.signing_key, url).valid(pairs, signature):
        return None
    return dict(pairs)


def make_routes(service: Any) -> list[Route]:
    """The two webhook routes."""
    runtime, channel = service.runtime, service.channel
    acknowledgement = twiml().encode("utf-8")  # the same empty <Response/> every time: built once

    def acknowledge() -> Response:
        return Response(acknowledgement, media_type=TWIML)

    async def inbound(request: Request) -> Response:
        service.request_started()
        try:
            return await answer_inbound(request)
        finally:
            service.request_finished()

    async def answer_inbound(request: Request) -> Response:
        form = await verified_form(request, runtime, channel, INBOUND_PATH)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        params = form
        conversations = service.conversations
        try:
            text = conversations.prepare(params)
        except BadInbound:
            return PlainTextResponse("Bad request: MessageSid and From are required", status_code=400)
        row_id = await asyncio.wrap_future(text.record(service.sms))  # group commit, no thread per request
        if row_id is None:
            return acknowledge()  # a retry of a text we have: nothing changes
        if text.keyword is not None:
            await run_in_threadpool(conversations.after_recording, text, row_id)
        service.received(text.key)
        return acknowledge()

    async def status(request: Request) -> Response:
        form = await verified_form(request, runtime, channel, STATUS_PATH)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        await run_in_threadpool(service.status, form)
        return acknowledge()

    return [Route(INBOUND_PATH, inbound, methods=["POST"]), Route(STATUS_PATH, status, methods=["POST"])]
