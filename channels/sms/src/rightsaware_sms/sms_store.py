"""The SMS channel's own tables and queries, kept apart so they can move into the core store.

The core store (``rightsaware.store``) holds respondents, responses, opt-outs and the
outbox. What it lacks for SMS lives here, on the same engine, in four ``sms_*`` tables
created on first use:

* ``sms_inbound`` — every inbound text once (unique ``MessageSid``), in arrival order, with
  the sender's number and the body encrypted until the text has been applied (then both are
  dropped). ``sender_key`` is the keyed hash of the number (the respondent id under the
  current secret), computed without touching the database;
* ``sms_leases`` — one short lease per sender, so their texts are applied one at a time and
  in order, across threads and processes;
* ``sms_delivery`` — the delivery status Twilio reports for each sent message, moved only
  forward (``queued`` < ``sent`` < ``delivered``);
* ``sms_attempts`` — when a send of an outbox item started, to reconcile an unknown outcome
  with the provider's message list.

Plus queries on core tables the store has no method for (claiming one respondent's
outbox items, outbox keys that exist, stale active responses).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)

from rightsaware.response import utcnow
from rightsaware.store.engine import insert_ignoring_duplicates, write_transaction
from rightsaware.store.tables import UTCDateTime

from .batching import GroupCommitWriter

metadata = MetaData()

inbound = Table(
    "sms_inbound",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("message_sid", String(64), nullable=False, unique=True),
    Column("sender_key", String(128), nullable=False),
    Column("payload", LargeBinary()),  # encrypted JSON {"from", "body"}; NULL once applied
    Column("state", String(16), nullable=False),  # pending | done
    Column("response_id", String(128)),
    Column("base_revision", Integer()),  # the response revision the text was applied to
    Column("received_at", UTCDateTime(), nullable=False),
    Column("processed_at", UTCDateTime()),
    Index("ix_sms_inbound_pending", "sender_key", "state", "id"),
    Index("ix_sms_inbound_state", "state", "received_at"),
)

leases = Table(
    "sms_leases",
    metadata,
    Column("sender_key", String(128), primary_key=True),
    Column("token", String(64), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=False),
)

delivery = Table(
    "sms_delivery",
    metadata,
    Column("message_sid", String(64), primary_key=True),
    Column("outbox_id", Integer()),
    Column("status", String(32), nullable=False),
    Column("rank", Integer(), nullable=False),
    Column("error_code", String(16)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

attempts = Table(
    "sms_attempts",
    metadata,
    Column("outbox_id", Integer(), primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
)

#: Twilio message statuses in the order they can happen; terminal ones share the top ranks.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "partially_delivered": 4, "read": 5,
}


def _inbound_context(sid: str) -> str:
    return f"sms-inbound\x00{sid}"


def _insert(engine: Any) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


class SmsStore:
    """SMS-specific storage on top of a :class:`rightsaware.store.Store`."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.engine = store.engine
        metadata.create_all(self.engine, checkfirst=True)
        self._insert_inbound = _insert(self.engine)(inbound).on_conflict_do_nothing()
        # RETURNING with several rows: PostgreSQL, and SQLite 3.35+ through SQLAlchemy's insertmanyvalues
        self._returning = bool(getattr(self.engine.dialect, "insert_executemany_returning", False))
        self._inbound_writer = GroupCommitWriter(self.engine, self._write_inbound)

    # -- inbound log ---------------------------------------------------------------------------
    def record_inbound(self, sid: str, sender_key: str, sender: str, body: str) -> int | None:
        """The new row's id (its place in arrival order), or ``None`` for a duplicate ``MessageSid``."""
        return self.record_inbound_later(sid, sender_key, sender, body).result()

    def record_inbound_later(self, sid: str, sender_key: str, sender: str, body: str) -> Future:
        """:meth:`record_inbound` as a future, committed together with concurrent texts (group commit)."""
        return self._inbound_writer.submit({"message_sid": sid, "sender_key": sender_key,
                                            "payload": {"from": sender, "body": body},
                                            "state": "pending", "received_at": utcnow()})

    def _write_inbound(self, connection: Any, batch: list[dict[str, Any]]) -> list[int | None]:
        """Insert a batch of texts in one statement; each one's new row id, ``None`` for a duplicate.

        ``INSERT … ON CONFLICT DO NOTHING RETURNING`` gives back only the rows it inserted, so
        a ``MessageSid`` already stored (a retry) gets no id; a second copy within the batch
        is dropped before the insert.
        """
        rows, first = [], set()
        for values in batch:
            sid = values["message_sid"]
            if sid in first:
                continue
            first.add(sid)
            text = json.dumps(values["payload"], ensure_ascii=False)  # encrypted here, off the request's thread
            rows.append({**values, "payload": self.store.keyring.encrypt(text, context=_inbound_context(sid))})
        ids: dict[str, int] = {}
        if rows:
            if self._returning:
                ids = dict(connection.execute(self._insert_inbound.returning(inbound.c.message_sid, inbound.c.id),
                                              rows).all())
            else:
                known = set(connection.scalars(select(inbound.c.message_sid).where(inbound.c.message_sid.in_(list(first)))))
                fresh = [row for row in rows if row["message_sid"] not in known]
                if fresh:
                    connection.execute(self._insert_inbound, fresh)
                    ids = dict(connection.execute(select(inbound.c.message_sid, inbound.c.id).where(
                        inbound.c.message_sid.in_([row["message_sid"] for row in fresh]))).all())
        results: list[int | None] = []
        for values in batch:
            sid = values["message_sid"]
            results.append(ids.get(sid) if sid in first else None)
            first.discard(sid)  # a second copy in the same batch is a duplicate
        return results

    def pending_inbound(self, sender_key: str, limit: int = 20) -> list[dict[str, Any]]:
        """The sender's texts not yet applied, oldest first, with ``sender`` and ``body`` decrypted."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(inbound).where(and_(inbound.c.sender_key == sender_key, inbound.c.state == "pending"))
                .order_by(inbound.c.id).limit(limit)
            ).mappings().all()
        result = []
        for row in rows:
            item = dict(row)
            data = json.loads(self.store.keyring.decrypt(row["payload"], context=_inbound_context(row["message_sid"])))
            item["sender"], item["body"] = data["from"], data["body"]
            result.append(item)
        return result

    def inbound_state(self, row_id: int) -> str | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(inbound.c.state).where(inbound.c.id == row_id))

    def note_base_revision(self, row_id: int, response_id: str, revision: int) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(update(inbound).where(inbound.c.id == row_id)
                               .values(response_id=response_id, base_revision=revision))

    def finish_inbound(self, row_id: int) -> None:
        """Mark a text applied and drop its number and body."""
        with write_transaction(self.engine) as connection:
            connection.execute(update(inbound).where(inbound.c.id == row_id)
                               .values(state="done", payload=None, processed_at=utcnow()))

    def senders_with_pending(self, received_before: dt.datetime) -> list[str]:
        """Sender keys with texts still pending since before ``received_before``."""
        with self.engine.connect() as connection:
            return list(connection.scalars(
                select(inbound.c.sender_key).where(
                    and_(inbound.c.state == "pending", inbound.c.received_at < received_before)
                ).distinct()
            ))

    def purge_inbound(self, processed_before: dt.datetime) -> int:
        """Forget applied texts processed before ``processed_before`` (their bodies are gone already)."""
        with write_transaction(self.engine) as connection:
            return connection.execute(delete(inbound).where(and_(
                inbound.c.state == "done", inbound.c.processed_at < processed_before))).rowcount

    def inbound_count(self, state: str | None = None) -> int:
        query = select(func.count()).select_from(inbound)
        if state:
            query = query.where(inbound.c.state == state)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    # -- per-sender leases -----------------------------------------------------------------------
    def try_lease(self, sender_key: str, token: str, seconds: float) -> bool:
        """Take (or renew) the sender's lease; False while someone else holds it."""
        now = utcnow()
        until = now + dt.timedelta(seconds=seconds)
        with write_transaction(self.engine) as connection:
            if insert_ignoring_duplicates(connection, leases, {"sender_key": sender_key, "token": token,
                                                               "lease_until": until}):
                return True
            result = connection.execute(
                update(leases).where(and_(leases.c.sender_key == sender_key,
                                          or_(leases.c.token == token, leases.c.lease_until < now)))
                .values(token=token, lease_until=until)
            )
            return result.rowcount == 1

    def release_lease(self, sender_key: str, token: str) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(delete(leases).where(and_(leases.c.sender_key == sender_key,
                                                         leases.c.token == token)))

    # -- delivery status ------------------------------------------------------------------------
    def record_delivery(self, sid: str, status: str, *, outbox_id: int | None = None,
                        error_code: str | None = None) -> bool:
        """Move the message's status forward; False (nothing changed) for a step back or a repeat."""
        rank = STATUS_RANK.get(status)
        if rank is None:
            return False
        now = utcnow()
        with write_transaction(self.engine) as connection:
            if insert_ignoring_duplicates(connection, delivery, {
                "message_sid": sid, "outbox_id": outbox_id, "status": status, "rank": rank,
                "error_code": error_code, "updated_at": now,
            }):
                return True
            values: dict[str, Any] = {"status": status, "rank": rank, "error_code": error_code, "updated_at": now}
            if outbox_id is not None:
                values["outbox_id"] = outbox_id
            result = connection.execute(
                update(delivery).where(and_(delivery.c.message_sid == sid, delivery.c.rank < rank)).values(**values)
            )
            if result.rowcount == 0 and outbox_id is not None:
                connection.execute(update(delivery).where(and_(delivery.c.message_sid == sid,
                                                               delivery.c.outbox_id.is_(None)))
                                   .values(outbox_id=outbox_id))
            return result.rowcount == 1

    def delivery(self, sid: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(delivery).where(delivery.c.message_sid == sid)).mappings().first()
        return None if row is None else dict(row)

    def delivery_counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(delivery.c.status, func.count()).group_by(delivery.c.status)).all()
        return {status: count for status, count in rows}

    # -- send attempts --------------------------------------------------------------------------
    def begin_attempt(self, outbox_id: int, at: dt.datetime | None = None) -> None:
        """Remember that a send is about to start (before the provider is called)."""
        at = at or utcnow()
        with write_transaction(self.engine) as connection:
            if not insert_ignoring_duplicates(connection, attempts, {"outbox_id": outbox_id, "started_at": at}):
                connection.execute(update(attempts).where(attempts.c.outbox_id == outbox_id).values(started_at=at))

    def clear_attempt(self, outbox_id: int) -> None:
        """Forget an attempt the provider refused for sure (nothing to reconcile)."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(attempts).where(attempts.c.outbox_id == outbox_id))

    def first_attempt(self, outbox_id: int) -> dt.datetime | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(attempts.c.started_at).where(attempts.c.outbox_id == outbox_id))

    # -- queries on core tables -----------------------------------------------------------------
    def known_sids(self, sids: Iterable[str]) -> set[str]:
        """Which provider ids are already recorded on an outbox item."""
        sids = list(sids)
        if not sids:
            return set()
        outbox = self.store.tables.outbox
        with self.engine.connect() as connection:
            return set(connection.scalars(select(outbox.c.provider_id).where(outbox.c.provider_id.in_(sids))))

    def outbox_id_for_sid(self, sid: str) -> int | None:
        outbox = self.store.tables.outbox
        with self.engine.connect() as connection:
            return connection.scalar(select(outbox.c.id).where(outbox.c.provider_id == sid))

    def existing_keys(self, channel: str, keys: Sequence[str]) -> set[str]:
        outbox = self.store.tables.outbox
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                found.update(connection.scalars(
                    select(outbox.c.key).where(and_(outbox.c.channel == channel, outbox.c.key.in_(chunk)))
                ))
        return found

    def keys_with_prefix(self, channel: str, prefix: str) -> list[tuple[str, dt.datetime]]:
        """``(key, created_at)`` of the channel's outbox items whose key starts with ``prefix``."""
        outbox = self.store.tables.outbox
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(outbox.c.key, outbox.c.created_at)
                .where(and_(outbox.c.channel == channel, outbox.c.key.like(escaped + "%", escape="\\")))
                .order_by(outbox.c.id)
            ).all()
        return [(row.key, row.created_at) for row in rows]

    def claim_for_respondent(self, channel: str, respondent_id: str, *, lease_seconds: float,
                             limit: int = 10) -> list[Any]:
        """Lease the respondent's due ``queued`` items of ``channel``, oldest first (like ``claim_outbox``)."""
        outbox = self.store.tables.outbox
        now = utcnow()
        query = (
            select(outbox.c.id).where(and_(
                outbox.c.channel == channel, outbox.c.respondent_id == respondent_id, outbox.c.status == "queued",
                or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
            )).order_by(outbox.c.id).limit(limit)
        )
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(connection.scalars(query))
            if not ids:
                return []
            connection.execute(
                update(outbox).where(and_(outbox.c.id.in_(ids), outbox.c.status == "queued"))
                .values(status="sending", lease_until=now + dt.timedelta(seconds=lease_seconds),
                        attempts=outbox.c.attempts + 1, updated_at=now)
            )
            rows = connection.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)).all()
        return [self.store._item(row) for row in rows]

    def last_sent_at(self, respondent_id: str, channels: Sequence[str]) -> dt.datetime | None:
        """When the newest text to the respondent was accepted by the provider."""
        outbox = self.store.tables.outbox
        with self.engine.connect() as connection:
            value = connection.scalar(
                select(func.max(outbox.c.updated_at)).where(and_(
                    outbox.c.respondent_id == respondent_id, outbox.c.channel.in_(list(channels)),
                    outbox.c.status == "sent",
                ))
            )
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value

    def outbox_counts(self, channels: Sequence[str]) -> dict[str, int]:
        outbox = self.store.tables.outbox
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(outbox.c.status, func.count()).where(outbox.c.channel.in_(list(channels)))
                .group_by(outbox.c.status)
            ).all()
        return {status: count for status, count in rows}

    def due_count(self, channels: Sequence[str], now: dt.datetime | None = None) -> int:
        outbox = self.store.tables.outbox
        now = now or utcnow()
        with self.engine.connect() as connection:
            return int(connection.scalar(
                select(func.count()).select_from(outbox).where(and_(
                    outbox.c.channel.in_(list(channels)), outbox.c.status == "queued",
                    or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
                ))
            ) or 0)

    def active_responses(self, channel: str, *, updated_before: dt.datetime | None = None,
                         started_before: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Active responses of ``channel`` that have been quiet (or open) for a while."""
        responses = self.store.tables.responses
        where = [responses.c.channel == channel, responses.c.status == "active"]
        if updated_before is not None:
            where.append(responses.c.updated_at < updated_before)
        if started_before is not None:
            where.append(responses.c.started_at < started_before)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(responses.c.id, responses.c.respondent_id, responses.c.instrument_id, responses.c.language,
                       responses.c.updated_at, responses.c.started_at, responses.c.synthetic)
                .where(and_(*where)).order_by(responses.c.updated_at)
            ).mappings().all()
        return [dict(row) for row in rows]
