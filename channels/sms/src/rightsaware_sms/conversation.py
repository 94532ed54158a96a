"""Conversations: apply inbound texts to interviews, in order, exactly once, and queue the replies.

The rule: *a text answers the question that is outstanding when it is applied*, and texts
from one respondent are applied one at a time in the order they reached the server.

1. :meth:`Conversations.receive` records the text in ``sms_inbound`` under its unique
   ``MessageSid`` (a retried webhook is a duplicate and changes nothing), then handles an
   opt-out or opt-in at once.
2. :meth:`Conversations.drain` takes the sender's lease and applies their pending texts
   oldest first; a caller that finds the lease taken waits until its own text has been
   applied by the holder. Texts left pending (pump off, a crash) are applied by the worker.
3. Each text's reply (next question, hint, help, confirmation) is queued in the outbox under
   a key made from the inbound ``MessageSid``, so re-applying after a crash queues nothing
   twice. Before applying, the response's revision is noted; if a crash happened after the
   answer was saved, the text is not applied a second time.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from rightsaware.interview import Interviewer, Turn
from rightsaware.privacy import WITHDRAW_WORDS, is_withdrawal, withdraw
from rightsaware.response import STATUS_ACTIVE, utcnow
from rightsaware.text import nfc, reply_key
from rightsaware.vocabulary import classify_reply

from .channel import KIND_WITHDRAWN, NAME, QUEUE_CAMPAIGN, QUEUE_CONVERSATION
from .segments import measure, prepare

log = logging.getLogger(__name__)
WITHDRAW_ACTOR = "respondent:sms"  # the audit log's actor: the respondent, by text
LEASE_SECONDS = 30.0
WAIT_SECONDS = 10.0
#: Twilio's own opt-out and opt-in words: on a long code Twilio confirms these itself.
TWILIO_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
                             "start", "unstop", "yes"})


def withdrawal_language(body: str) -> str | None:
    """The language of the withdrawal words ``body`` is written in (``None``: not a withdrawal)."""
    if not is_withdrawal(body):
        return None
    for accents in (True, False):
        key = reply_key(body, accents=accents)
        for language, words in WITHDRAW_WORDS.items():
            if key in {reply_key(word, accents=accents) for word in words}:
                return language
    return None


class BadInbound(ValueError):
    """A webhook without MessageSid or From."""


def keyword_kind(body: str, params: Mapping[str, str]) -> str | None:
    """``opt_out``, ``opt_in`` or ``None``: the whole text is a stop or start word (any language),
    or Twilio's Advanced Opt-Out says so (``OptOutType``)."""
    opt_out_type = str(params.get("OptOutType", "")).upper()
    if opt_out_type == "STOP":
        return "opt_out"
    if opt_out_type == "START":
        return "opt_in"
    intent = classify_reply(body)
    if intent is not None and intent.kind == "stop":
        return "opt_out"
    if intent is not None and intent.kind == "start":
        return "opt_in"
    return None


@frozen
class InboundText:
    """A webhook's text, checked and normalised, ready to record (``key``: the sender's keyed hash)."""

    sid: str
    sender: str  # personal data: never logged
    body: str
    key: str
    params: dict[str, str] = field(hash=False, repr=False)
    keyword: str | None = None  # "opt_out", "opt_in" or None

    def record(self, sms: Any) -> Any:
        """A future of the ``sms_inbound`` row id (``None``: a duplicate ``MessageSid``)."""
        return sms.record_inbound_later(self.sid, self.key, self.sender, self.body)


class BoundRuntime:
    """The runtime with ``store`` pinned to one opened store.

    ``Runtime.store`` opens (and migrates) the database again when it is used after
    ``close()``; a background thread (the pump) finishing its work just then must not do
    that, because Alembic's migration context is not thread-safe. Everything else is the
    runtime's own.
    """

    def __init__(self, runtime: Any, store: Any) -> None:
        object.__setattr__(self, "_runtime", runtime)
        object.__setattr__(self, "store", store)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)


