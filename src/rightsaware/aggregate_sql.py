"""The SQL behind :mod:`rightsaware.aggregate`: every count is made in the database.

One read transaction (a snapshot, so all tables of a run agree) holds a temporary table of
the responses in scope: their breakdown values, a small integer ``g`` numbering each
combination of them, and the row of each in the instrument's tally
(:mod:`rightsaware.tally`: one row of integer-coded answers per response). One pass over
the tally rows in ``g`` order then makes every count of every question at once, as
``count(*) FILTER (WHERE ...)`` columns: answers by class, options chosen, "don't know"
only, awareness bands. No sort of the answers is needed, which is what made SQLite slow
(it has no hash aggregation). Responses whose answers changed since the tally was last
brought up to date are coded inside the snapshot into a small temporary table and counted
in a second pass. Results come back as small count tables (a few rows per question and
group), so memory does not grow with the number of responses. Quartiles of every breakdown
come from one ordered stream of ``(value, g, count)`` rows per question, keeping only a
running position per group (:func:`rightsaware.aggregate_stats.quantiles`).
"""

from __future__ import annotations

import heapq
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
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)

from . import tally
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


Count = Callable[[Table], Any]  # an aggregate over a tally table (or the report's freshly coded rows)


@frozen
class Counts:
    """Everything one pass over the tally counts, keyed as the tables of a run want them."""

    classes: dict[tuple, int]  # (question, joint, class) -> respondents
    mentions: dict[tuple, int]  # (question, joint, code) -> respondents who chose it
    apart_only: dict[tuple, int]  # (question, joint, first "don't know"-type code) -> respondents
    awareness: dict[tuple, tuple[int, float]]  # (joint, band) -> (respondents, sum of shares known)


