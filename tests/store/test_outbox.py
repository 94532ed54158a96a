"""Inbound-event idempotency and the outbox: idempotent enqueue, leases, expiry, outcomes."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsaware.errors import NotFound
from rightsaware.store import Store

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def test_claim_event_is_true_once(store: Store) -> None:
    assert store.claim_event("sms", "SM123") is True
    assert store.claim_event("sms", "SM123") is False
    assert store.claim_event("sms", "SM123", kind="status") is False
    assert store.claim_event("web", "SM123") is True  # keys are per channel
    store.release_event("sms", "SM123")
    assert store.claim_event("sms", "SM123") is True


def test_enqueue_is_idempotent_per_channel_and_key(store: Store) -> None:
    assert store.enqueue("sms", "invite:r1", {"body": "Helo", "n": 1}) is True
    assert store.enqueue("sms", "invite:r1", {"body": "different"}) is False
    assert store.enqueue("paper", "invite:r1", {"body": "other channel"}) is True
    [item] = store.outbox_items("sms")
    assert (item.key, item.payload, item.status, item.attempts) == ("invite:r1", {"body": "Helo", "n": 1}, "queued", 0)
    assert item.created_at.tzinfo is not None


def test_claim_leases_due_items_once_in_order(store: Store) -> None:
    for n in range(5):
        store.enqueue("sms", f"k{n}", {"n": n})
    store.enqueue("sms", "later", {"n": 99}, not_before=NOW + dt.timedelta(hours=1))
    first = store.claim_outbox("sms", limit=3, now=NOW)
    assert [i.payload["n"] for i in first] == [0, 1, 2]
    assert all(i.status == "sending" and i.attempts == 1 and not i.reclaimed for i in first)
    assert first[0].lease_until == NOW + dt.timedelta(seconds=60)
    second = store.claim_outbox("sms", limit=10, now=NOW)
    assert [i.payload["n"] for i in second] == [3, 4]
    for item in first + second:
        store.mark_sent(item.id, f"SM{item.id}")
    assert store.claim_outbox("sms", limit=10, now=NOW) == []
    assert store.claim_outbox("web", limit=10, now=NOW) == []
    [later] = store.claim_outbox("sms", limit=10, now=NOW + dt.timedelta(hours=1))
    assert later.key == "later"


def test_an_expired_lease_is_offered_again_and_flagged(store: Store) -> None:
    store.enqueue("sms", "k", {"body": "x"})
    [item] = store.claim_outbox("sms", limit=1, lease_seconds=30, now=NOW)
    assert store.claim_outbox("sms", limit=1, now=NOW + dt.timedelta(seconds=29)) == []
    [again] = store.claim_outbox("sms", limit=1, now=NOW + dt.timedelta(seconds=31))
    assert again.id == item.id and again.reclaimed and again.attempts == 2


def test_outcomes_sent_failed_retry_unknown(store: Store) -> None:
    for key in ("ok", "retry", "dead", "crash"):
        store.enqueue("sms", key, {"key": key})
    items = {i.key: i for i in store.claim_outbox("sms", limit=10, now=NOW)}
    store.mark_sent(items["ok"].id, "SM0001")
    store.mark_failed(items["retry"].id, "30003", "Unreachable handset", permanent=False, retry_at=NOW + dt.timedelta(minutes=5))
    store.mark_failed(items["dead"].id, "21610", "Unsubscribed recipient", permanent=True)
    store.mark_unknown(items["crash"].id)
    by_key = {i.key: i for i in store.outbox_items("sms")}
    assert by_key["ok"].status == "sent" and by_key["ok"].provider_id == "SM0001"
    assert by_key["retry"].status == "queued" and by_key["retry"].error == "Unreachable handset"
    assert (by_key["dead"].status, by_key["dead"].error_code) == ("failed", "21610")
    assert by_key["crash"].status == "unknown"
    assert [i.key for i in store.outbox_items("sms", status="unknown")] == ["crash"]
    # an unknown or sent item is never offered again; a retry is, once its time comes
    assert store.claim_outbox("sms", limit=10, now=NOW + dt.timedelta(minutes=4)) == []
    [retry] = store.claim_outbox("sms", limit=10, now=NOW + dt.timedelta(minutes=5))
    assert retry.key == "retry" and retry.attempts == 2
    store.mark_sent(retry.id, "SM0002")
    store.requeue(by_key["crash"].id)
    assert [i.key for i in store.claim_outbox("sms", limit=10, now=NOW + dt.timedelta(hours=1))] == ["crash"]
    with pytest.raises(NotFound):
        store.mark_sent(999_999, "SMX")
    with pytest.raises(ValueError, match="Unknown outbox status"):
        store.outbox_items("sms", status="lost")
    assert store.outbox_item(by_key["ok"].id).provider_id == "SM0001"
    assert store.outbox_item(999_999) is None


def test_claim_can_be_limited_to_one_respondent(store: Store) -> None:
    ann = store.ensure_respondent("sms", "+447700900001")
    bob = store.ensure_respondent("sms", "+447700900002")
    store.enqueue("sms", "a1", {"n": 1}, respondent_id=ann)
    store.enqueue("sms", "b1", {"n": 2}, respondent_id=bob)
    store.enqueue("sms", "a2", {"n": 3}, respondent_id=ann)
    assert [i.key for i in store.claim_outbox("sms", limit=5, now=NOW, respondent_id=ann)] == ["a1", "a2"]
    assert [i.key for i in store.claim_outbox("sms", limit=5, now=NOW)] == ["b1"]
