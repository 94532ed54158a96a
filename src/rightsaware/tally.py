"""The tally: each response's answers as small integers in one row, so counting is one pass.

SQLite has no hash aggregation: a ``GROUP BY`` over every answer sorts them all, at 1–2 µs
a row. The tally keeps, per instrument, a table ``tally_r_<hex>`` with one row per response:
what decides whether it is counted (``status``, ``synthetic``, ``version``), its channel and
language as numbers (``ch``, ``lang``: positions in the layout's lists, from 1), its
awareness score (``ak`` rights known out of ``am`` answered), and for each question ``n``:

* ``c<n>``: its class. NULL: not asked (no answer row); 0: no answer (skipped, or "none");
  single choice: the code's position in the layout's list of codes, from 1; any other
  kind: 1, answered;
* ``m<n>_<k>``: for multiple choice, bit masks of the codes chosen (62 codes a column);
* ``v<n>``: for numbers, the value.

Counting is then ``count(*) FILTER (WHERE c3 = 2)`` for every class of every question in
one pass over the rows (:mod:`rightsaware.aggregate_sql`).

``answers`` and ``responses`` stay the truth. Database triggers mark in ``tally_dirty``
every response whose answers, status, channel, language, version or synthetic flag change
(migration 0003), so no write path can leave a stale row in use;
:func:`refresh` codes the marked responses of one instrument again in short write
transactions, and a report codes any marked since then in its own snapshot
(:func:`code_responses` with ``grow=False``). The layout (:mod:`rightsaware.tally_layout`)
only grows: a new code is appended, a new question adds columns and marks the responses
that answered it; a question whose kind changed gets a new table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    select,
)

from .response import utcnow
from .store import bulk
from .store import tables as t
from .store.engine import write_transaction
from .tally_layout import (
    BITS,
    KINDS,
    Entry,
    Layout,
    Plan,
    TallyChanged,
    fits,
    load,
    plan_for,
    table_name_for,
)

__all__ = ["BATCH", "BITS", "KINDS", "Entry", "Layout", "Plan", "TallyChanged", "code_responses", "fits",
           "insert_rows", "load", "marked_in", "plan_for", "refresh", "table_name_for"]

BATCH = 2000  # responses coded per write transaction


# --- keeping the tally up to date --------------------------------------------------------------

def refresh(engine: Engine, instrument_id: str, plan: Plan,
            on_progress: Callable[[int, int], None] | None = None) -> int:
    """Code again every marked response of one instrument; how many were coded.

    ``on_progress(done, total)`` is called after each batch (``total`` counts the marks of
    every instrument, so the last call may come before ``done`` reaches it). When nothing
    is marked and the layout fits, it only reads: no write lock, so a report or the
    dashboard does not wait behind a long import.
    """
    with engine.connect() as connection:
        if _count_marked(connection) == 0 and _current(load(connection, instrument_id), plan):
            return 0
    with write_transaction(engine) as connection:
        _lock(connection, instrument_id)
        _prepare(connection, instrument_id, plan)
        total = _count_marked(connection)
    done, after = 0, ""
    while total:
        with write_transaction(engine) as connection:
            _lock(connection, instrument_id)
            layout = load(connection, instrument_id)
            assert layout is not None
            d, r = t.tally_dirty, t.responses
            # The marks in key order (each batch reads only its own), then those of this instrument.
            page = connection.execute(select(d.c.response_id, d.c.stamp).where(d.c.response_id > after)
                                      .order_by(d.c.response_id).limit(BATCH)).all()
            if not page:
                break
            after = page[-1][0]
            ours = set(connection.scalars(select(r.c.id).where(r.c.id.in_([m[0] for m in page]),
                                                              r.c.instrument_id == instrument_id)))
            marked = [m for m in page if m[0] in ours]
            if not marked:
                continue
            ids = [row[0] for row in marked]
            before = layout.dumps()
            rows = code_responses(connection, layout, ids, grow=True)
            if layout.dumps() != before:
                _widen(connection, layout)
                _save(connection, instrument_id, layout)
            table = layout.table()
            connection.execute(delete(table).where(table.c.response_id.in_(ids)))
            insert_rows(connection, table, rows)
            _clear_marks(connection, marked)
        done += len(marked)
        if on_progress is not None:
            on_progress(min(done, total), total)
    return done


def _clear_marks(connection: Connection, seen: Sequence[tuple[str, int]]) -> None:
    """Clear the marks coded, unless they changed since they were read (a new stamp)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(f"DELETE FROM tally_dirty WHERE response_id = {mark} AND stamp = {mark}",
                               [tuple(m) for m in seen])


