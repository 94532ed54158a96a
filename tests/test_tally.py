"""The tally behind aggregation: integer-coded answers kept in step with the answers by triggers.

Every count a report makes comes from the tally. These tests check it against counts made
here in plain Python from the responses stored, whatever happened to the answers since
the tally was last brought up to date: changes made straight in the database (as paper
review and erasure do), answers arriving during a report, new codes, new questions, a
question whose kind changed, more than 62 options, deleted responses, and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from rightsaware import tally
from rightsaware.aggregate import aggregate, question_spec
from rightsaware.aggregate_sql import (
    ANSWERED,
    NO_ANSWER,
    UNKNOWN,
    DimensionSource,
    Scope,
    snapshot,
)
from rightsaware.errors import RightsawareError
from rightsaware.loading import loads_instrument
from rightsaware.privacy import delete_responses
from rightsaware.response import Response
from rightsaware.store import Store, tables
from rightsaware.testing import made_response

INSTRUMENT = """\
id = "tal"
version = "1"
title = "Tally test"
languages = ["en"]

[[questions]]
name = "area"
type = "select_one areas"
label = "Where?"

[[questions]]
name = "right_a"
type = "select_one aware"
label = "Right A?"
[questions.meta]
right = "a"

[[questions]]
name = "right_b"
type = "select_one aware"
label = "Right B?"
[questions.meta]
right = "b"

[[questions]]
name = "barriers"
type = "select_multiple barriers"
label = "What stops you?"

[[questions]]
name = "age"
type = "integer"
label = "Age?"

[[questions]]
name = "comment"
type = "text"
label = "Anything else?"
required = false

[choices]
areas = [ { name = "north", label = "North" }, { name = "south", label = "South" } ]
aware = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "not_sure", label = "Not sure" } ]
barriers = [ { name = "time", label = "Time" }, { name = "travel", label = "Travel" },
             { name = "dont_know", label = "Don't know" }, { name = "prefer_not_to_say", label = "Prefer not" } ]
