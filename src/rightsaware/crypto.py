"""Keys for personal data: keyed-hash respondent ids and encryption of contact details.

One secret from the settings (never stored in the database) yields two independent keys
through HKDF-SHA256: one for HMAC-SHA256 respondent ids, one for AES-256-GCM encryption.
A :class:`Keyring` may hold several secrets for rotation: the first one encrypts and makes
new ids, every one of them decrypts and is tried when looking up an existing respondent.

Contact details are normalised before hashing so that ``+44 7700 900123``,
``07700 900123`` and ``00447700900123`` are the same person: see
:func:`normalise_address`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as _secrets
import unicodedata
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError
from .i18n import N_

MIN_SECRET_LENGTH = 16
PHONE_CHANNELS = frozenset({"sms", "phone", "voice", "whatsapp", "mms"})

_FORMAT_VERSION = b"\x01"
_KEY_ID_LENGTH = 4
_NONCE_LENGTH = 12
_HEADER_LENGTH = 1 + _KEY_ID_LENGTH + _NONCE_LENGTH
_SALT = b"rightsaware keyring v1"
_PHONE_PUNCTUATION = re.compile(r"[\s\-().\u00a0/]")
_PHONE_DIGITS = re.compile(r"^\+?[0-9]{4,20}$")


def normalise_channel(channel: str) -> str:
    """The channel name as used in hashes and keys: stripped and lower case."""
    return channel.strip().lower()


def normalise_address(channel: str, address: str) -> str:
    """The canonical form of a contact address, the input of the keyed hash.

    Phone channels (``sms``, ``phone``, ``voice``, ``whatsapp``) drop spaces and
    punctuation, turn a leading ``00`` into ``+`` and a UK national number (``07…``,
    eleven digits) into E.164 (``+447…``). An e-mail address is case-folded. Anything else
    is NFC-normalised and stripped.
    """
    text = unicodedata.normalize("NFC", address).strip()
    channel = normalise_channel(channel)
    if channel in PHONE_CHANNELS:
        compact = _PHONE_PUNCTUATION.sub("", text)
        if compact.startswith("whatsapp:"):
            compact = compact[len("whatsapp:"):]
        if _PHONE_DIGITS.match(compact):
            if compact.startswith("00"):
                compact = "+" + compact[2:]
            elif compact.startswith("0") and len(compact) == 11:
                compact = "+44" + compact[1:]
            return compact
        return text
    if "@" in text:
        return text.casefold()
    return text


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(secret)


def _secret_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        secret = unicodedata.normalize("NFC", secret.strip()).encode("utf-8")
    if not isinstance(secret, bytes):
        raise ConfigError(N_("The secret key must be text, not {kind}."), params={"kind": type(secret).__name__})
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            N_("The secret key is too short: it needs at least {minimum} characters. "
               "Set RIGHTSAWARE_SECRET_KEY to a long random value, for example one made by "
               "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`."),
            params={"minimum": MIN_SECRET_LENGTH},
        )
    return secret


class _Key:
    __slots__ = ("hmac_key", "aead", "key_id")

    def __init__(self, secret: bytes) -> None:
        self.hmac_key = _derive(secret, b"rightsaware respondent-id v1")
        encryption_key = _derive(secret, b"rightsaware encryption v1")
        self.aead = AESGCM(encryption_key)
        self.key_id = hashlib.sha256(b"key-id" + encryption_key).digest()[:_KEY_ID_LENGTH]


class Keyring:
    """Keyed hashing and encryption for personal data.

    Build it with :meth:`from_secret` (one secret) or :meth:`from_secrets` (several, for
    rotation: the first encrypts, all decrypt). The secrets never leave the process.
    """

    def __init__(self, secrets: Iterable[str | bytes]) -> None:
        keys = [_Key(_secret_bytes(secret)) for secret in secrets]
        if not keys:
            raise ConfigError(
                N_("No secret key is configured. Set RIGHTSAWARE_SECRET_KEY to a long random value.")
            )
        self._keys = keys
        self._by_id = {key.key_id: key for key in reversed(keys)}

    @classmethod
    def from_secret(cls, secret: str | bytes) -> Keyring:
        """A keyring with one secret (at least 16 characters)."""
        return cls([secret])

    @classmethod
    def from_secrets(cls, secrets: Iterable[str | bytes]) -> Keyring:
        """A keyring for rotation: the first secret encrypts, every secret decrypts."""
        return cls(list(secrets))

    @staticmethod
    def generate_secret() -> str:
        """A new random secret suitable for ``RIGHTSAWARE_SECRET_KEY``."""
        return _secrets.token_urlsafe(32)

    def __repr__(self) -> str:  # never show key material
        return f"<Keyring with {len(self._keys)} secret(s)>"

    # -- keyed hash ------------------------------------------------------------------
    def respondent_id(self, channel: str, address: str) -> str:
        """The respondent id for a contact: HMAC-SHA256 of the normalised contact, in hex."""
        return self._respondent_id(self._keys[0], channel, address)

    def respondent_ids(self, channel: str, address: str) -> tuple[str, ...]:
        """The id under every secret, the current one first (to find respondents after a rotation)."""
        return tuple(self._respondent_id(key, channel, address) for key in self._keys)

    @staticmethod
    def _respondent_id(key: _Key, channel: str, address: str) -> str:
        message = normalise_channel(channel) + "\x00" + normalise_address(channel, address)
        return hmac.new(key.hmac_key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    # -- encryption ------------------------------------------------------------------
    def encrypt(self, text: str, *, context: str = "") -> bytes:
        """Encrypt ``text`` with the current key (AES-256-GCM, random nonce).

        ``context`` is authenticated but not stored: decrypting needs the same context,
        so a ciphertext copied to another row does not decrypt there.
        """
        key = self._keys[0]
        nonce = os.urandom(_NONCE_LENGTH)
        header = _FORMAT_VERSION + key.key_id + nonce
        sealed = key.aead.encrypt(nonce, text.encode("utf-8"), header + context.encode("utf-8"))
        return header + sealed

    def decrypt(self, blob: bytes, *, context: str = "") -> str:
        """Decrypt what :meth:`encrypt` made, with whichever configured secret made it."""
        blob = bytes(blob)
        if len(blob) < _HEADER_LENGTH + 16 or blob[:1] != _FORMAT_VERSION:
            raise ConfigError(N_("Stored personal data is damaged or not in a format this version can read."))
        key = self._by_id.get(blob[1 : 1 + _KEY_ID_LENGTH])
        if key is None:
            raise ConfigError(
                N_("Stored personal data was encrypted with a secret key that is not configured. "
                   "After changing RIGHTSAWARE_SECRET_KEY, keep the old secret listed after the new one.")
            )
        header = blob[:_HEADER_LENGTH]
        try:
            plain = key.aead.decrypt(header[1 + _KEY_ID_LENGTH :], blob[_HEADER_LENGTH:], header + context.encode("utf-8"))
        except InvalidTag:
            raise ConfigError(N_("Stored personal data could not be decrypted: it is damaged or was moved.")) from None
        return plain.decode("utf-8")

    def is_current(self, blob: bytes) -> bool:
        """Whether ``blob`` was encrypted with the current (first) secret; if not, re-encrypt it."""
        return bytes(blob[1 : 1 + _KEY_ID_LENGTH]) == self._keys[0].key_id
