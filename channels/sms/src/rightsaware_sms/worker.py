"""The outbox worker: drains the SMS queues at a configured rate until stopped (or done).

Each round it leases a batch — conversation replies first, then campaign texts unless it
is quiet hours — and sends them one by one through :class:`~rightsaware_sms.sender.Sender`,
pacing actual sends on a fixed schedule (send *k* at ``start + k / rate``) so the achieved
rate matches the configured one. The batch is small enough to be sent well within the
lease. Texts received by the server and not applied within :data:`APPLY_AFTER` are
applied here (in order, under the respondent's lease). Every ``housekeeping_every`` seconds it runs the chores of
:mod:`rightsaware_sms.housekeeping`. It may be killed at any instant: see ``docs/sms.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from attrs import define, field

from rightsaware.response import utcnow

from . import housekeeping
from .channel import QUEUE_CAMPAIGN, QUEUE_CONVERSATION, QUEUES
from .conversation import Conversations
from .sender import Sender

#: Texts the server's pump has not applied within this time are applied by the worker.
APPLY_AFTER = dt.timedelta(seconds=1)


@define
class Progress:
    """Counts of what the worker did, by outcome."""

    counts: dict[str, int] = field(factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Pacer:
    """Allows one send per ``1 / rate`` seconds on a fixed schedule (no drift, no bursts after idling)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is None or now - self.next_at > 1.0:
            self.next_at = now  # first send, or idle for a while: start a new schedule
        delay = self.next_at - now
        if delay > 0:
            self.sleep(delay)
        self.next_at += self.interval


class Worker:
    """Sends queued texts; ``run(exit_when_done=True)`` returns once nothing is left to do."""

    def __init__(self, runtime: Any, channel: Any, *, rate: float | None = None,
                 housekeeping_every: float = 30.0, poll_interval: float = 0.5) -> None:
        self.runtime = runtime
        self.channel = channel
        self.settings = channel.settings
        self.rate = rate or self.settings.rate
        self.pacer = Pacer(self.rate)
        self.sender = Sender(runtime, channel, before_send=self.pacer.wait)
        self.conversations = Conversations(runtime, channel)
        self.sms = channel.sms_store(runtime)
        self.housekeeping_every = housekeeping_every
        self.poll_interval = poll_interval
        self.lease_seconds = self.settings.lease_seconds
        self.batch = max(1, min(200, int(self.rate * self.lease_seconds / 3)))
        self.progress = Progress()
        self._last_housekeeping = -math.inf

    def quiet_now(self) -> bool:
        quiet = self.settings.quiet_hours
        return quiet is not None and quiet.contains(utcnow())

    def pending(self) -> int:
        """Texts that can be sent now, are being sent, or wait for reconciliation."""
        counts = self.sms.outbox_counts(QUEUES)
        due = self.sms.due_count([QUEUE_CONVERSATION] if self.quiet_now() else QUEUES)
        return due + counts.get("sending", 0) + counts.get("unknown", 0)

    def claim(self) -> list[Any]:
        store = self.runtime.store
        items = store.claim_outbox(QUEUE_CONVERSATION, limit=self.batch, lease_seconds=self.lease_seconds)
        room = self.batch - len(items)
        if room > 0 and not self.quiet_now():
            items += store.claim_outbox(QUEUE_CAMPAIGN, limit=room, lease_seconds=self.lease_seconds)
        return items

    def housekeeping(self, force: bool = False) -> dict[str, int]:
        now = time.monotonic()
        if not force and now - self._last_housekeeping < self.housekeeping_every:
            return {}
        self._last_housekeeping = now
        return housekeeping.run_all(self.runtime, self.channel, self.conversations, self.sender)

    def step(self, on_item: Callable[[str], None] | None = None) -> int:
        """One round: housekeeping if due, pending texts, then one leased batch; how many items were handled."""
        self.housekeeping()
        housekeeping.apply_stranded(self.channel, self.conversations, self.runtime, older_than=APPLY_AFTER)
        items = self.claim()
        for item in items:
            outcome = self.sender.send_item(item)
            self.progress.add(outcome)
            if on_item is not None:
                on_item(outcome)
        return len(items)

    def run(self, *, exit_when_done: bool = False, stop: threading.Event | None = None,
            on_item: Callable[[str], None] | None = None) -> Progress:
        """Send until ``stop`` is set (or, with ``exit_when_done``, until nothing is pending)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            handled = self.step(on_item)
            if handled:
                continue
            if exit_when_done:
                self.housekeeping(force=True)
                if self.pending() == 0:
                    break
            stop.wait(self.poll_interval)
        return self.progress
