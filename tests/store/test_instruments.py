"""Instruments seen (id, version, content hash) and referrals."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsaware.errors import InstrumentConflict, StoreError
from rightsaware.response import Response
from rightsaware.store import Store, suggest_next_version


def response(response_id: str, version: str = "1", content_hash: str = "hash-a") -> Response:
    now = dt.datetime.now(dt.timezone.utc)
    return Response(
        id=response_id, instrument_id="rights", instrument_version=version, instrument_hash=content_hash,
        channel="web", started_at=now, updated_at=now,
    )


def test_a_changed_instrument_without_responses_replaces_the_old_content(store: Store) -> None:
    store.record_instrument("rights", "1", "hash-a")
    store.record_instrument("rights", "1", "hash-a")
    assert store.instrument_hash("rights", "1") == "hash-a"
    store.record_instrument("rights", "1", "hash-b")
    assert store.instrument_hash("rights", "1") == "hash-b"
    assert store.instrument_hash("rights", "2") is None


def test_a_changed_instrument_with_responses_must_get_a_new_version(store: Store) -> None:
    store.record_instrument("rights", "1.4", "hash-a")
    store.create_response(response("r1", "1.4"))
    with pytest.raises(InstrumentConflict) as caught:
        store.record_instrument("rights", "1.4", "hash-b")
    message = str(caught.value)
    assert "rights" in message and "'1.4'" in message and "new version" in message and "'1.5'" in message
    assert store.instrument_hash("rights", "1.4") == "hash-a"
    store.record_instrument("rights", "1.4", "hash-a")  # the same content is fine
    store.record_instrument("rights", "1.5", "hash-b")  # and so is a new version
    store.create_response(response("r2", "1.5", "hash-b"))
    assert store.count_responses("rights", "1.4") == 1 and store.count_responses("rights") == 2


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1", "2"), ("1.4", "1.5"), ("2024-09", "2024-10"), ("v3", "v4"), ("1.0-beta", "1.1-beta"), ("draft", "draft.1")],
)
def test_suggested_versions(version: str, expected: str) -> None:
    assert suggest_next_version(version) == expected


def test_referrals_are_idempotent_per_response_and_organisation(store: Store) -> None:
    store.create_response(response("r1"))
    store.add_referral("r1", "shelter-cymru", "housing", channel="sms", language="cy", share_contact=True)
    store.add_referral("r1", "shelter-cymru", "housing", channel="sms", language="cy", share_contact=True)
    store.add_referral("r1", "citizens-advice-scotland", "benefits", channel="sms", language="gd", share_contact=False)
    made = store.referrals_for("r1")
    assert sorted((r.organisation_id, r.topic, r.share_contact) for r in made) == [
        ("citizens-advice-scotland", "benefits", False),
        ("shelter-cymru", "housing", True),
    ]
    assert all(r.response_id == "r1" and r.created_at.tzinfo for r in made)
    assert store.referrals_for("other") == []
    with pytest.raises(StoreError, match="needs a stored response"):
        store.add_referral("missing", "shelter-cymru", "housing", channel="sms", language="cy", share_contact=False)
