"""Turning protected count tables into :class:`~rightsaware.aggregate_model.Results`.

Only here do counts leave the disclosure problem, and only for variables that are not
suppressed: a proportion (and its interval) is given only when both the count and its base
are published, quartiles only for rows with at least ``threshold`` published answers, the
mean awareness score only where every "yes" it summarises is published, and a chi-square
test only when none of the cells it uses is suppressed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .aggregate_model import ALL, Benchmark, Cell, ModeTest, QuestionResult, Results, Row, Stats, Table
from .aggregate_stats import INFLUENCE_BENCHMARK, INFLUENCE_STATEMENT, chi_square, figures_for, quantiles, wilson
from .aggregate_tables import AWARENESS, RunTables, Spec, answered_item
from .disclosure import Suppression

FREE_TEXT_LIMIT = 1000


class Publisher:
    """Reads published values out of the problem, never suppressed ones."""

    def __init__(self, tables: RunTables, suppression: Suppression) -> None:
        self.tables = tables
        self.problem = tables.problem
        self.suppression = suppression
        self.threshold = suppression.threshold

    def shown(self, key: Any) -> bool:
        return key in self.problem and not self.suppression.is_suppressed(key)

    def count(self, key: Any) -> int | None:
        return self.problem.value(key) if self.shown(key) else None

    def cell(self, key: Any, base: Any = None, share: Any = None) -> Cell:
        if key not in self.problem:
            return Cell(count=0)
        if not self.shown(key):
            return Cell.hidden()
        count = self.problem.value(key)
        proportion = low = high = share_value = None
        denominator = self.count(base) if base is not None else None
        if denominator:
            proportion = count / denominator
            low, high = wilson(count, denominator)
        total = self.count(share) if share is not None else None
        if total:
            share_value = count / total
        return Cell(count=count, proportion=proportion, ci_low=low, ci_high=high, share=share_value)

    def row(self, spec: Spec, view: str | None, group: str) -> Row:
        key = (spec.name, view, group)
        answered = key + (answered_item(spec),)
        if spec.kind in ("single", "awareness", "multiple"):
            share = key + ("mentions",) if spec.kind == "multiple" else None
            cells = {c: self.cell(key + (("c", c),), key + ("base",), share) for c in spec.codes}
            mark = "a" if spec.kind == "multiple" else "c"
            apart = {c: self.cell(key + ((mark, c),), answered) for c in spec.apart}
            base = self.cell(key + ("base",))
        else:
            cells, apart = {}, {}
            base = self.cell(key + ("answered",))
        overall = view is None
        return Row(
            group=group,
            size=self.cell(("_size", None, ALL)) if overall else None,
            cells=cells,
            apart=apart,
            base=base,
            answered=self.cell(answered),
            no_answer=self.cell(key + ("no_answer",)),
            agree=self.cell(key + ("agree",), key + ("base",)) if spec.agree else None,
            mentions=self.cell(key + ("mentions",)) if spec.kind == "multiple" else None,
        )

    def table(self, spec: Spec, view: str | None) -> Table:
        groups = [ALL] if view is None else self.tables.groups(view)
        rows = tuple(self.row(spec, view, g) for g in groups if (spec.name, view, g) in self.tables.rows)
        return Table(question=spec.name, kind=spec.kind, dimension=view, codes=spec.codes,
                     apart_codes=spec.apart, rows=rows)


def _with_stats(pub: Publisher, snap: Any, spec: Spec, tables: dict[str | None, Table]) -> dict[str | None, Table]:
    """Median and quartiles for every row big enough, all breakdowns from one pass over the values."""
    eligible = {}
    for key, table in tables.items():
        groups = {row.group: row.answered.count for row in table.rows
                  if row.answered.count is not None and row.answered.count >= pub.threshold}
        if groups:
            eligible[key] = groups
    if not eligible:
        return tables
    views = {v.key: v for v in pub.tables.views}
    numeric = spec.kind == "number"
    found = quantiles(snap.ordered_values(spec.name, numeric), {key: views[key].group for key in eligible}, eligible)
    return {key: _stats_rows(table, found.get(key, {}), numeric) for key, table in tables.items()}


def _stats_rows(table: Table, found: dict[str, tuple[Any, ...]], numeric: bool) -> Table:
    rows = []
    for row in table.rows:
        values = found.get(row.group)
        if values is not None and not numeric:
            values = tuple(dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values)
        rows.append(row if values is None else _evolve(row, stats=Stats(*values)))
    return Table(question=table.question, kind=table.kind, dimension=table.dimension, codes=table.codes,
                 apart_codes=table.apart_codes, rows=tuple(rows))


def _evolve(row: Row, **changes: Any) -> Row:
    import attrs

    return attrs.evolve(row, **changes)


def _awareness_means(pub: Publisher, table: Table, rights: tuple[str, ...]) -> Table:
    rows = []
    for row in table.rows:
        key = (AWARENESS, table.dimension, row.group)
        answered = row.answered.count
        yes_shown = all(pub.shown((r, table.dimension, row.group, ("c", "yes")))
                        for r in rights if (r, table.dimension, row.group) in pub.tables.rows)
        raw = pub.tables.rows.get(key)
        if answered and answered >= pub.threshold and yes_shown and raw is not None:
            row = _evolve(row, mean=raw.score / answered)
        rows.append(row)
    return Table(question=table.question, kind=table.kind, dimension=table.dimension, codes=table.codes,
                 apart_codes=table.apart_codes, rows=tuple(rows))


def _mode_test(pub: Publisher, spec: Spec) -> ModeTest:
    groups = pub.tables.groups("channel") if any(v.key == "channel" for v in pub.tables.views) else []
    if len(groups) < 2:
        return ModeTest(question=spec.name, shown=False, reason="one_channel")
    keys = [[(spec.name, "channel", g, ("c", c)) for c in spec.codes] for g in groups]
    if not all(pub.shown(k) for row in keys for k in row):
        return ModeTest(question=spec.name, shown=False, reason="suppressed")
    result = chi_square([[pub.problem.value(k) for k in row] for row in keys])
    if result is None:
        return ModeTest(question=spec.name, shown=False, reason="too_few")
    statistic, dof, p_value, small = result
    return ModeTest(question=spec.name, shown=True, statistic=statistic, dof=dof, p_value=p_value,
                    small_expected=small)


def _benchmark(pub: Publisher, instrument: Any, specs: dict[str, Spec], dimensions: list) -> Benchmark | None:
    for question in instrument.questions:
        spec = specs.get(question.name)
        if spec is None or not spec.agree:
            continue
        statement = INFLUENCE_STATEMENT.casefold()
        if question.meta.get("benchmark") != INFLUENCE_BENCHMARK and statement not in question.label.casefold():
            continue

        def ours(view: str | None, group: str, name: str = question.name) -> Row:
            key = (name, view, group)
            answered = key + (answered_item(spec),)
            return Row(group=group, agree=pub.cell(key + ("agree",), answered), answered=pub.cell(answered))

        nation = next((d for d in dimensions if d.name == "nation" and d.requested and not d.dropped), None)
        by_nation = tuple(ours("nation", g) for g in pub.tables.groups("nation")
                          if (question.name, "nation", g) in pub.tables.rows) if nation else ()
        return Benchmark(question=question.name, agree_codes=spec.agree, ours=ours(None, ALL), by_nation=by_nation,
                         published=figures_for(instrument.jurisdiction))
    return None


def results(tables: RunTables, suppression: Suppression, snap: Any, *, instrument: Any, dimensions: list,
            rights: tuple[str, ...], include_free_text: bool, **fields: Any) -> Results:
    pub = Publisher(tables, suppression)
    views = [v for v in tables.views if v.published and v.key is not None]
    found = []
    for spec in tables.specs.values():
        if spec.name == AWARENESS:
            continue
        overall = pub.table(spec, None)
        by = {v.key: pub.table(spec, v.key) for v in views if v.dimension != spec.name}
        if spec.kind in ("number", "date"):
            with_stats = _with_stats(pub, snap, spec, {None: overall, **by})
            overall = with_stats.pop(None)
            by = with_stats
        texts, total = None, 0
        answered = overall.rows[0].answered.count if overall.rows else None
        if include_free_text and spec.kind == "text" and answered and answered >= pub.threshold:
            found_texts, total = snap.free_text(spec.name, FREE_TEXT_LIMIT)
            texts = tuple(sorted(found_texts, key=str.casefold))
        found.append(QuestionResult(name=spec.name, kind=spec.kind, overall=overall, by=by, agree_codes=spec.agree,
                                    free_text=texts, free_text_total=total))
    awareness = None
    if AWARENESS in tables.specs:
        spec = tables.specs[AWARENESS]
        awareness = QuestionResult(
            name=AWARENESS, kind="awareness", overall=_awareness_means(pub, pub.table(spec, None), rights),
            by={v.key: _awareness_means(pub, pub.table(spec, v.key), rights) for v in views},
        )
    modes = tuple(_mode_test(pub, s) for s in tables.specs.values() if s.kind == "single")
    if not pub.shown(("_size", None, ALL)):
        fields["responses"] = None
        fields["responses_hidden"] = True
    return Results(
        dimensions=tuple(dimensions), questions=tuple(found), awareness=awareness, rights=rights,
        mode_tests=modes, benchmark=_benchmark(pub, instrument, tables.specs, dimensions),
        primary_suppressed=len(suppression.primary), secondary_suppressed=len(suppression.secondary), **fields,
    )
