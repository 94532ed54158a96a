"""Checks behind :mod:`rightsaware.disclosure`: can a small suppressed count be worked out?

A count is *determined* when its unit vector lies in the row space of the equations
restricted to the suppressed variables (tested on an SVD of each connected group of
them), and *pinned* when no direction of change keeps every equation without lowering a
count already at its bound (suppressed counts are at least 1, hidden ones at least 0:
tested by linear programming on all equations).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.linalg import svd
from scipy.optimize import linprog

from .errors import RightsawareError

CELL = "cell"  # an ordinary count in a table
TOTAL = "total"  # a total derived from cells
BASE = "base"  # the base of a row's percentages (suppressing it hides them)
SIZE = "size"  # a number of respondents (the number of responses)
FIXED = "fixed"  # published by design and never suppressed
HIDDEN = "hidden"  # never published; known only through equations (a group size, a remainder)
COST = {CELL: 0, TOTAL: 1, BASE: 2, SIZE: 3}  # suppressible kinds, cheapest first
TOL = 1e-8


class DisclosureError(RightsawareError):
    """The tables cannot be protected (an internal inconsistency); nothing is published."""


class _Factor:
    """SVD of the equations of one group of suppressed variables.

    Gives the null space (directions in which the suppressed values can move together),
    for a determined variable the smallest combination of equations that determines it,
    and whether suppressing one more count alone would stop that.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        rows, cols = matrix.shape
        try:
            self.u, self.s, self.vt = svd(matrix, full_matrices=False)
        except np.linalg.LinAlgError:  # the divide-and-conquer driver can fail to converge
            self.u, self.s, self.vt = svd(matrix, full_matrices=False, lapack_driver="gesvd")
        tol = max(rows, cols) * np.finfo(float).eps * (self.s[0] if self.s.size else 0.0) * 16
        self.rank = int((self.s > tol).sum())

    def determined(self, position: int) -> bool:
        """Whether the unit vector at ``position`` lies in the row space of the equations."""
        along = self.vt[: self.rank, position]
        return abs(1.0 - float(along @ along)) < 1e-7

    def certificate(self, position: int) -> np.ndarray:
        """Weights ``y`` of the equations with ``y @ matrix == unit vector at position``."""
        r = self.rank
        return self.u[:, :r] @ (self.vt[:r, position] / self.s[:r])

    def in_column_space(self, columns: np.ndarray) -> np.ndarray:
        """For each column (one per candidate count, over the same equations): whether it lies
        in the column space of the equations. Adding such a count as one more unknown frees a
        determined variable when, besides, the variable's determining combination uses it."""
        projected = self.u[:, : self.rank].T @ columns
        residual = (columns * columns).sum(axis=0) - (projected * projected).sum(axis=0)
        return residual <= 1e-9


