"""Group commit: many threads' inserts into one table, written by one thread, one transaction per batch.

SQLite allows one writer at a time. Under a burst of webhooks, a transaction per request
makes threads queue in SQLite's busy handler, which sleeps up to 100 ms between tries;
here they queue in memory instead, and one thread writes whatever has accumulated
(up to :data:`MAX_BATCH` rows) in a single transaction. Every caller gets a
:class:`concurrent.futures.Future` with its own row's primary key, or ``None`` when the row
was a duplicate (the statement is an ``INSERT … ON CONFLICT DO NOTHING``). If the
transaction fails, every future of the batch fails with the error: nothing of it was stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from rightsaware.store.engine import write_transaction

MAX_BATCH = 256


class GroupCommitWriter:
    """Writes ``statement`` with each submitted parameter set, batching concurrent submissions."""

    def __init__(self, engine: Any, statement: Any, prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.engine = engine
        self.statement = statement
        self.prepare = prepare or (lambda values: values)  # runs in the writer thread (e.g. encryption)
        self._pending: list[tuple[dict[str, Any], Future]] = []
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, values: dict[str, Any]) -> Future:
        future: Future = Future()
        with self._condition:
            self._pending.append((values, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sms-group-commit", daemon=True)
                self._thread.start()
            self._condition.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending:
                    self._condition.wait()
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                keys = []
                with write_transaction(self.engine) as connection:
                    for values, _future in batch:
                        result = connection.execute(self.statement, self.prepare(values))
                        keys.append(result.inserted_primary_key[0] if result.rowcount == 1 else None)
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
                for _values, future in batch:
                    future.set_exception(exc)
                continue
            for (_values, future), key in zip(batch, keys):
                future.set_result(key)
