"""The referrals shown on the confirmation page, in the respondent's language.

The referral plugin (:mod:`rightsaware.referral`, a default plugin of the core) picks
organisations when a response is completed and the store keeps them; its
``referrals_shown`` gives each one's name, website and what it helps with. Without that
module there is nothing to show. A name with no official Welsh or Gaelic form is shown in
English and marked ``lang="en"`` (names are never invented).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def _referral_module() -> Any | None:
    try:
        return importlib.import_module("rightsaware.referral")
    except ImportError:
        return None


def referral_views(runtime: Any, response: Any, language: str) -> list[dict[str, Any]]:
    """``[{name, name_lang, helps_with, helps_lang, website, topic}]`` for the response's referrals."""
    module = _referral_module()
    if module is None or not hasattr(module, "referrals_shown"):
        return []
    try:
        shown = module.referrals_shown(runtime, response.id, language)
        organisations = module.directory_for(runtime).organisations if shown and language != "en" else {}
    except Exception:  # noqa: BLE001 - a broken directory must not hide the confirmation
        log.exception("the referrals of a response could not be shown")
        return []
    views = []
    for item in shown:
        organisation = organisations.get(item["id"])
        views.append({
            "name": item["name"],
            "name_lang": _fallback(organisation, "names", language),
            "helps_with": item.get("helps_with") or "",
            "helps_lang": _fallback(organisation, "helps_with", language),
            "website": item.get("website") or "",
            "topic": item.get("topic") or "",
        })
    return views


def _fallback(organisation: Any, field: str, language: str) -> str | None:
    """``"en"`` when the directory has no text in ``language`` (so the English is shown)."""
    if organisation is None:
        return None
    texts = getattr(organisation, field, None) or {}
    return None if texts.get(language) else "en"
