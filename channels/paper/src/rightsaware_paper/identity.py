"""What a page's QR code says: instrument, version, layout, page and the sheet serial.

The payload is short, versioned text, also printed under the code for typing in by hand::

    RA1|<instrument id>|<version>|<layout fingerprint>|<page>/<pages>|<serial>|<check>

The *serial* is random per printed copy (no personal data); the *check* is a truncated
HMAC-SHA256 of everything before it, keyed from the deployment's secret, so a misread or
made-up code is rejected. Serial and check use Crockford's base-32 alphabet (no I, L, O,
U), so a person typing them in cannot confuse 0/O or 1/I/L.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from attrs import frozen

PREFIX = "RA1"
SERIAL_LENGTH = 10
CHECK_LENGTH = 6
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_FIELD = re.compile(r"^[^|\s]{1,64}$")


@frozen
class PageIdentity:
    """The identity of one printed page."""

    instrument_id: str
    version: str
    fingerprint: str
    page: int
    pages: int
    serial: str

    def body(self) -> str:
        return "|".join([PREFIX, self.instrument_id, self.version, self.fingerprint,
                         f"{self.page}/{self.pages}", self.serial])

    def payload(self, key: bytes) -> str:
        return f"{self.body()}|{check_value(key, self.body())}"


class BadCode(ValueError):
    """A code that is not a rightsaware page code, or whose check value does not match.

    ``reason`` is one of ``not_ours`` (some other QR code or text), ``malformed`` (looks
    like ours but a field is missing or wrong) and ``check`` (the check value is wrong).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def qr_key(secret: str) -> bytes:
    """The key for check values, derived from the deployment's secret key."""
    return hmac.new(secret.encode("utf-8"), b"rightsaware-paper/qr-check/v1", hashlib.sha256).digest()


def new_serial() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SERIAL_LENGTH))


def check_value(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:4], "big") >> 2  # 30 bits = 6 base-32 digits
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CHECK_LENGTH)))


def validate_field(value: str) -> bool:
    return bool(_FIELD.match(value))


def normalise_code(text: str) -> str:
    """A typed or decoded code with spaces removed and look-alike letters fixed in serial and check."""
    parts = [p.strip() for p in re.sub(r"\s+", "", text or "").split("|")]
    if len(parts) == 7:
        parts[0] = parts[0].upper()
        parts[3] = parts[3].lower()
        parts[5] = parts[5].upper().translate(_TYPO)
        parts[6] = parts[6].upper().translate(_TYPO)
    return "|".join(parts)


def parse_code(text: str, key: bytes | None) -> tuple[PageIdentity, bool]:
    """Read a payload; returns the identity and whether its check value matched ``key``.

    Raises :class:`BadCode` when the text is not one of our codes at all or is malformed.
    A wrong check value is reported (``False``), not raised, so the caller can accept a
    serial it printed itself under an older secret.
    """
    code = normalise_code(text)
    parts = code.split("|")
    if not parts or parts[0] != PREFIX:
        raise BadCode("not_ours")
    if len(parts) != 7:
        raise BadCode("malformed")
    _, instrument_id, version, fingerprint, page_part, serial, check = parts
    match = re.fullmatch(r"(\d{1,3})/(\d{1,3})", page_part)
    if (match is None or not re.fullmatch(r"[0-9a-f]{8}", fingerprint) or not validate_field(instrument_id)
            or not validate_field(version) or len(serial) != SERIAL_LENGTH or len(check) != CHECK_LENGTH
            or any(c not in ALPHABET for c in serial + check)):
        raise BadCode("malformed")
    page, pages = int(match.group(1)), int(match.group(2))
    if not 1 <= page <= pages:
        raise BadCode("malformed")
    identity = PageIdentity(instrument_id, version, fingerprint, page, pages, serial)
    ok = key is not None and hmac.compare_digest(check_value(key, identity.body()), check)
    return identity, ok
