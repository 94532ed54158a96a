"""The SQL behind :mod:`rightsaware.aggregate`: every count is a ``GROUP BY`` in the database.

One read transaction (a snapshot, so all tables of a run agree) holds a temporary table of
the responses in scope with their breakdown values and a small integer ``g`` numbering each
combination of them; each query joins the answers to it and groups by question, ``g`` and
answer class (SQLite groups by sorting, and an integer sorts faster than the breakdown
texts). Results come back as small count tables (a few rows per question and group), never
as rows per respondent, so memory does not grow with the number of responses. Quartiles of
every breakdown come from one ordered stream of ``(value, g, count)`` rows per question,
keeping only a running position per group.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from attrs import frozen
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)

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
        columns.append(Column("g", Integer()))
        self.table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
        self.table.create(connection)
        self._fill(scope)
        self.joints = self._read_joints()

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
        inner = select(*[v.label(f"v{i}") for i, v in enumerate(values)]).select_from(source).where(
            *_filters(scope)).subquery()
        keys = list(inner.c)[1:]
        number = func.dense_rank().over(order_by=keys) if keys else literal(1)
        query = select(*inner.c, number)
        self.connection.execute(self.table.insert().from_select([c.name for c in self.table.c], query))
        if self.connection.dialect.name == "postgresql":  # autovacuum never analyses temporary tables
            self.connection.exec_driver_sql(f"ANALYZE {self.table.name}")

    def _read_joints(self) -> dict[int, tuple[str, ...]]:
        """``g -> (breakdown values)`` for every combination present in scope."""
        keys = [self.table.c[f"d{i}"] for i in range(len(self.dimensions))]
        rows = self.connection.execute(select(self.table.c.g, *keys).distinct())
        return {int(row[0]): tuple(UNKNOWN if v is None else str(v) for v in row[1:]) for row in rows}

    def _joint(self, g: Any) -> tuple[str, ...]:
        return self.joints[int(g)]

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
        g = self.table.c.g
        query = select(g, func.count()).group_by(g)
        return {self._joint(row[0]): int(row[1]) for row in self.connection.execute(query)}

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
        g = self.table.c.g
        query = (
            select(g, a.c.question, cls, func.count())
            .select_from(a.join(self.table, a.c.response_id == self.table.c.id))
            .group_by(g, a.c.question, cls)
        )
        wanted = set(questions)
        return {
            (row[1], self._joint(row[0]), str(row[2])): int(row[3])
            for row in self.connection.execute(query) if row[1] in wanted
        }

    def mentions(self, questions: Sequence[str]) -> dict[tuple, int]:
        """``(question, joint, choice) -> respondents who chose it`` for multiple choice."""
        if not questions:
            return {}
        c = t.answer_choices
        g = self.table.c.g
        query = (
            select(g, c.c.question, c.c.choice, func.count())
            .select_from(c.join(self.table, c.c.response_id == self.table.c.id))
            .group_by(g, c.c.question, c.c.choice)
        )
        wanted = set(questions)
        return {(row[1], self._joint(row[0]), row[2]): int(row[3])
                for row in self.connection.execute(query) if row[1] in wanted}

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
        g = self.table.c.g
        query = (
            select(per_response.c.question, g, per_response.c.first, func.count())
            .select_from(per_response.join(self.table, per_response.c.response_id == self.table.c.id))
            .where(per_response.c.others == 0)
            .group_by(per_response.c.question, g, per_response.c.first)
        )
        found = {}
        for row in self.connection.execute(query):
            code = apart[row[0]][int(row[2])]
            found[(row[0], self._joint(row[1]), code)] = int(row[3])
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
        g = self.table.c.g
        query = (
            select(g, band, func.count(), func.sum(k * 1.0 / m))
            .select_from(per_response.join(self.table, per_response.c.response_id == self.table.c.id))
            .where(m > 0)
            .group_by(g, band)
        )
        return {
            (self._joint(row[0]), row[1]): (int(row[2]), float(row[3] or 0.0))
            for row in self.connection.execute(query)
        }

    def ordered_values(self, question: str, numeric: bool) -> Iterator[tuple[Any, tuple[str, ...], int]]:
        """``(value, joint, count)`` in value order: one stream gives the quartiles of every breakdown."""
        a = t.answers
        g = self.table.c.g
        value = a.c.value_num if numeric else a.c.value_text
        query = (
            select(value, g, func.count())
            .select_from(a.join(self.table, a.c.response_id == self.table.c.id))
            .where(a.c.question == question, a.c.skipped.is_(False), value.is_not(None))
            .group_by(value, g)
            .order_by(value)
        )
        for row in self.connection.execute(query, execution_options={"stream_results": True, "yield_per": 2000}):
            yield row[0], self._joint(row[1]), int(row[2])

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
