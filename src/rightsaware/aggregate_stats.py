"""Statistics for the results: Wilson intervals, the chi-square test by channel, and the
published national figures that the "influence" item is shown beside.

The national figures come from the project's domain brief (``briefs/domain.md`` §2.1),
with year and source; their text is marked for translation and translated when shown.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

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