"""
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
DIMS = [DimensionSource(name="area", question="area"), DimensionSource(name="channel", column="channel")]
APART = ("dont_know", "prefer_not_to_say")


@pytest.fixture
def instrument():
    return loads_instrument(INSTRUMENT)


@pytest.fixture
def store(tmp_path, rightsaware_runtime):
    with Store.open(f"sqlite:///{tmp_path / 'tally.db'}", rightsaware_runtime.keyring) as opened:
        yield opened


def make(instrument, values: dict, **options) -> Response:
    return made_response(instrument, values, at=NOW, **options)


def save(store, responses) -> None:
    store.save_completed_batch([r for r in responses if r.status == "completed"])
    for r in responses:
        if r.status != "completed":
            store.create_response(r)


def expected(store, instrument, *, include_synthetic: bool = False) -> dict:
    """The counts of a run, made here from the stored answers in plain Python."""
    kinds = tally.plan_for(instrument).kinds
    with store.engine.connect() as c:
        r, a, w = tables.responses, tables.answers, tables.withdrawals
        withdrawn = set(c.scalars(select(w.c.response_id)))
        responses = {row.id: row for row in c.execute(select(r).where(r.c.instrument_id == instrument.id))
                     if row.status == "completed" and row.id not in withdrawn
                     and (include_synthetic or not row.synthetic)}
        answers: dict[str, dict] = {rid: {} for rid in responses}
        for row in c.execute(select(a)):
            if row.response_id in answers:
                answers[row.response_id][row.question] = row
        chosen: dict[tuple, set] = {}
        for row in c.execute(select(tables.answer_choices)):
            chosen.setdefault((row.response_id, row.question), set()).add(row.choice)
    found = {"sizes": Counter(), "class": Counter(), "mention": Counter(), "apart": Counter(), "awareness": Counter()}
    for rid, response in responses.items():
        area = answers[rid].get("area")
        joint = (area.value_text if area is not None and area.value_text else UNKNOWN, response.channel)
        found["sizes"][joint] += 1
        known = asked = 0
        for question, row in answers[rid].items():
            if question not in kinds:
                continue
            answered = not row.skipped and row.value_kind != "none"
            cls = NO_ANSWER if not answered else row.value_text if kinds[question] == "single" else ANSWERED
            found["class"][(question, joint, cls)] += 1
            if question.startswith("right_") and answered:
                asked += 1
                known += row.value_text == "yes"
            picked = chosen.get((rid, question), set())
            for code in picked:
                found["mention"][(question, joint, code)] += 1
            if picked and picked <= set(APART):
                found["apart"][(question, joint, next(code for code in APART if code in picked))] += 1
        if asked:
            band = "none" if known == 0 else "some" if known * 2 < asked else "most" if known < asked else "all"
            found["awareness"][(joint, band)] += 1
    return {k: dict(v) for k, v in found.items()}


def counted(store, instrument, *, include_synthetic: bool = False, refresh: bool = True) -> dict:
    """The same counts as the aggregation makes them, from the tally."""
    plan = tally.plan_for(instrument)
    if refresh:
        tally.refresh(store.engine, instrument.id, plan)
    specs = [question_spec(instrument, instrument.question(q)) for q in plan.kinds]
    with snapshot(store.engine, Scope(instrument.id, include_synthetic=include_synthetic), DIMS, plan) as snap:
        counts = snap.counts(classes=list(plan.kinds), mentions=[s.name for s in specs if s.kind == "multiple"],
                             apart={s.name: s.apart for s in specs if s.kind == "multiple"}, awareness=True)
        return {"sizes": snap.sizes(), "class": counts.classes, "mention": counts.mentions,
                "apart": counts.apart_only, "awareness": {k: n for k, (n, _share) in counts.awareness.items()}}


AREAS = st.sampled_from(["north", "south", None])
AWARE = st.sampled_from(["yes", "no", "not_sure", None])
ANSWERS = st.fixed_dictionaries({}, optional={
    "area": AREAS, "right_a": AWARE, "right_b": AWARE,
    "barriers": st.one_of(st.none(), st.sets(st.sampled_from(["time", "travel", *APART]), max_size=3).map(tuple)),
    "age": st.one_of(st.none(), st.integers(16, 99)), "comment": st.one_of(st.none(), st.text(min_size=1, max_size=5)),
})
RESPONSES = st.lists(st.tuples(ANSWERS, st.sampled_from(["web", "sms", "paper"]),
                               st.sampled_from(["completed", "completed", "completed", "in_progress"]),
                               st.booleans(), st.booleans()), min_size=1, max_size=25)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking a store takes minutes
@given(first=RESPONSES, later=RESPONSES, edits=st.lists(st.tuples(st.integers(0, 24), AWARE), max_size=6),
       include_synthetic=st.booleans())
def test_counts_match_the_answers_whatever_changed_since_the_last_refresh(
        tmp_path_factory, rightsaware_runtime, instrument, first, later, edits, include_synthetic) -> None:
    path = tmp_path_factory.mktemp("tally") / "t.db"
    with Store.open(f"sqlite:///{path}", rightsaware_runtime.keyring) as store:
        batch = [make(instrument, values, channel=channel, status=status, synthetic=synthetic)
                 for values, channel, status, synthetic, _withdraw in first]
        # One response on each channel first: a channel never seen before would (rightly) make
        # the count without a refresh start again (see test_an_unknown_code_arriving_...).
        save(store, [make(instrument, {}, channel=channel) for channel in ("web", "sms", "paper")] + batch)
        assert counted(store, instrument, include_synthetic=include_synthetic) == expected(
            store, instrument, include_synthetic=include_synthetic)
        # After the refresh: new responses, answers changed straight in the database, withdrawals.
        save(store, [make(instrument, values, channel=channel, status=status, synthetic=synthetic)
                     for values, channel, status, synthetic, _withdraw in later])
        with store.engine.begin() as c:
            for index, value in edits:
                target = batch[index % len(batch)].id
                c.execute(update(tables.answers).where(tables.answers.c.response_id == target,
                                                       tables.answers.c.question == "right_a")
                          .values(value_text=value, skipped=value is None))
            for response, (*_rest, withdraw) in zip(batch, first):
                if withdraw:
                    c.execute(tables.withdrawals.insert().values(response_id=response.id, channel="cli",
                                                                 withdrawn_at=NOW))
        want = expected(store, instrument, include_synthetic=include_synthetic)
        # Counted inside the snapshot (the changed responses coded there), then after a refresh.
        assert counted(store, instrument, include_synthetic=include_synthetic, refresh=False) == want
        assert counted(store, instrument, include_synthetic=include_synthetic) == want


def test_a_change_made_straight_in_the_database_reaches_the_next_report(store, instrument) -> None:
    batch = [make(instrument, {"area": "north", "right_a": "yes"}) for _ in range(12)]
    save(store, batch)
    first = aggregate(store, instrument, now=NOW)
    assert first.question("right_a").overall.rows[0].cells["yes"].count == 12
    with store.engine.begin() as c:  # as the paper channel's review does: no store API involved
        c.execute(update(tables.answers).where(tables.answers.c.question == "right_a",
                                               tables.answers.c.response_id.in_([r.id for r in batch[:5]]))
                  .values(value_text="no"))
    second = aggregate(store, instrument, now=NOW)
    cells = second.question("right_a").overall.rows[0].cells
    assert (cells["yes"].count, cells["no"].count) == (None, None)  # 7 and 5: both under 10, so suppressed
    assert counted(store, instrument)["class"][("right_a", ("north", "web"), "no")] == 5


def test_codes_not_in_the_instrument_are_counted_and_kept_in_the_layout(store, instrument) -> None:
    save(store, [make(instrument, {"area": "east"}) for _ in range(3)] + [make(instrument, {"area": "north"})])
    counts = counted(store, instrument)
    assert counts["sizes"] == {("east", "web"): 3, ("north", "web"): 1}
    with store.engine.connect() as c:
        assert tally.load(c, instrument.id).entries["area"].codes == ["north", "south", "east"]


def test_an_unknown_code_arriving_during_a_report_starts_it_again(store, instrument, monkeypatch) -> None:
    save(store, [make(instrument, {"area": "north"}) for _ in range(10)])
    tally.refresh(store.engine, instrument.id, tally.plan_for(instrument))
    save(store, [make(instrument, {"area": "west"})])
    with pytest.raises(tally.TallyChanged):
        counted(store, instrument, refresh=False)
    results = aggregate(store, instrument, by=["area"], threshold=3, now=NOW)  # refreshes, then counts
    assert results.responses == 11
    monkeypatch.setattr(tally, "refresh", lambda *args, **kwargs: 0)
    save(store, [make(instrument, {"area": "far_west"})])
    with pytest.raises(RightsawareError, match="New answers kept arriving"):
        aggregate(store, instrument, threshold=3, now=NOW)


def test_a_new_question_adds_columns_and_codes_the_old_responses_again(store, instrument) -> None:
    save(store, [make(instrument, {"area": "north", "extra": "b"}) for _ in range(4)])
    assert not [key for key in counted(store, instrument)["class"] if key[0] == "extra"]  # not in version 1
    with store.engine.connect() as c:
        assert "extra" not in tally.load(c, instrument.id).entries
    newer = loads_instrument(INSTRUMENT.replace('version = "1"', 'version = "2"').replace(
        "[choices]", '[[questions]]\nname = "extra"\ntype = "select_one extra"\nlabel = "Extra?"\n\n[choices]\n'
        'extra = [ { name = "a", label = "A" }, { name = "b", label = "B" } ]'))
    save(store, [make(newer, {"area": "south", "extra": "a"}) for _ in range(2)])
    counts = counted(store, newer)
    assert counts["class"][("extra", ("north", "web"), "b")] == 4
    assert counts["class"][("extra", ("south", "web"), "a")] == 2
    assert counts == expected(store, newer)


def test_a_question_whose_kind_changed_gets_a_new_table(store, instrument) -> None:
    save(store, [make(instrument, {"area": "north", "age": 30}) for _ in range(3)])
    counted(store, instrument)
    as_text = loads_instrument(INSTRUMENT.replace('version = "1"', 'version = "2"').replace(
        'type = "integer"', 'type = "text"'))
    save(store, [make(as_text, {"area": "north", "age": "thirty"})])
    counts = counted(store, as_text)
    assert counts["class"][("age", ("north", "web"), ANSWERED)] == 4
    with store.engine.connect() as c:
        assert tally.load(c, instrument.id).entries["age"].kind == "text"


def test_more_than_62_options_spread_over_several_mask_columns(store) -> None:
    codes = [f"o{i}" for i in range(70)] + ["dont_know"]
    text = INSTRUMENT.replace('barriers = [ { name = "time", label = "Time" }, { name = "travel", label = "Travel" },\n'
                              '             { name = "dont_know", label = "Don\'t know" }, '
                              '{ name = "prefer_not_to_say", label = "Prefer not" } ]',
                              "barriers = [ " + ", ".join(f'{{ name = "{c}", label = "{c}" }}' for c in codes) + " ]")
    wide = loads_instrument(text)
    save(store, [make(wide, {"barriers": ("o1", "o65", "o69")}), make(wide, {"barriers": ("o69",)}),
                 make(wide, {"barriers": ("dont_know",)}), make(wide, {"barriers": ("o63", "dont_know")})])
    counts = counted(store, wide)
    joint = (UNKNOWN, "web")
    assert {code: n for (q, _j, code), n in counts["mention"].items()} == {
        "o1": 1, "o65": 1, "o69": 2, "dont_know": 2, "o63": 1}
    assert counts["apart"] == {("barriers", joint, "dont_know"): 1}
    with store.engine.connect() as c:
        assert tally.load(c, wide.id).entries["barriers"].chunks == 2
    assert counts == expected(store, wide)


def test_deleting_a_response_deletes_its_tally_row(store, instrument) -> None:
    batch = [make(instrument, {"area": "north", "right_a": "yes"}) for _ in range(3)]
    save(store, batch)
    counted(store, instrument)
    with store.engine.connect() as c:
        table = tally.load(c, instrument.id).table()
        assert c.scalar(select(func.count()).select_from(table)) == 3
    with store.engine.begin() as c:
        delete_responses(c, [batch[0].id])
    with store.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(table)) == 2  # no report needed: the row went with it
        assert c.scalar(select(func.count()).select_from(tables.tally_dirty)) == 0  # nor any mark naming it
    assert counted(store, instrument)["sizes"] == {("north", "web"): 2}


def test_postgresql_triggers_keep_the_tally_in_step(rightsaware_runtime, instrument, postgresql_server) -> None:
    url = postgresql_server.url(postgresql_server.create_database())
    with Store.open(url, rightsaware_runtime.keyring) as store:
        batch = [make(instrument, {"area": a, "right_a": r, "barriers": ("time", "dont_know")[: 1 + i % 2]},
                      channel=ch)
                 for i, (a, r, ch) in enumerate([("north", "yes", "web"), ("south", "no", "sms"), (None, None, "web")]
                                                * 4)]
        save(store, batch)
        assert counted(store, instrument) == expected(store, instrument)
        with store.engine.begin() as c:
            c.execute(update(tables.answers).where(tables.answers.c.response_id == batch[0].id,
                                                   tables.answers.c.question == "right_a").values(value_text="no"))
            c.execute(delete(tables.answers).where(tables.answers.c.response_id == batch[1].id))
            c.execute(update(tables.responses).where(tables.responses.c.id == batch[2].id).values(channel="sms"))
        assert counted(store, instrument, refresh=False) == expected(store, instrument)
        assert counted(store, instrument) == expected(store, instrument)
        with store.engine.begin() as c:
            delete_responses(c, [batch[3].id])
        assert counted(store, instrument) == expected(store, instrument)


def test_age_bands_come_from_the_numbers_in_the_tally(store, instrument) -> None:
    ages = [None, 15, 16, 24, 25, 34, 44, 54, 64, 74, 75, 110, 40]
    save(store, [make(instrument, {"age": age} if age is not None else {"area": "north"}) for age in ages])
    plan = tally.plan_for(instrument)
    tally.refresh(store.engine, instrument.id, plan)
    bands = [DimensionSource(name="age_band", question="age", age=True)]
    with snapshot(store.engine, Scope(instrument.id), bands, plan) as snap:
        sizes = snap.sizes()
    assert sizes == {(UNKNOWN,): 1, ("under_16",): 1, ("16_24",): 2, ("25_34",): 2, ("35_44",): 2, ("45_54",): 1,
                     ("55_64",): 1, ("65_74",): 1, ("75_plus",): 2}


def test_coding_reports_its_progress(store, instrument) -> None:
    save(store, [make(instrument, {"area": "north"}) for _ in range(2500)])
    seen: list[tuple[int, int]] = []
    aggregate(store, instrument, now=NOW, on_coding=lambda done, total: seen.append((done, total)))
    assert seen == [(2000, 2500), (2500, 2500)]  # batches of 2,000
    seen.clear()
    aggregate(store, instrument, now=NOW, on_coding=lambda done, total: seen.append((done, total)))
    assert seen == []  # nothing changed: nothing to code


def test_upgrading_marks_the_responses_already_stored(tmp_path, rightsaware_runtime, instrument) -> None:
    from rightsaware.store import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Store.open(url, rightsaware_runtime.keyring, migrate=False) as store:
        migrate.upgrade(store.engine, "0002")  # a database from before the tally
        with store.engine.begin() as c:
            assert "tally_dirty" not in {row[0] for row in c.exec_driver_sql("SELECT name FROM sqlite_master")}
        save(store, [make(instrument, {"area": "south", "right_a": "yes"}) for _ in range(11)])
    with Store.open(url, rightsaware_runtime.keyring) as store:  # upgrades to the newest schema
        with store.engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(tables.tally_dirty)) == 11
        results = aggregate(store, instrument, now=NOW)
        assert results.responses == 11
        assert results.question("right_a").overall.rows[0].cells["yes"].count == 11


def test_a_report_does_not_wait_for_a_writer_when_nothing_changed(store, instrument) -> None:
    save(store, [make(instrument, {"area": "north", "right_a": "yes"}) for _ in range(12)])
    aggregate(store, instrument, now=NOW)  # codes them
    writer = store.engine.raw_connection()  # a long import, say, holding SQLite's write lock
    try:
        writer.cursor().execute("BEGIN IMMEDIATE")
        started = dt.datetime.now()
        results = aggregate(store, instrument, now=NOW)  # would wait 30 s for the lock, then fail
        assert results.responses == 12
        assert (dt.datetime.now() - started).total_seconds() < 25
    finally:
        writer.rollback()
        writer.close()
