"""Recently used responses kept in memory, checked against the store's revision on every use.

A respondent's pages load the same response again and again (each page, each answer, the
page after it). Responses are frozen values and every change to one raises its
``revision`` (the store's optimistic concurrency), so a kept copy is still right exactly
when the stored revision is the same. Asking for the revision alone is one small query
instead of the response row and all its answers: the copy is served only when it is
current, wherever the change was made (another tab, another process, the JSON API).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any


class ResponseCache:
    """Up to ``size`` responses, the least recently used dropped first."""

    def __init__(self, store: Any, size: int = 5000) -> None:
        self.store = store
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self._checked = threading.local()

    def load(self, response_id: str) -> Any | None:
        """The stored response (``None`` if there is none), from memory when still current."""
        response = self._load(response_id)
        self._checked.last = (response_id, response, time.monotonic()) if response is not None else None
        return response

    def take_checked(self, response_id: str, within: float = 0.5) -> Any | None:
        """The response this thread loaded (and checked) a moment ago, once; else ``None``.

        For the interviewer's first attempt at a change right after a page loaded the
        response: if it changed in between, saving fails on the revision and the
        interviewer's retry loads it afresh.
        """
        last = getattr(self._checked, "last", None)
        self._checked.last = None
        if last is not None and last[0] == response_id and time.monotonic() - last[2] < within:
            return last[1]
        return None

    def _load(self, response_id: str) -> Any | None:
        with self._lock:
            kept = self._kept.get(response_id)
        if kept is not None:
            revision = self.store.response_revision(response_id)
            if revision == kept.revision:
                with self._lock:
                    if response_id in self._kept:
                        self._kept.move_to_end(response_id)
                return kept
        response = self.store.load_response(response_id)
        if response is None:
            self.forget(response_id)
        else:
            self.keep(response)
        return response

    def keep(self, response: Any) -> Any:
        """Remember a response just loaded or saved; returns it."""
        with self._lock:
            kept = self._kept.get(response.id)
            if kept is None or kept.revision <= response.revision:
                self._kept[response.id] = response
                self._kept.move_to_end(response.id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return response

    def forget(self, response_id: str) -> None:
        with self._lock:
            self._kept.pop(response_id, None)
