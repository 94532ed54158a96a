"""Disclosure control: small counts are suppressed, and no suppressed count can be worked out.

Every count that a run publishes (in a report, an export, the dashboard or the API) is a
variable of one linear system that spans *all* tables of the run: a table's rows add up to
its group sizes, its groups add up to the whole, a base is the sum of its answers, a
question asked only after "yes" to another has as many people asked as that "yes" cell, and
so on. The tables are built by :mod:`rightsaware.aggregate`, which states these relations
with :meth:`SuppressionProblem.add_sum`.

:meth:`SuppressionProblem.solve` then

1. suppresses every count from 1 to ``threshold - 1`` (primary suppression; zeros are
   published, so a suppressed count is known to be at least 1);
2. checks that none of them is determined by what stays published — neither exactly, as
   the solution of the linear system (a suppressed variable is determined when its unit
   vector lies in the row space of the equations restricted to the suppressed variables,
   i.e. every null-space vector is zero there), nor by the bounds that counts are whole
   numbers at least 1 (a linear programme looks for a direction of change);
3. while some are, suppresses more published counts that share an equation with them
   (secondary suppression), choosing in each round a small set that reaches all of them —
   a count linked to many exposed ones first, then ordinary cells before totals, bases
   and the number of responses, then the smallest — and checks again.

The threshold is 10 by default and can never be set below 3.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
from attrs import frozen
from scipy import sparse
from scipy.linalg import svd
from scipy.optimize import linprog

from .errors import ConfigError, RightsawareError

DEFAULT_THRESHOLD = 10
MIN_THRESHOLD = 3

#: Kinds of variable, cheapest to suppress first.
CELL = "cell"  # an ordinary count in a table
TOTAL = "total"  # a total derived from cells
BASE = "base"  # the base of a row's percentages (suppressing it hides them)
SIZE = "size"  # a number of respondents (the number of responses)
FIXED = "fixed"  # published by design and never suppressed
HIDDEN = "hidden"  # never published; known only through equations (a group size, a remainder)
_COST = {CELL: 0, TOTAL: 1, BASE: 2, SIZE: 3}
_TOL = 1e-8


class DisclosureError(RightsawareError):
    """The tables cannot be protected (an internal inconsistency); nothing is published."""


def check_threshold(threshold: Any) -> int:
    """The suppression threshold as an int; a ConfigError when it is below 3 or not a number."""
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        try:
            threshold = int(str(threshold))
        except ValueError:
            raise ConfigError(
                "The suppression threshold must be a whole number, not {value}.".format(value=threshold)
            ) from None
    if threshold < MIN_THRESHOLD:
        raise ConfigError(
            "The suppression threshold may not be below {minimum}: smaller counts could identify people "
            "(asked for {value}).".format(minimum=MIN_THRESHOLD, value=threshold)
        )
    return threshold


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

    def would_free(self, certificate: np.ndarray, column: np.ndarray) -> bool:
        """Whether adding an unknown with this column (over the same equations) frees the variable."""
        inside = self.u[:, : self.rank]
        if float(np.abs(column - inside @ (inside.T @ column)).max()) > 1e-7:
            return False
        return abs(float(certificate @ column)) > 1e-7


@frozen
class Suppression:
    """Which variables are suppressed, and why."""

    threshold: int
    primary: frozenset[Hashable]
    secondary: frozenset[Hashable]

    @property
    def suppressed(self) -> frozenset[Hashable]:
        return self.primary | self.secondary

    def is_suppressed(self, key: Hashable) -> bool:
        return key in self.primary or key in self.secondary


class SuppressionProblem:
    """Published counts as variables, the sums that link them, and the threshold."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.threshold = check_threshold(threshold)
        self._keys: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self._values: list[int] = []
        self._kinds: list[str] = []
        self._equations: list[dict[int, int]] = []
        self._by_var: list[list[int]] = []

    # -- building ---------------------------------------------------------------------------
    def __contains__(self, key: Hashable) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self._keys)

    def value(self, key: Hashable) -> int:
        return self._values[self._index[key]]

    def add(self, key: Hashable, value: int, kind: str = CELL) -> Hashable:
        """Declare a count; declaring the same key again must give the same value."""
        if kind not in (CELL, TOTAL, BASE, SIZE, FIXED, HIDDEN):
            raise ValueError(f"unknown kind {kind!r}")
        value = int(value)
        if value < 0:
            raise DisclosureError(f"A count cannot be negative ({key!r} = {value}).")
        if key in self._index:
            if self._values[self._index[key]] != value:
                raise DisclosureError(f"Two different values for {key!r}.")
            return key
        self._index[key] = len(self._keys)
        self._keys.append(key)
        self._values.append(value)
        self._kinds.append(kind)
        self._by_var.append([])
        return key

    def add_sum(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        """State that ``total`` is the sum of ``parts`` (all declared already)."""
        terms: dict[Hashable, int] = {total: 1}
        for part in parts:
            terms[part] = terms.get(part, 0) - 1
        self.add_equation(terms)

    def add_equation(self, terms: Mapping[Hashable, int]) -> None:
        """State ``sum(coefficient * variable) == 0``; checked against the true values."""
        row = {self._index[k]: int(c) for k, c in terms.items() if c}
        if not row:
            return
        if sum(c * self._values[i] for i, c in row.items()) != 0:
            described = ", ".join(f"{c:+d}*{self._keys[i]!r}={self._values[i]}" for i, c in row.items())
            raise DisclosureError(f"Inconsistent tables: {described} does not add up.")
        number = len(self._equations)
        self._equations.append(row)
        for i in row:
            self._by_var[i].append(number)

    # -- solving ----------------------------------------------------------------------------
    def solve(self) -> Suppression:
        """Primary then secondary suppression until no small count can be worked out."""
        t = self.threshold
        hidden = {i for i, kind in enumerate(self._kinds) if kind == HIDDEN}
        primary = {i for i, v in enumerate(self._values) if 1 <= v < t and self._kinds[i] not in (FIXED, HIDDEN)}
        protect = set(primary)
        unknown = primary | hidden
        self._presolve(hidden)
        safe: set[frozenset[int]] = set()
        tries: dict[int, int] = {}
        while True:
            exposed = self._exposed(unknown, protect, safe)
            if not exposed:
                break
            options = {i: useful for i, (useful, _used) in exposed.items() if useful}
            added = self._hitting_set(options)
            for i, (useful, used) in sorted(exposed.items()):
                if useful:
                    continue
                tries[i] = tries.get(i, 0) + 1
                bundle = self._bundle(i, unknown | added) if tries[i] == 1 else None
                if bundle is None:
                    bundle = self._escalate(i, used, tries[i], unknown | added)
                added |= bundle
            if not added:
                raise DisclosureError("Disclosure control could not protect every small count; nothing is published.")
            unknown |= added
        secondary = unknown - primary - hidden
        return Suppression(
            threshold=t,
            primary=frozenset(self._keys[i] for i in primary),
            secondary=frozenset(self._keys[i] for i in secondary),
        )

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
            found = {}
            for i in guarded:
                if not factor.determined(position[i]):
                    continue
                weights = factor.certificate(position[i])
                used = self._used(weights, equations, unknown)
                useful = {k for k in used if not self._pinned_alone(k, unknown)
                          and factor.would_free(weights, self._column(k, row_of, matrix.shape[0]))}
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

    def _used(self, weights: np.ndarray, equations: list[int], unknown: set[int]) -> dict[int, float]:
        """Suppressible published counts with their (non-zero) weight in a determining combination.

        The combination is the smallest one; a count that every way of working the exposed
        one out needs gets the largest weight."""
        totals: dict[int, float] = {}
        for weight, e in zip(weights, equations):
            if abs(weight) < _TOL:
                continue
            for i, c in self._equations[e].items():
                if i not in unknown:
                    totals[i] = totals.get(i, 0.0) + weight * c
        return {i: abs(w) for i, w in totals.items()
                if abs(w) > 1e-7 and self._kinds[i] in _COST and self._values[i] > 0}

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

    def _hitting_set(self, options: dict[int, set[int]]) -> set[int]:
        """A small set of counts reaching every exposed one: widest reach, then cheapest."""
        chosen: set[int] = set()
        uncovered = sorted(options)
        while uncovered:
            reach: dict[int, int] = {}
            for i in uncovered:
                for c in options[i]:
                    reach[c] = reach.get(c, 0) + 1
            owners = {self._owner(i) for i in uncovered}
            best = min(reach, key=lambda c: (-reach[c], self._owner(c) not in owners, _COST[self._kinds[c]],
                                             self._values[c], c))
            chosen.add(best)
            uncovered = [i for i in uncovered if best not in options[i]]
        return chosen

    def _bundle(self, exposed: int, unknown: set[int]) -> set[int] | None:
        """Counts to suppress so that no equation gives ``exposed`` away on its own.

        One count from each equation where it is the only unknown, each chosen to need the
        fewest further suppressions (a count that an all-published equation would give
        away needs a partner from it), then those partners. None when there is no such
        equation (the count is found by combining several) or one cannot be opened.
        """
        own = [e for e in self._live[exposed]
               if all(k == exposed or k not in unknown for k in self._equations[e])]
        if not own:
            return None
        bundle: set[int] = set()
        for e in own:
            if any(k in bundle for k in self._equations[e]):
                continue
            candidates = [k for k in self._equations[e] if k != exposed and k not in unknown
                          and self._kinds[k] in _COST and self._values[k] > 0]
            if not candidates:
                return None
            bundle.add(min(candidates, key=lambda k: (self._growth(k, unknown | bundle), self._cost(k))))
        return bundle | set().union(*(self._partners(k, unknown | bundle) for k in bundle))

    def _pins(self, k: int, unknown: set[int]) -> int:
        """How many equations would give ``k`` away if it alone were suppressed (besides ``unknown``)."""
        return sum(1 for e in self._live[k] if all(j == k or j not in unknown for j in self._equations[e]))

    def _growth(self, k: int, unknown: set[int]) -> int:
        """A price for suppressing ``k``: its partners and what would pin each of them."""
        partners = self._partners(k, unknown | {k})
        taken = unknown | {k} | partners
        return sum(1 + self._pins(p, taken) for p in partners)

    def _escalate(self, i: int, used: dict[int, float], attempt: int, unknown: set[int]) -> set[int]:
        """What to suppress for a count still exposed after ``attempt - 1`` rounds.

        First the most used published count (nearest to it first), then everything left in
        its own row, then in every equation it is in, then every count its determination
        uses; each with its partners.
        """
        pool = {k for k in used if k not in unknown}
        if not pool and used:
            return set()  # what it depends on was suppressed earlier in this round: check again
        if not pool:  # pinned by the bounds: open an equation it is in
            pool = {k for e in self._live[i] for k in self._equations[e]
                    if k not in unknown and self._kinds[k] in _COST and self._values[k] > 0}
        if not pool:
            pool = self._candidates(i, unknown)
            if not pool:
                raise DisclosureError(
                    f"The count {self._keys[i]!r} is revealed by figures that are always published; "
                    "the tables were built wrongly."
                )
        top = max((used.get(k, 0.0) for k in pool), default=0.0)
        heavy = [k for k in pool if used.get(k, 0.0) >= 0.5 * top]
        if attempt <= 2:
            choice = self._closest(i, heavy) or set(heavy) or pool
            k = min(choice, key=lambda k: (self._growth(k, unknown), self._cost(k)))
            chosen = {k}
        elif attempt == 3:
            key = self._keys[i]
            chosen = {k for k in range(len(self._keys)) if k not in unknown and self._kinds[k] in _COST
                      and self._values[k] > 0 and isinstance(key, tuple) and isinstance(self._keys[k], tuple)
                      and self._keys[k][:3] == key[:3]} or set(heavy)
        elif attempt == 4:
            chosen = {k for e in self._live[i] for k in self._equations[e]
                      if k not in unknown and self._kinds[k] in _COST and self._values[k] > 0} or set(heavy)
        else:
            chosen = {k for k in pool if used.get(k, 0.0) >= 0.1 * top} or pool
        return chosen | set().union(*(self._partners(k, unknown | chosen) for k in chosen))

    def _closest(self, exposed: int, candidates: list[int]) -> set[int]:
        """Candidates in the exposed count's own row, else its table, else its question.

        Keys of table counts are tuples ``(question, table, row, item)``."""
        key = self._keys[exposed]
        if not isinstance(key, tuple):
            return set()
        for depth in (3, 2, 1):
            found = {k for k in candidates
                     if isinstance(self._keys[k], tuple) and self._keys[k][:depth] == key[:depth]}
            if found:
                return found
        return set()

    def _cost(self, i: int) -> tuple:
        return (_COST[self._kinds[i]], self._values[i], i)

    def _partners(self, k: int, unknown: set[int]) -> set[int]:
        """For each equation that would give ``k`` away on its own, its cheapest other count."""
        found: set[int] = set()
        for e in self._live[k]:
            others = [j for j in self._equations[e] if j != k]
            if any(j in unknown or j in found for j in others):
                continue
            pool = [j for j in others if self._kinds[j] in _COST and self._values[j] > 0]
            if pool:
                taken = unknown | found | {k}
                found.add(min(pool, key=lambda j: (self._pins(j, taken | {j}), self._cost(j))))
        return found

    def _owner(self, i: int) -> Hashable:
        key = self._keys[i]
        return key[0] if isinstance(key, tuple) and key else key

    def _candidates(self, exposed: int, unknown: set[int]) -> set[int]:
        """Published counts whose suppression would help protect ``exposed``.

        An equation with a single suppressed variable gives that variable away, so those
        are opened first (the exposed variable's own, then the others of its group); else
        any equation linked to it.
        """
        component = self._component_equations(exposed, unknown)
        singles = [e for e in component if sum(1 for j in self._equations[e] if j in unknown) == 1]
        own = [e for e in singles if exposed in self._equations[e]]
        for equations in (own, singles, component):
            candidates = {
                j
                for e in equations
                for j in self._equations[e]
                if j not in unknown and self._kinds[j] in _COST and self._values[j] > 0
            }
            if candidates:
                return candidates
        return set()

    def _component_equations(self, start: int, unknown: set[int]) -> list[int]:
        """The equations reachable from ``start`` through suppressed variables, nearest first."""
        order: list[int] = []
        seen_eq: set[int] = set()
        seen_var = {start}
        frontier = [start]
        while frontier:
            following = []
            for i in frontier:
                for e in self._live[i]:
                    if e in seen_eq:
                        continue
                    seen_eq.add(e)
                    order.append(e)
                    for j in self._equations[e]:
                        if j in unknown and j not in seen_var:
                            seen_var.add(j)
                            following.append(j)
            frontier = following
        return order
