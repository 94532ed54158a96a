"""A separate OS process that writes to a store at the same time as another one.

Run as ``python store_worker.py URL SECRET NAME COUNT GO_FILE``; waits until ``GO_FILE``
exists (so both processes start together), then:

- creates COUNT responses of its own and saves answers to them one by one;
- tries to claim the shared inbound events ``evt-0`` … ``evt-{COUNT-1}`` (``alpha`` from
  the first, any other name from the last);
- increments the shared counter response ``shared`` COUNT times, retrying on
  ``ConcurrentUpdate``;
- drains the shared outbox channel ``bulk``, marking what it claimed as sent.

Prints one JSON line: the events it won, the outbox items it claimed, the retries.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import attrs

from rightsaware.crypto import Keyring
from rightsaware.errors import ConcurrentUpdate
from rightsaware.response import Answer, Response
from rightsaware.store import Store


def main(url: str, secret: str, name: str, count: int, go_file: str) -> None:
    store = Store.open(url, Keyring.from_secret(secret), migrate=False)
    deadline = time.monotonic() + 60
    while not Path(go_file).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go signal never came")
        time.sleep(0.005)
    won, claimed, retries = [], [], 0
    now = dt.datetime.now(dt.timezone.utc)
    for n in range(count):
        response = Response(
            id=f"{name}-{n}", instrument_id="rights", instrument_version="1", instrument_hash="h",
            channel="sms", started_at=now, updated_at=now,
        )
        store.create_response(response)
        for step, question in enumerate(("q1", "q2", "q3")):
            answers = {**response.answers, question: Answer(question, f"{name}-{n}-{question}")}
            response = store.save_response(attrs.evolve(response, answers=answers), expected_revision=step)
        event = n if name == "alpha" else count - 1 - n  # the two meet in the middle
        if store.claim_event("sms", f"evt-{event}"):
            won.append(event)
        while True:
            shared = store.load_response("shared")
            total = shared.answers["total"].value + 1
            seen = shared.answers["by"].value + (name,)
            updated = attrs.evolve(shared, answers={"total": Answer("total", total), "by": Answer("by", seen)})
            try:
                store.save_response(updated, expected_revision=shared.revision)
                break
            except ConcurrentUpdate:
                retries += 1
        for item in store.claim_outbox("bulk", limit=3):
            store.mark_sent(item.id, f"{name}-{item.id}")
            claimed.append(item.id)
    while batch := store.claim_outbox("bulk", limit=5):
        for item in batch:
            store.mark_sent(item.id, f"{name}-{item.id}")
            claimed.append(item.id)
    store.close()
    print(json.dumps({"won": won, "claimed": claimed, "retries": retries}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
