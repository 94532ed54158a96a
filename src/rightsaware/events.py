"""Values that cross the channel boundary: invitations, renderings, receipts, inbound events.

This module holds data only: no I/O, no cattrs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import field, frozen

from .response import utcnow


@frozen(kw_only=True)
class Invitation:
    """A request to deliver an instrument (or a message about it) to one respondent."""

    instrument_id: str
    channel: str
    language: str = "en"
    respondent_id: str | None = None
    address: str | None = None  # personal data: never logged
    response_id: str | None = None
    kind: str = "invitation"  # invitation | question | reminder | referral | message


@frozen(kw_only=True)
class Rendered:
    """What a channel shows or sends for one question, in one locale."""

    channel: str
    locale: str
    text: str
    data: dict[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class Receipt:
    """The outcome of a delivery; ordinary failures are reported here, never raised."""

    ok: bool
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    permanent: bool = False
    at: dt.datetime = field(factory=utcnow)


@frozen(kw_only=True)
class InboundEvent:
    """A channel's decoded inbound payload: a reply, a form post or a scanned page.

    ``idempotency_key`` (a provider message id, a form token, a page hash) makes applying
    the same event twice a no-op.
    """

    channel: str
    idempotency_key: str
    kind: str = "reply"  # reply | status | page | opt_out | opt_in
    respondent_id: str | None = None
    response_id: str | None = None
    text: str | None = None
    answers: dict[str, Any] = field(factory=dict)
    language: str | None = None
    received_at: dt.datetime = field(factory=utcnow)