class Snapshot:
    """A read transaction with the responses in scope in a temporary table ``scope``.

    ``scope`` holds ``(g, tid)``: the number of the response's combination of breakdown
    values, and its tally row (negative for a row of the freshly coded table).
    """

    def __init__(self, connection: Connection, scope: Scope, dimensions: Sequence[DimensionSource],
                 plan: tally.Plan) -> None:
        self.connection = connection
        self.dimensions = tuple(dimensions)
        layout = tally.load(connection, scope.instrument_id)
        if not tally.fits(layout, plan):
            raise tally.TallyChanged(scope.instrument_id)
        assert layout is not None
        self.layout = layout
        self.tally = layout.table()
        self.fresh = self._code_marked(scope)
        self.radices = [self._radix(dim) for dim in self.dimensions]
        # WITHOUT ROWID: the rows are kept in g order, so the counting pass needs no sort.
        self.table = Table("ra_scope_" + secrets.token_hex(4), MetaData(),
                           Column("g", Integer(), primary_key=True), Column("tid", Integer(), primary_key=True),
                           prefixes=["TEMPORARY"], sqlite_with_rowid=False)
        self.table.create(connection)
        for source, _on in self._sources():
            self._fill(scope, source)
        if self.connection.dialect.name == "postgresql":  # autovacuum never analyses temporary tables
            self.connection.exec_driver_sql(f"ANALYZE {self.table.name}")
        self._sizes = {int(g): int(n) for g, n in connection.execute(
            select(self.table.c.g, func.count()).group_by(self.table.c.g))}
        self.joints = {g: self._decode(g) for g in self._sizes}

    def _code_marked(self, scope: Scope) -> Table | None:
        """Code this instrument's responses marked since the last refresh into a temporary table."""
        marked = tally.marked_in(self.connection, scope.instrument_id)
        if not marked:
            return None
        table = self.layout.table("ra_fresh", temporary=True)  # temporary tables belong to one connection
        table.create(self.connection)
        rows = tally.code_responses(self.connection, self.layout, marked, grow=False)
        tally.insert_rows(self.connection, table, rows)
        if self.connection.dialect.name == "postgresql":
            self.connection.exec_driver_sql(f"ANALYZE {table.name}")
        return table

    def _radix(self, dim: DimensionSource) -> int:
        if dim.column is not None:
            return len(self.layout.channels if dim.column == "channel" else self.layout.languages) + 1
        if dim.age:
            return len(AGE_BANDS) + 2
        return len(self.layout.entries[dim.question].codes) + 1

    def _value(self, dim: DimensionSource, source: Table) -> Any:
        """The breakdown value of a tally row as an integer from 0 (not known) to its radix."""
        if dim.column is not None:
            return source.c["ch" if dim.column == "channel" else "lang"]
        entry = self.layout.entries[dim.question]
        if not dim.age:
            return func.coalesce(source.c[f"c{entry.col}"], 0)
        value = source.c[f"v{entry.col}"]
        whens = [(value.is_(None), 0), (value < AGE_BANDS[0][0], 1)]
        whens += [(value < high, 2 + i) for i, (high, _name) in enumerate(AGE_BANDS[1:])]
        return case(*whens, else_=len(AGE_BANDS) + 1)

    def _decode(self, g: int) -> tuple[str, ...]:
        """The breakdown values behind a combination's number."""
        labels = []
        for dim, radix in zip(self.dimensions, self.radices):
            g, value = divmod(g, radix)
            if value == 0:
                labels.append(UNKNOWN)
            elif dim.column is not None:
                labels.append((self.layout.channels if dim.column == "channel" else self.layout.languages)[value - 1])
            elif dim.age:
                labels.append("under_16" if value == 1 else AGE_BANDS[value - 2][1])
            else:
                labels.append(self.layout.entries[dim.question].codes[value - 1])
        return tuple(labels)

    def _fill(self, scope: Scope, source: Table) -> None:
        number: Any = literal(0)
        weight = 1
        for dim, radix in zip(self.dimensions, self.radices):
            number = number + self._value(dim, source) * weight
            weight *= radix
        where = [source.c.status == "completed", t.not_withdrawn(source.c.response_id)]
        if not scope.include_synthetic:
            where.append(source.c.synthetic.is_(False))
        if scope.version is not None:
            where.append(source.c.version == scope.version)
        if source is self.tally and self.fresh is not None:
            where.append(~exists().where(self.fresh.c.response_id == source.c.response_id))
        tid = source.c.id if source is self.tally else -source.c.id
        query = select(number, tid).select_from(source).where(*where)
        self.connection.execute(self.table.insert().from_select(["g", "tid"], query))

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
        return {self._joint(g): n for g, n in self._sizes.items()}

    def _sources(self) -> Iterator[tuple[Table, Any]]:
        """The tally (rows up to date) and the freshly coded rows, with how each joins ``scope``."""
        yield self.tally, self.tally.c.id == self.table.c.tid
        if self.fresh is not None:
            yield self.fresh, self.fresh.c.id == -self.table.c.tid

    def count(self, items: Sequence[tuple[Any, Count]]) -> dict[tuple[Any, tuple[str, ...]], Any]:
        """``(key, joint) -> value`` of each ``(key, aggregate)`` in ``items``, in one pass per 500.

        Zero counts are left out.
        """
        found: dict[tuple[Any, tuple[str, ...]], Any] = {}
        g = self.table.c.g
        for source, on in self._sources():
            for start in range(0, len(items), 500):
                chunk = items[start:start + 500]
                query = (select(g, *[make(source) for _key, make in chunk])
                         .select_from(self.table.join(source, on)).group_by(g))
                for row in self.connection.execute(query):
                    joint = self._joint(row[0])
                    for (key, _make), value in zip(chunk, row[1:]):
                        if value:
                            found[(key, joint)] = found.get((key, joint), 0) + value
        return found

    def counts(self, classes: Sequence[str], mentions: Sequence[str], apart: Mapping[str, Sequence[str]],
               awareness: bool) -> Counts:
        """Every count of a run in one pass.

        ``classes``: questions counted by class (the code for single choice, else answered
        or not); ``mentions``: multiple-choice questions whose options are counted;
        ``apart``: multiple choice with its "don't know"-type codes, in choice order, for
        respondents who chose only those (counted by the first of them they chose);
        ``awareness``: whether to count the bands of the awareness score (rights known
        out of rights answered, worked out in the tally).
        """
        items: list[tuple[Any, Count]] = []
        for question in classes:
            items += self._class_items(question)
        for question in mentions:
            entry = self.layout.entries[question]
            items += [(("mention", question, code), _counting(lambda s, e=entry, c=code: _has(s, e, c)))
                      for code in entry.codes]
        for question, codes in apart.items():
            items += self._apart_items(question, codes)
        if awareness:
            items += self._awareness_items()
        found = self.count(items)
        result: dict[str, dict] = {"class": {}, "mention": {}, "apart": {}, "awareness": {}}
        for (key, joint), value in found.items():
            if key[0] == "awareness":
                _kind, band, part = key
                n, share = result["awareness"].get((joint, band), (0, 0.0))
                n, share = (n + int(value), share) if part == "n" else (n, share + float(value))
                result["awareness"][(joint, band)] = (n, share)
            else:
                result[key[0]][(key[1], joint, key[2])] = int(value)
        return Counts(classes=result["class"], mentions=result["mention"], apart_only=result["apart"],
                      awareness=result["awareness"])

    def _class_items(self, question: str) -> list[tuple[Any, Count]]:
        entry = self.layout.entries[question]
        column = f"c{entry.col}"
        items: list[tuple[Any, Count]] = [(("class", question, NO_ANSWER), _counting(lambda s: s.c[column] == 0))]
        if entry.kind == "single":
            items += [(("class", question, code), _counting(lambda s, k=k: s.c[column] == k))
                      for k, code in enumerate(entry.codes, 1)]
        else:
            items.append((("class", question, ANSWERED), _counting(lambda s: s.c[column] == 1)))
        return items

    def _apart_items(self, question: str, codes: Sequence[str]) -> list[tuple[Any, Count]]:
        entry = self.layout.entries[question]
        codes = [c for c in codes if c in entry.codes]
        items: list[tuple[Any, Count]] = []
        for n, code in enumerate(codes):
            def only(s: Table, code: str = code, before: tuple[str, ...] = tuple(codes[:n])) -> Any:
                return and_(_only_among(s, entry, codes), _has(s, entry, code),
                            *[~_has(s, entry, other) for other in before])
            items.append((("apart", question, code), _counting(only)))
        return items

    def _awareness_items(self) -> list[tuple[Any, Count]]:
        """Bands of the score each tally row carries (``ak`` known out of ``am`` answered)."""
        bands = {"none": lambda k, m: k == 0, "some": lambda k, m: and_(k > 0, k * 2 < m),
                 "most": lambda k, m: and_(k * 2 >= m, k < m), "all": lambda k, m: k >= m}
        items: list[tuple[Any, Count]] = []
        for name, test in bands.items():
            def condition(s: Table, test: Callable = test) -> Any:
                return and_(s.c.am > 0, test(s.c.ak, s.c.am))
            items.append((("awareness", name, "n"), _counting(condition)))
            items.append((("awareness", name, "share"),
                          lambda s, c=condition: func.sum(s.c.ak * 1.0 / s.c.am).filter(c(s))))
        return items

    def ordered_values(self, question: str, numeric: bool) -> Iterator[tuple[Any, tuple[str, ...], int]]:
        """``(value, joint, count)`` in value order: one stream gives the quartiles of every breakdown."""
        g = self.table.c.g
        if numeric:
            entry = self.layout.entries[question]
            streams = []
            for source, on in self._sources():
                value = source.c[f"v{entry.col}"]
                query = (select(value, g, func.count()).select_from(self.table.join(source, on))
                         .where(source.c[f"c{entry.col}"] == 1, value.is_not(None))
                         .group_by(value, g).order_by(value))
                streams.append(self.connection.execute(
                    query, execution_options={"stream_results": True, "yield_per": 2000}))
            rows: Iterable = heapq.merge(*streams, key=lambda row: row[0]) if len(streams) > 1 else streams[0]
        else:  # dates: their canonical text sorts in date order
            a = t.answers
            streams = [self.connection.execute(
                select(a.c.value_text, g, func.count())
                .select_from(a.join(source, source.c.response_id == a.c.response_id).join(self.table, on))
                .where(a.c.question == question, a.c.skipped.is_(False), a.c.value_text.is_not(None))
                .group_by(a.c.value_text, g).order_by(a.c.value_text),
                execution_options={"stream_results": True, "yield_per": 2000}) for source, on in self._sources()]
            rows = heapq.merge(*streams, key=lambda row: row[0]) if len(streams) > 1 else streams[0]
        for row in rows:
            yield row[0], self._joint(row[1]), int(row[2])

    def free_text(self, question: str, limit: int) -> tuple[list[str], int]:
        """Up to ``limit`` free-text answers to ``question`` (sorted later), and how many there are."""
        a = t.answers
        text = func.coalesce(a.c.value_text, a.c.value_long)
        texts: list[str] = []
        total = 0
        for source, on in self._sources():
            base = (
                select(text)
                .select_from(a.join(source, source.c.response_id == a.c.response_id).join(self.table, on))
                .where(a.c.question == question, a.c.value_kind == "text", a.c.skipped.is_(False))
            )
            total += int(self.connection.scalar(select(func.count()).select_from(base.subquery())) or 0)
            texts += [str(r[0]) for r in self.connection.execute(base.order_by(text).limit(limit)) if r[0]]
        return sorted(texts)[:limit], total


