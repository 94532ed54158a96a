"""Aggregation: counts, proportions, Wilson intervals, breakdowns, awareness, mode test, benchmark.

Each expected figure is computed here independently (plain Python, NumPy, SciPy) from the
answers the test stored, and compared with what the SQL aggregation publishes.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from scipy import stats

from rightsaware.aggregate import BreakdownError, aggregate, aggregate_results, asked_when, combine_small
from rightsaware.aggregate_sql import UNKNOWN
from rightsaware.aggregate_stats import wilson
from rightsaware.errors import ConfigError
from rightsaware.loading import loads_instrument
from rightsaware.response import Response
from rightsaware.store import tables
from rightsaware.testing import made_response

INSTRUMENT = """\
id = "agg"
version = "1"
title = "Aggregation test"
languages = ["en"]
jurisdiction = "wales"

[[questions]]
name = "local_authority"
type = "select_one areas"
label = "Which council area do you live in?"

[[questions]]
name = "heard"
type = "select_one ynd"
label = "Have you heard of co-production?"

[[questions]]
name = "influence"
type = "select_one agree"
label = "Do you agree? \\"I can influence decisions affecting my local area.\\""

[[questions]]
name = "right_one"
type = "select_one aware"
label = "Did you know about the first right?"
[questions.meta]
right = "one"

[[questions]]
name = "right_two"
type = "select_one aware"
label = "Did you know about the second right?"
[questions.meta]
right = "two"

[[questions]]
name = "barriers"
type = "select_multiple barriers"
label = "What stops you?"
relevant = "${heard} = 'yes'"

[[questions]]
name = "age"
type = "integer"
label = "How old are you?"

[[questions]]
name = "comment"
type = "text"
label = "Anything else?"
required = false

[choices]
areas = [ { name = "north", label = "North" }, { name = "south", label = "South" },
          { name = "east", label = "East" }, { name = "west", label = "West" } ]
ynd = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "dont_know", label = "Don't know" } ]
agree = [ { name = "strongly_agree", label = "Strongly agree" }, { name = "agree", label = "Agree" },
          { name = "disagree", label = "Disagree" }, { name = "dont_know", label = "Don't know" } ]
aware = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "not_sure", label = "Not sure" } ]
barriers = [ { name = "time", label = "Time" }, { name = "travel", label = "Travel" },
             { name = "dont_know", label = "Don't know" } ]