def _lock(connection: Connection, instrument_id: str) -> None:
    """One refresh of an instrument at a time (SQLite's write lock already serialises)."""
    if connection.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(instrument_id.encode()).digest()[:8], "big", signed=True)
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def _count_marked(connection: Connection) -> int:
    """How many marks there are, of every instrument (a join to count only ours would read every response)."""
    return int(connection.scalar(select(func.count()).select_from(t.tally_dirty)) or 0)


def _current(layout: Layout | None, plan: Plan) -> bool:
    """Whether ``layout`` needs nothing from :func:`_prepare` for ``plan`` (every question, kind, right and code)."""
    return fits(layout, plan) and all(
        set(codes) <= set(layout.entries[q].codes) for q, codes in plan.codes.items())


def _prepare(connection: Connection, instrument_id: str, plan: Plan) -> None:
    """Make or widen the instrument's table to fit ``plan``; drop marks of deleted responses."""
    d, r = t.tally_dirty, t.responses
    kinds = plan.kinds
    connection.execute(delete(d).where(~exists().where(r.c.id == d.c.response_id)))
    layout = load(connection, instrument_id)
    changed = layout is not None and any(
        q in layout.entries and layout.entries[q].kind != kind for q, kind in kinds.items())
    if layout is None or changed:
        if layout is not None:
            layout.table().drop(connection, checkfirst=True)
            connection.execute(delete(t.tally_tables).where(t.tally_tables.c.instrument_id == instrument_id))
        layout = Layout(table_name=table_name_for(instrument_id), rights=list(plan.rights), known=plan.known)
        for question, kind in kinds.items():
            layout.add(question, kind, plan.codes.get(question, ()))
        layout.table().create(connection)
        connection.execute(insert(t.tally_tables).values(instrument_id=instrument_id, table_name=layout.table_name,
                                                         layout=layout.dumps(), updated_at=utcnow()))
        _mark(connection, select(r.c.id).where(r.c.instrument_id == instrument_id))
        return
    new = [q for q in kinds if q not in layout.entries]
    rescore = layout.rights != list(plan.rights) or layout.known != plan.known
    before = layout.dumps()
    for question, entry in layout.entries.items():
        entry.extend(plan.codes.get(question, ()))  # new choices: appended, nothing to code again
    if not new and not rescore:
        if layout.dumps() != before:
            _widen(connection, layout)
            _save(connection, instrument_id, layout)
        return
    for question in new:
        layout.add(question, kinds[question], plan.codes.get(question, ()))
    layout.rights, layout.known = list(plan.rights), plan.known
    _widen(connection, layout)
    _save(connection, instrument_id, layout)
    if rescore:
        _mark(connection, select(r.c.id).where(r.c.instrument_id == instrument_id))
        return
    a = t.answers
    _mark(connection, select(a.c.response_id).join(r, r.c.id == a.c.response_id)
          .where(r.c.instrument_id == instrument_id, a.c.question.in_(new)))


def _mark(connection: Connection, ids: Any) -> None:
    """Mark responses (a select of their ids) to be coded again, in the database in one statement."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    d = t.tally_dirty
    ids = ids.add_columns(literal(0)).distinct()
    connection.execute(upsert(d).from_select(["response_id", "stamp"], ids).on_conflict_do_nothing())


def _widen(connection: Connection, layout: Layout) -> None:
    """Add the layout's columns that the table lacks."""
    have = {c["name"] for c in inspect(connection).get_columns(layout.table_name)}
    preparer = connection.dialect.identifier_preparer
    for entry in layout.entries.values():
        for name, type_ in entry.columns():
            if name not in have:
                connection.exec_driver_sql(
                    f"ALTER TABLE {preparer.quote(layout.table_name)} ADD COLUMN {name} "
                    f"{type_.compile(dialect=connection.dialect)}")


def _save(connection: Connection, instrument_id: str, layout: Layout) -> None:
    connection.execute(t.tally_tables.update().where(t.tally_tables.c.instrument_id == instrument_id)
                       .values(layout=layout.dumps(), updated_at=utcnow()))


