"""Aggregation at scale: rightsaware's SQL aggregation against pandas on the same data.

For each size (default 10,000, 100,000 and 1,000,000 responses) a database of synthetic
responses to a 25-question instrument (single and multiple choice, numbers, free text,
skip logic, a 22-area breakdown) is made once with ``rightsaware.simulate`` and kept in
``--data``. Then, each in a fresh child process (so peak memory is its own):

* **rightsaware**: first the tally is brought up to date (``rightsaware.tally.refresh``:
  every response coded once after the database was made or migrated; timed on its own,
  like an index build, and printed in the last column); then ``aggregate()`` of every
  question with two breakdowns (local authority and channel) — counts in SQL from the
  tally, disclosure control, quartiles, awareness, mode tests; timed warm (the second of
  two runs), with the SQL part timed on its own;
* **pandas**: the same counts (answers by question, code, area and channel and their
  margins, mentions, "don't know"-only respondents, awareness bands, quartiles) on the
  same rows already loaded into DataFrames with categorical columns (loading not timed).

Targets (issue 8): rightsaware ≤ 1.5 × pandas' time, ≤ 300 MB peak memory, time growing
linearly with the number of responses. ``--postgres`` also copies each database into a
throwaway PostgreSQL server and runs rightsaware there.

Needs pandas, which is not a dependency of rightsaware:  ``uv pip install pandas``

    uv run --frozen python benchmarks/report.py [--sizes 10000,100000] [--postgres] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

INSTRUMENT = """\
id = "bench-report"
version = "1"
title = "Report benchmark"
languages = ["en"]
jurisdiction = "wales"

[[questions]]
name = "local_authority"
type = "select_one areas"
label = "Which council area do you live in?"
{rights}
{scales}
[[questions]]
name = "involved"
type = "select_one ynd"
label = "Have you taken part?"

[[questions]]
name = "involved_how"
type = "select_multiple how"
label = "How?"
relevant = "${{involved}} = 'yes'"
{multis}
[[questions]]
name = "age"
type = "integer"
label = "How old are you?"
constraint = ". >= 16 and . <= 110"

[[questions]]
name = "years_here"
type = "integer"
label = "How many years have you lived here?"
constraint = ". >= 0 and . <= 90"

[[questions]]
name = "gender"
type = "select_one gender"
label = "Gender?"
required = false

[[questions]]
name = "comment"
type = "text"
label = "Anything else?"
required = false

[choices]
areas = [ {areas} ]
aware = [ {{ name = "yes", label = "Yes" }}, {{ name = "no", label = "No" }}, {{ name = "not_sure", label = "Not sure" }} ]
agree = [ {{ name = "strongly_agree", label = "Strongly agree" }}, {{ name = "agree", label = "Agree" }},
          {{ name = "neither", label = "Neither" }}, {{ name = "disagree", label = "Disagree" }},
          {{ name = "strongly_disagree", label = "Strongly disagree" }}, {{ name = "dont_know", label = "Don't know" }} ]
ynd = [ {{ name = "yes", label = "Yes" }}, {{ name = "no", label = "No" }}, {{ name = "dont_know", label = "Don't know" }} ]
how = [ {{ name = "online", label = "Online" }}, {{ name = "meeting", label = "Meeting" }},
        {{ name = "phone", label = "Phone" }}, {{ name = "paper", label = "Paper" }} ]
many = [ {{ name = "a", label = "A" }}, {{ name = "b", label = "B" }}, {{ name = "c", label = "C" }},
         {{ name = "d", label = "D" }}, {{ name = "e", label = "E" }}, {{ name = "f", label = "F" }},
         {{ name = "dont_know", label = "Don't know" }} ]
gender = [ {{ name = "woman", label = "Woman" }}, {{ name = "man", label = "Man" }},
           {{ name = "another_way", label = "Another way" }}, {{ name = "prefer_not_to_say", label = "Prefer not to say" }} ]
