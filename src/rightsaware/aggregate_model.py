"""The published results of one aggregation run, after disclosure control.

These classes hold only what may be published: a suppressed :class:`Cell` has no count,
proportion or interval. Reports, exports, the dashboard and the JSON API all read them, so
every output shows the same, protected figures. :meth:`Results.to_json` gives the JSON
form (a suppressed cell is ``{"suppressed": true}`` and nothing else).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import field, frozen

ALL = "_all"  # the key of the everyone row
OTHER = "_other"  # the key prefix of a combined group of small groups


@frozen
class Cell:
    """A published count with its proportion of the row's base and a 95% Wilson interval."""

    count: int | None = None
    suppressed: bool = False
    proportion: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    share: float | None = None  # multiple choice: share of all mentions

    @classmethod
    def hidden(cls) -> Cell:
        return cls(suppressed=True)

    def to_json(self) -> dict[str, Any]:
        if self.suppressed:
            return {"suppressed": True}
        data: dict[str, Any] = {"count": self.count, "suppressed": False}
        if self.proportion is not None:
            data["proportion"] = round(self.proportion, 4)
            data["ci"] = [round(self.ci_low, 4), round(self.ci_high, 4)]
        if self.share is not None:
            data["share_of_mentions"] = round(self.share, 4)
        return data


@frozen
class Stats:
    """Median and quartiles of a number or date question (only for rows that may show them)."""

    q1: Any
    median: Any
    q3: Any

    def to_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, dt.date):
                return value.isoformat()
            return round(value, 4) if isinstance(value, float) else value

        return {"q1": plain(self.q1), "median": plain(self.median), "q3": plain(self.q3)}


@frozen(kw_only=True)
class Row:
    """One group's figures for one question (or everyone's, with group ``_all``)."""

    group: str
    size: Cell | None = None  # published for everyone only (group sizes are kept hidden)
    cells: dict[str, Cell] = field(factory=dict)  # substantive codes (mentions for multiple choice)
    apart: dict[str, Cell] = field(factory=dict)  # don't know, prefer not to say: not in the base
    base: Cell = field(factory=Cell)
    answered: Cell = field(factory=Cell)
    no_answer: Cell = field(factory=Cell)
    not_asked: Cell | None = None  # published for everyone only
    agree: Cell | None = None
    mentions: Cell | None = None
    stats: Stats | None = None
    mean: float | None = None  # awareness: mean share of rights known

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "group": self.group,
            "cells": {code: cell.to_json() for code, cell in self.cells.items()},
            "apart_from_base": {code: cell.to_json() for code, cell in self.apart.items()},
            "base": self.base.to_json(),
            "answered": self.answered.to_json(),
            "no_answer": self.no_answer.to_json(),
        }
        if self.size is not None:
            data["respondents"] = self.size.to_json()
        if self.not_asked is not None:
            data["not_asked"] = self.not_asked.to_json()
        if self.agree is not None:
            data["agree"] = self.agree.to_json()
        if self.mentions is not None:
            data["mentions"] = self.mentions.to_json()
        if self.stats is not None:
            data["stats"] = self.stats.to_json()
        if self.mean is not None:
            data["mean_share_known"] = round(self.mean, 4)
        return data


@frozen(kw_only=True)
class Table:
    """A question's figures by one breakdown (``dimension`` None: everyone)."""

    question: str
    kind: str  # single, multiple, number, date, text, awareness
    dimension: str | None
    codes: tuple[str, ...]
    apart_codes: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()

    def row(self, group: str) -> Row:
        for row in self.rows:
            if row.group == group:
                return row
        raise KeyError(group)

    def to_json(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "codes": list(self.codes), "apart_codes": list(self.apart_codes),
                "rows": [row.to_json() for row in self.rows]}


@frozen(kw_only=True)
class QuestionResult:
    name: str
    kind: str
    overall: Table
    by: dict[str, Table] = field(factory=dict)
    agree_codes: tuple[str, ...] = ()
    free_text: tuple[str, ...] | None = None  # only when asked for and allowed
    free_text_total: int = 0

    def to_json(self) -> dict[str, Any]:
        data = {"question": self.name, "kind": self.kind, "overall": self.overall.to_json(),
                "by": {name: table.to_json() for name, table in self.by.items()}}
        if self.agree_codes:
            data["agree_codes"] = list(self.agree_codes)
        if self.free_text is not None:
            data["free_text"] = list(self.free_text)
        return data


