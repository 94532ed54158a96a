"""What the server shares for SMS: conversations, an unpaced sender, status updates, and the pump.

The webhook only verifies, records and acknowledges a text (and records an opt-out at once);
the :class:`Pump` — one background thread in the server process — then applies the
respondent's pending texts in order and sends the replies. Answering Twilio comes first:
the pump works in the gaps between webhook requests (none in flight for
:data:`QUIET_SECONDS`), so that under a burst it does not compete with them for the
interpreter and for SQLite's write lock; a text waits at most :data:`MAX_DEFER_SECONDS`
for such a gap before it is applied regardless. The worker (``rightsaware sms
worker``) applies any text still pending after a second, so a deployment may also turn the
pump off (``RIGHTSAWARE_SMS_SERVER_APPLIES=0``) and let the worker do all the work.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any

from rightsaware.errors import ConfigError
from rightsaware.events import InboundEvent
from rightsaware.response import utcnow

from .channel import NAME, QUEUE_CONVERSATION
from .conversation import BoundRuntime, Conversations
from .sender import Sender

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
#: The pump starts applying a text once no webhook request has been in flight for this long ...
QUIET_SECONDS = 0.02
#: ... or once the text has waited this long, whatever the load.
MAX_DEFER_SECONDS = 10.0


class SmsService:
    """Conversations, a sender without pacing, status callbacks and the pump, for one runtime."""

    def __init__(self, runtime: Any, channel: Any) -> None:
        self.store = runtime.store
        self.owner = runtime
        self.runtime = BoundRuntime(runtime, self.store)  # never reopens a closed store (see BoundRuntime)
        self.channel = channel
        self.conversations = Conversations(self.runtime, channel)
        self.sender = Sender(self.runtime, channel)
        self.sms = channel.sms_store(runtime)
        enabled = os.environ.get("RIGHTSAWARE_SMS_SERVER_APPLIES", "1").strip().lower() not in ("0", "no", "off", "false")
        self.pump = Pump(self) if enabled else None

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

    def apply_and_send(self, sender_key: str) -> None:
        """Apply the sender's pending texts and send the replies (an opt-out's confirmation too)."""
        respondents = self.conversations.drain(sender_key)
        respondents.add(sender_key)  # the respondent id itself, unless the secret was rotated since
        for respondent_id in respondents:
            self.send_now(respondent_id)

    @property
    def closed(self) -> bool:
        """True once the runtime closed (or replaced) the store this service was made for."""
        return getattr(self.owner, "_store", None) is not self.store

    def request_started(self) -> None:
        """A webhook request began: the pump keeps out of its way (see :class:`Pump`)."""
        if self.pump is not None:
            self.pump.traffic(+1)

    def request_finished(self) -> None:
        if self.pump is not None:
            self.pump.traffic(-1)

    def received(self, sender_key: str | None) -> None:
        """A text was recorded: apply it now in the background (or leave it to the worker)."""
        if sender_key and self.pump is not None:
            self.pump.wake(sender_key)

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


class Pump:
    """One daemon thread that applies recorded texts and sends the replies, in arrival order."""

    def __init__(self, service: SmsService) -> None:
        self.service = service
        self.queue: queue.Queue[tuple[str, float]] = queue.Queue()
        self._lock = threading.Lock()
        self._waiting: set[str] = set()  # senders in the queue, not yet taken by the thread
        self._in_flight = 0  # webhook requests being answered now
        self._last_request = 0.0  # time.monotonic() when the last one finished
        self._outstanding = 0
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def traffic(self, change: int) -> None:
        with self._lock:
            self._in_flight += change
            if change < 0:
                self._last_request = time.monotonic()

    def _wait_for_gap(self, queued_at: float) -> None:
        """Sleep while webhook requests are being answered, at most until ``queued_at + MAX_DEFER_SECONDS``."""
        deadline = queued_at + MAX_DEFER_SECONDS
        while not self.service.closed:
            now = time.monotonic()
            with self._lock:
                busy = self._in_flight > 0 or now - self._last_request < QUIET_SECONDS
            if not busy or now >= deadline:
                return
            time.sleep(QUIET_SECONDS)

    def wake(self, sender_key: str) -> None:
        """Apply the sender's texts soon; a sender already waiting in the queue is not queued twice
        (one drain applies all of their pending texts, this one included: it is recorded already)."""
        with self._lock:
            if sender_key in self._waiting:
                return
            self._waiting.add(sender_key)
            self._outstanding += 1
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sms-pump", daemon=True)
                self._thread.start()
        self.queue.put((sender_key, time.monotonic()))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every woken respondent has been handled (tests, benchmarks)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while not self.service.closed:  # a closed runtime's store must not be reopened from here
            try:
                sender_key, queued_at = self.queue.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                if not self.service.closed:
                    self._sweep()
                continue
            try:
                self._wait_for_gap(queued_at)
                with self._lock:
                    self._waiting.discard(sender_key)  # a text recorded from now on queues them again
                self.service.apply_and_send(sender_key)
            except Exception as exc:  # noqa: BLE001 - the text stays pending for the next sweep or the worker
                # the error's type only: a message or traceback could quote a reply (personal data)
                log.error("applying an SMS reply failed (%s); it stays queued and will be retried", type(exc).__name__)
            finally:
                with self._lock:
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._idle.set()

    def _sweep(self) -> None:
        import datetime as dt

        cutoff = utcnow() - dt.timedelta(seconds=SWEEP_SECONDS)
        try:
            for sender_key in self.service.sms.senders_with_pending(cutoff):
                self._wait_for_gap(time.monotonic())
                self.service.apply_and_send(sender_key)
        except Exception as exc:  # noqa: BLE001
            log.error("applying pending SMS replies failed (%s); the worker will retry", type(exc).__name__)
