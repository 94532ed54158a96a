"""End to end: random surveys, aggregated in a real database, attacked from the published JSON.

The attacker knows everything published in one run (every table, as JSON) and everything
the instrument says: rows add up to their bases, groups add up to everyone, a question
without skip logic is asked of everyone, a follow-up is asked of exactly those who said
"yes", and a breakdown's groups are the answers to its question. It writes all of that as
a linear system over the published and suppressed figures and the unknown group sizes,
then tries to work out each small suppressed count: exactly (rank test) and with the
bounds that counts are whole numbers, suppressed ones at least 1 (linear programming).
The test also checks every published figure against counts made here from the raw data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from rightsaware.aggregate import aggregate
from rightsaware.crypto import Keyring
from rightsaware.loading import loads_instrument
from rightsaware.response import Answer, Response
from rightsaware.store import Store

INSTRUMENT = """\
id = "attack"
version = "1"
title = "Attack test"
languages = ["en"]

[[questions]]
name = "local_authority"
type = "select_one areas"
label = "Area?"

[[questions]]
name = "heard"
type = "select_one ynd"
label = "Heard?"

[[questions]]
name = "follow"
type = "select_one yn"
label = "Follow-up?"
relevant = "${heard} = 'yes'"

[[questions]]
name = "opinion"
type = "select_one ynp"
label = "Opinion?"
required = false

[choices]
areas = [ { name = "n", label = "N" }, { name = "s", label = "S" }, { name = "e", label = "E" } ]
ynd = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "dont_know", label = "DK" } ]
yn = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]
ynp = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "prefer_not_to_say", label = "PNTS" } ]
"""
CHANNELS = ("web", "sms", "paper")
QUESTIONS = ("local_authority", "heard", "follow", "opinion")

person = st.fixed_dictionaries({
    "local_authority": st.sampled_from(["n", "n", "s", "s", "e"]),
    "channel": st.sampled_from(CHANNELS),
    "heard": st.sampled_from(["yes", "yes", "no", "dont_know"]),
    "follow": st.sampled_from(["yes", "no"]),
    "opinion": st.sampled_from(["yes", "no", "no", "prefer_not_to_say", None]),
})


def store_people(store: Store, instrument, people: list[dict]) -> None:
    now = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)
    batch = []
    for p in people:
        values = {q: p[q] for q in QUESTIONS if q != "follow" or p["heard"] == "yes"}
        answers = {q: Answer(q, v, "en", p["channel"], now, skipped=v is None) for q, v in values.items()}
        batch.append(Response(id=uuid.uuid4().hex, instrument_id="attack", instrument_version="1",
                              instrument_hash=instrument.content_hash, channel=p["channel"], status="completed",
                              answers=answers, started_at=now, updated_at=now, completed_at=now))
    store.save_completed_batch(batch)


def truth(people: list[dict], groups: dict[str, dict[str, str]]) -> dict:
    """True value of every figure, keyed like the attacker's variables."""
    found: Counter = Counter()
    for p in people:
        rows = [(None, "_all")] + [(dim, mapping[p[dim if dim != "channel" else "channel"]])
                                   for dim, mapping in groups.items()]
        for dim, group in rows:
            found[("size", dim, group)] += 1
            for q in QUESTIONS:
                if q == "follow" and p["heard"] != "yes":
                    continue
                if dim == q:
                    continue
                value = p[q]
                if value is None:
                    found[(q, dim, group, "no_answer")] += 1
                    continue
                apart = value in ("dont_know", "prefer_not_to_say")
                found[(q, dim, group, "apart" if apart else "cell", value)] += 1
                found[(q, dim, group, "answered")] += 1
                if not apart:
                    found[(q, dim, group, "base")] += 1
    return found


def unpack(data: dict) -> tuple[dict, set]:
    """Published values and suppressed keys from the JSON, keyed as in :func:`truth`."""
    values, hidden = {}, set()

    def take(key, cell):
        if cell.get("suppressed"):
            hidden.add(key)
        else:
            values[key] = cell["count"]

    for q in data["questions"]:
        tables = [(None, q["overall"])] + list(q["by"].items())
        for dim, table in tables:
            for row in table["rows"]:
                key = (q["question"], dim, row["group"])
                for code, cell in row["cells"].items():
                    take(key + ("cell", code), cell)
                for code, cell in row["apart_from_base"].items():
                    take(key + ("apart", code), cell)
                take(key + ("base",), row["base"])
                take(key + ("answered",), row["answered"])
                take(key + ("no_answer",), row["no_answer"])
    if data["responses"].get("suppressed"):
        hidden.add(("size", None, "_all"))
    else:
        values[("size", None, "_all")] = data["responses"]["count"]
    return values, hidden


