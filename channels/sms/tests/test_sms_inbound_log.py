"""The inbound log's group-commit insert: one id per new MessageSid, ``None`` for every duplicate."""

from __future__ import annotations

from rightsaware.response import utcnow
from rightsaware.store.engine import write_transaction

NUMBER = "+447700900123"


def item(sid, body="1"):
    return {"message_sid": sid, "sender_key": "k" * 64, "payload": {"from": NUMBER, "body": body},
            "state": "pending", "received_at": utcnow()}


def test_a_batch_with_stored_and_repeated_sids(sms_runtime, sms_channel):
    sms = sms_channel.sms_store(sms_runtime)
    stored = sms.record_inbound("SM" + "a" * 32, "k" * 64, NUMBER, "first")
    assert isinstance(stored, int)
    batch = [item("SM" + "b" * 32), item("SM" + "a" * 32), item("SM" + "b" * 32), item("SM" + "c" * 32)]
    with write_transaction(sms.engine) as connection:
        ids = sms._write_inbound(connection, batch)
    assert ids[1] is None and ids[2] is None  # stored before; repeated within the batch
    assert isinstance(ids[0], int) and isinstance(ids[3], int) and stored < ids[0] < ids[3]
    assert sms.inbound_count("pending") == 3
    bodies = [row["body"] for row in sms.pending_inbound("k" * 64)]
    assert bodies == ["first", "1", "1"]
    assert sms.record_inbound("SM" + "c" * 32, "k" * 64, NUMBER, "again") is None
