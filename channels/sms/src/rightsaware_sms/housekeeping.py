"""Periodic SMS chores the worker runs: reminders, expiry, unknown outcomes, stranded texts.

* **Reminders**: an interview quiet for ``RIGHTSAWARE_SMS_REMINDER_AFTER_HOURS`` since our
  last text was accepted (and since the respondent's last answer) gets a reminder with the
  outstanding question, at most ``RIGHTSAWARE_SMS_MAX_REMINDERS`` times. Reminders go to
  the campaign queue, so quiet hours apply.
* **Expiry**: an interview open longer than ``RIGHTSAWARE_SMS_EXPIRE_AFTER_DAYS`` is
  abandoned (reason ``expired``); a later text from the respondent gets the "no survey
  open" answer.
* **Unknown outcomes** are reconciled with the provider (see :mod:`rightsaware_sms.sender`).
* **Applied texts** are forgotten after 30 days (their number and body were dropped when
  they were applied; the MessageSid is kept that long to recognise Twilio's retries).
* **Pending texts** that the server's pump has not applied within a second (it is off, busy,
  or the server crashed between recording and applying) are applied in order.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rightsaware.response import utcnow

from .channel import QUEUE_CAMPAIGN, QUEUES

log = logging.getLogger(__name__)
#: An ``unknown`` outcome is looked up only after this long, so the provider's list has caught up.
RECONCILE_AFTER = dt.timedelta(seconds=5)
STRANDED_AFTER = dt.timedelta(seconds=30)
#: Applied texts are remembered this long, to recognise Twilio's retries; then forgotten.
KEEP_APPLIED = dt.timedelta(days=30)


def send_reminders(runtime: Any, channel: Any, conversations: Any, now: dt.datetime | None = None) -> int:
    """Queue the reminders that are due; how many were queued."""
    settings = channel.settings
    if settings.max_reminders <= 0:
        return 0
    now = now or utcnow()
    cutoff = now - settings.reminder_after
    sms = channel.sms_store(runtime)
    queued = 0
    for row in sms.active_responses("sms", updated_before=cutoff):
        if row["synthetic"] or not row["respondent_id"]:
            continue
        prefix = f"reminder:{row['id']}:"
        earlier = sms.keys_with_prefix(QUEUE_CAMPAIGN, prefix)
        if len(earlier) >= settings.max_reminders:
            continue
        last_sent = sms.last_sent_at(row["respondent_id"], QUEUES)
        if last_sent is None or last_sent > cutoff:
            continue  # the invitation has not gone out yet, or we texted recently
        if earlier and earlier[-1][1] > cutoff:
            continue
        turn = conversations.interviewer.current(row["id"])
        if turn.question is None:
            continue
        engine = conversations.interviewer.engine(row["instrument_id"])
        answered, remaining = engine.progress(turn.response)
        texts = channel.texts(runtime, engine.instrument, turn.response.language)
        body = texts.reminder(turn.question, number=answered + 1, total=answered + remaining)
        if conversations.enqueue(row["respondent_id"], body, kind="reminder", key=f"{prefix}{len(earlier) + 1}",
                                 response_id=row["id"], instrument_id=row["instrument_id"],
                                 language=turn.response.language, queue=QUEUE_CAMPAIGN):
            queued += 1
    return queued


def expire_interviews(runtime: Any, channel: Any, conversations: Any, now: dt.datetime | None = None) -> int:
    """Abandon interviews open for longer than the expiry period; how many."""
    now = now or utcnow()
    sms = channel.sms_store(runtime)
    expired = 0
    for row in sms.active_responses("sms", started_before=now - channel.settings.expire_after):
        conversations.interviewer.abandon(row["id"], "expired")
        expired += 1
    return expired


def reconcile_unknown(runtime: Any, sender: Any, now: dt.datetime | None = None) -> int:
    """Settle ``unknown`` items old enough to be in the provider's list; how many were settled."""
    now = now or utcnow()
    settled = 0
    for queue in QUEUES:
        for item in runtime.store.outbox_items(queue, "unknown"):
            if item.updated_at > now - RECONCILE_AFTER:
                continue
            if sender.reconcile(item) != "unknown":
                settled += 1
    return settled


def apply_stranded(channel: Any, conversations: Any, runtime: Any, now: dt.datetime | None = None,
                   older_than: dt.timedelta = STRANDED_AFTER) -> int:
    """Apply texts recorded but not applied after ``older_than``; how many senders had some."""
    now = now or utcnow()
    senders = channel.sms_store(runtime).senders_with_pending(now - older_than)
    for sender_key in senders:
        conversations.drain(sender_key)
    return len(senders)


def run_all(runtime: Any, channel: Any, conversations: Any, sender: Any) -> dict[str, int]:
    """Every chore once; counts by chore."""
    return {
        "stranded": apply_stranded(channel, conversations, runtime),
        "reconciled": reconcile_unknown(runtime, sender),
        "expired": expire_interviews(runtime, channel, conversations),
        "reminders": send_reminders(runtime, channel, conversations),
        "forgotten": channel.sms_store(runtime).purge_inbound(utcnow() - KEEP_APPLIED),
    }
