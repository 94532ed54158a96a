"""Statistics for the results: Wilson intervals, the chi-square test by channel, quartiles
from one value-ordered stream, and the published national figures that the "influence"
item is shown beside.

The national figures come from the project's domain brief (``briefs/domain.md`` §2.1),
with year and source; their text is marked for translation and translated when shown.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from .i18n import N_

CONFIDENCE = 0.95

#: The statement both national surveys use, in their English wording.
INFLUENCE_STATEMENT = "I can influence decisions affecting my local area"
INFLUENCE_BENCHMARK = "influence_local_decisions"
DEFAULT_AGREE = ("strongly_agree", "agree", "tend_to_agree", "somewhat_agree")
DEFAULT_APART = ("dont_know", "prefer_not_to_say", "prefer_not", "no_opinion_dont_know")

#: Latest published figures for "I can influence decisions affecting my local area".
PUBLISHED_FIGURES: tuple[dict, ...] = (
    {
        "nation": "wales",
        "survey": N_("National Survey for Wales"),
        "period": "2021-22",
        "percent": 30.0,
        "measure": N_("adults aged 16 and over who agree or strongly agree"),
        "source": N_("Welsh Government, Wellbeing of Wales 2022 (National Well-being Indicator 23)"),
        "note": N_("A telephone survey during the pandemic; the figure rose from 19% in 2018-19. "
                   "Wellbeing of Wales 2025 reports the 2024-25 figure back within one point of the "
                   "2018-19 level (its exact value was not found in the sources read)."),
    },
    {
        "nation": "scotland",
        "survey": N_("Scottish Household Survey"),
        "period": "2019",
        "percent": 17.8,
        "measure": N_("adults who strongly agree or tend to agree"),
        "source": N_("Scottish Government, Scottish Household Survey annual report 2019; National "
                     "Performance Framework indicator \"Influence over local decisions\""),
        "note": N_("The lowest figure since 2007. The 2020 telephone survey gave 25%, which is not "
                   "comparable with earlier years; no later national figure was found in the sources read."),
    },
)


@functools.lru_cache(maxsize=8)
def _quantile(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def wilson(count: int, base: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval for ``count`` out of ``base`` (SciPy's normal quantile).

    Equal to ``scipy.stats.binomtest(count, base).proportion_ci(method="wilson")`` but
    without the exact p-value that ``binomtest`` also computes.
    """
    if base <= 0:
        raise ValueError("the base of a proportion must be positive")
    z = _quantile(confidence)
    p = count / base
    denominator = 1 + z * z / base
    centre = (p + z * z / (2 * base)) / denominator
    half = z * math.sqrt(p * (1 - p) / base + z * z / (4 * base * base)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def chi_square(table: Sequence[Sequence[int]]) -> tuple[float, int, float, bool] | None:
    """``(statistic, degrees of freedom, p-value, some expected counts below 5)``.

    Rows are channels, columns answers. Empty rows and columns are dropped; ``None`` when
    fewer than two of either remain.
    """
    matrix = np.asarray(table, dtype=float)
    if matrix.ndim != 2:
        return None
    matrix = matrix[matrix.sum(axis=1) > 0]
    if matrix.size == 0:
        return None
    matrix = matrix[:, matrix.sum(axis=0) > 0]
    if matrix.shape[0] < 2 or matrix.shape[1] < 2:
        return None
    result = stats.chi2_contingency(matrix, correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue), bool((result.expected_freq < 5).any())


def figures_for(jurisdiction: str | None) -> tuple[dict, ...]:
    """The published figures, the instrument's own nation first."""
    return tuple(sorted(PUBLISHED_FIGURES, key=lambda f: f["nation"] != (jurisdiction or "")))


class _Positions:
    """The order statistics one group's quartiles need, picked up as its values stream past."""

    def __init__(self, n: int, points: Sequence[float]) -> None:
        self.wanted = []
        for p in points:
            h = (n - 1) * p
            low = int(h)
            self.wanted.append((low, min(low + 1, n - 1), h - low))
        self.pending = sorted({i for lo, hi, _ in self.wanted for i in (lo, hi)})
        self.next = 0
        self.seen = 0
        self.values: dict[int, Any] = {}

    def add(self, value: Any, count: int) -> None:
        while self.next < len(self.pending) and self.pending[self.next] < self.seen + count:
            self.values[self.pending[self.next]] = value
            self.next += 1
        self.seen += count

    def result(self) -> tuple[Any, ...]:
        found = []
        for lo, hi, frac in self.wanted:
            a, b = self.values.get(lo), self.values.get(hi)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                found.append(a + (b - a) * frac)
            else:
                found.append(a)
        return tuple(found)


def quantiles(stream: Iterable[tuple[Any, tuple[str, ...], int]],
              groupings: Mapping[Any, Callable[[tuple[str, ...]], str | None]],
              totals: Mapping[Any, Mapping[str, int]],
              points: Sequence[float] = (0.25, 0.5, 0.75)) -> dict[Any, dict[str, tuple[Any, ...]]]:
    """Quartiles of every grouping from one value-ordered ``(value, joint, count)`` stream.

    ``groupings`` maps a key (a breakdown, or None for everyone) to the function giving a
    joint value's group; ``totals[key][group]`` is how many values that group has (groups
    left out of ``totals`` are not computed). Memory holds a few positions per group,
    whatever the number of rows. Linear interpolation between order statistics (the common
    "type 7" definition, as in NumPy and pandas); for dates the lower of the two is taken.
    """
    trackers = {(key, group): _Positions(n, points)
                for key, groups in totals.items() for group, n in groups.items() if n > 0}
    for value, joint, count in stream:
        for key, group_of in groupings.items():
            tracker = trackers.get((key, group_of(joint)))
            if tracker is not None:
                tracker.add(value, count)
    found: dict[Any, dict[str, tuple[Any, ...]]] = {key: {} for key in totals}
    for (key, group), tracker in trackers.items():
        found[key][group] = tracker.result()
    return found
