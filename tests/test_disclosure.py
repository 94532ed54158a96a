"""Disclosure control: primary and secondary suppression over linked tables.

The attacker here is written independently of :mod:`rightsaware.disclosure`: it knows the
published values and the table structure (rows add up to their totals, breakdowns add up
to the overall table), and tries to work out every suppressed cell — exactly, by linear
algebra (a rank test), and with the bounds that a suppressed count is a whole number of at
least 1 (linear programming).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from rightsaware.disclosure import (
    BASE,
    CELL,
    DEFAULT_THRESHOLD,
    HIDDEN,
    SIZE,
    DisclosureError,
    SuppressionProblem,
    check_threshold,
)
from rightsaware.errors import ConfigError


def attack(values: dict, equations: list[dict], suppressed: set, lower: dict | None = None) -> dict:
    """For each suppressed key: (determined exactly?, LP minimum, LP maximum).

    ``equations`` are ``{key: coefficient}`` summing to zero; keys missing from
    ``values`` are unknown to the attacker too (never published).
    """
    unknown = sorted({k for eq in equations for k in eq if k in suppressed or k not in values}, key=repr)
    index = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for eq in equations:
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
    a = np.array(rows) if rows else np.zeros((0, len(unknown)))
    b = np.array(rhs)
    rank = np.linalg.matrix_rank(a) if len(rows) else 0
    found = {}
    for key in suppressed:
        if key not in index:
            found[key] = (False, None, None)  # in no equation at all: nothing to solve
            continue
        unit = np.zeros(len(unknown))
        unit[index[key]] = 1
        determined = np.linalg.matrix_rank(np.vstack([a, unit])) == rank if len(rows) else False
        bounds = [((lower or {}).get(k, 1), None) if k in suppressed else (0, None) for k in unknown]
        objective = np.zeros(len(unknown))
        objective[index[key]] = 1
        low = linprog(objective, A_eq=a if len(rows) else None, b_eq=b if len(rows) else None, bounds=bounds,
                      method="highs")
        high = linprog(-objective, A_eq=a if len(rows) else None, b_eq=b if len(rows) else None, bounds=bounds,
                       method="highs")
        assert low.status == 0, "the true values must be feasible"
        found[key] = (determined, low.fun, None if high.status == 3 else -high.fun)
    return found


def assert_protected(values: dict, equations: list[dict], suppressed: set, threshold: int = 10) -> None:
    """No small suppressed count can be worked out (a secondary one may be: it adds nothing)."""
    for key, (determined, low, high) in attack(values, equations, suppressed).items():
        if not 1 <= values[key] < threshold:
            continue
        assert not determined, f"{key} = {values[key]} is determined by the published figures"
        if low is not None and high is not None:
            assert high - low > 1e-6, f"{key} = {values[key]} is pinned to {low} by the bounds"


def two_way(cells: dict[tuple[str, str], int], threshold: int = 10, total_kind: str = BASE):
    """A table with row totals, column totals and a grand total, as a problem and equations."""
    problem = SuppressionProblem(threshold)
    values, equations = {}, []
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    for key, value in cells.items():
        problem.add(key, value, CELL)
        values[key] = value
    for r in rows:
        values[("row", r)] = sum(cells[(r, c)] for c in cols)
        problem.add(("row", r), values[("row", r)], total_kind)
        problem.add_sum(("row", r), [(r, c) for c in cols])
        equations.append({("row", r): 1, **{(r, c): -1 for c in cols}})
    for c in cols:
        values[("col", c)] = sum(cells[(r, c)] for r in rows)
        problem.add(("col", c), values[("col", c)], total_kind)
        problem.add_sum(("col", c), [(r, c) for r in rows])
        equations.append({("col", c): 1, **{(r, c): -1 for r in rows}})
    values["all"] = sum(cells.values())
    problem.add("all", values["all"], SIZE)
    problem.add_sum("all", [("row", r) for r in rows])
    problem.add_sum("all", [("col", c) for c in cols])
    equations.append({"all": 1, **{("row", r): -1 for r in rows}})
    equations.append({"all": 1, **{("col", c): -1 for c in cols}})
    return problem, values, equations


def test_the_threshold_defaults_to_ten_and_never_goes_below_three() -> None:
    assert DEFAULT_THRESHOLD == 10
    assert SuppressionProblem().threshold == 10
    assert check_threshold("5") == 5
    for bad in (2, 0, -1, "2"):
        with pytest.raises(ConfigError, match="below 3"):
            SuppressionProblem(bad)
    with pytest.raises(ConfigError, match="whole number"):
        check_threshold("ten")


def test_small_counts_are_suppressed_and_zeros_published() -> None:
    problem, values, equations = two_way({("a", "x"): 20, ("a", "y"): 3, ("a", "z"): 30, ("b", "x"): 15,
                                          ("b", "y"): 40, ("b", "z"): 0, ("c", "x"): 12, ("c", "y"): 11,
                                          ("c", "z"): 50})
    result = problem.solve()
    assert result.primary == {("a", "y")}
    assert ("b", "z") not in result.suppressed  # a zero is published
    assert_protected(values, equations, set(result.suppressed))


def test_secondary_suppression_closes_the_rectangle_with_the_smallest_cells() -> None:
    problem, values, equations = two_way({("a", "x"): 20, ("a", "y"): 3, ("a", "z"): 30, ("b", "x"): 15,
                                          ("b", "y"): 40, ("b", "z"): 25, ("c", "x"): 12, ("c", "y"): 11,
                                          ("c", "z"): 50})
    result = problem.solve()
    assert result.secondary == {("a", "x"), ("c", "x"), ("c", "y")}
    assert_protected(values, equations, set(result.suppressed))


def test_a_suppressed_count_is_not_given_away_by_bounds() -> None:
    # Two suppressed ones in a row whose other cells are published leave 2 for both: each
    # must then be 1 (counts are whole and suppressed ones at least 1). The solver must see
    # that and suppress more.
    problem, values, equations = two_way({("a", "x"): 1, ("a", "y"): 1, ("a", "z"): 40, ("b", "x"): 30,
                                          ("b", "y"): 25, ("b", "z"): 35})
    result = problem.solve()
    assert_protected(values, equations, set(result.suppressed))


def test_hidden_values_constrain_but_are_never_published() -> None:
    problem = SuppressionProblem(10)
    problem.add("size", 12, HIDDEN)
    problem.add("yes", 4, CELL)
    problem.add("no", 8, CELL)
    problem.add_sum("size", ["yes", "no"])
    result = problem.solve()
    assert result.suppressed == {"yes", "no"}
    assert "size" not in result.suppressed


def test_inconsistent_tables_are_refused() -> None:
    problem = SuppressionProblem(10)
    problem.add("total", 10, BASE)
    problem.add("part", 3)
    with pytest.raises(DisclosureError, match="does not add up"):
        problem.add_sum("total", ["part"])
    with pytest.raises(DisclosureError, match="Two different values"):
        problem.add("part", 4)


small_counts = st.integers(min_value=0, max_value=14)


@st.composite
def linked_tables(draw):
    """An answer-by-area and an answer-by-channel table of the same people, with totals."""
    areas = draw(st.integers(min_value=2, max_value=4))
    channels = draw(st.integers(min_value=2, max_value=3))
    answers = draw(st.integers(min_value=2, max_value=4))
    joint = {(a, c, k): draw(small_counts) for a in range(areas) for c in range(channels) for k in range(answers)}
    threshold = draw(st.sampled_from([3, 5, 10]))
    return joint, areas, channels, answers, threshold


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables())
def test_linked_tables_never_give_away_a_suppressed_count(case) -> None:
    joint, areas, channels, answers, threshold = case
    problem = SuppressionProblem(threshold)
    values: dict = {}
    equations: list[dict] = []

    def declare(key, value, kind=CELL):
        problem.add(key, value, kind)
        values[key] = value

    for k in range(answers):
        declare(("all", k), sum(v for (a, c, kk), v in joint.items() if kk == k))
    declare("N", sum(joint.values()), SIZE)
    problem.add_sum("N", [("all", k) for k in range(answers)])
    equations.append({"N": 1, **{("all", k): -1 for k in range(answers)}})
    for view, size in (("area", areas), ("channel", channels)):
        for g in range(size):
            cells = {k: sum(v for (a, c, kk), v in joint.items() if kk == k and (a if view == "area" else c) == g)
                     for k in range(answers)}
            for k, value in cells.items():
                declare((view, g, k), value)
            declare((view, g, "base"), sum(cells.values()), BASE)
            problem.add_sum((view, g, "base"), [(view, g, k) for k in range(answers)])
            equations.append({(view, g, "base"): 1, **{(view, g, k): -1 for k in range(answers)}})
        for k in range(answers):
            problem.add_sum(("all", k), [(view, g, k) for g in range(size)])
            equations.append({("all", k): 1, **{(view, g, k): -1 for g in range(size)}})
    result = problem.solve()
    for key in result.primary:
        assert 1 <= values[key] < threshold
    published = {k: v for k, v in values.items() if k not in result.suppressed}
    assert all(not (1 <= v < threshold) for k, v in published.items())
    assert_protected(values, equations, set(result.suppressed), threshold)


def test_many_small_groups_are_solved_quickly() -> None:
    cells = {(f"r{r}", f"c{c}"): (r * 7 + c * 3) % 13 for r, c in itertools.product(range(25), range(6))}
    problem, values, equations = two_way(cells)
    result = problem.solve()
    assert_protected(values, equations, set(result.suppressed))


def test_disclosure_control_runs_blas_on_one_thread_and_puts_it_back(monkeypatch) -> None:
    from rightsaware import disclosure_checks
    from rightsaware.disclosure_blas import blas_threads, one_blas_thread

    before = blas_threads()
    seen = []
    original = disclosure_checks._Factor.__init__

    def factor(self, matrix):
        seen.append(blas_threads())
        original(self, matrix)

    monkeypatch.setattr(disclosure_checks._Factor, "__init__", factor)
    problem, _values, _equations = two_way({("a", "x"): 20, ("a", "y"): 3, ("b", "x"): 15, ("b", "y"): 40})
    assert problem.solve().primary == {("a", "y")}
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert blas_threads() == before
    with one_blas_thread(), one_blas_thread():  # nested uses restore only at the outermost end
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before
