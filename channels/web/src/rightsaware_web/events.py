"""Web events kept in the store's idempotency table, so that a repeat changes nothing.

The store records each inbound event key once (``claim_event``: the first claim wins, in
any number of processes). The web channel uses it for:

* ``start:<key>`` — the JSON API's ``Idempotency-Key``: a retried request starts one
  response, not two, and gets the response the first one made
  (``started:<key>:<response id>``), in any process and however late the retry;
* ``submitted:<response id>`` — the respondent pressed "Send my answers" on "Check your
  answers", which completed the response (the pages' interviewer defers completion until
  then); a response completed elsewhere (the JSON API, another channel) has no such key.

(The pages catch a double click on a form in memory: see :mod:`rightsaware_web.once`.)
"""

from __future__ import annotations

import time
from typing import Any

from rightsaware.response import STATUS_COMPLETED
from sqlalchemy import and_, select

CHANNEL = "web"


def claim(store: Any, key: str, kind: str) -> bool:
    """True the first time ``key`` is claimed."""
    return store.claim_event(CHANNEL, key, kind=kind)


def release(store: Any, key: str) -> None:
    store.release_event(CHANNEL, key)


def _keys_with_prefix(store: Any, prefix: str) -> list[str]:
    table = store.tables.processed_events
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(table.c.key).where(and_(table.c.channel == CHANNEL, table.c.key.like(escaped + "%", escape="\\")))
    with store.engine.connect() as connection:
        return list(connection.scalars(query))


def exists(store: Any, key: str) -> bool:
    return store.event_claimed(CHANNEL, key)


# -- starting once ----------------------------------------------------------------------

def start_once(store: Any, nonce: str, start: Any, wait: float = 5.0) -> tuple[str, bool]:
    """``(response id, created)``: ``start()`` runs for the first use of ``nonce`` only.

    A repeat waits (up to ``wait`` seconds) for the first request to record its response
    and returns that one; ``("", False)`` if it never appears (the first request failed).
    """
    if claim(store, f"start:{nonce}", "start"):
        try:
            response_id = start()
        except BaseException:
            release(store, f"start:{nonce}")
            raise
        claim(store, f"started:{nonce}:{response_id}", "started")
        return response_id, True
    deadline = time.monotonic() + wait
    while True:
        found = _keys_with_prefix(store, f"started:{nonce}:")
        if found:
            return found[0].rsplit(":", 1)[1], False
        if time.monotonic() > deadline:
            return "", False
        time.sleep(0.05)


# -- confirmation -----------------------------------------------------------------------

def mark_submitted(store: Any, response_id: str) -> bool:
    """Record that the respondent confirmed their answers; False if already recorded."""
    return claim(store, f"submitted:{response_id}", "submitted")


def is_submitted(store: Any, response: Any) -> bool:
    """Whether the respondent sent ``response`` (only a completed response can have been sent:
    nothing changes it afterwards, so others need no query)."""
    if response.status != STATUS_COMPLETED:
        return False
    return exists(store, f"submitted:{response.id}")