@frozen
class Group:
    """A published group of a breakdown; a combined group lists the groups it merges."""

    key: str
    members: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key}
        if self.members:
            data["combines"] = list(self.members)
        return data


@frozen(kw_only=True)
class Dimension:
    name: str
    question: str | None  # the question it comes from, if any
    groups: tuple[Group, ...]
    requested: bool = True  # False: added for the mode comparison or benchmark only
    dropped: bool = False  # too few respondents in too many groups to show it at all

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "question": self.question, "requested": self.requested,
                "dropped": self.dropped, "groups": [g.to_json() for g in self.groups]}


@frozen(kw_only=True)
class ModeTest:
    """Chi-square test of answers by channel for one question."""

    question: str
    shown: bool
    reason: str = ""  # why not shown: suppressed, one_channel, too_few
    statistic: float | None = None
    dof: int | None = None
    p_value: float | None = None
    small_expected: bool = False  # some expected counts below 5: treat the p-value with care

    def to_json(self) -> dict[str, Any]:
        if not self.shown:
            return {"question": self.question, "shown": False, "reason": self.reason}
        return {"question": self.question, "shown": True, "chi_square": round(self.statistic, 3),
                "dof": self.dof, "p_value": round(self.p_value, 4), "small_expected_counts": self.small_expected}


@frozen(kw_only=True)
class Benchmark:
    """The "I can influence decisions affecting my local area" item beside the national surveys."""

    question: str
    agree_codes: tuple[str, ...]
    ours: Row  # overall: agree and answered cells
    by_nation: tuple[Row, ...] = ()
    published: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        def ours(row: Row) -> dict[str, Any]:
            return {"group": row.group, "agree": (row.agree or Cell.hidden()).to_json(),
                    "answered": row.answered.to_json()}

        return {"question": self.question, "agree_codes": list(self.agree_codes), "ours": ours(self.ours),
                "by_nation": [ours(r) for r in self.by_nation], "published": list(self.published),
                "comparison": "context only, not like-for-like"}


@frozen(kw_only=True)
class Results:
    """Everything one run publishes."""

    instrument_id: str
    instrument_version: str
    generated_at: dt.datetime
    threshold: int
    include_synthetic: bool
    responses: int | None  # None when fewer than the threshold (nothing else is published) or hidden
    responses_hidden: bool = False  # the total is hidden because it would reveal a small count
    synthetic_left_out: int = 0
    dimensions: tuple[Dimension, ...] = ()
    questions: tuple[QuestionResult, ...] = ()
    awareness: QuestionResult | None = None
    rights: tuple[str, ...] = ()
    mode_tests: tuple[ModeTest, ...] = ()
    benchmark: Benchmark | None = None
    primary_suppressed: int = 0
    secondary_suppressed: int = 0

    @property
    def too_few(self) -> bool:
        return self.responses is None and not self.responses_hidden

    def question(self, name: str) -> QuestionResult:
        for result in self.questions:
            if result.name == name:
                return result
        raise KeyError(name)

    def dimension(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument_id,
            "version": self.instrument_version,
            "generated_at": self.generated_at.isoformat(),
            "disclosure_control": {
                "threshold": self.threshold,
                "primary_suppressed": self.primary_suppressed,
                "secondary_suppressed": self.secondary_suppressed,
                "rule": "counts from 1 to threshold-1 are suppressed, with secondary suppression so that "
                        "none can be worked out from totals or other tables of this run",
            },
            "include_synthetic": self.include_synthetic,
            "synthetic_left_out": self.synthetic_left_out,
            "responses": {"suppressed": True} if self.responses is None else {"count": self.responses},
            "dimensions": [d.to_json() for d in self.dimensions],
            "questions": [q.to_json() for q in self.questions],
            "awareness": None if self.awareness is None else {**self.awareness.to_json(),
                                                                "rights": list(self.rights)},
            "mode_comparison": [m.to_json() for m in self.mode_tests],
            "benchmark": None if self.benchmark is None else self.benchmark.to_json(),
        }
