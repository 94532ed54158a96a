"""The SMS channel's part in people's rights over their data: erasure and retention.

* :func:`erase_respondent` — the ``respondent_erased`` hook's work: every row the channel
  keeps that could link a phone number or a response to a person is deleted — the raw
  inbound texts (``sms_inbound``: the sender's keyed hash, the encrypted number and body,
  the response they were applied to), the sender's lease, the outbox items addressed to the
  person in the SMS queues, the delivery statuses and send attempts of those items (their
  Twilio message ids lead back to the number) and the simulator's transcript. Runs in one
  transaction, before the core erases its own records; running it again finds nothing.
* :func:`personal_data` — for the subject access export: the person's texts still waiting
  to be applied (number and body decrypted), when their applied texts arrived, and the
  delivery status of each text sent to them.
* :func:`purge_messages` — retention (``rightsaware purge``, ``retention_messages_days``):
  inbound texts received (or applied) before the cut-off, delivery statuses not updated
  since, and send attempts whose outbox item is gone.

Neither ever logs a number or a message body.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select

from rightsaware.store import tables
from rightsaware.store.engine import write_transaction

from .channel import NAME, QUEUES
from .sms_store import attempts, delivery, inbound, leases

log = logging.getLogger(__name__)
CHUNK = 500


def _chunks(values: Sequence[Any]) -> Any:  # noqa: ANN401
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def sender_keys(runtime: Any, respondent_id: str) -> tuple[set[str], str | None]:
    """The keyed hashes the person's texts may be stored under (every configured secret), and their number."""
    keys = {respondent_id}
    address = runtime.store.contact_address(respondent_id, NAME)
    if address:
        keys.update(runtime.store.keyring.respondent_ids(NAME, address))
    return keys, address


def _outbox_ids(connection: Any, respondent_id: str, response_ids: Sequence[str]) -> tuple[list[int], list[str]]:
    """Ids and provider ids of the SMS outbox items addressed to the person or about their responses."""
    outbox = tables.outbox
    about = [outbox.c.respondent_id == respondent_id, outbox.c.key.contains(respondent_id, autoescape=True)]
    about += [outbox.c.key.contains(response_id, autoescape=True) for response_id in response_ids]
    rows = connection.execute(select(outbox.c.id, outbox.c.provider_id).where(
        and_(outbox.c.channel.in_(QUEUES), or_(*about)))).all()
    return [row.id for row in rows], [row.provider_id for row in rows if row.provider_id]


def erase_respondent(runtime: Any, channel: Any, respondent_id: str, response_ids: Sequence[str]) -> dict[str, int]:  # noqa: ANN401
    """Delete what the SMS channel keeps about one respondent; counts by table (never personal data)."""
    sms = channel.sms_store(runtime)  # creates the sms_* tables if this database never had them
    keys, address = sender_keys(runtime, respondent_id)
    counts: dict[str, int] = {}
    with write_transaction(sms.engine) as connection:
        ids, sids = _outbox_ids(connection, respondent_id, list(response_ids))
        deleted = 0
        for chunk in _chunks(ids):
            deleted += connection.execute(delete(delivery).where(delivery.c.outbox_id.in_(chunk))).rowcount
            connection.execute(delete(attempts).where(attempts.c.outbox_id.in_(chunk)))
        for chunk in _chunks(sids):
            deleted += connection.execute(delete(delivery).where(delivery.c.message_sid.in_(chunk))).rowcount
        counts["delivery"] = max(deleted, 0)
        counts["outbox"] = sum(max(connection.execute(delete(tables.outbox).where(tables.outbox.c.id.in_(chunk))).rowcount, 0)
                               for chunk in _chunks(ids))
        where = [inbound.c.sender_key.in_(sorted(keys))]
        where += [inbound.c.response_id.in_(chunk) for chunk in _chunks(list(response_ids))]
        counts["inbound"] = max(connection.execute(delete(inbound).where(or_(*where))).rowcount, 0)
        connection.execute(delete(leases).where(leases.c.sender_key.in_(sorted(keys))))
    if address:
        channel.console.forget(address)  # the simulator's transcript (held in memory)
    log.info("sms: erased a respondent's messages: %s", counts)
    return counts


def personal_data(runtime: Any, channel: Any, respondent_id: str, response_ids: Sequence[str]) -> dict[str, Any]:  # noqa: ANN401
    """What the SMS channel holds about one person, JSON-serialisable (empty when nothing)."""
    sms = channel.sms_store(runtime)
    keys, _address = sender_keys(runtime, respondent_id)
    where = [inbound.c.sender_key.in_(sorted(keys))]
    where += [inbound.c.response_id.in_(chunk) for chunk in _chunks(list(response_ids))]
    with sms.engine.connect() as connection:
        rows = connection.execute(select(inbound.c.id, inbound.c.message_sid, inbound.c.sender_key, inbound.c.state,
                                         inbound.c.response_id, inbound.c.received_at, inbound.c.processed_at)
                                  .where(or_(*where)).order_by(inbound.c.id)).mappings().all()
        ids, sids = _outbox_ids(connection, respondent_id, list(response_ids))
        statuses = connection.execute(select(delivery.c.message_sid, delivery.c.status, delivery.c.error_code,
                                             delivery.c.updated_at).where(or_(
            *[delivery.c.outbox_id.in_(chunk) for chunk in _chunks(ids)],
            *[delivery.c.message_sid.in_(chunk) for chunk in _chunks(sids)]))
            .order_by(delivery.c.updated_at)).mappings().all() if ids or sids else []
    bodies = {}
    for key in {row["sender_key"] for row in rows if row["state"] == "pending"}:
        bodies.update({item["id"]: item["body"] for item in sms.pending_inbound(key, limit=10_000)})
    received = [{"message_sid": row["message_sid"], "received_at": row["received_at"].isoformat(),
                 "applied_at": row["processed_at"].isoformat() if row["processed_at"] else None,
                 "response_id": row["response_id"], "text": bodies.get(row["id"])} for row in rows]
    sent = [{"message_sid": row["message_sid"], "status": row["status"], "error_code": row["error_code"],
             "updated_at": row["updated_at"].isoformat()} for row in statuses]
    if not received and not sent:
        return {}
    # an applied text keeps no body: its answer is in the response, exported with the responses
    return {"texts_received": received, "delivery_of_texts_sent": sent}


def purge_messages(runtime: Any, channel: Any, before: dt.datetime, dry_run: bool) -> int:  # noqa: ANN401
    """Delete SMS messages and their traces older than ``before``; how many rows (would) go."""
    sms = channel.sms_store(runtime)
    old_inbound = or_(inbound.c.received_at < before, and_(inbound.c.processed_at.is_not(None),
                                                           inbound.c.processed_at < before))
    old_delivery = delivery.c.updated_at < before
    outbox = tables.outbox
    orphan_attempt = and_(attempts.c.started_at < before,
                          ~select(outbox.c.id).where(outbox.c.id == attempts.c.outbox_id).exists())
    stale_lease = leases.c.lease_until < before
    parts = ((inbound, old_inbound), (delivery, old_delivery), (attempts, orphan_attempt), (leases, stale_lease))
    with write_transaction(sms.engine) as connection:
        if dry_run:
            return sum(int(connection.scalar(select(func.count()).select_from(table).where(where)) or 0)
                       for table, where in parts)
        return sum(max(connection.execute(delete(table).where(where)).rowcount, 0) for table, where in parts)
