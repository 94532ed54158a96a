"""Signed tokens: the session cookie and the links sent to respondents.

One sub-key for the web channel is derived from the deployment's secret with HKDF-SHA256
(``info="rightsaware-web v1"``); itsdangerous signs with it, a different salt per purpose,
so a session cookie can never be replayed as a link or the other way round.

Links are kept short because they travel in text messages (every character counts when
a Welsh letter such as ŵ makes a message UCS-2): a compact binary payload, base64url,
a dot and an HMAC signature. Three kinds:

* **invitation** (``/r/<token>``, personal link): instrument id and respondent id;
* **resume** (``/r/<token>``, save and come back later): the response id;
* **withdraw** (``/r/<token>``, shown on the confirmation page): the response id.

All carry their expiry time, so an expired link is told apart from a forged one.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import time
from typing import Any

import itsdangerous
from attrs import frozen
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KIND_INVITATION = "i"
KIND_RESUME = "r"
KIND_WITHDRAW = "w"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def derive_key(secret: str, purpose: bytes = b"rightsaware-web v1") -> bytes:
    """The web channel's signing key, derived from the deployment's secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rightsaware web channel", info=purpose).derive(
        secret.encode("utf-8")
    )


VERIFIED_LIMIT = 10_000  # session cookies remembered as verified (then forgotten all at once)


class LinkError(Exception):
    """A link token that is damaged, forged (``expired=False``) or out of date (``expired=True``)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@frozen
class Link:
    """What a verified link names."""

    kind: str  # KIND_INVITATION, KIND_RESUME or KIND_WITHDRAW
    expires: int  # Unix time
    instrument_id: str | None = None
    respondent_id: str | None = None
    response_id: str | None = None


def _pack_field(value: str) -> bytes:
    if _HEX64.match(value):
        raw, flag = bytes.fromhex(value), 0
    else:
        raw, flag = value.encode("utf-8"), 1
    if len(raw) > 255:
        raise ValueError("a link field is longer than 255 bytes")
    return bytes((flag, len(raw))) + raw


def _unpack_fields(data: bytes) -> list[str]:
    fields = []
    position = 0
    while position < len(data):
        flag, length = data[position], data[position + 1]
        raw = data[position + 2 : position + 2 + length]
        if len(raw) != length:
            raise ValueError("truncated")
        fields.append(raw.hex() if flag == 0 else raw.decode("utf-8"))
        position += 2 + length
    return fields


class Tokens:
    """Signing and verifying the session cookie and respondent links."""

    def __init__(self, secret: str) -> None:
        key = derive_key(secret)
        self._session = itsdangerous.URLSafeTimedSerializer(key, salt="rightsaware-web/session")
        # Cookies already verified (their data, signing time): a browser sends the same cookie
        # with page after page.
        self._verified: dict[str, tuple[dict[str, Any], float]] = {}
        self._links = itsdangerous.Signer(key, salt="rightsaware-web/link")

    # -- session cookie --------------------------------------------------------------------
    def dump_session(self, data: dict[str, Any]) -> str:
        return self._session.dumps(data)

    def load_session(self, value: str, max_age: int) -> dict[str, Any] | None:
        """The session's data, or ``None`` if the cookie is forged, damaged or too old."""
        loaded = self.load_session_with_time(value, max_age)
        return None if loaded is None else loaded[0]

    def load_session_with_time(self, value: str, max_age: int) -> tuple[dict[str, Any], float] | None:
        """The session's data (a fresh copy) and when it was signed (Unix time), or ``None``."""
        shared = self.read_session(value, max_age)
        return None if shared is None else (json.loads(json.dumps(shared[0])), shared[1])

    def read_session(self, value: str, max_age: int) -> tuple[dict[str, Any], float] | None:
        """Like :meth:`load_session_with_time`, but the data is shared: read it, never change it.

        A cookie whose signature was verified before is not verified again (the same
        text always has the same signature); its age is still checked every time.
        """
        known = self._verified.get(value)
        if known is not None:
            age = time.time() - known[1]
            return known if 0 <= age <= max_age else None
        try:
            data, signed = self._session.loads(value, max_age=max_age, return_timestamp=True)
        except (itsdangerous.BadData, json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        if len(self._verified) >= VERIFIED_LIMIT:
            self._verified.clear()
        found = self._verified[value] = (data, signed.timestamp())
        return found

    # -- links -----------------------------------------------------------------------------
    def _sign(self, kind: str, expires: int, *fields: str) -> str:
        payload = kind.encode("ascii") + struct.pack(">I", expires) + b"".join(_pack_field(f) for f in fields)
        encoded = base64.urlsafe_b64encode(payload).rstrip(b"=")
        return self._links.sign(encoded).decode("ascii")

    def invitation(self, instrument_id: str, respondent_id: str, expires: int) -> str:
        """A personal link token for one respondent and one instrument."""
        return self._sign(KIND_INVITATION, expires, instrument_id, respondent_id)

    def resume(self, response_id: str, expires: int) -> str:
        """A token that lets whoever holds it carry on with a response."""
        return self._sign(KIND_RESUME, expires, response_id)

    def withdrawal(self, response_id: str, expires: int) -> str:
        """A token that lets whoever holds it withdraw a response (the respondent keeps it)."""
        return self._sign(KIND_WITHDRAW, expires, response_id)

    def read_link(self, token: str, now: float | None = None) -> Link:
        """Verify a link token; raise :class:`LinkError` when it is forged or expired."""
        try:
            encoded = self._links.unsign(token.encode("ascii"))
            payload = base64.urlsafe_b64decode(encoded + b"=" * (-len(encoded) % 4))
            kind = payload[:1].decode("ascii")
            (expires,) = struct.unpack(">I", payload[1:5])
            fields = _unpack_fields(payload[5:])
        except (itsdangerous.BadData, UnicodeError, ValueError, binascii.Error, struct.error, IndexError):
            raise LinkError(expired=False) from None
        if kind == KIND_INVITATION and len(fields) == 2:
            link = Link(kind, expires, instrument_id=fields[0], respondent_id=fields[1])
        elif kind in (KIND_RESUME, KIND_WITHDRAW) and len(fields) == 1:
            link = Link(kind, expires, response_id=fields[0])
        else:
            raise LinkError(expired=False)
        if expires < (time.time() if now is None else now):
            raise LinkError(expired=True)
        return link