class Conversations:
    """Inbound texts to interview turns, and the messages that answer them."""

    def __init__(self, runtime: Any, channel: Any) -> None:
        self.store = runtime.store
        self.runtime = runtime if isinstance(runtime, BoundRuntime) else BoundRuntime(runtime, self.store)
        self.channel = channel
        self.sms = channel.sms_store(runtime)
        self.interviewer = Interviewer(self.runtime)

    # --- receiving -----------------------------------------------------------------------------

    def receive(self, params: Mapping[str, str], *, apply: bool = True) -> str | None:
        """Record one inbound text (and apply it, unless ``apply=False``); the sender key, or ``None``.

        ``None`` means a duplicate ``MessageSid``: nothing changed. An opt-out (or opt-in)
        takes effect here at once; any other text waits in ``sms_inbound`` for :meth:`drain`
        (the server's pump, the worker) unless ``apply`` is true.
        """
        text = self.prepare(params)
        row_id = text.record(self.sms).result()
        if row_id is None:
            return None
        if not self.after_recording(text, row_id) and apply:
            self.drain(text.key, wait_for=row_id)
        return text.key

    def prepare(self, params: Mapping[str, str]) -> InboundText:
        """Check and normalise a webhook's parameters; no database access (raises :class:`BadInbound`)."""
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        sender = params.get("From") or ""
        if not sid or not sender:
            raise BadInbound("an inbound text needs MessageSid and From")
        body = nfc(params.get("Body") or "")
        return InboundText(sid=sid, sender=sender, body=body, key=self.runtime.keyring.respondent_id(NAME, sender),
                           params=dict(params), keyword=keyword_kind(body, params))

    def after_recording(self, text: InboundText, row_id: int) -> bool:
        """Apply an opt-out or opt-in at once; True when the text is done with."""
        if text.keyword is None:
            return False
        respondent_id = self.store.ensure_respondent(NAME, text.sender)
        record = self.store.respondent(respondent_id)
        opted_out = record is not None and NAME in record.opted_out_channels
        if text.keyword == "opt_in" and not opted_out:
            return False  # START from someone subscribed: an ordinary text
        self._announce(text.params)
        confirmed = self._provider_confirms(text.sender, text.body, text.params)
        if text.keyword == "opt_out":
            self.opt_out(respondent_id, text.sid, confirmed_by_provider=confirmed)
        else:
            self.opt_in(respondent_id, text.sid, confirmed_by_provider=confirmed)
        self.sms.finish_inbound(row_id)
        return True

    def _announce(self, params: Mapping[str, str]) -> None:
        """Call the ``inbound_received`` hook for a text about to take effect (if any plugin listens)."""
        if not self.runtime.hook.inbound_received.get_hookimpls():
            return  # building the event costs a respondent look-up; nobody would read it
        event = self.channel.parse_inbound(dict(params), self.runtime)
        if event is not None:
            self.runtime.hook.inbound_received(event=event, channel=self.channel, runtime=self.runtime)

    def _provider_confirms(self, sender: str, body: str, params: Mapping[str, str]) -> bool:
        """Whether the provider already answered this keyword itself (so we stay silent)."""
        if params.get("OptOutType"):
            return True
        gateway = self.channel.gateway_for(sender)
        return bool(gateway.handles_standard_keywords) and body.strip().casefold() in TWILIO_KEYWORDS

    def opt_out(self, respondent_id: str, sid: str, *, confirmed_by_provider: bool) -> None:
        """Never text this number again (any campaign) until it texts START; end open interviews."""
        self.store.set_opted_out(respondent_id, NAME, True)
        language = self._language(respondent_id)
        while True:
            response = self.store.active_response(respondent_id, channel=NAME)
            if response is None:
                break
            language = response.language
            self.interviewer.abandon(response.id, "opted_out")
        if not confirmed_by_provider:
            texts = self._texts_for_language(language)
            self.enqueue(respondent_id, texts.opted_out(), kind="opt_out_confirmation", key=f"optout:{sid}",
                         language=language)

    def opt_in(self, respondent_id: str, sid: str, *, confirmed_by_provider: bool) -> None:
        self.store.set_opted_out(respondent_id, NAME, False)
        if not confirmed_by_provider:
            language = self._language(respondent_id)
            self.enqueue(respondent_id, self._texts_for_language(language).opted_in(), kind="message",
                         key=f"optin:{sid}", language=language)

    def withdraw(self, respondent_id: str, sid: str, language: str) -> None:
        """The respondent withdrew consent (WITHDRAW, TYNNU'N ÔL, TARRAING AIR AIS).

        Every response of theirs is recorded in ``withdrawals`` (reports and exports leave
        it out), open interviews end, no more texts are sent until they text START, and one
        confirmation goes back in the language of the words they used. Safe to repeat.
        """
        withdraw(self.runtime, respondent_id=respondent_id, channel=NAME, actor=WITHDRAW_ACTOR, stop_contact=True)
        self.enqueue(respondent_id, self._texts_for_language(language).withdrawn(), kind=KIND_WITHDRAWN,
                     key=f"withdraw:{sid}", language=language)

    # --- applying in order ---------------------------------------------------------------------

    def drain(self, sender_key: str, *, wait_for: int | None = None) -> set[str]:
        """Apply the sender's pending texts in arrival order, one process at a time.

        Returns the ids of the respondents whose texts this call applied. With ``wait_for``
        (an ``sms_inbound`` row id), return only once that text has been applied, by this
        call or by whoever holds the lease (at most :data:`WAIT_SECONDS`).
        """
        token = secrets.token_hex(8)
        deadline = time.monotonic() + WAIT_SECONDS
        pause = 0.002
        applied: set[str] = set()
        while True:
            if self.sms.try_lease(sender_key, token, LEASE_SECONDS):
                try:
                    while rows := self.sms.pending_inbound(sender_key):
                        for row in rows:
                            applied.add(self.apply(row))
                            self.sms.finish_inbound(row["id"])
                        self.sms.try_lease(sender_key, token, LEASE_SECONDS)
                finally:
                    self.sms.release_lease(sender_key, token)
            if wait_for is None or self.sms.inbound_state(wait_for) != "pending":
                return applied
            if time.monotonic() > deadline:
                log.warning("a text is still waiting for another process to apply it; the worker will apply it")
                return applied
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def apply(self, row: Mapping[str, Any]) -> str:
        """Apply one text (an answer, a command, or the start of a conversation); the respondent id."""
        sender, text, sid = row["sender"], row["body"] or "", row["message_sid"]
        respondent_id = self.store.ensure_respondent(NAME, sender)
        language = withdrawal_language(text)
        if language is not None:  # consent is withdrawn even by someone who opted out of texts
            self._announce({"MessageSid": sid, "From": sender, "Body": text})
            self.withdraw(respondent_id, sid, language)
            return respondent_id
        record = self.store.respondent(respondent_id)
        if record is None or NAME in record.opted_out_channels:
            return respondent_id  # they opted out: nothing is sent until they text START
        self._announce({"MessageSid": sid, "From": sender, "Body": text})
        key = f"reply:{sid}"
        intent = classify_reply(text)
        response = self.store.active_response(respondent_id, channel=NAME)
        if response is None:
            self._without_interview(respondent_id, record, intent, key)
            return respondent_id
        if (row.get("base_revision") is not None and row.get("response_id") == response.id
                and response.revision > row["base_revision"]):
            self.respond(self.interviewer.current(response.id), key)  # applied before a crash
            return respondent_id
        self.sms.note_base_revision(row["id"], response.id, response.revision)
        if intent is not None and intent.kind in ("skip", "start", "stop"):
            turn = self.interviewer.current(response.id)
            if intent.kind == "skip" and turn.question is not None and turn.question.required:
                self.respond(turn, key, prefix=self.channel.texts(
                    self.runtime, self._instrument(response), response.language).cannot_skip())
                return respondent_id
            if intent.kind != "skip":
                self.respond(turn, key)
                return respondent_id
        turn = self.interviewer.reply(response.id, text, channel=NAME)
        self.respond(turn, key)
        return respondent_id

    def _without_interview(self, respondent_id: str, record: Any, intent: Any, key: str) -> None:
        language = record.language or self.runtime.settings.default_language
        if intent is not None and intent.kind == "switch_language":
            language = intent.language
            self.store.set_language(respondent_id, language)
        instrument_id = self.channel.settings.instrument
        if instrument_id:
            self.start(respondent_id, instrument_id, language, key=key)
            return
        today = utcnow().date().isoformat()
        self.enqueue(respondent_id, self._texts_for_language(language).no_survey(), kind="message",
                     key=f"nosurvey:{respondent_id}:{today}", language=language)

    # --- what is sent back ---------------------------------------------------------------------

    def respond(self, turn: Turn, key: str, *, prefix: str | None = None) -> bool:
        """Queue the message that follows ``turn``: a hint, help, a confirmation and the question."""
        response = turn.response
        if turn.completed or response.status != STATUS_ACTIVE or turn.question is None:
            return False  # the closing message comes from the response_completed hook
        engine = self.interviewer.engine(response.instrument_id)
        texts = self.channel.texts(self.runtime, engine.instrument, response.language)
        parts = [prefix] if prefix else []
        if turn.intent == "language":
            parts.append(texts.language_switched())
        elif turn.intent == "help":
            parts.append(texts.help())
        if turn.error is not None:
            parts.append(texts.error(turn.error))
        answered, remaining = engine.progress(response)
        notes = () if turn.error is not None or prefix or turn.intent == "help" else turn.notes
        parts.append(texts.question(turn.question, number=answered + 1, total=answered + remaining, notes=notes))
        return self.enqueue(response.respondent_id, "\n".join(parts), kind="question", key=key,
                            response_id=response.id, instrument_id=response.instrument_id,
                            language=response.language)

    def start(self, respondent_id: str, instrument_id: str, language: str, *, key: str,
              queue: str = QUEUE_CONVERSATION, synthetic: bool = False) -> str | None:
        """Open an interview and queue its invitation; the response id (``None`` if ``key`` was queued)."""
        if self.sms.existing_keys(queue, [key]):
            return None
        turn = self.interviewer.start(instrument_id, channel=NAME, language=language, respondent_id=respondent_id,
                                      synthetic=synthetic)
        response = turn.response
        engine = self.interviewer.engine(instrument_id)
        answered, remaining = engine.progress(response)
        texts = self.channel.texts(self.runtime, engine.instrument, response.language)
        if turn.question is None:
            body = texts.closing([], max_segments=self.channel.settings.max_closing_segments)
        else:
            body = texts.invitation(turn.question, number=answered + 1, total=answered + remaining, notes=turn.notes)
        queued = self.enqueue(respondent_id, body, kind="invitation", key=key, response_id=response.id,
                              instrument_id=instrument_id, language=response.language, queue=queue)
        if not queued:  # another process queued the same invitation a moment ago
            self.store.delete_response(response.id)
            return None
        return response.id

    def enqueue(self, respondent_id: str | None, body: str, *, kind: str, key: str, language: str,
                response_id: str | None = None, instrument_id: str | None = None,
                queue: str = QUEUE_CONVERSATION, not_before: dt.datetime | None = None) -> bool:
        """Put a text in the outbox (idempotent on ``key``); the address is looked up when sending."""
        body = prepare(body)
        info = measure(body)
        payload = {"body": body, "kind": kind, "language": language, "response_id": response_id,
                   "instrument_id": instrument_id, "segments": info.segments, "encoding": info.encoding}
        return self.store.enqueue(queue, key, payload, respondent_id=respondent_id, not_before=not_before)

    # --- helpers -------------------------------------------------------------------------------

    def _instrument(self, response: Any) -> Any:
        return self.interviewer.engine(response.instrument_id).instrument

    def _language(self, respondent_id: str) -> str:
        record = self.store.respondent(respondent_id)
        return (record.language if record is not None and record.language else
                self.runtime.settings.default_language)

    def _texts_for_language(self, language: str) -> Any:
        """Texts for messages that belong to no instrument (opt-out, no survey)."""
        return self.channel.texts(self.runtime, None, language)
