"""The keyring: keyed-hash respondent ids, normalisation, encryption and key rotation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from rightsaware.crypto import Keyring, normalise_address
from rightsaware.errors import ConfigError

SECRET = "first secret of at least sixteen characters"
OTHER = "second secret of at least sixteen characters"


def test_respondent_id_is_stable_hex_and_depends_on_the_secret() -> None:
    keyring = Keyring.from_secret(SECRET)
    first = keyring.respondent_id("sms", "+447700900123")
    assert first == Keyring.from_secret(SECRET).respondent_id("sms", "+447700900123")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != Keyring.from_secret(OTHER).respondent_id("sms", "+447700900123")
    assert first != keyring.respondent_id("sms", "+447700900124")
    assert first != keyring.respondent_id("whatsapp", "+447700900123")


def test_respondent_id_is_not_a_plain_hash_of_the_contact() -> None:
    keyring = Keyring.from_secret(SECRET)
    rid = keyring.respondent_id("sms", "+447700900123")
    for message in (b"+447700900123", b"sms\x00+447700900123"):
        assert rid != hashlib.sha256(message).hexdigest()
        assert rid != hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()  # the key is derived


@pytest.mark.parametrize(
    "written",
    ["+447700900123", "+44 7700 900123", "07700 900123", "07700-900-123", "00447700900123", " (07700) 900123 "],
)
def test_phone_numbers_are_normalised_before_hashing(written: str) -> None:
    keyring = Keyring.from_secret(SECRET)
    assert normalise_address("sms", written) == "+447700900123"
    assert keyring.respondent_id("SMS", written) == keyring.respondent_id("sms", "+447700900123")


def test_other_addresses_are_normalised_conservatively() -> None:
    assert normalise_address("email", "  Someone@Example.ORG ") == "someone@example.org"
    assert normalise_address("web", "Cafe\u0301 token") == "Caf\u00e9 token"  # NFC, case kept
    assert normalise_address("sms", "not a number") == "not a number"


def test_encrypt_round_trip_is_randomised_and_bound_to_its_context() -> None:
    keyring = Keyring.from_secret(SECRET)
    blob = keyring.encrypt("Siân ap Dafydd, +447700900123", context="row-1")
    assert b"7700900123" not in blob and "Siân".encode() not in blob
    assert blob != keyring.encrypt("Siân ap Dafydd, +447700900123", context="row-1")
    assert keyring.decrypt(blob, context="row-1") == "Siân ap Dafydd, +447700900123"
    with pytest.raises(ConfigError, match="could not be decrypted"):
        keyring.decrypt(blob, context="row-2")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(ConfigError, match="could not be decrypted"):
        keyring.decrypt(tampered, context="row-1")
    with pytest.raises(ConfigError, match="damaged"):
        keyring.decrypt(b"junk")


def test_rotation_first_secret_encrypts_all_decrypt() -> None:
    old = Keyring.from_secret(OTHER)
    old_blob = old.encrypt("Màiri")
    rotated = Keyring.from_secrets([SECRET, OTHER])
    assert rotated.decrypt(old_blob) == "Màiri"
    assert not rotated.is_current(old_blob)
    new_blob = rotated.encrypt("Màiri")
    assert rotated.is_current(new_blob)
    assert Keyring.from_secret(SECRET).decrypt(new_blob) == "Màiri"
    with pytest.raises(ConfigError, match="not configured"):
        Keyring.from_secret(SECRET).decrypt(old_blob)
    assert rotated.respondent_ids("sms", "07700900123") == (
        Keyring.from_secret(SECRET).respondent_id("sms", "07700900123"),
        old.respondent_id("sms", "07700900123"),
    )


@pytest.mark.parametrize("secret", ["", "short", b"0123456789"])
def test_weak_secrets_are_refused_with_advice(secret: str | bytes) -> None:
    with pytest.raises(ConfigError, match="RIGHTSAWARE_SECRET_KEY"):
        Keyring.from_secret(secret)
    with pytest.raises(ConfigError, match="No secret key"):
        Keyring.from_secrets([])


def test_the_keyring_never_shows_its_keys() -> None:
    keyring = Keyring.from_secret(SECRET)
    assert SECRET not in repr(keyring)
    assert len(Keyring.generate_secret()) >= 40
