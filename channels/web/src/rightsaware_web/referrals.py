"""The referrals shown on the confirmation page, in the respondent's language.

The referral plugin (``rightsaware.referral``) chooses organisations when a response is
completed and the store keeps them (``store.referrals_for``). Their names and contact
details come from that plugin's directory; without the plugin there is nothing to show.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def _directory_module() -> Any | None:
    try:
        return importlib.import_module("rightsaware.referral")
    except ImportError:
        return None


def referral_views(runtime: Any, response: Any, language: str) -> list[dict[str, Any]]:
    """``[{name, description, website, phone, email, lang}]`` for the response's referrals."""
    module = _directory_module()
    if module is None:
        return []
    records = runtime.store.referrals_for(response.id)
    if not records:
        return []
    describe = getattr(module, "describe_referral", None)
    views = []
    for record in records:
        if describe is None:
            continue
        try:
            view = describe(record.organisation_id, language, runtime=runtime)
        except Exception:  # noqa: BLE001 - a directory problem must not hide the confirmation
            log.warning("organisation %s could not be described", record.organisation_id)
            continue
        if view:
            views.append(dict(view))
    return views
