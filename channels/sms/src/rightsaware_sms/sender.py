"""Sending one outbox item: vetoes, reconciliation of unknown outcomes, the gateway call, the result.

The guarantee (see ``docs/sms.md``): an item is marked ``sent`` only after the provider
accepted it, and before the provider is called the attempt's start time is written down.
An item found ``sending`` after its lease ran out (the sender was killed) or marked
``unknown`` (a timeout after the request left) is first looked up in the provider's
message list — same number, same body, created since the first attempt, not already
claimed by another item — and resent only if it is not there.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

from rightsaware.errors import ConfigError
from rightsaware.events import Invitation
from rightsaware.response import utcnow

from .channel import NAME, QUEUE_CAMPAIGN, VETO_OPTED_OUT, VETO_QUIET_HOURS
from .gateway import GatewayError

log = logging.getLogger(__name__)
#: How far before the recorded start of an attempt a provider's message may be dated (clock skew).
CLOCK_SKEW = dt.timedelta(minutes=2)

SENT, RECONCILED, FAILED, RETRY, DEFERRED, UNKNOWN, OPTED_OUT = (
    "sent", "reconciled", "failed", "retry", "deferred", "unknown", "opted_out")


def backoff(attempts: int, *, base: float = 2.0, cap: float = 900.0) -> dt.timedelta:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, at most ``cap``."""
    seconds = min(cap, base ** max(1, attempts))
    return dt.timedelta(seconds=seconds * random.uniform(0.5, 1.0))


class Sender:
    """Sends outbox items of the SMS queues through the channel's gateways."""

    def __init__(self, runtime: Any, channel: Any, *, before_send: Callable[[], None] | None = None) -> None:
        self.runtime = runtime
        self.channel = channel
        self.store = runtime.store
        self.sms = channel.sms_store(runtime)
        self.settings = channel.settings
        self.before_send = before_send or (lambda: None)

    def send_item(self, item: Any) -> str:
        """Deliver one leased item; returns what happened (``sent``, ``failed``, ``retry`` …)."""
        payload = item.payload
        address = self.store.contact_address(item.respondent_id, NAME) if item.respondent_id else None
        if not address:
            self.store.mark_failed(item.id, "no_address", "no phone number is known (erased?)", permanent=True)
            return FAILED
        veto = self._veto(item, address)
        if veto == VETO_QUIET_HOURS and self.settings.quiet_hours is not None:
            self.store.requeue(item.id, not_before=self.settings.quiet_hours.next_end(utcnow()))
            return DEFERRED
        if veto:
            self.store.mark_failed(item.id, "opted_out" if veto == VETO_OPTED_OUT else "vetoed", str(veto),
                                   permanent=True)
            self._abandon(payload, "opted_out" if veto == VETO_OPTED_OUT else "undeliverable")
            return OPTED_OUT if veto == VETO_OPTED_OUT else FAILED
        gateway = self.channel.gateway_for(address)
        started = self.sms.first_attempt(item.id)
        if started is not None:  # an earlier attempt may have reached the provider
            try:
                found = self._find(gateway, address, payload["body"], started)
            except GatewayError as exc:
                return self._failed(item, exc)
            if found is not None:
                self._mark_sent(item.id, found.sid, found.status or "sent")
                return RECONCILED
        else:
            self.sms.begin_attempt(item.id)
        self.before_send()
        try:
            result = gateway.send(address, payload["body"], status_callback=self.channel.status_callback_url(self.runtime),
                                  validity_period=self.settings.validity_period)
        except GatewayError as exc:
            return self._failed(item, exc)
        self._mark_sent(item.id, result.sid, result.status)
        return SENT

    def reconcile(self, item: Any) -> str:
        """Settle an ``unknown`` item: sent if the provider has it, else back in the queue."""
        address = self.store.contact_address(item.respondent_id, NAME) if item.respondent_id else None
        if not address:
            self.store.mark_failed(item.id, "no_address", "no phone number is known (erased?)", permanent=True)
            return FAILED
        started = self.sms.first_attempt(item.id) or item.created_at
        try:
            found = self._find(self.channel.gateway_for(address), address, item.payload["body"], started)
        except GatewayError as exc:
            if exc.configuration:
                raise ConfigError(exc.message) from None
            return UNKNOWN  # try again at the next sweep
        if found is not None:
            self._mark_sent(item.id, found.sid, found.status or "sent")
            return RECONCILED
        self.store.requeue(item.id)
        return RETRY

    # --- internals -----------------------------------------------------------------------------

    def _veto(self, item: Any, address: str) -> str | None:
        payload = item.payload
        kind = payload.get("kind") or "message"
        if item.channel != QUEUE_CAMPAIGN and kind == "invitation":
            kind = "question"  # the respondent texted first (or uses the simulator): not a campaign text
        invitation = Invitation(instrument_id=payload.get("instrument_id") or "", channel=NAME,
                                language=payload.get("language") or "en", respondent_id=item.respondent_id,
                                address=address, response_id=payload.get("response_id"), kind=kind)
        return self.runtime.hook.check_delivery(invitation=invitation, channel=self.channel, runtime=self.runtime)

    def _find(self, gateway: Any, address: str, body: str, since: dt.datetime) -> Any:
        candidates = gateway.find_sent(address, body, since - CLOCK_SKEW)
        known = self.sms.known_sids([c.sid for c in candidates])
        for candidate in candidates:
            if candidate.sid not in known:
                return candidate
        return None

    def _mark_sent(self, item_id: int, sid: str, status: str) -> None:
        self.store.mark_sent(item_id, sid)
        self.sms.record_delivery(sid, status if status else "queued", outbox_id=item_id)

    def _failed(self, item: Any, exc: GatewayError) -> str:
        if exc.unknown:
            self.store.mark_unknown(item.id)
            return UNKNOWN
        if exc.configuration:
            self.store.requeue(item.id)
            raise ConfigError(exc.message)
        if exc.opted_out:
            self.store.mark_failed(item.id, exc.code, exc.message, permanent=True)
            if item.respondent_id:
                self.store.set_opted_out(item.respondent_id, NAME, True)
            self._abandon(item.payload, "opted_out", respondent_id=item.respondent_id)
            return OPTED_OUT
        if exc.permanent or item.attempts >= self.settings.max_attempts:
            self.store.mark_failed(item.id, exc.code, exc.message, permanent=True)
            if item.payload.get("kind") == "invitation":
                self._abandon(item.payload, "undeliverable")
            return FAILED
        self.sms.clear_attempt(item.id)  # refused for sure: nothing to reconcile next time
        self.store.mark_failed(item.id, exc.code, exc.message, permanent=False,
                               retry_at=utcnow() + backoff(item.attempts))
        return RETRY

    def _abandon(self, payload: dict, reason: str, *, respondent_id: str | None = None) -> None:
        """End the interview a message belonged to (and, for an opt-out, every open one)."""
        from rightsaware.interview import Interviewer

        interviewer = Interviewer(self.runtime)
        ids = []
        if payload.get("response_id"):
            ids.append(payload["response_id"])
        if respondent_id:
            active = self.store.active_response(respondent_id, channel=NAME)
            if active is not None:
                ids.append(active.id)
        for response_id in dict.fromkeys(ids):
            response = self.store.load_response(response_id)
            if response is not None and response.status == "active":
                interviewer.abandon(response_id, reason)
