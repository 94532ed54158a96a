"""The store: one SQL database (SQLite by default, PostgreSQL by URL) for everything kept.

``Store.open(url, keyring)`` opens and migrates it; see ``docs/store.md``.
"""

from __future__ import annotations

from .core import Store, suggest_next_version
from .engine import normalise_url
from .records import OutboxItem, ReferralRecord, RespondentRecord

__all__ = ["OutboxItem", "ReferralRecord", "RespondentRecord", "Store", "normalise_url", "suggest_next_version"]
