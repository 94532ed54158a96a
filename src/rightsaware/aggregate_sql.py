"""The SQL behind :mod:`rightsaware.aggregate`: every count is a ``GROUP BY`` in the database.

One read transaction (a snapshot, so all tables of a run agree) holds a temporary table of
the responses in scope with their breakdown values; each query joins the answers to it and
groups by question, breakdown values and answer class. Results come back as small count
tables (a few rows per question and group), never as rows per respondent, so memory does
not grow with the number of responses. Quartiles stream ordered ``(value, count)`` rows and
keep only a running position.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from attrs import frozen
from sqlalchemy import Column, Connection, MetaData, String, Table, and_, case, func, literal, or_, select

from .store import tables as t

UNKNOWN = "_unknown"
NO_ANSWER = "_no_answer"
ANSWERED = "_answered"
AGE_BANDS = ((16, "16_24"), (25, "25_34"), (35, "35_44"), (45, "45_54"), (55, "55_64"), (65, "65_74"), (75, "75_plus"))


@frozen
class DimensionSource:
    """Where a breakdown's value comes from: a response column, a question, or an age in years."""

    name: str
    column: str | None = None  # "channel" or "language"
    question: str | None = None
    age: bool = False  # band the integer answer to ``question``


@frozen
class Scope:
    """Which responses count: one instrument, completed, not withdrawn, real unless synthetic ones are asked for."""

    instrument_id: str
    include_synthetic: bool = False
    version: str | None = None


def _filters(scope: Scope) -> list:
    r = t.responses
    where = [r.c.instrument_id == scope.instrument_id, r.c.status == "completed", t.not_withdrawn(r.c.id)]
    if not scope.include_synthetic:
        where.append(r.c.synthetic.is_(False))
    if scope.version is not None:
        where.append(r.c.instrument_version == scope.version)
    return where


def _age_band(value: Any) -> Any:
    whens = [(value.is_(None), literal(UNKNOWN)), (value < AGE_BANDS[0][0], literal("under_16"))]
    for (_low, name), (high, _next) in zip(AGE_BANDS, AGE_BANDS[1:]):
        whens.append((value < high, literal(name)))
    return case(*whens, else_=literal(AGE_BANDS[-1][1]))


