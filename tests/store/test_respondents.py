"""Respondents: keyed-hash ids, contact details encrypted at rest, language, opt-outs, erasure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from sqlalchemy import select

from rightsaware.crypto import Keyring
from rightsaware.errors import ConfigError, NotFound
from rightsaware.response import Response
from rightsaware.store import Store

PHONE = "+447700900123"
DIGITS = "7700900123"
NAME = "Gwenllian Ní Bhriain"


def everything_stored(store: Store) -> list[bytes]:
    """Every value in every table, as bytes (text UTF-8 encoded)."""
    values: list[bytes] = []
    with store.engine.connect() as connection:
        for table in store.tables.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode("utf-8"))
    return values


def test_ensure_respondent_is_idempotent_and_keyed(store: Store, keyring: Keyring) -> None:
    rid = store.ensure_respondent("sms", PHONE, language="cy")
    assert rid == keyring.respondent_id("sms", PHONE)
    assert store.ensure_respondent("sms", "07700 900123", language="gd") == rid
    record = store.respondent(rid)
    assert (record.id, record.language, record.erased, record.opted_out_channels) == (rid, "cy", False, frozenset())
    assert record.created_at.tzinfo is not None
    assert store.contact_address(rid, "sms") == PHONE
    assert store.contact_address(rid, "web") is None
    assert store.find_respondent("sms", "07700900123") == rid
    assert store.find_respondent("sms", "07700900999") is None
    assert store.respondent("nobody") is None
    with store.engine.connect() as connection:
        assert connection.scalar(select(store.tables.respondents.c.id).where(store.tables.respondents.c.id == rid))


def test_contact_details_are_never_stored_in_clear(store: Store, store_url: str) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    store.ensure_respondent("email", "gwen@example.org")
    store.enqueue("sms", "invite-1", {"to": PHONE, "body": f"Helo {NAME}"}, respondent_id=rid)
    item = store.claim_outbox("sms", limit=1)[0]
    store.mark_failed(item.id, "21211", f"Invalid 'To' Phone Number: {PHONE}", permanent=True)
    stored = b"\n".join(everything_stored(store))
    for secret in (DIGITS.encode(), b"gwen@example.org", NAME.encode("utf-8")):
        assert secret not in stored
    assert store.outbox_items("sms")[0].payload["to"] == PHONE  # yet readable through the store
    if store_url.startswith("sqlite"):
        store.close()
        path = Path(store_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert len(raw) > 4096
        for secret in (DIGITS.encode(), b"gwen@example.org", NAME.encode("utf-8")):
            assert secret not in raw


def test_another_secret_gives_other_ids_and_cannot_read_addresses(store_url: str, store: Store) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    store.close()
    other = Keyring.from_secret("a completely different secret key")
    with Store.open(store_url, other) as elsewhere:
        assert other.respondent_id("sms", PHONE) != rid
        assert elsewhere.find_respondent("sms", PHONE) is None
        with pytest.raises(ConfigError, match="not configured"):
            elsewhere.contact_address(rid, "sms")


def test_after_a_key_rotation_respondents_keep_their_ids(store_url: str, store: Store, keyring: Keyring) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    store.close()
    rotated = Keyring.from_secrets(["the new secret after rotation", "test secret for the store suite, not for production"])
    with Store.open(store_url, rotated) as after:
        assert after.ensure_respondent("sms", PHONE) == rid
        assert after.find_respondent("sms", "07700900123") == rid
        assert after.contact_address(rid, "sms") == PHONE
        newcomer = after.ensure_respondent("sms", "+447700900999")
        assert newcomer == rotated.respondent_id("sms", "+447700900999") != keyring.respondent_id("sms", "+447700900999")


def test_language_choice_is_remembered(store: Store) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    assert store.respondent(rid).language is None
    store.set_language(rid, "gd")
    assert store.respondent(rid).language == "gd"
    store.ensure_respondent("sms", PHONE, language="en")  # does not override a choice
    assert store.respondent(rid).language == "gd"
    with pytest.raises(NotFound):
        store.set_language("nobody", "cy")


def test_opt_out_and_back_in_per_channel(store: Store) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    store.set_opted_out(rid, "sms", True)
    store.set_opted_out(rid, "whatsapp", True)  # a channel with no address yet
    assert store.respondent(rid).opted_out_channels == {"sms", "whatsapp"}
    store.set_opted_out(rid, "sms", False)
    assert store.respondent(rid).opted_out_channels == {"whatsapp"}
    assert store.contact_address(rid, "sms") == PHONE
    with pytest.raises(NotFound):
        store.set_opted_out("nobody", "sms", True)


def test_erasure_removes_personal_data_but_keeps_the_opt_out(store: Store) -> None:
    rid = store.ensure_respondent("sms", PHONE, language="cy")
    store.ensure_respondent("email", "gwen@example.org")
    store.set_opted_out(rid, "sms", True)
    now = dt.datetime.now(dt.timezone.utc)
    response = Response(
        id="r1", instrument_id="i", instrument_version="1", instrument_hash="h", channel="sms",
        respondent_id=rid, started_at=now, updated_at=now,
    )
    store.create_response(response)
    store.enqueue("sms", "reminder", {"to": PHONE}, respondent_id=rid)
    store.erase_respondent(rid)
    record = store.respondent(rid)
    assert record.erased and record.language is None
    assert record.opted_out_channels == {"sms"}
    assert store.contact_address(rid, "sms") is None
    assert store.outbox_items("sms") == []
    assert store.load_response("r1").respondent_id is None
    assert DIGITS.encode() not in b"".join(everything_stored(store))
    # someone who writes again after erasure is a respondent again, still opted out until they opt in
    assert store.ensure_respondent("sms", PHONE) == rid
    assert store.respondent(rid).erased is False
    assert store.contact_address(rid, "sms") == PHONE
    assert store.respondent(rid).opted_out_channels == {"sms"}


def test_erasure_can_delete_the_responses_too(store: Store) -> None:
    rid = store.ensure_respondent("sms", PHONE)
    now = dt.datetime.now(dt.timezone.utc)
    base = Response(id="r1", instrument_id="i", instrument_version="1", instrument_hash="h", channel="sms",
                    respondent_id=rid, started_at=now, updated_at=now)
    store.create_response(base)
    store.create_response(attrs.evolve(base, id="r2", respondent_id=None))
    store.erase_respondent(rid, delete_responses=True)
    assert store.load_response("r1") is None
    assert store.load_response("r2") is not None
    with pytest.raises(NotFound):
        store.erase_respondent("nobody")