"""
AREAS = ("blaenau_gwent bridgend caerphilly cardiff carmarthenshire ceredigion conwy denbighshire flintshire gwynedd "
         "anglesey merthyr_tydfil monmouthshire neath_port_talbot newport pembrokeshire powys rhondda_cynon_taf "
         "swansea torfaen vale_of_glamorgan wrexham").split()
BY = ["local_authority", "channel"]
SECRET = "benchmark secret, not for production"


def instrument_text() -> str:
    rights = "".join(f'\n[[questions]]\nname = "right_{i}"\ntype = "select_one aware"\nlabel = "Right {i}?"\n'
                     f'[questions.meta]\nright = "r{i}"\n' for i in range(1, 11))
    scales = "".join(f'\n[[questions]]\nname = "scale_{i}"\ntype = "select_one agree"\nlabel = "Statement {i}?"\n'
                     for i in range(1, 6))
    multis = "".join(f'\n[[questions]]\nname = "multi_{i}"\ntype = "select_multiple many"\nlabel = "Choose {i}"\n'
                     for i in range(1, 4))
    areas = ", ".join(f'{{ name = "{a}", label = "{a}" }}' for a in AREAS)
    return INSTRUMENT.format(rights=rights, scales=scales, multis=multis, areas=areas)


def instrument():
    from rightsaware.loading import loads_instrument

    return loads_instrument(instrument_text())


def keyring():
    from rightsaware.crypto import Keyring

    return Keyring.from_secret(SECRET)


def make_database(path: Path, size: int) -> None:
    """A SQLite database with ``size`` synthetic responses (made once, then reused)."""
    from rightsaware.simulate import simulate
    from rightsaware.store import Store

    if path.exists():
        return
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    inst = instrument()
    started = time.perf_counter()
    with Store.open(f"sqlite:///{partial}", keyring()) as store:
        simulate(store, inst, size, seed=size, batch_size=5000)
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    print(f"  made {size:,} responses in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def migrate(url: str) -> None:
    """Bring a database made by an older rightsaware to the current schema (not timed)."""
    from rightsaware.store import Store

    with Store.open(url, keyring()):
        pass


# --- child: rightsaware ----------------------------------------------------------------------

def child_ours(url: str) -> dict:
    from rightsaware import aggregate_sql, tally
    from rightsaware.aggregate import aggregate
    from rightsaware.store import Store

    sql_seconds = [0.0]
    for name in ("_code_marked", "_fill", "counts", "synthetic_left_out"):
        original = getattr(aggregate_sql.Snapshot, name)

        def timed(self, *args, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                sql_seconds[0] += time.perf_counter() - started

        setattr(aggregate_sql.Snapshot, name, timed)
    inst = instrument()
    runs = []
    with Store.open(url, keyring(), migrate=False) as store:
        started = time.perf_counter()
        coded = tally.refresh(store.engine, inst.id, tally.plan_for(inst))
        tally_seconds = time.perf_counter() - started
        for _ in range(2):
            sql_seconds[0] = 0.0
            started = time.perf_counter()
            results = aggregate(store, inst, by=BY, include_synthetic=True)
            runs.append((time.perf_counter() - started, sql_seconds[0]))
    return {"tally_s": tally_seconds, "coded": coded, "cold_s": runs[0][0], "seconds": runs[1][0], "sql_s": runs[1][1], "peak_mb": peak_mb(),
            "primary": results.primary_suppressed, "secondary": results.secondary_suppressed,
            "responses": results.responses}


# --- child: pandas ---------------------------------------------------------------------------

def load_frames(path: Path):
    """The rows of the database as DataFrames with categorical columns (not timed)."""
    import sqlite3

    import pandas as pd

    connection = sqlite3.connect(path)
    responses = pd.read_sql_query("SELECT id, channel FROM responses WHERE status = 'completed'", connection)
    ids = pd.Index(responses["id"])
    responses = pd.DataFrame({"rid": ids.get_indexer(responses["id"]).astype("int32"),
                              "channel": responses["channel"].astype("category")})
    parts = []
    for chunk in pd.read_sql_query("SELECT response_id, question, value_text, value_num, skipped FROM answers",
                                   connection, chunksize=2_000_000):
        parts.append(pd.DataFrame({
            "rid": ids.get_indexer(chunk["response_id"]).astype("int32"),
            "question": chunk["question"].astype("category"),
            "value": chunk["value_text"].where(chunk["question"] != "comment").astype("category"),
            "num": chunk["value_num"].astype("float64"),
            "skipped": chunk["skipped"].astype(bool),
        }))
    answers = pd.concat(parts, ignore_index=True)
    answers["question"] = answers["question"].astype("category")
    answers["value"] = answers["value"].astype("category")
    choices = pd.read_sql_query("SELECT response_id, question, choice FROM answer_choices", connection)
    choices = pd.DataFrame({"rid": ids.get_indexer(choices["response_id"]).astype("int32"),
                            "question": choices["question"].astype("category"),
                            "choice": choices["choice"].astype("category")})
    connection.close()
    return responses, answers, choices


def pandas_counts(responses, answers, choices) -> int:
    """The counts ``aggregate()`` makes, with pandas on data in memory; returns how many."""
    import numpy as np
    import pandas as pd

    inst = instrument()
    singles = [q.name for q in inst.questions if q.kind == "select_one"]
    numbers = [q.name for q in inst.questions if q.kind == "integer"]
    rights = [q.name for q in inst.questions if q.meta.get("right")]
    area = answers.loc[answers["question"] == "local_authority", ["rid", "value"]].set_index("rid")["value"]
    dims = responses.set_index("rid")
    dims["area"] = area.reindex(dims.index).cat.add_categories(["_unknown"]).fillna("_unknown")
    joined = answers.join(dims, on="rid")
    cls = np.where(joined["skipped"], "_no_answer",
                   np.where(joined["question"].isin(singles), joined["value"].astype(str), "_answered"))
    joined["cls"] = pd.Categorical(cls)
    counts = joined.groupby(["question", "area", "channel", "cls"], observed=True).size()
    made = [counts.groupby(level=[0, 3]).sum(), counts.groupby(level=[0, 1, 3]).sum(), counts.groupby(level=[0, 2, 3]).sum()]
    mentioned = choices.join(dims, on="rid")
    mentions = mentioned.groupby(["question", "area", "channel", "choice"], observed=True).size()
    made += [mentions.groupby(level=[0, 3]).sum(), mentions.groupby(level=[0, 1, 3]).sum(),
             mentions.groupby(level=[0, 2, 3]).sum()]
    mentioned["other"] = (mentioned["choice"] != "dont_know").astype("int8")
    per_answer = mentioned.groupby(["rid", "question"], observed=True)["other"].sum()
    apart_only = per_answer[per_answer == 0].reset_index().join(dims, on="rid")
    made.append(apart_only.groupby(["question", "area", "channel"], observed=True).size())
    scored = joined[joined["question"].isin(rights) & ~joined["skipped"]]
    known = (scored["value"] == "yes").groupby(scored["rid"]).agg(["sum", "count"])
    band = np.select([known["sum"] == 0, known["sum"] * 2 < known["count"], known["sum"] < known["count"]],
                     ["none", "some", "most"], "all")
    scores = pd.DataFrame({"band": band, "share": known["sum"] / known["count"]}, index=known.index).join(dims)
    made.append(scores.groupby(["area", "channel", "band"], observed=True)["share"].agg(["size", "sum"]))
    valued = joined[joined["question"].isin(numbers) & ~joined["skipped"]]
    for keys in (["question"], ["question", "area"], ["question", "channel"]):
        made.append(valued.groupby(keys, observed=True)["num"].quantile([0.25, 0.5, 0.75]))
    return sum(len(m) for m in made)


def child_pandas(path: str) -> dict:
    frames = load_frames(Path(path))
    loaded = peak_mb()
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        made = pandas_counts(*frames)
        timings.append(time.perf_counter() - started)
    return {"seconds": min(timings), "peak_mb": peak_mb(), "loaded_mb": loaded, "figures": made}


# --- PostgreSQL ------------------------------------------------------------------------------------

def copy_to_postgres(sqlite_path: Path, url: str) -> None:
    """Copy the benchmark database into PostgreSQL with COPY."""
    import sqlite3

    import psycopg

    from rightsaware.store import Store

    with Store.open(url, keyring()):
        pass  # creates the schema
    source = sqlite3.connect(sqlite_path)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as target:
        for table, columns in (
            ("instruments", "instrument_id, version, content_hash, first_seen_at, updated_at"),
            ("responses", "id, instrument_id, instrument_version, instrument_hash, channel, language, respondent_id, "
                          "status, history, seen_notes, revision, started_at, updated_at, completed_at, synthetic"),
            ("answers", "response_id, question, value_kind, value_text, value_num, value_long, language, channel, "
                        "answered_at, skipped"),
            ("answer_choices", "response_id, question, choice"),
        ):
            booleans = {i for i, c in enumerate(columns.split(", ")) if c in ("synthetic", "skipped")}
            with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {columns} FROM {table}"):
                    copy.write_row([bool(v) if i in booleans and v is not None else v for i, v in enumerate(row)])
        target.execute("ANALYZE")
    source.close()


# --- the parent --------------------------------------------------------------------------------

def run_child(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent / ".data")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, target = args.child
        print(json.dumps(child_ours(target) if kind == "ours" else child_pandas(target)))
        return
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise SystemExit("This benchmark needs pandas for its baseline: uv pip install pandas") from None
    args.data.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    server = None
    context = None
    if args.postgres:
        from rightsaware.pgserver import running_postgres

        context = running_postgres()
        server = context.__enter__()
    try:
        for size in sizes:
            path = args.data / f"report-{size}.db"
            print(f"{size:,} responses", file=sys.stderr)
            make_database(path, size)
            migrate(f"sqlite:///{path}")
            ours = run_child("ours", f"sqlite:///{path}")
            base = run_child("pandas", str(path))
            row = {"size": size, "sqlite": ours, "pandas": base}
            if server is not None:
                url = server.url(server.create_database())
                copy_to_postgres(path, url)
                row["postgresql"] = run_child("ours", url)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    finally:
        if context is not None:
            context.__exit__(None, None, None)
    print(table(rows))


def table(rows: list[dict]) -> str:
    lines = ["| responses | database | rightsaware (SQL part) | pandas | ratio | peak memory | per 10,000 "
             "| tally brought up to date (responses coded) |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for kind in ("sqlite", "postgresql"):
            ours = row.get(kind)
            if ours is None:
                continue
            ratio = ours["seconds"] / row["pandas"]["seconds"]
            lines.append(f"| {row['size']:,} | {kind} | {ours['seconds']:.2f} s ({ours['sql_s']:.2f} s) | "
                         f"{row['pandas']['seconds']:.2f} s | {ratio:.2f} | {ours['peak_mb']:.0f} MB "
                         f"(pandas {row['pandas']['peak_mb']:.0f} MB) | {ours['seconds'] / row['size'] * 1e4:.3f} s | "
                         f"{ours['tally_s']:.1f} s ({ours['coded']:,}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