class ChecksMixin:
    """The analysis half of :class:`rightsaware.disclosure.SuppressionProblem`."""

    _keys: list[Any]
    _values: list[int]
    _kinds: list[str]
    _equations: list[dict[int, int]]
    _by_var: list[list[int]]
    _live: list[list[int]]

    def _presolve(self, hidden: set[int]) -> None:
        """Set aside equations that say nothing exact about published counts.

        A never-published count that appears in a single equation can absorb any change
        to the others in it, so that equation determines nothing exactly (repeated until
        none is left). Bounds are checked on all equations (:meth:`_pinned_by_bounds`).
        """
        live = [list(eqs) for eqs in self._by_var]
        queue = [i for i in hidden if len(live[i]) == 1]
        while queue:
            i = queue.pop()
            if len(live[i]) != 1:
                continue
            e = live[i][0]
            for j in self._equations[e]:
                live[j].remove(e)
                if j in hidden and len(live[j]) == 1:
                    queue.append(j)
        self._live = live

    def _components(self, unknown: set[int]) -> list[tuple[list[int], list[int]]]:
        """Connected groups of unknown variables, with the equations that touch them."""
        seen: set[int] = set()
        found = []
        for start in sorted(unknown):
            if start in seen:
                continue
            variables, equations, stack = [], set(), [start]
            seen.add(start)
            while stack:
                i = stack.pop()
                variables.append(i)
                for e in self._live[i]:
                    if e in equations:
                        continue
                    equations.add(e)
                    for j in self._equations[e]:
                        if j in unknown and j not in seen:
                            seen.add(j)
                            stack.append(j)
            found.append((sorted(variables), sorted(equations)))
        return found

    def _exposed(self, unknown: set[int], protect: set[int], safe: set[frozenset[int]]
                 ) -> dict[int, tuple[set[int], set[int]]]:
        """Protected variables that the published figures determine, each with the published
        counts whose suppression alone would free it and those its determination uses."""
        exposed: dict[int, tuple[set[int], set[int]]] = {}
        for variables, equations in self._components(unknown):
            key = frozenset(variables)
            guarded = [i for i in variables if i in protect]
            if not guarded or key in safe:
                continue
            position = {i: n for n, i in enumerate(variables)}
            row_of = {e: n for n, e in enumerate(equations)}
            matrix = np.zeros((max(len(equations), 1), len(variables)))
            for row, e in enumerate(equations):
                for i, c in self._equations[e].items():
                    if i in position:
                        matrix[row, position[i]] = c
            factor = _Factor(matrix)
            outside, outside_vars = self._outside(equations, unknown)
            found = {}
            pinned_alone: dict[int, bool] = {}
            pending = []
            for i in guarded:
                if not factor.determined(position[i]):
                    continue
                weights = factor.certificate(position[i])
                used = self._used(weights, outside, outside_vars)
                for k in used:
                    if k not in pinned_alone:
                        pinned_alone[k] = self._pinned_alone(k, unknown)
                pending.append((i, weights, used, [k for k in used if not pinned_alone[k]]))
            candidates = sorted({k for *_rest, free in pending for k in free})
            if candidates:  # every candidate column projected once for all the exposed variables
                columns = np.stack([self._column(k, row_of, matrix.shape[0]) for k in candidates], axis=1)
                in_space = factor.in_column_space(columns)
                column_of = {k: n for n, k in enumerate(candidates)}
            for i, weights, used, free in pending:
                useful: set[int] = set()
                if free:
                    picked = [column_of[k] for k in free]
                    frees = in_space[picked] & (np.abs(weights @ columns[:, picked]) > 1e-7)
                    useful = {k for k, ok in zip(free, frees) if ok}
                found[i] = (useful, used)
            if not found:
                pinned = self._pinned_by_bounds(variables, guarded, unknown)
                if pinned is not None:
                    found = {pinned: (set(), {})}
            if found:
                exposed.update(found)
            else:
                safe.add(key)
        return exposed

    def _column(self, k: int, row_of: dict[int, int], rows: int) -> np.ndarray:
        column = np.zeros(rows)
        for e in self._live[k]:
            if e in row_of:
                column[row_of[e]] = self._equations[e][k]
        return column

    def _pinned_alone(self, k: int, unknown: set[int]) -> bool:
        """Whether ``k`` would be given away by an equation whose other counts are all published."""
        return any(all(j == k or j not in unknown for j in self._equations[e]) for e in self._live[k])

    def _outside(self, equations: list[int], unknown: set[int]) -> tuple[sparse.csc_array, np.ndarray]:
        """The coefficients of the equations on suppressible published counts (one column
        each, with the counts' indices): what a determining combination of them uses."""
        rows, cols, data, columns = [], [], [], {}
        for row, e in enumerate(equations):
            for i, c in self._equations[e].items():
                if i not in unknown and self._kinds[i] in COST and self._values[i] > 0:
                    rows.append(row)
                    cols.append(columns.setdefault(i, len(columns)))
                    data.append(float(c))
        matrix = sparse.csc_array((data, (rows, cols)), shape=(len(equations), len(columns)))
        return matrix, np.fromiter(columns, dtype=np.int64, count=len(columns))

    @staticmethod
    def _used(weights: np.ndarray, outside: sparse.csc_array, outside_vars: np.ndarray) -> dict[int, float]:
        """Suppressible published counts with their (non-zero) weight in a determining combination.

        The combination is the smallest one; a count that every way of working the exposed
        one out needs gets the largest weight."""
        totals = np.abs(outside.T @ np.where(np.abs(weights) < TOL, 0.0, weights))
        keep = np.flatnonzero(totals > 1e-7)
        return dict(zip(outside_vars[keep].tolist(), totals[keep].tolist()))

    def _pinned_by_bounds(self, variables: list[int], guarded: list[int], unknown: set[int]) -> int | None:
        """A guarded variable that the lower bounds (1 if suppressed, 0 if hidden) fix, if any.

        The true values are a feasible point; a variable can change only along a direction
        that keeps every equation and lowers no variable already at its bound. Checked on
        all equations (none set aside), as a sparse linear programme.
        """
        members, equations = self._full_component(variables, unknown)
        at_bound = {i for i in members if self._values[i] == (0 if self._kinds[i] == HIDDEN else 1)}
        if not at_bound:
            return None
        position = {i: n for n, i in enumerate(members)}
        rows, cols, data = [], [], []
        for row, e in enumerate(equations):
            for i, c in self._equations[e].items():
                if i in position:
                    rows.append(row)
                    cols.append(position[i])
                    data.append(c)
        matrix = sparse.csr_array((data, (rows, cols)), shape=(len(equations), len(members)))
        bounds = [(0.0, 1.0) if i in at_bound else (-1.0, 1.0) for i in members]
        zeros = np.zeros(len(equations))
        free: set[int] = set()
        for i in guarded:
            if position[i] in free:
                continue
            for sign in (-1.0, 1.0):
                objective = np.zeros(len(members))
                objective[position[i]] = sign
                result = linprog(objective, A_eq=matrix, b_eq=zeros, bounds=bounds, method="highs")
                if result.status == 0 and result.fun < -1e-7:
                    free.update(int(q) for q in np.flatnonzero(np.abs(result.x) > 1e-7))
                    break
            else:
                return i
        return None

    def _full_component(self, start: list[int], unknown: set[int]) -> tuple[list[int], list[int]]:
        """The unknown variables linked to ``start`` through any equation, and those equations."""
        seen = set(start)
        stack = list(start)
        equations: set[int] = set()
        while stack:
            i = stack.pop()
            for e in self._by_var[i]:
                if e in equations:
                    continue
                equations.add(e)
                for j in self._equations[e]:
                    if j in unknown and j not in seen:
                        seen.add(j)
                        stack.append(j)
        return sorted(seen), sorted(equations)
