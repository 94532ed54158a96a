"""Referral lines for the closing text: the organisations chosen for a response, in its language.

The referral engine (``rightsaware.referral``, a default plugin on ``response_completed``)
records its choices with ``store.add_referral`` before this channel's own
``response_completed`` (``trylast``) reads them. Names, phone numbers and web addresses
come from the referral directory when it can be loaded; without it (or for an
organisation it does not know) there is no line, and the closing text is thanks only.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _directory(runtime: Any) -> Any:
    """The referral directory, through whichever API ``rightsaware.referral`` offers."""
    try:
        from rightsaware import referral
    except ImportError:
        return None
    for name in ("directory", "load_directory", "default_directory"):
        factory = getattr(referral, name, None)
        if callable(factory):
            try:
                return factory(runtime)
            except TypeError:
                return factory()
    cached = getattr(runtime, "referral_directory", None)
    return cached


def _lookup(directory: Any, organisation_id: str) -> Any:
    for name in ("organisation", "get", "find"):
        method = getattr(directory, name, None)
        if callable(method):
            try:
                return method(organisation_id)
            except (KeyError, LookupError):
                return None
    if isinstance(directory, dict):
        return directory.get(organisation_id)
    return None


def _localized(value: Any, language: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(language) or value.get("en")
    return str(value)


def _field(organisation: Any, name: str, language: str) -> str | None:
    method = getattr(organisation, f"{name}_in", None)
    if callable(method):
        return method(language)
    value = organisation.get(name) if isinstance(organisation, dict) else getattr(organisation, name, None)
    if callable(value):
        return value(language)
    return _localized(value, language)


def referral_lines(runtime: Any, response_id: str, language: str) -> list[str]:
    """``Name: phone`` (or web address) for each referral of the response that can be named."""
    records = runtime.store.referrals_for(response_id)
    if not records:
        return []
    directory = _directory(runtime)
    if directory is None:
        return []
    lines = []
    for record in records:
        organisation = _lookup(directory, record.organisation_id)
        if organisation is None:
            continue
        name = _field(organisation, "name", language)
        if not name:
            continue
        contact = _field(organisation, "phone", language) or _field(organisation, "website", language) or \
            _field(organisation, "url", language)
        lines.append(f"{name}: {contact}" if contact else name)
    return lines