class Snapshot:
    """A read transaction with the responses in scope in a temporary table ``scope``."""

    def __init__(self, connection: Connection, scope: Scope, dimensions: Sequence[DimensionSource]) -> None:
        self.connection = connection
        self.dimensions = tuple(dimensions)
        name = "ra_scope_" + secrets.token_hex(4)
        columns = [Column("id", String(t.ID), primary_key=True)]
        columns += [Column(f"d{i}", String(t.NAME)) for i in range(len(self.dimensions))]
        self.table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
        self.table.create(connection)
        self._fill(scope)

    def _fill(self, scope: Scope) -> None:
        r = t.responses
        source: Any = r
        values = [r.c.id]
        for i, dim in enumerate(self.dimensions):
            if dim.column is not None:
                values.append(r.c[dim.column])
                continue
            joined = t.answers.alias(f"j{i}")
            source = source.outerjoin(
                joined, and_(joined.c.response_id == r.c.id, joined.c.question == dim.question)
            )
            if dim.age:
                values.append(_age_band(joined.c.value_num))
            else:
                values.append(func.coalesce(joined.c.value_text, literal(UNKNOWN)))
        query = select(*values).select_from(source).where(*_filters(scope))
        self.connection.execute(self.table.insert().from_select([c.name for c in self.table.c], query))
        if self.connection.dialect.name == "postgresql":  # autovacuum never analyses temporary tables
            self.connection.exec_driver_sql(f"ANALYZE {self.table.name}")

    @property
    def keys(self) -> list:
        return [self.table.c[f"d{i}"] for i in range(len(self.dimensions))]

    def _joint(self, row: Sequence[Any], start: int) -> tuple[str, ...]:
        return tuple(UNKNOWN if v is None else str(v) for v in row[start : start + len(self.dimensions)])

    # -- counts -------------------------------------------------------------------------------
    def synthetic_left_out(self, scope: Scope) -> int:
        """Completed synthetic responses that this run leaves out (0 when they are included)."""
        if scope.include_synthetic:
            return 0
        r = t.responses
        where = [r.c.instrument_id == scope.instrument_id, r.c.status == "completed", r.c.synthetic.is_(True),
                 t.not_withdrawn(r.c.id)]
        if scope.version is not None:
            where.append(r.c.instrument_version == scope.version)
        return int(self.connection.scalar(select(func.count()).select_from(r).where(*where)) or 0)

    def sizes(self) -> dict[tuple[str, ...], int]:
        """Responses in scope by joint breakdown values."""
        query = select(*self.keys, func.count()).group_by(*self.keys)
        return {self._joint(row, 0): int(row[-1]) for row in self.connection.execute(query)}

    def answer_classes(self, questions: Sequence[str], single: Sequence[str]) -> dict[tuple, int]:
        """``(question, joint, class) -> count``: the code for single choice, else answered/no answer."""
        if not questions:
            return {}
        a = t.answers
        cls = case(
            (or_(a.c.skipped.is_(True), a.c.value_kind == "none"), literal(NO_ANSWER)),
            (a.c.question.in_(list(single) or [""]), a.c.value_text),
            else_=literal(ANSWERED),
        ).label("cls")
        # Breakdowns first in GROUP BY and no filter on question: SQLite then reads the answers
        # in key order (one pass) instead of through the question index (a lookup per row).
        query = (
            select(*self.keys, a.c.question, cls, func.count())
            .select_from(a.join(self.table, a.c.response_id == self.table.c.id))
            .group_by(*self.keys, a.c.question, cls)
        )
        wanted = set(questions)
        n = len(self.dimensions)
        return {
            (row[n], self._joint(row, 0), str(row[n + 1])): int(row[-1])
            for row in self.connection.execute(query) if row[n] in wanted
        }

    def mentions(self, questions: Sequence[str]) -> dict[tuple, int]:
        """``(question, joint, choice) -> respondents who chose it`` for multiple choice."""
        if not questions:
            return {}
        c = t.answer_choices
        query = (
            select(*self.keys, c.c.question, c.c.choice, func.count())
            .select_from(c.join(self.table, c.c.response_id == self.table.c.id))
            .group_by(*self.keys, c.c.question, c.c.choice)
        )
        wanted = set(questions)
        n = len(self.dimensions)
        return {(row[n], self._joint(row, 0), row[n + 1]): int(row[-1])
                for row in self.connection.execute(query) if row[n] in wanted}

    def apart_only(self, apart: Mapping[str, Sequence[str]]) -> dict[tuple, int]:
        """Multiple choice answered with "don't know"-type options only, by the first such option.

        ``apart`` maps a question to its codes shown apart from the base, in choice order.
        Returns ``(question, joint, code) -> respondents``.
        """
        apart = {q: list(codes) for q, codes in apart.items() if codes}
        if not apart:
            return {}
        c = t.answer_choices
        rank = case(
            *[
                (and_(c.c.question == q, c.c.choice == code), literal(n))
                for q, codes in apart.items()
                for n, code in enumerate(codes)
            ],
            else_=None,
        )
        per_response = (
            select(
                c.c.response_id,
                c.c.question,
                func.min(rank).label("first"),
                func.sum(case((rank.is_(None), 1), else_=0)).label("others"),
            )
            .where(c.c.question.in_(list(apart)))
            .group_by(c.c.response_id, c.c.question)
            .subquery()
        )
        query = (
            select(per_response.c.question, *self.keys, per_response.c.first, func.count())
            .select_from(per_response.join(self.table, per_response.c.response_id == self.table.c.id))
            .where(per_response.c.others == 0)
            .group_by(per_response.c.question, *self.keys, per_response.c.first)
        )
        found = {}
        for row in self.connection.execute(query):
            code = apart[row[0]][int(row[-2])]
            found[(row[0], self._joint(row, 1), code)] = int(row[-1])
        return found

    def awareness(self, rights: Sequence[str], known: str = "yes") -> dict[tuple, tuple[int, float]]:
        """``(joint, band) -> (respondents, sum of shares known)`` over the rights questions.

        A respondent's score is the rights they said they knew out of the rights they were
        asked (and answered). Bands: none, under half, half or more, all.
        """
        if not rights:
            return {}
        a = t.answers
        # One pass in key order (grouped by response as stored): no lookup through the
        # question index for each row, which is slower than reading every answer.
        counted = and_(a.c.question.in_(list(rights)), a.c.value_kind != "none", a.c.skipped.is_(False))
        per_response = (
            select(
                a.c.response_id,
                func.sum(case((and_(counted, a.c.value_text == known), 1), else_=0)).label("k"),
                func.sum(case((counted, 1), else_=0)).label("m"),
            )
            .group_by(a.c.response_id)
            .subquery()
        )
        k, m = per_response.c.k, per_response.c.m
        band = case((k == 0, literal("none")), (k * 2 < m, literal("some")), (k < m, literal("most")),
                    else_=literal("all")).label("band")
        query = (
            select(*self.keys, band, func.count(), func.sum(k * 1.0 / m))
            .select_from(per_response.join(self.table, per_response.c.response_id == self.table.c.id))
            .where(m > 0)
            .group_by(*self.keys, band)
        )
        return {
            (self._joint(row, 0), row[-3]): (int(row[-2]), float(row[-1] or 0.0))
            for row in self.connection.execute(query)
        }

    def ordered_values(
        self, question: str, dimension: int | None, groups: Mapping[str, str], numeric: bool
    ) -> Iterator[tuple[str, Any, int]]:
        """``(group, value, count)`` in group then value order, for quartiles.

        ``dimension`` is the breakdown's index (``None`` for everyone); ``groups`` maps its
        raw values to published groups (combined groups share a key).
        """
        a = t.answers
        value = a.c.value_num if numeric else a.c.value_text
        if dimension is None:
            group: Any = literal("_all")
        else:
            raw = func.coalesce(self.table.c[f"d{dimension}"], literal(UNKNOWN))
            group = case(*[(raw == k, literal(v)) for k, v in groups.items()], else_=literal(UNKNOWN))
        group = group.label("g")
        query = (
            select(group, value, func.count())
            .select_from(a.join(self.table, a.c.response_id == self.table.c.id))
            .where(a.c.question == question, a.c.skipped.is_(False), value.is_not(None))
            .group_by(group, value)
            .order_by(group, value)
        )
        for row in self.connection.execute(query, execution_options={"stream_results": True, "yield_per": 2000}):
            yield str(row[0]), row[1], int(row[2])

    def free_text(self, question: str, limit: int) -> tuple[list[str], int]:
        """Up to ``limit`` free-text answers to ``question`` (sorted later), and how many there are."""
        a = t.answers
        text = func.coalesce(a.c.value_text, a.c.value_long)
        base = (
            select(text)
            .select_from(a.join(self.table, a.c.response_id == self.table.c.id))
            .where(a.c.question == question, a.c.value_kind == "text", a.c.skipped.is_(False))
        )
        total = self.connection.scalar(select(func.count()).select_from(base.subquery()))
        rows = self.connection.execute(base.order_by(text).limit(limit))
        return [str(r[0]) for r in rows if r[0]], int(total or 0)


