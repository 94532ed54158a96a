"""Sending to and receiving from channels, with the hooks every channel shares.

:func:`deliver` asks ``check_delivery`` (a plugin may veto: opted out, quiet hours), then
``render_question``, then the channel's own ``deliver``. :func:`receive` has the channel
decode a payload, drops duplicates by idempotency key and fires ``inbound_received``.
"""

from __future__ import annotations

from typing import Any

from .events import InboundEvent, Invitation, Receipt, Rendered


def deliver(runtime: Any, invitation: Invitation, question: Any = None, *, text: str | None = None) -> Receipt:
    """Deliver one invitation (a question, or a ready ``text``) through its channel."""
    channel = runtime.channels.get(invitation.channel)
    reason = runtime.hook.check_delivery(invitation=invitation, channel=channel, runtime=runtime)
    if reason:
        return Receipt(ok=False, error_code="vetoed", error=str(reason), permanent=True)
    if question is not None:
        rendered = runtime.hook.render_question(question=question, locale=invitation.language,
                                                channel=channel, runtime=runtime)
    else:
        rendered = Rendered(channel=channel.info.name, locale=invitation.language, text=text or "")
    return channel.deliver(invitation, rendered, runtime)


def receive(runtime: Any, channel_name: str, payload: Any) -> InboundEvent | None:
    """Decode an inbound payload; ``None`` when the channel refuses it or it was seen before."""
    channel = runtime.channels.get(channel_name)
    event = channel.parse_inbound(payload, runtime)
    if event is None:
        return None
    if not runtime.store.claim_event(channel_name, event.idempotency_key, kind=event.kind):
        return None
    runtime.hook.inbound_received(event=event, channel=channel, runtime=runtime)
    return event
