"""Frozen records the store returns: respondents, outbox items and referrals.

Data only; none of these holds a contact address (ask the store for it explicitly).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import field, frozen


@frozen(kw_only=True)
class RespondentRecord:
    """A respondent, known by a keyed hash of their contact details."""

    id: str
    language: str | None
    created_at: dt.datetime
    opted_out_channels: frozenset[str] = field(factory=frozenset, converter=frozenset)
    erased: bool = False


@frozen(kw_only=True)
class OutboxItem:
    """One message waiting in (or gone through) the outbox of a sending channel.

    ``status`` is ``queued``, ``sending`` (leased by a sender until ``lease_until``),
    ``sent``, ``failed`` (permanently) or ``unknown`` (the sender crashed mid-send: needs
    reconciliation with the provider). ``reclaimed`` is true when this claim took over an
    expired lease: an earlier sender may already have sent it.
    """

    id: int
    channel: str
    key: str
    payload: dict[str, Any] = field(hash=False)
    respondent_id: str | None
    status: str
    attempts: int
    provider_id: str | None
    error_code: str | None
    error: str | None
    not_before: dt.datetime | None
    lease_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    reclaimed: bool = False


@frozen(kw_only=True)
class ReferralRecord:
    """A referral made from a response to an organisation in the directory."""

    response_id: str
    organisation_id: str
    topic: str
    channel: str
    language: str
    share_contact: bool
    created_at: dt.datetime