def equations(data: dict, groups: dict[str, list[str]], members: dict[tuple[str, str], tuple[str, ...]]) -> list[dict]:
    """What the attacker knows, as ``{key: coefficient}`` sums equal to zero."""
    found: list[dict] = []
    codes = {"local_authority": ["n", "s", "e"], "heard": ["yes", "no"], "follow": ["yes", "no"],
             "opinion": ["yes", "no"]}
    apart = {"local_authority": [], "heard": ["dont_know"], "follow": [], "opinion": ["prefer_not_to_say"]}
    views = [(None, ["_all"])] + list(groups.items())
    for q in QUESTIONS:
        for dim, names in views:
            if dim == q:
                continue
            for g in names:
                k = (q, dim, g)
                found.append({k + ("base",): 1, **{k + ("cell", c): -1 for c in codes[q]}})
                found.append({k + ("answered",): 1, k + ("base",): -1, **{k + ("apart", c): -1 for c in apart[q]}})
                if q != "follow":  # asked of everyone
                    found.append({("size", dim, g): 1, k + ("answered",): -1, k + ("no_answer",): -1})
                else:  # asked of those who said yes
                    found.append({("heard", dim, g, "cell", "yes"): 1, k + ("answered",): -1, k + ("no_answer",): -1})
        for dim, names in groups.items():
            if dim == q:
                continue
            items = [("cell", c) for c in codes[q]] + [("apart", c) for c in apart[q]]
            for item in items + [("base",), ("answered",), ("no_answer",)]:
                found.append({(q, None, "_all") + item: 1, **{(q, dim, g) + item: -1 for g in names}})
    for dim, names in groups.items():
        found.append({("size", None, "_all"): 1, **{("size", dim, g): -1 for g in names}})
    for g in groups["local_authority"]:
        parts = members.get(("local_authority", g), (g,))
        found.append({("size", "local_authority", g): 1,
                      **{("local_authority", None, "_all", "cell", m): -1 for m in parts}})
    return [{k: c for k, c in eq.items() if c} for eq in found]


def assert_no_small_count_is_found(values: dict, hidden: set, true: Counter, system: list[dict], threshold: int):
    unknown = sorted({k for eq in system for k in eq if k not in values}, key=repr)
    index = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for eq in system:
        row = np.zeros(len(unknown))
        constant = 0.0
        for key, c in eq.items():
            if key in index:
                row[index[key]] += c
            else:
                constant -= c * values[key]
        if row.any():
            rows.append(row)
            rhs.append(constant)
        else:
            assert abs(constant) < 1e-9, f"published figures disagree: {eq}"
    a, b = np.array(rows), np.array(rhs)
    rank = np.linalg.matrix_rank(a)
    bounds = [(1 if k in hidden else 0, None) for k in unknown]
    for key in hidden:
        value = true[key]
        if not 1 <= value < threshold:
            continue
        unit = np.zeros(len(unknown))
        unit[index[key]] = 1
        assert np.linalg.matrix_rank(np.vstack([a, unit])) > rank, f"{key} = {value} is determined"
        low = linprog(unit, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        high = linprog(-unit, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0, "the true counts must satisfy the attacker's system"
        assert high.status == 3 or -high.fun - low.fun > 1e-6, f"{key} = {value} is pinned by the bounds"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(people=st.lists(person, min_size=12, max_size=50), threshold=st.sampled_from([3, 5, 10]))
def test_no_suppressed_count_can_be_worked_out_from_a_run(people, threshold) -> None:
    instrument = loads_instrument(INSTRUMENT)
    with Store.open("sqlite://", Keyring.from_secret("attack test secret, not for production")) as store:
        store.record_instrument("attack", "1", instrument.content_hash)
        store_people(store, instrument, people)
        results = aggregate(store, instrument, by=["local_authority", "channel"], threshold=threshold)
    if results.too_few:
        assert len(people) < threshold
        return
    data = results.to_json()
    mapping, published, members = {}, {}, {}
    for dim in results.dimensions:
        raw = {g.key: g.key for g in dim.groups}
        for g in dim.groups:
            for m in g.members:
                raw[m] = g.key
            if g.members:
                members[(dim.name, g.key)] = g.members
        mapping[dim.name] = raw
        published[dim.name] = [g.key for g in dim.groups if any(p[dim.name] in (g.key, *g.members) for p in people)]
    true = truth(people, mapping)
    values, hidden = unpack(data)
    for key, value in values.items():
        assert value == true[key], f"{key}: published {value}, true {true[key]}"
    for key in hidden:
        assert key not in values
    system = equations(data, published, members)
    assert_no_small_count_is_found(values, hidden, true, system, threshold)
