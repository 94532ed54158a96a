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

from attrs import frozen

from .disclosure_blas import one_blas_thread
from .disclosure_checks import BASE, CELL, FIXED, HIDDEN, SIZE, TOTAL, ChecksMixin, DisclosureError
from .disclosure_choice import ChoiceMixin
from .errors import ConfigError
from .i18n import N_

DEFAULT_THRESHOLD = 10
MIN_THRESHOLD = 3


def check_threshold(threshold: Any) -> int:
    """The suppression threshold as an int; a ConfigError when it is below 3 or not a number."""
    from .i18n import _

    if isinstance(threshold, bool) or not isinstance(threshold, int):
        try:
            threshold = int(str(threshold))
        except ValueError:
            raise ConfigError(_("The smallest count shown must be a whole number, not {value}.",
                                value=str(threshold)[:20])) from None
    if threshold < MIN_THRESHOLD:
        raise ConfigError(_("The smallest count shown may not be below {minimum}: smaller counts could identify "
                            "people (asked for {value}).", minimum=MIN_THRESHOLD, value=threshold))
    return threshold


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


class SuppressionProblem(ChecksMixin, ChoiceMixin):
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
            raise DisclosureError(N_("A count cannot be negative ({key} = {value})."), params={"key": repr(key), "value": value})
        if key in self._index:
            if self._values[self._index[key]] != value:
                raise DisclosureError(N_("Two different values for {key}."), params={"key": repr(key)})
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
            raise DisclosureError(N_("Inconsistent tables: {described} does not add up."), params={"described": described})
        number = len(self._equations)
        self._equations.append(row)
        for i in row:
            self._by_var[i].append(number)

    # -- solving ----------------------------------------------------------------------------
    def solve(self) -> Suppression:
        """Primary then secondary suppression until no small count can be worked out."""
        with one_blas_thread():
            return self._solve()

    def _solve(self) -> Suppression:
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
                raise DisclosureError(N_("Disclosure control could not protect every small count; nothing is published."))
            unknown |= added
        secondary = unknown - primary - hidden
        return Suppression(
            threshold=t,
            primary=frozenset(self._keys[i] for i in primary),
            secondary=frozenset(self._keys[i] for i in secondary),
        )


__all__ = ["BASE", "CELL", "DEFAULT_THRESHOLD", "FIXED", "HIDDEN", "MIN_THRESHOLD", "SIZE", "TOTAL",
           "DisclosureError", "Suppression", "SuppressionProblem", "check_threshold"]
