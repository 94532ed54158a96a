"""Two OS processes writing to one store at once lose nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

from rightsaware.response import Answer, Response
from rightsaware.store import Store

WORKER = Path(__file__).with_name("store_worker.py")
COUNT = 40
OUTBOX = 60


def test_two_processes_writing_at_once_lose_nothing(store: Store, store_url: str, secret: str, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    store.create_response(
        Response(
            id="shared", instrument_id="counter", instrument_version="1", instrument_hash="h", channel="test",
            answers={"total": Answer("total", 0), "by": Answer("by", ())}, started_at=now, updated_at=now,
        )
    )
    for n in range(OUTBOX):
        store.enqueue("bulk", f"m{n}", {"n": n})
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), store_url, secret, name, str(COUNT), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    time.sleep(0.2)
    go.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    for name in ("alpha", "beta"):  # every response and every answer of both writers is there
        for n in range(COUNT):
            response = store.load_response(f"{name}-{n}")
            assert response.revision == 3
            assert response.values() == {q: f"{name}-{n}-{q}" for q in ("q1", "q2", "q3")}
    shared = store.load_response("shared")  # no increment lost to a race
    assert shared.answers["total"].value == 2 * COUNT
    assert sorted(shared.answers["by"].value) == ["alpha"] * COUNT + ["beta"] * COUNT
    assert shared.revision == 2 * COUNT

    alpha, beta = results  # each event claimed by exactly one process
    assert set(alpha["won"]).isdisjoint(beta["won"])
    assert sorted(alpha["won"] + beta["won"]) == list(range(COUNT))

    assert set(alpha["claimed"]).isdisjoint(beta["claimed"])  # each message leased once
    assert len(alpha["claimed"]) + len(beta["claimed"]) == OUTBOX
    sent = store.outbox_items("bulk", status="sent")
    assert len(sent) == OUTBOX and all(item.attempts == 1 for item in sent)