def insert_rows(connection: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert coded rows (column -> value; missing columns are NULL) into a tally table."""
    names = [c.name for c in table.c if c.name != "id"]
    bulk.insert_rows(connection, table, [{name: row.get(name) for name in names} for row in rows])


# --- coding answers ----------------------------------------------------------------------------

def code_responses(connection: Connection, layout: Layout, response_ids: Sequence[str], *,
                   grow: bool) -> list[dict[str, Any]]:
    """Tally rows (column -> value) of the responses among ``response_ids`` that exist.

    With ``grow`` new codes (and channels and languages) are appended to ``layout``, with
    mask columns added to it as needed; without, anything new raises :class:`TallyChanged`.
    """
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(response_ids), 500):
        chunk = list(response_ids[start:start + 500])
        found = _fetch(connection, "SELECT id, status, synthetic, instrument_version, channel, language "
                                   "FROM responses WHERE id IN ({})", chunk)
        for response_id, status, synthetic, version, channel, language in found:
            rows[response_id] = {"response_id": response_id, "status": status, "synthetic": bool(synthetic),
                                 "version": version, "ch": _position(layout.channels, channel, grow),
                                 "lang": _position(layout.languages, language, grow)}
        found = _fetch(connection, "SELECT response_id, question, value_kind, value_text, value_num, skipped "
                                   "FROM answers WHERE response_id IN ({})", chunk)
        for response_id, question, value_kind, value_text, value_num, skipped in found:
            entry = layout.entries.get(question)
            row = rows.get(response_id)
            if entry is None or row is None:
                continue
            _code(row, entry, value_kind, value_text, value_num, not skipped and value_kind != "none", grow)
    rights = [layout.entries[q] for q in layout.rights if q in layout.entries]
    for row in rows.values():
        _score(row, rights, layout.known)
    return list(rows.values())


def _fetch(connection: Connection, sql: str, ids: Sequence[str]) -> list[tuple]:
    """Rows of ``sql``, where ``{}`` stands for the list of ``ids``, through the driver's own cursor.

    Coding reads every answer once; SQLAlchemy's result rows would cost more than the coding.
    """
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql.format(", ".join([mark] * len(ids))), list(ids))
        return cursor.fetchall()
    finally:
        cursor.close()


def _position(values: list[str], value: str, grow: bool) -> int:
    if value not in values:
        if not grow:
            raise TallyChanged(value)
        values.append(value)
    return values.index(value) + 1


def _score(row: dict[str, Any], rights: Sequence[Entry], known: str) -> None:
    """Rights known (``ak``) out of rights answered (``am``): NULL when none was answered."""
    answered = knew = 0
    for entry in rights:
        value = row.get(f"c{entry.col}")
        if value:
            answered += 1
            knew += entry.codes[value - 1] == known
    row["ak"], row["am"] = (knew, answered) if answered else (None, None)


def _code(row: dict[str, Any], entry: Entry, value_kind: str, value_text: str | None, value_num: float | None,
          answered: bool, grow: bool) -> None:
    col = entry.col
    if entry.kind == "single":
        row[f"c{col}"] = entry.position(value_text, grow) if answered and value_text is not None else 0
        return
    row[f"c{col}"] = 1 if answered else 0
    if entry.kind == "number":
        row[f"v{col}"] = value_num if answered else None
    elif entry.kind == "multiple" and answered:
        masks = [0] * entry.chunks
        chosen = json.loads(value_text) if value_kind == "choices" and value_text else []
        for code in chosen if isinstance(chosen, list) else []:
            chunk, bit = divmod(entry.position(str(code), grow) - 1, BITS)
            while chunk >= entry.chunks:
                if not grow:
                    raise TallyChanged(code)
                entry.chunks += 1
                masks.append(0)
            masks[chunk] |= 1 << bit
        for k, mask in enumerate(masks):
            row[f"m{col}_{k}"] = mask


def marked_in(connection: Connection, instrument_id: str) -> list[str]:
    """The responses to ``instrument_id`` marked to be coded again (read from the marks, usually few)."""
    r = t.responses
    marks = list(connection.scalars(select(t.tally_dirty.c.response_id)))
    found: list[str] = []
    for start in range(0, len(marks), 500):
        found += connection.scalars(select(r.c.id).where(r.c.id.in_(marks[start:start + 500]),
                                                         r.c.instrument_id == instrument_id))
    return found