@contextmanager
def snapshot(engine: Any, scope: Scope, dimensions: Sequence[DimensionSource]) -> Iterator[Snapshot]:
    """A :class:`Snapshot` in one read transaction; the temporary table is dropped afterwards."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snap = Snapshot(connection, scope, dimensions)
            try:
                yield snap
            finally:
                snap.table.drop(connection)


def quantiles(stream: Iterator[tuple[str, Any, int]], totals: Mapping[str, int],
              points: Sequence[float] = (0.25, 0.5, 0.75)) -> dict[str, tuple[Any, ...]]:
    """Quartiles by group from ordered ``(group, value, count)`` rows, in constant memory.

    Linear interpolation between order statistics (the common "type 7" definition, as in
    NumPy and pandas); for dates the lower of the two is taken. ``totals`` gives each
    group's number of values.
    """
    found: dict[str, tuple[Any, ...]] = {}
    for group, rows in itertools.groupby(stream, key=lambda r: r[0]):
        n = totals.get(group, 0)
        if n <= 0:
            continue
        wanted = []
        for p in points:
            h = (n - 1) * p
            low = int(h)
            wanted.append((low, min(low + 1, n - 1), h - low))
        positions = sorted({i for lo, hi, _ in wanted for i in (lo, hi)})
        values: dict[int, Any] = {}
        seen = 0
        pending = iter(positions)
        target = next(pending, None)
        for _group, value, count in rows:
            while target is not None and target < seen + count:
                values[target] = value
                target = next(pending, None)
            seen += count
        result = []
        for lo, hi, frac in wanted:
            a, b = values.get(lo), values.get(hi)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                result.append(a + (b - a) * frac)
            else:
                result.append(a)
        found[group] = tuple(result)
    return found
