"""Idempotency of inbound events and the outbox of channels that send.

``claim_event`` records an inbound event's key under a unique constraint: the first
claim wins, in any number of processes. The outbox holds outbound messages (payloads
encrypted: they carry addresses and text) with an idempotency key per channel; senders
lease due items (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
so no two senders take the same item, and an item whose lease ran out is offered again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, and_, delete, or_, select, update

from ..crypto import Keyring
from ..errors import NotFound
from ..response import utcnow
from . import tables
from .engine import insert_ignoring_duplicates, write_transaction
from .records import OutboxItem

_events = tables.processed_events
_outbox = tables.outbox


def _payload_context(channel: str, key: str) -> str:
    return f"outbox\x00{channel}\x00{key}"


def _error_context(item_id: int) -> str:
    return f"outbox-error\x00{item_id}"


class OutboxMixin:
    """Inbound-event and outbox methods of :class:`rightsaware.store.Store`."""

    engine: Any
    keyring: Keyring
    fast: Any

    # -- inbound events ----------------------------------------------------------------
    def claim_event(self, channel: str, key: str, *, kind: str = "reply") -> bool:
        """True the first time ``(channel, key)`` is claimed, False for a duplicate."""
        fast = self.fast
        with fast.write() as cursor:
            cursor.execute(fast.claim_sql, (channel, key, kind, fast.time(utcnow())))
            return cursor.rowcount == 1

    def release_event(self, channel: str, key: str) -> None:
        """Forget a claim, so that a redelivery of an event that failed is processed again."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(_events).where(and_(_events.c.channel == channel, _events.c.key == key)))

    # -- outbox ------------------------------------------------------------------------
    def enqueue(
        self,
        channel: str,
        key: str,
        payload: dict[str, Any],
        *,
        respondent_id: str | None = None,
        not_before: dt.datetime | None = None,
    ) -> bool:
        """Queue a message; False (and nothing changes) if ``(channel, key)`` is already queued."""
        now = utcnow()
        blob = self.keyring.encrypt(json.dumps(payload, ensure_ascii=False), context=_payload_context(channel, key))
        row = {
            "channel": channel,
            "key": key,
            "payload": blob,
            "respondent_id": respondent_id,
            "status": "queued",
            "attempts": 0,
            "not_before": not_before,
            "created_at": now,
            "updated_at": now,
        }
        with write_transaction(self.engine) as connection:
            return 1 == insert_ignoring_duplicates(connection, _outbox, row)

    def claim_outbox(
        self,
        channel: str,
        *,
        limit: int,
        lease_seconds: float = 60,
        now: dt.datetime | None = None,
        respondent_id: str | None = None,
    ) -> list[OutboxItem]:
        """Lease up to ``limit`` due items of ``channel`` (optionally of one respondent), oldest first.

        Due: ``queued`` with ``not_before`` passed, or ``sending`` with its lease expired
        (those come back with ``reclaimed=True``). Each claim adds one to ``attempts``.
        """
        now = now or utcnow()
        lease_until = now + dt.timedelta(seconds=lease_seconds)
        due = or_(
            and_(_outbox.c.status == "queued", or_(_outbox.c.not_before.is_(None), _outbox.c.not_before <= now)),
            and_(_outbox.c.status == "sending", _outbox.c.lease_until < now),
        )
        query = (
            select(_outbox.c.id, _outbox.c.status)
            .where(and_(_outbox.c.channel == channel, due))
            .order_by(_outbox.c.id)
            .limit(limit)
        )
        if respondent_id is not None:
            query = query.where(_outbox.c.respondent_id == respondent_id)
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            picked = connection.execute(query).all()
            if not picked:
                return []
            reclaimed = {row.id for row in picked if row.status == "sending"}
            ids = [row.id for row in picked]
            connection.execute(
                update(_outbox)
                .where(_outbox.c.id.in_(ids))
                .values(status="sending", lease_until=lease_until, attempts=_outbox.c.attempts + 1, updated_at=now)
            )
            rows = connection.execute(select(_outbox).where(_outbox.c.id.in_(ids)).order_by(_outbox.c.id)).all()
        return [self.outbox_item_from_row(row, reclaimed=row.id in reclaimed) for row in rows]

    def outbox_item_from_row(self, row: Any, *, reclaimed: bool = False) -> OutboxItem:  # noqa: ANN401
        """An :class:`OutboxItem` from a row of ``tables.outbox`` (decrypts payload and error)."""
        return OutboxItem(
            id=row.id,
            channel=row.channel,
            key=row.key,
            payload=json.loads(self.keyring.decrypt(row.payload, context=_payload_context(row.channel, row.key))),
            respondent_id=row.respondent_id,
            status=row.status,
            attempts=row.attempts,
            provider_id=row.provider_id,
            error_code=row.error_code,
            error=None if row.error is None else self.keyring.decrypt(row.error, context=_error_context(row.id)),
            not_before=row.not_before,
            lease_until=row.lease_until,
            created_at=row.created_at,
            updated_at=row.updated_at,
            reclaimed=reclaimed,
        )

    _item = outbox_item_from_row

    def _set(self, connection: Connection, item_id: int, **values: Any) -> None:  # noqa: ANN401
        result = connection.execute(update(_outbox).where(_outbox.c.id == item_id).values(updated_at=utcnow(), **values))
        if result.rowcount != 1:
            raise NotFound("There is no outbox item with that id (it may have been erased).")

    def mark_sent(self, item_id: int, provider_id: str | None) -> None:
        """The provider accepted the message under ``provider_id``."""
        with write_transaction(self.engine) as connection:
            self._set(connection, item_id, status="sent", provider_id=provider_id, lease_until=None)

    def mark_failed(
        self,
        item_id: int,
        error_code: str | None,
        error: str | None,
        *,
        permanent: bool,
        retry_at: dt.datetime | None = None,
    ) -> None:
        """Sending failed: for good (``permanent``), or queue it again from ``retry_at`` (default now)."""
        blob = None if error is None else self.keyring.encrypt(error, context=_error_context(item_id))
        values: dict[str, Any] = {"error_code": error_code, "error": blob, "lease_until": None}
        if permanent:
            values["status"] = "failed"
        else:
            values.update(status="queued", not_before=retry_at or utcnow())
        with write_transaction(self.engine) as connection:
            self._set(connection, item_id, **values)

    def mark_unknown(self, item_id: int) -> None:
        """The outcome is unknown (a crash mid-send): keep it out of the queue until reconciled."""
        with write_transaction(self.engine) as connection:
            self._set(connection, item_id, status="unknown", lease_until=None)

    def requeue(self, item_id: int, *, not_before: dt.datetime | None = None) -> None:
        """Put an item (e.g. ``unknown`` after reconciliation found it unsent) back in the queue."""
        with write_transaction(self.engine) as connection:
            self._set(connection, item_id, status="queued", lease_until=None, not_before=not_before)

    def outbox_items(self, channel: str, status: str | None = None) -> list[OutboxItem]:
        """Items of ``channel`` (optionally of one status), oldest first."""
        query = select(_outbox).where(_outbox.c.channel == channel)
        if status is not None:
            if status not in tables.OUTBOX_STATUSES:
                raise ValueError(f"Unknown outbox status {status!r}; use one of {', '.join(tables.OUTBOX_STATUSES)}.")
            query = query.where(_outbox.c.status == status)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(_outbox.c.id)).all()
        return [self.outbox_item_from_row(row) for row in rows]

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        """One outbox item by id, or ``None``."""
        with self.engine.connect() as connection:
            row = connection.execute(select(_outbox).where(_outbox.c.id == item_id)).first()
        return None if row is None else self.outbox_item_from_row(row)
