"""Campaigns: plan and queue the invitations of an instrument to a checked contact list.

Planning changes nothing: it counts, per language, who would be invited, who was invited
already (the invitation key is ``invite:<instrument>:<respondent>``, so running the same
command again queues nothing twice) and who opted out, and estimates the cost in segments.
Queuing creates the respondents (contact encrypted, id a keyed hash), one interview each,
and one invitation per interview in the ``sms-campaign`` queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import define, field, frozen

from .channel import NAME, QUEUE_CAMPAIGN
from .segments import Measure, measure, prepare


@frozen
class Estimate:
    """Per language: recipients and the segments of the invitation and of a full interview."""

    language: str
    recipients: int
    invitation: Measure
    interview_segments: int  # every later question texted once (an upper bound: skip logic may ask fewer)

    @property
    def invitation_segments(self) -> int:
        return self.recipients * self.invitation.segments


@define
class Plan:
    new: list[Any] = field(factory=list)  # contacts to invite
    already: int = 0
    opted_out: int = 0
    estimates: list[Estimate] = field(factory=list)
    samples: dict[str, str] = field(factory=dict)  # language -> invitation body

    @property
    def total_segments(self) -> int:
        return sum(e.invitation_segments for e in self.estimates)


def invitation_key(instrument_id: str, respondent_id: str) -> str:
    return f"invite:{instrument_id}:{respondent_id}"


def sample_invitation(runtime: Any, channel: Any, instrument: Any, language: str) -> tuple[str, int]:
    """The invitation text an interview in ``language`` starts with, and the segments of the rest."""
    from rightsaware.flow import Engine
    from rightsaware.response import Response

    engine = Engine(instrument)
    empty = Response(id="plan", instrument_id=instrument.id, instrument_version=instrument.version,
                     instrument_hash=instrument.content_hash, channel=NAME, language=language)
    first = engine.next_question(empty)
    texts = channel.texts(runtime, instrument, language)
    answerable = [q for q in instrument.questions if q.answerable]
    total = len(answerable)
    if first is None:
        return prepare(texts.closing([], max_segments=channel.settings.max_closing_segments)), 0
    _answered, remaining = engine.progress(empty)  # as Conversations.start words it
    body = prepare(texts.invitation(first, number=1, total=remaining, notes=engine.pending_notes(empty, first)))
    rest = sum(measure(prepare(texts.question(q, number=i, total=total))).segments
               for i, q in enumerate(answerable, start=1) if q is not first)
    rest += measure(prepare(texts.closing([], max_segments=channel.settings.max_closing_segments))).segments
    return body, rest


def plan_campaign(runtime: Any, channel: Any, instrument_id: str, contacts: Any) -> Plan:
    """Who would be invited, and what it would cost; changes nothing."""
    instrument = runtime.instrument(instrument_id)
    store = runtime.store
    sms = channel.sms_store(runtime)
    plan = Plan()
    ids = {}
    for contact in contacts.contacts:
        existing = store.find_respondent(NAME, contact.address)
        if existing is not None:
            record = store.respondent(existing)
            if record is not None and NAME in record.opted_out_channels:
                plan.opted_out += 1
                continue
        ids[contact] = existing or runtime.keyring.respondent_id(NAME, contact.address)
    queued = sms.existing_keys(QUEUE_CAMPAIGN, [invitation_key(instrument.id, rid) for rid in ids.values()])
    counts: dict[str, int] = {}
    for contact, respondent_id in ids.items():
        if invitation_key(instrument.id, respondent_id) in queued:
            plan.already += 1
            continue
        plan.new.append(contact)
        counts[contact.language] = counts.get(contact.language, 0) + 1
    for language in instrument.languages:
        body, rest = sample_invitation(runtime, channel, instrument, language)
        plan.samples[language] = body
        if counts.get(language):
            plan.estimates.append(Estimate(language, counts[language], measure(body), rest))
    return plan


def queue_campaign(runtime: Any, channel: Any, instrument_id: str, plan: Plan,
                   on_progress: Callable[[int], None] | None = None) -> int:
    """Create respondents and interviews and queue the invitations of ``plan``; how many were queued."""
    from .conversation import Conversations

    conversations = Conversations(runtime, channel)
    store = runtime.store
    queued = 0
    for contact in plan.new:
        respondent_id = store.ensure_respondent(NAME, contact.address, language=contact.language)
        record = store.respondent(respondent_id)
        if record is not None and NAME in record.opted_out_channels:
            continue
        response_id = conversations.start(respondent_id, instrument_id, contact.language,
                                          key=invitation_key(instrument_id, respondent_id), queue=QUEUE_CAMPAIGN)
        if response_id is not None:
            queued += 1
        if on_progress is not None:
            on_progress(1)
    return queued