def _counting(condition: Callable[[Table], Any]) -> Count:
    return lambda source: func.count().filter(condition(source))


def _bit(entry: tally.Entry, code: str) -> tuple[str, int]:
    chunk, bit = divmod(entry.codes.index(code), tally.BITS)
    return f"m{entry.col}_{chunk}", 1 << bit


def _has(source: Table, entry: tally.Entry, code: str) -> Any:
    column, bit = _bit(entry, code)
    return source.c[column].op("&")(bit) != 0


def _only_among(source: Table, entry: tally.Entry, codes: Sequence[str]) -> Any:
    """No code outside ``codes`` chosen (columns added later may be NULL: none chosen there)."""
    allowed = [0] * entry.chunks
    for code in codes:
        column, bit = _bit(entry, code)
        allowed[int(column.rsplit("_", 1)[1])] |= bit
    everything = (1 << tally.BITS) - 1
    return and_(*[func.coalesce(source.c[f"m{entry.col}_{k}"], 0).op("&")(everything & ~allowed[k]) == 0
                  for k in range(entry.chunks)])


@contextmanager
def snapshot(engine: Any, scope: Scope, dimensions: Sequence[DimensionSource],
             plan: tally.Plan) -> Iterator[Snapshot]:
    """A :class:`Snapshot` in one read transaction; the temporary tables are dropped afterwards.

    Raises :class:`rightsaware.tally.TallyChanged` when the tally's layout does not fit
    ``plan`` any more: refresh the tally and try again.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snap = Snapshot(connection, scope, dimensions, plan)
            try:
                yield snap
            finally:
                snap.table.drop(connection)
                if snap.fresh is not None:
                    snap.fresh.drop(connection)
