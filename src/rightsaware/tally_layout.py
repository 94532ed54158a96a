"""The tally's layout: which column of an instrument's tally table holds which question.

See :mod:`rightsaware.tally` for what the tally is. A :class:`Plan` is what one version of
an instrument needs from it (question kinds, choice codes, the rights of the awareness
score); a :class:`Layout` is what the table has, stored as JSON in ``tally_tables``. The
layout only grows, so that rows coded earlier keep their meaning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import cattrs
from attrs import define, field
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    select,
)

from .store import tables as t
from .store.migrate import TALLY_TABLE_PREFIX

KINDS = {"select_one": "single", "select_multiple": "multiple", "integer": "number", "decimal": "number",
         "date": "date", "text": "text"}
BITS = 62  # codes per mask column: a signed 64-bit integer, sign bit left alone
_converter = cattrs.Converter()


class TallyChanged(Exception):
    """The tally's layout no longer fits (a new code or question arrived during a report): refresh and retry."""


@define
class Entry:
    """One question's columns: ``c<col>``, and ``m<col>_<k>`` masks or ``v<col>`` value."""

    kind: str
    col: int
    codes: list[str] = field(factory=list)
    chunks: int = 0

    def columns(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = [(f"c{self.col}", Integer())]
        found += [(f"m{self.col}_{k}", BigInteger()) for k in range(self.chunks)]
        if self.kind == "number":
            found.append((f"v{self.col}", Double()))
        return found

    def extend(self, codes: Iterable[str]) -> None:
        """Append the codes not known yet (with the mask columns they need)."""
        for code in codes:
            if code not in self.codes:
                self.codes.append(code)
        if self.kind == "multiple":
            self.chunks = max(self.chunks, -(-len(self.codes) // BITS))

    def position(self, code: str, grow: bool) -> int:
        """The code's number (from 1), appending it when new if ``grow``."""
        try:
            return self.codes.index(code) + 1
        except ValueError:
            if not grow:
                raise TallyChanged(code) from None
            self.codes.append(code)
            return len(self.codes)


@define(frozen=True)
class Plan:
    """What an instrument needs from its tally: ``question -> kind``, and the rights of the awareness score."""

    kinds: dict[str, str]
    codes: dict[str, tuple[str, ...]] = field(factory=dict)  # choice questions' codes, in the instrument's order
    rights: tuple[str, ...] = ()
    known: str = "yes"


def plan_for(instrument: Any) -> Plan:
    """The tally an instrument's report needs (questions answerable and of a known kind)."""
    kinds = {q.name: KINDS[q.kind] for q in instrument.questions if q.answerable and q.kind in KINDS}
    rights = tuple(q for q, kind in kinds.items() if kind == "single" and instrument.question(q).meta.get("right"))
    codes = {q: tuple(c.name for c in instrument.choices_for(instrument.question(q)))
             for q, kind in kinds.items() if kind in ("single", "multiple")}
    return Plan(kinds=kinds, codes=codes, rights=rights)


@define
class Layout:
    """Which columns of which table hold each question's answers, and the codes behind the numbers."""

    table_name: str
    entries: dict[str, Entry] = field(factory=dict)
    next: int = 0
    channels: list[str] = field(factory=list)
    languages: list[str] = field(factory=list)
    rights: list[str] = field(factory=list)
    known: str = "yes"

    def add(self, question: str, kind: str, codes: Sequence[str] = ()) -> Entry:
        entry = Entry(kind=kind, col=self.next, chunks=1 if kind == "multiple" else 0)
        self.entries[question] = entry
        self.next += 1
        entry.extend(codes)
        return entry

    def table(self, name: str | None = None, *, temporary: bool = False) -> Table:
        """The SQLAlchemy table (``name`` and ``temporary`` for a report's own freshly coded rows)."""
        columns = [Column("id", Integer(), primary_key=True, autoincrement=True)]
        if temporary:
            columns.append(Column("response_id", String(t.ID), nullable=False, unique=True))
        else:
            columns.append(Column("response_id", String(t.ID), ForeignKey(t.responses.c.id, ondelete="CASCADE"),
                                  nullable=False, unique=True))
        columns += [Column("status", String(16), nullable=False), Column("synthetic", Boolean(), nullable=False),
                    Column("version", String(t.ID), nullable=False), Column("ch", Integer(), nullable=False),
                    Column("lang", Integer(), nullable=False), Column("ak", Integer()), Column("am", Integer())]
        for entry in self.entries.values():
            columns += [Column(name_, type_) for name_, type_ in entry.columns()]
        return Table(name or self.table_name, MetaData(), *columns, prefixes=["TEMPORARY"] if temporary else [])

    def dumps(self) -> str:
        return json.dumps(_converter.unstructure(self), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Layout:
        return _converter.structure(json.loads(text), cls)


def table_name_for(instrument_id: str) -> str:
    return TALLY_TABLE_PREFIX + hashlib.sha256(instrument_id.encode()).hexdigest()[:16]


def load(connection: Connection, instrument_id: str) -> Layout | None:
    text = connection.scalar(select(t.tally_tables.c.layout).where(t.tally_tables.c.instrument_id == instrument_id))
    return None if text is None else Layout.loads(text)


def fits(layout: Layout | None, plan: Plan) -> bool:
    """Whether ``layout`` has a column of the right kind for every question of ``plan``, and its rights."""
    return layout is not None and layout.rights == list(plan.rights) and layout.known == plan.known and all(
        q in layout.entries and layout.entries[q].kind == kind for q, kind in plan.kinds.items())
