"""Requests that must take effect once: a form sent twice, a Start button pressed twice.

The second copy of a request usually arrives while the first is still being handled (a
double click). :class:`Once` lets the first one do the work and makes the copies wait for
it and reuse its result, inside this process and without touching the database. Copies
that arrive later, or at another server process, are caught by the pages themselves: an
answer sent again unchanged changes nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_PENDING = object()


class Entry:
    """One key's first request: its result once done."""

    __slots__ = ("done", "result", "created")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = _PENDING
        self.created = time.monotonic()


class Once:
    """Keys seen in the last ``ttl`` seconds (at most ``limit`` of them)."""

    def __init__(self, ttl: float = 600.0, limit: int = 100_000) -> None:
        self.ttl = ttl
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}

    def claim(self, key: str) -> tuple[bool, Entry]:
        """``(True, entry)`` for the first request with ``key``; ``(False, first's entry)`` for a copy."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry.created < self.ttl:
                return False, entry
            if len(self._entries) >= self.limit:
                self._prune()
            entry = self._entries[key] = Entry()
            return True, entry

    def finish(self, key: str, entry: Entry, result: Any) -> None:
        entry.result = result
        entry.done.set()

    def fail(self, key: str, entry: Entry) -> None:
        """The first request failed: forget it, so that sending again is tried afresh."""
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
        entry.done.set()

    @staticmethod
    def wait(entry: Entry, timeout: float = 10.0) -> Any:
        """The first request's result (``None`` if it failed or took too long)."""
        entry.done.wait(timeout)
        return None if entry.result is _PENDING else entry.result

    def _prune(self) -> None:
        now = time.monotonic()
        self._entries = {k: e for k, e in self._entries.items() if now - e.created < self.ttl}
        while len(self._entries) >= self.limit:
            self._entries.pop(next(iter(self._entries)))