"""


@pytest.fixture
def instrument():
    return loads_instrument(INSTRUMENT)


@pytest.fixture
def runtime(rightsaware_runtime, instrument):
    rightsaware_runtime.instruments.add(instrument)
    rightsaware_runtime.store.record_instrument(instrument.id, instrument.version, instrument.content_hash)
    return rightsaware_runtime


def response(instrument, values: dict, **options) -> Response:
    return made_response(instrument, values, **options)


def people(instrument, rows: list[tuple[int, dict, dict]]) -> list[Response]:
    """``(how many, answers, response options)`` to responses."""
    found = []
    for count, values, options in rows:
        found += [response(instrument, dict(values), **options) for _ in range(count)]
    return found


BASIC = {"local_authority": "north", "influence": "agree", "right_one": "yes", "right_two": "no", "age": 40}


def test_single_choice_counts_proportions_wilson_and_dont_know_apart(runtime, instrument) -> None:
    rows = [(30, {**BASIC, "heard": "yes", "barriers": ("time",)}, {}), (20, {**BASIC, "heard": "no"}, {}),
            (12, {**BASIC, "heard": "dont_know"}, {})]
    runtime.store.save_completed_batch(people(instrument, rows))
    results = aggregate_results(runtime, "agg")
    assert results.responses == 62
    row = results.question("heard").overall.rows[0]
    assert (row.cells["yes"].count, row.cells["no"].count, row.apart["dont_know"].count) == (30, 20, 12)
    assert row.base.count == 50 and row.answered.count == 62
    assert row.cells["yes"].proportion == pytest.approx(30 / 50)
    expected = stats.binomtest(30, 50).proportion_ci(confidence_level=0.95, method="wilson")
    assert (row.cells["yes"].ci_low, row.cells["yes"].ci_high) == pytest.approx((expected.low, expected.high))
    assert row.apart["dont_know"].proportion == pytest.approx(12 / 62)


def test_wilson_matches_scipy_for_every_small_case() -> None:
    for count, base in itertools.product(range(0, 21), range(1, 21)):
        if count > base:
            continue
        expected = stats.binomtest(count, base).proportion_ci(method="wilson")
        assert wilson(count, base) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_multiple_choice_respondents_and_mentions(runtime, instrument) -> None:
    rows = [(20, {**BASIC, "heard": "yes", "barriers": ("time", "travel")}, {}),
            (15, {**BASIC, "heard": "yes", "barriers": ("time",)}, {}),
            (11, {**BASIC, "heard": "yes", "barriers": ("dont_know",)}, {}),
            (12, {**BASIC, "heard": "no"}, {})]
    runtime.store.save_completed_batch(people(instrument, rows))
    row = aggregate_results(runtime, "agg").question("barriers").overall.rows[0]
    assert row.base.count == 35 and row.answered.count == 46
    assert row.cells["time"].count == 35 and row.cells["travel"].count == 20
    assert row.cells["time"].proportion == pytest.approx(1.0)
    assert row.cells["travel"].share == pytest.approx(20 / 55)  # of all mentions
    assert sum(c.proportion for c in row.cells.values()) > 1  # respondents may choose several
    assert row.apart["dont_know"].count == 11


def test_numbers_have_median_and_quartiles_like_numpy(runtime, instrument) -> None:
    ages = [18, 22, 22, 30, 31, 35, 44, 45, 45, 60, 61, 70, 71, 88]
    runtime.store.save_completed_batch([response(instrument, {**BASIC, "heard": "no", "age": a}) for a in ages])
    row = aggregate_results(runtime, "agg").question("age").overall.rows[0]
    q1, median, q3 = np.percentile(ages, [25, 50, 75])
    assert (row.stats.q1, row.stats.median, row.stats.q3) == pytest.approx((q1, median, q3))
    assert row.answered.count == len(ages)


def test_quartiles_of_every_breakdown_come_out_like_numpy(runtime, instrument) -> None:
    rng = np.random.default_rng(7)
    plan = [("north", "web", 25), ("south", "sms", 18), ("east", "paper", 12), ("west", "web", 14)]
    ages: dict[tuple[str, str], list[int]] = {}
    batch = []
    for area, channel, count in plan:
        for age in rng.integers(16, 95, size=count).tolist():
            ages.setdefault(("local_authority", area), []).append(age)
            ages.setdefault(("channel", channel), []).append(age)
            batch.append(response(instrument, {**BASIC, "heard": "no", "local_authority": area, "age": age},
                                  channel=channel))
    runtime.store.save_completed_batch(batch)
    result = aggregate_results(runtime, "agg", by=["local_authority", "channel"]).question("age")
    checked = 0
    for dimension in ("local_authority", "channel"):
        for row in result.by[dimension].rows:
            values = ages[(dimension, row.group)]
            assert row.answered.count == len(values)
            expected = np.percentile(values, [25, 50, 75])
            assert (row.stats.q1, row.stats.median, row.stats.q3) == pytest.approx(tuple(expected))
            checked += 1
    assert checked == 7  # four areas and three channels, none small enough to combine
    everyone = [a for (dim, _), values in ages.items() if dim == "channel" for a in values]
    overall = result.overall.rows[0].stats
    assert (overall.q1, overall.median, overall.q3) == pytest.approx(tuple(np.percentile(everyone, [25, 50, 75])))


def test_breakdowns_combine_small_groups_and_add_up(runtime, instrument) -> None:
    rows = [(40, {**BASIC, "heard": "no", "local_authority": "north"}, {"channel": "web"}),
            (30, {**BASIC, "heard": "yes", "barriers": ("time",), "local_authority": "south"}, {"channel": "sms"}),
            (4, {**BASIC, "heard": "no", "local_authority": "east"}, {"channel": "paper"}),
            (3, {**BASIC, "heard": "no", "local_authority": "west"}, {"channel": "paper"}),
            (25, {**BASIC, "heard": "no", "local_authority": "south"}, {"channel": "paper"})]
    runtime.store.save_completed_batch(people(instrument, rows))
    results = aggregate_results(runtime, "agg", by=["local_authority", "channel"])
    area = results.dimension("local_authority")
    combined = [g for g in area.groups if g.members]
    # 7 people in the two small areas are not enough on their own: the smallest big area joins them
    assert [g.members for g in combined] == [("east", "north", "west")]
    table = results.question("heard").by["local_authority"]
    assert {r.group for r in table.rows} == {"south", "_other"}
    assert table.row("_other").cells["no"].count == 47
    overall = results.question("heard").overall.rows[0]
    for code in ("yes", "no"):
        for name in ("local_authority", "channel"):
            counts = [r.cells[code].count for r in results.question("heard").by[name].rows]
            if None not in counts:
                assert sum(counts) == overall.cells[code].count


def test_suppressed_cells_carry_no_count_or_percentage_in_json(runtime, instrument) -> None:
    rows = [(40, {**BASIC, "heard": "no"}, {"channel": "web"}), (3, {**BASIC, "heard": "yes", "barriers": ("time",)},
                                                                  {"channel": "web"}),
            (30, {**BASIC, "heard": "no"}, {"channel": "sms"})]
    runtime.store.save_completed_batch(people(instrument, rows))
    data = aggregate_results(runtime, "agg", by=["channel"]).to_json()
    heard = next(q for q in data["questions"] if q["question"] == "heard")
    assert heard["overall"]["rows"][0]["cells"]["yes"] == {"suppressed": True}
    web = next(r for r in heard["by"]["channel"]["rows"] if r["group"] == "web")
    assert web["cells"]["yes"] == {"suppressed": True}
    text = str(data)
    assert "'count': 3," not in text and "'count': 3}" not in text


def test_awareness_score_bands_and_mean(runtime, instrument) -> None:
    rows = [(12, {**BASIC, "heard": "no", "right_one": "yes", "right_two": "yes"}, {}),
            (15, {**BASIC, "heard": "no", "right_one": "yes", "right_two": "not_sure"}, {}),
            (20, {**BASIC, "heard": "no", "right_one": "no", "right_two": "no"}, {})]
    runtime.store.save_completed_batch(people(instrument, rows))
    results = aggregate_results(runtime, "agg")
    assert results.rights == ("right_one", "right_two")
    row = results.awareness.overall.rows[0]
    assert (row.cells["all"].count, row.cells["most"].count, row.cells["none"].count) == (12, 15, 20)
    assert row.cells["some"].count == 0
    assert row.mean == pytest.approx((12 * 1 + 15 * 0.5) / 47)


def test_mode_comparison_is_scipy_chi_square_on_the_published_table(runtime, instrument) -> None:
    rows = [(40, {**BASIC, "heard": "yes", "barriers": ("time",)}, {"channel": "web"}),
            (20, {**BASIC, "heard": "no"}, {"channel": "web"}),
            (15, {**BASIC, "heard": "yes", "barriers": ("time",)}, {"channel": "sms"}),
            (35, {**BASIC, "heard": "no"}, {"channel": "sms"})]
    runtime.store.save_completed_batch(people(instrument, rows))
    results = aggregate_results(runtime, "agg")
    test = next(t for t in results.mode_tests if t.question == "heard")
    assert test.shown
    expected = stats.chi2_contingency(np.array([[15, 35], [40, 20]]), correction=False)
    assert test.statistic == pytest.approx(expected.statistic) and test.p_value == pytest.approx(expected.pvalue)
    assert test.dof == 1 and test.p_value < 0.05
    only_web = next(t for t in results.mode_tests if t.question == "local_authority")
    assert only_web.shown is False or only_web.p_value is not None


def test_mode_test_is_withheld_when_a_channel_cell_is_hidden(runtime, instrument) -> None:
    rows = [(40, {**BASIC, "heard": "no"}, {"channel": "web"}), (5, {**BASIC, "heard": "yes", "barriers": ("time",)},
                                                                 {"channel": "sms"}),
            (30, {**BASIC, "heard": "no"}, {"channel": "sms"})]
    runtime.store.save_completed_batch(people(instrument, rows))
    test = next(t for t in aggregate_results(runtime, "agg").mode_tests if t.question == "heard")
    assert (test.shown, test.reason, test.statistic) == (False, "suppressed", None)


def test_benchmark_is_shown_beside_the_national_surveys(runtime, instrument) -> None:
    rows = [(25, {**BASIC, "heard": "no", "influence": "agree"}, {}),
            (15, {**BASIC, "heard": "no", "influence": "disagree"}, {}),
            (10, {**BASIC, "heard": "no", "influence": "dont_know"}, {})]
    runtime.store.save_completed_batch(people(instrument, rows))
    benchmark = aggregate_results(runtime, "agg").benchmark
    assert benchmark.question == "influence" and benchmark.agree_codes == ("strongly_agree", "agree")
    assert benchmark.ours.agree.count == 25 and benchmark.ours.answered.count == 50
    assert benchmark.ours.agree.proportion == pytest.approx(0.5)
    published = {(f["survey"], f["period"], f["percent"]) for f in benchmark.published}
    assert published == {("National Survey for Wales", "2021-22", 30.0), ("Scottish Household Survey", "2019", 17.8)}
    assert benchmark.published[0]["nation"] == "wales"  # the instrument's own nation first
    assert benchmark.to_json()["comparison"] == "context only, not like-for-like"


def test_synthetic_and_withdrawn_responses_are_left_out(runtime, instrument) -> None:
    real = people(instrument, [(20, {**BASIC, "heard": "no"}, {})])
    fake = people(instrument, [(30, {**BASIC, "heard": "yes", "barriers": ("time",)}, {"synthetic": True})])
    store = runtime.store
    store.save_completed_batch(real + fake)
    with store.engine.begin() as connection:
        connection.execute(tables.withdrawals.insert(), [
            {"response_id": r.id, "channel": "cli", "withdrawn_at": dt.datetime.now(dt.timezone.utc)}
            for r in real[:5]])
    results = aggregate_results(runtime, "agg")
    assert (results.responses, results.synthetic_left_out) == (15, 30)
    assert results.question("heard").overall.rows[0].cells["no"].count == 15
    with_synthetic = aggregate_results(runtime, "agg", include_synthetic=True)
    assert with_synthetic.responses == 45 and with_synthetic.include_synthetic


def test_too_few_responses_publish_nothing(runtime, instrument) -> None:
    runtime.store.save_completed_batch(people(instrument, [(9, {**BASIC, "heard": "no"}, {})]))
    results = aggregate_results(runtime, "agg")
    assert results.too_few and results.questions == () and results.to_json()["responses"] == {"suppressed": True}
    active = people(instrument, [(5, {**BASIC, "heard": "no"}, {"status": "active"})])
    runtime.store.save_completed_batch(active)
    assert aggregate_results(runtime, "agg").too_few  # unfinished responses do not count


def test_bad_breakdowns_and_thresholds_are_clear_errors(runtime, instrument) -> None:
    with pytest.raises(BreakdownError, match="cannot be broken down by 'postcode'.*local_authority"):
        aggregate_results(runtime, "agg", by=["postcode"])
    with pytest.raises(BreakdownError, match="one answer from a list"):
        aggregate_results(runtime, "agg", by=["barriers"])
    with pytest.raises(BreakdownError, match="small area"):
        aggregate_results(runtime, "agg", by=["local_authority"], include_free_text=True)
    with pytest.raises(ConfigError, match="below 3"):
        aggregate_results(runtime, "agg", threshold=2)


def test_free_text_only_when_asked_and_when_enough(runtime, instrument) -> None:
    rows = [(1, {**BASIC, "heard": "no", "comment": f"Comment {i}"}, {}) for i in range(12)]
    rows.append((10, {**BASIC, "heard": "no", "comment": None}, {}))
    runtime.store.save_completed_batch(people(instrument, rows))
    assert aggregate_results(runtime, "agg").question("comment").free_text is None
    shown = aggregate_results(runtime, "agg", include_free_text=True).question("comment")
    assert shown.free_text == tuple(sorted(f"Comment {i}" for i in range(12))) and shown.free_text_total == 12
    few = aggregate_results(runtime, "agg", include_free_text=True, threshold=15)  # 12 comments of 22 responses
    assert few.responses == 22 and few.question("comment").free_text is None


def test_combine_small_groups_reaches_the_threshold_with_two_members() -> None:
    assert combine_small({"a": 30, "b": 4, UNKNOWN: 2}, 10) == {"a": "_other", "b": "_other", UNKNOWN: UNKNOWN}
    assert combine_small({"a": 30, "b": 40, "c": 3, "d": 8}, 10)["c"] == "_other"
    assert combine_small({"a": 30, "b": 40}, 10) == {"a": "a", "b": "b"}
    nested = combine_small({"x": 3, "y": 4, "z": 50, "w": 2}, 10, {"x": "p", "y": "p", "z": "p", "w": "q"})
    assert nested["x"] == nested["y"] == "_other:p" and nested["w"] == "_other:q"


def test_skip_logic_links_reduce_implied_conditions(instrument) -> None:
    wales = loads_instrument(INSTRUMENT.replace('relevant = "${heard} = \'yes\'"',
                                                'relevant = "${heard} = \'yes\' and ${local_authority} = \'north\'"'))
    assert asked_when(instrument) == {"barriers": ("heard", "yes")}
    assert "barriers" not in asked_when(wales)  # two independent conditions: no single count of people asked


def test_postgresql_gives_the_same_figures(runtime, instrument, postgresql_server) -> None:
    from rightsaware.store import Store

    rows = [(30, {**BASIC, "heard": "yes", "barriers": ("time", "travel")}, {"channel": "web"}),
            (4, {**BASIC, "heard": "dont_know", "age": 19}, {"channel": "sms"}),
            (25, {**BASIC, "heard": "no", "local_authority": "south", "age": 77}, {"channel": "paper"})]
    batch = people(instrument, rows)
    runtime.store.save_completed_batch(batch)
    lite = aggregate(runtime.store, instrument, by=["local_authority", "channel"], now=dt.datetime(2026, 1, 1))
    url = postgresql_server.url(postgresql_server.create_database())
    with Store.open(url, runtime.keyring) as store:
        store.record_instrument(instrument.id, instrument.version, instrument.content_hash)
        store.save_completed_batch(batch)
        postgres = aggregate(store, instrument, by=["local_authority", "channel"], now=dt.datetime(2026, 1, 1))
    assert postgres.to_json() == lite.to_json()
