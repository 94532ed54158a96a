"""Completed responses stored per second through the Store, against raw driver inserts.

The Store saves N completed responses (25 answers each, multiple choice included) with
``save_completed_batch`` in batches of 500. The baseline, in the same run, inserts exactly
the rows the Store wrote (read back first, so the two write the same data) into a fresh
database with the raw driver's ``executemany`` (``sqlite3`` / ``psycopg``), one
transaction per batch. Target: Store / raw >= 0.5. Median of 3 runs per database.

    uv run python benchmarks/store.py [--responses 5000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from rightsaware.crypto import Keyring
from rightsaware.response import Answer, Response
from rightsaware.store import Store, tables

BATCH = 500
SECRET = "benchmark secret, not for production use"
TABLES = (tables.responses, tables.answers, tables.answer_choices)


def make_responses(count: int, seed: int) -> list[Response]:
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc)
    responses = []
    for number in range(count):
        answers = {}
        for index in range(25):
            kind = index % 5
            if kind == 0:
                value = rng.choice(["yes", "no", "not_sure"])
            elif kind == 1:
                value = tuple(sorted(rng.sample(["time", "travel", "money", "language", "caring"], 2)))
            elif kind == 2:
                value = rng.randint(16, 99)
            elif kind == 3:
                value = decimal.Decimal(rng.randint(0, 100)) / 10
            else:
                value = rng.choice(["agree", "disagree", "neither"])
            answers[f"q{index}"] = Answer(question=f"q{index}", value=value, language="cy", channel="web", answered_at=now)
        responses.append(Response(
            id=f"{seed}-{number}", instrument_id="bench", instrument_version="1", instrument_hash="h" * 64,
            channel="web", language="cy", status="completed", answers=answers, history=tuple(answers),
            started_at=now, updated_at=now, completed_at=now,
        ))
    return responses


def time_store(url: str, responses: list[Response]) -> float:
    store = Store.open(url, Keyring.from_secret(SECRET))
    try:
        start = time.perf_counter()
        for offset in range(0, len(responses), BATCH):
            store.save_completed_batch(responses[offset:offset + BATCH])
        return len(responses) / (time.perf_counter() - start)
    finally:
        store.close()


def read_rows(url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    store = Store.open(url, Keyring.from_secret(SECRET))
    try:
        with store.engine.connect() as connection:
            rows = {}
            for table in TABLES:
                columns = [c.name for c in table.c if not (c.primary_key and c.autoincrement is True and c.name == "id")]
                result = connection.execute(select(*[table.c[name] for name in columns]))
                rows[table.name] = (columns, [tuple(row) for row in result])
            return rows
    finally:
        store.close()


def _batches(rows_by_table, count: int):
    responses_columns, response_rows = rows_by_table["responses"]
    id_index = responses_columns.index("id")
    for offset in range(0, count, BATCH):
        ids = {row[id_index] for row in response_rows[offset:offset + BATCH]}
        batch = {}
        for name, (columns, rows) in rows_by_table.items():
            key = columns.index("id") if name == "responses" else columns.index("response_id")
            batch[name] = (columns, [row for row in rows if row[key] in ids])
        yield batch


def time_raw_sqlite(path: Path, rows_by_table, count: int) -> float:
    batches = list(_batches(rows_by_table, count))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    for batch in batches:
        connection.execute("BEGIN")
        for name, (columns, rows) in batch.items():
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return count / elapsed


def time_raw_postgres(dsn: str, rows_by_table, count: int) -> float:
    import psycopg

    batches = list(_batches(rows_by_table, count))
    with psycopg.connect(dsn) as connection:
        start = time.perf_counter()
        for batch in batches:
            with connection.transaction(), connection.cursor() as cursor:
                for name, (columns, rows) in batch.items():
                    marks = ", ".join("%s" for _ in columns)
                    cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
        return count / (time.perf_counter() - start)


def sqlite_round(folder: Path, count: int, seed: int) -> tuple[float, float]:
    store_url = f"sqlite:///{folder / f'store-{seed}.db'}"
    store_rate = time_store(store_url, make_responses(count, seed))
    rows = read_rows(store_url)
    raw_path = folder / f"raw-{seed}.db"
    Store.open(f"sqlite:///{raw_path}", Keyring.from_secret(SECRET)).close()  # same schema, empty
    return store_rate, time_raw_sqlite(raw_path, rows, count)


def postgres_round(server, count: int, seed: int) -> tuple[float, float]:
    store_url = server.url(server.create_database())
    store_rate = time_store(store_url, make_responses(count, seed))
    rows = read_rows(store_url)
    raw_name = server.create_database()
    Store.open(server.url(raw_name), Keyring.from_secret(SECRET)).close()
    dsn = f"host={server.host} port={server.port} user={server.user} dbname={raw_name}"
    return store_rate, time_raw_postgres(dsn, rows, count)


def report(name: str, results: list[tuple[float, float]]) -> None:
    store = statistics.median(r[0] for r in results)
    raw = statistics.median(r[1] for r in results)
    ratio = statistics.median(r[0] / r[1] for r in results)
    print(f"{name}: Store {store:,.0f} responses/s, raw executemany {raw:,.0f} responses/s, "
          f"ratio {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = [sqlite_round(Path(folder), args.responses, seed) for seed in range(args.runs)]
    report("SQLite", results)
    if args.skip_postgres:
        return
    from rightsaware.pgserver import running_postgres

    with running_postgres() as server:
        results = [postgres_round(server, args.responses, seed) for seed in range(args.runs)]
    report("PostgreSQL", results)


if __name__ == "__main__":
    main()
