"""Group commit: many threads' writes, done by one thread, one transaction per batch.

SQLite allows one writer at a time. Under a burst of webhooks, a transaction per request
makes threads queue in SQLite's busy handler, which sleeps up to 100 ms between tries;
here they queue in memory instead, and one thread writes whatever has accumulated (up to
:data:`MAX_BATCH` items) in a single transaction with a ``write_batch`` function that
returns one result per item (for the inbound log: the new row's id, or ``None`` for a
duplicate). Every caller gets a :class:`concurrent.futures.Future` of its own result. If
the transaction fails, every future of the batch fails with the error: nothing of it was
stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from rightsaware.store.engine import write_transaction

MAX_BATCH = 256
IDLE_SECONDS = 10.0

#: (connection, items) -> one result per item, in order.
BatchWrite = Callable[[Any, list[Any]], list[Any]]


class GroupCommitWriter:
    """Runs ``write_batch`` on batches of submitted items in one background thread."""

    def __init__(self, engine: Any, write_batch: BatchWrite) -> None:
        self.engine = engine
        self.write_batch = write_batch
        self._pending: list[tuple[Any, Future]] = []
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, item: Any) -> Future:
        future: Future = Future()
        with self._condition:
            self._pending.append((item, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sms-group-commit", daemon=True)
                self._thread.start()
            self._condition.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._condition:
                if not self._pending:
                    self._condition.wait(IDLE_SECONDS)
                if not self._pending:  # idle: end the thread; the next submit starts a new one
                    self._thread = None
                    return
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                with write_transaction(self.engine) as connection:
                    results = self.write_batch(connection, [item for item, _future in batch])
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
                for _item, future in batch:
                    future.set_exception(exc)
                continue
            for (_item, future), result in zip(batch, results):
                future.set_result(result)
