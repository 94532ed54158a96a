"""Twilio's webhooks: ``POST /sms/inbound`` (texts) and ``POST /sms/status`` (status callbacks).

Every request's ``X-Twilio-Signature`` is checked against the configured public URL
(``RIGHTSAWARE_PUBLIC_URL`` + the route's path and query), never against the ``Host`` the
server sees; a missing or wrong signature gets 403 and changes nothing. Texts are recorded
and applied before the answer (an empty TwiML ``<Response/>``) goes back; the replies they
cause are queued in the outbox and sent right after the response, by the same code the
worker uses.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rightsaware.errors import ConfigError
from rightsaware.events import InboundEvent

from .channel import INBOUND_PATH, NAME, QUEUE_CONVERSATION, STATUS_PATH
from .conversation import BadInbound, Conversations
from .gateway import signature_is_valid, twiml
from .sender import Sender

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"
TWIML = "application/xml"


class SmsService:
    """What the routes share: the conversations, a sender without pacing, the status rules."""

    def __init__(self, runtime: Any, channel: Any) -> None:
        self.runtime = runtime
        self.channel = channel
        self.conversations = Conversations(runtime, channel)
        self.sender = Sender(runtime, channel)
        self.sms = channel.sms_store(runtime)

    def send_now(self, respondent_id: str | None) -> int:
        """Send the respondent's queued conversation texts at once; how many were handled.

        Anything that fails here stays in the outbox for the worker (retry, reconcile).
        """
        if not respondent_id:
            return 0
        items = self.sms.claim_for_respondent(QUEUE_CONVERSATION, respondent_id,
                                              lease_seconds=self.channel.settings.lease_seconds)
        for index, item in enumerate(items):
            try:
                self.sender.send_item(item)
            except ConfigError as exc:
                log.error("SMS sending is misconfigured: %s", exc)
                for rest in items[index + 1:]:
                    self.runtime.store.requeue(rest.id)
                break
        return len(items)

    def status(self, params: Any) -> bool:
        """Apply a status callback; True if the status moved forward."""
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not status:
            return False
        moved = self.sms.record_delivery(sid, status, outbox_id=self.sms.outbox_id_for_sid(sid),
                                         error_code=params.get("ErrorCode") or None)
        event = InboundEvent(channel=NAME, idempotency_key=f"{sid}:{status}", kind="status", text=status)
        self.runtime.hook.inbound_received(event=event, channel=self.channel, runtime=self.runtime)
        return moved


def signed_url(runtime: Any, path: str, request: Request) -> str | None:
    """The URL Twilio was configured with: the public URL, the route's path and the query."""
    base = (runtime.settings.public_url or "").rstrip("/")
    if not base:
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    return base + path + (f"?{query}" if query else "")


async def verified_form(request: Request, runtime: Any, channel: Any, path: str) -> Any | None:
    """The form parameters if the request is signed by Twilio for this URL, else ``None``."""
    url = signed_url(runtime, path, request)
    if url is None or not channel.signing_key:
        log.warning("SMS webhook refused: set RIGHTSAWARE_PUBLIC_URL and TWILIO_AUTH_TOKEN to accept Twilio's requests")
        return None
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        return None
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return None
    form = await request.form()
    if not signature_is_valid(channel.signing_key, url, form, signature):
        return None
    return form


def make_routes(service: SmsService) -> list[Route]:
    """The two webhook routes."""
    runtime, channel = service.runtime, service.channel

    async def inbound(request: Request) -> Response:
        form = await verified_form(request, runtime, channel, INBOUND_PATH)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        params = {key: value for key, value in form.multi_items()}
        try:
            respondent_id = await run_in_threadpool(service.conversations.receive, params)
        except BadInbound:
            return PlainTextResponse("Bad request: MessageSid and From are required", status_code=400)
        task = BackgroundTask(service.send_now, respondent_id) if respondent_id else None
        return Response(twiml(), media_type=TWIML, background=task)

    async def status(request: Request) -> Response:
        form = await verified_form(request, runtime, channel, STATUS_PATH)
        if form is None:
            return PlainTextResponse("Forbidden", status_code=403)
        params = {key: value for key, value in form.multi_items()}
        await run_in_threadpool(service.status, params)
        return Response(twiml(), media_type=TWIML)

    return [Route(INBOUND_PATH, inbound, methods=["POST"]), Route(STATUS_PATH, status, methods=["POST"])]
