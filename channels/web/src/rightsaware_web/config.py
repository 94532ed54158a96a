"""Settings of the web channel, read from ``RIGHTSAWARE_WEB_*`` variables (and API keys).

The core :class:`~rightsaware.settings.Settings` has no fields for the web channel yet, so
:meth:`WebConfig.from_environ` reads them from the environment; an embedding application
may also build a :class:`WebConfig` itself and pass it to :func:`rightsaware_web.make_app`.

API keys (``RIGHTSAWARE_API_KEYS``, comma-separated) are kept only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping

import attrs
from attrs import field, frozen
from rightsaware.errors import ConfigError

from .i18n import _

ENV_PREFIX = "RIGHTSAWARE_WEB_"
API_KEYS_VARIABLE = "RIGHTSAWARE_API_KEYS"
MIN_API_KEY_LENGTH = 16


def hash_api_key(key: str) -> str:
    """The SHA-256 digest under which an API key is kept in memory."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def _digests(keys: Iterable[str]) -> tuple[str, ...]:
    digests = []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        if len(key) < MIN_API_KEY_LENGTH:
            raise ConfigError(
                _("An API key in {variable} is shorter than {minimum} characters. Use long random keys, "
                  "for example made by: python -c \"import secrets; print(secrets.token_urlsafe(32))\"",
                  variable=API_KEYS_VARIABLE, minimum=MIN_API_KEY_LENGTH)
            )
        digests.append(hash_api_key(key))
    return tuple(digests)


@frozen(kw_only=True)
class WebConfig:
    """How the web pages and the JSON API behave in one deployment.

    ``frame_ancestors``: origins allowed to show the survey in an ``<iframe>`` (embed mode);
    ``'self'`` only by default. ``secure_cookies``: ``None`` marks cookies ``Secure`` when
    the request came over HTTPS; ``True`` always (behind a TLS proxy). ``rate_per_minute``
    and ``rate_burst``: form and API submissions allowed per client IP address.
    ``workers``: threads running the pages' blocking work; ``0`` runs it in the event loop
    itself; ``None`` (the default) chooses: ``0`` with SQLite, ``4`` with PostgreSQL.
    """

    api_key_digests: tuple[str, ...] = field(default=(), converter=tuple, repr=False)
    frame_ancestors: tuple[str, ...] = field(default=("'self'",), converter=tuple)
    secure_cookies: bool | None = None
    rate_per_minute: int = 120
    rate_burst: int = 60
    max_form_bytes: int = 64 * 1024
    max_api_bytes: int = 256 * 1024
    session_hours: int = 24
    resume_days: int = 30
    invitation_days: int = 28
    withdraw_days: int = 365
    workers: int | None = None

    @classmethod
    def with_api_keys(cls, keys: Iterable[str], **values: object) -> WebConfig:
        """A configuration accepting the given API keys (kept as digests only)."""
        return cls(api_key_digests=_digests(keys), **values)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> WebConfig:
        """Read ``RIGHTSAWARE_API_KEYS`` and ``RIGHTSAWARE_WEB_*`` (see docs/web.md)."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        ancestors = environ.get(ENV_PREFIX + "FRAME_ANCESTORS", "").split()
        if ancestors:
            for origin in ancestors:
                if not _valid_source(origin):
                    raise ConfigError(
                        _("{variable} has '{origin}', which is not an origin such as https://www.example.org "
                          "or 'self'.", variable=ENV_PREFIX + "FRAME_ANCESTORS", origin=origin[:60])
                    )
            values["frame_ancestors"] = tuple(ancestors)
        secure = environ.get(ENV_PREFIX + "SECURE_COOKIES", "").strip().lower()
        if secure:
            if secure not in ("1", "true", "yes", "0", "false", "no", "auto"):
                raise ConfigError(_("{variable} must be true, false or auto, not '{value}'.",
                                    variable=ENV_PREFIX + "SECURE_COOKIES", value=secure[:20]))
            values["secure_cookies"] = None if secure == "auto" else secure in ("1", "true", "yes")
        for name in ("rate_per_minute", "rate_burst", "max_form_bytes", "max_api_bytes", "session_hours",
                     "resume_days", "invitation_days", "withdraw_days", "workers"):
            raw = environ.get(ENV_PREFIX + name.upper(), "").strip()
            if not raw or (name == "workers" and raw.lower() == "auto"):
                continue
            if name == "workers" and raw == "0":
                values[name] = 0
                continue
            if not raw.isdigit() or int(raw) < 1:
                raise ConfigError(_("{variable} must be a whole number above 0, not '{value}'.",
                                    variable=ENV_PREFIX + name.upper(), value=raw[:20]))
            values[name] = int(raw)
        keys = environ.get(API_KEYS_VARIABLE, "").split(",")
        return cls(api_key_digests=_digests(keys), **values)

    def accepts_api_key(self, key: str | None) -> bool:
        """Whether ``key`` is one of the configured API keys (constant-time comparison)."""
        if not key or not self.api_key_digests:
            return False
        digest = hash_api_key(key)
        found = False
        for expected in self.api_key_digests:
            found |= hmac.compare_digest(digest, expected)
        return found

    def replace(self, **values: object) -> WebConfig:
        return attrs.evolve(self, **values)


def _valid_source(origin: str) -> bool:
    if origin in ("'self'", "'none'"):
        return True
    if origin.startswith(("https://", "http://")):
        rest = origin.split("://", 1)[1]
        return bool(rest) and not any(c in rest for c in " ;,'\"")
    return False
