"""Referral lines for the closing text: the organisations chosen for a response, in its language.

The referral engine (:mod:`rightsaware.referral`, a default plugin on ``response_completed``)
stores its choices before this channel's own ``response_completed`` (``trylast``) runs;
:func:`rightsaware.referral.referrals_shown` gives their names and web addresses in the
respondent's language. A synthetic response (the simulator) stores no referrals, so the
engine's choice is computed without storing it: a community worker trying a survey sees
what a respondent would get. Without the referral module the closing text is thanks only.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def short_address(url: str) -> str:
    """A web address as short as a phone still links it: no scheme, no trailing slash."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            url = url[len(scheme):]
    return url.rstrip("/")


def referral_lines(runtime: Any, response: Any, instrument: Any, language: str) -> list[str]:
    """``Name: web address`` for each referral of the response, best first."""
    try:
        from rightsaware import referral
    except ImportError:
        return []
    try:
        if response.synthetic:
            chosen = referral.choose_for_response(runtime, response, instrument)
            items = [{"name": org.name(language), "website": org.website_for(language)} for org, _topic in chosen]
        else:
            items = referral.referrals_shown(runtime, response.id, language)
    except Exception as exc:  # noqa: BLE001 - a broken directory must not lose the thanks
        log.error("the referral directory could not be read (%s); the closing text has thanks only", type(exc).__name__)
        return []
    lines = []
    for item in items:
        name, website = item.get("name"), short_address(item.get("website") or "")
        if name:
            lines.append(f"{name}: {website}" if website else name)
    return lines
