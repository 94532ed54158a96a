"""Choosing secondary suppressions for :mod:`rightsaware.disclosure`.

For each small count that the published figures still give away, a few more published
counts are suppressed: ones that alone would stop it (found from the left null space);
else one from every equation that gives it away on its own, chosen to need the fewest
further suppressions; else, escalating round by round, the counts its determination uses,
its whole row, and every equation it is in. Ordinary cells go before totals, bases and the
number of responses, and smaller before larger.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .disclosure_checks import COST, DisclosureError


class ChoiceMixin:
    """The choosing half of :class:`rightsaware.disclosure.SuppressionProblem`."""

    _keys: list[Any]
    _values: list[int]
    _kinds: list[str]
    _equations: list[dict[int, int]]
    _live: list[list[int]]

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
            best = min(reach, key=lambda c: (-reach[c], self._owner(c) not in owners, COST[self._kinds[c]],
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
                          and self._kinds[k] in COST and self._values[k] > 0]
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
                    if k not in unknown and self._kinds[k] in COST and self._values[k] > 0}
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
            chosen = {k for k in range(len(self._keys)) if k not in unknown and self._kinds[k] in COST
                      and self._values[k] > 0 and isinstance(key, tuple) and isinstance(self._keys[k], tuple)
                      and self._keys[k][:3] == key[:3]} or set(heavy)
        elif attempt == 4:
            chosen = {k for e in self._live[i] for k in self._equations[e]
                      if k not in unknown and self._kinds[k] in COST and self._values[k] > 0} or set(heavy)
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
        return (COST[self._kinds[i]], self._values[i], i)

    def _partners(self, k: int, unknown: set[int]) -> set[int]:
        """For each equation that would give ``k`` away on its own, its cheapest other count."""
        found: set[int] = set()
        for e in self._live[k]:
            others = [j for j in self._equations[e] if j != k]
            if any(j in unknown or j in found for j in others):
                continue
            pool = [j for j in others if self._kinds[j] in COST and self._values[j] > 0]
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
                if j not in unknown and self._kinds[j] in COST and self._values[j] > 0
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
