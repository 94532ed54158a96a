"""Fast batched inserts: one driver-level ``executemany`` per table, no per-row SQLAlchemy work.

Completed responses arrive in thousands (simulations, paper batches); SQLAlchemy's
per-parameter processing would cost more than SQLite's own insert. Rows here are
converted once, exactly as the column types would store them (UTC datetimes, naive
``YYYY-MM-DD HH:MM:SS.ffffff`` text on SQLite), so reading them back through SQLAlchemy
gives the same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from .tables import UTCDateTime

_UTC = dt.timezone.utc
_statements: dict[tuple[str, str, tuple[str, ...]], tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]] = {}


def _sqlite_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("Times given to the store must be timezone-aware (UTC).")
    return value.astimezone(_UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _aware_time(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("Times given to the store must be timezone-aware (UTC).")
    return value


def _statement(dialect: str, table: Table) -> tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    columns = tuple(column.name for column in table.columns if not (column.primary_key and column.autoincrement is True))
    key = (dialect, table.name, columns)  # the columns too: a tally table gains columns as its survey grows
    cached = _statements.get(key)
    if cached is None:
        marker = "?" if dialect == "sqlite" else "%s"
        sql = "INSERT INTO {table} ({columns}) VALUES ({markers})".format(
            table=table.name,
            columns=", ".join(f'"{name}"' for name in columns),
            markers=", ".join(marker for _ in columns),
        )
        to_time = _sqlite_time if dialect == "sqlite" else _aware_time
        converters = tuple(to_time if isinstance(table.c[name].type, UTCDateTime) else None for name in columns)
        cached = _statements[key] = (sql, columns, converters)
    return cached


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with every column) into ``table`` with one ``executemany``."""
    if not rows:
        return
    sql, params = insert_statement(connection.dialect.name, table, rows)
    connection.exec_driver_sql(sql, params)


def insert_statement(dialect: str, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[tuple]]:
    """The driver SQL and the converted parameters inserting ``rows`` into ``table`` (for ``executemany``)."""
    sql, columns, converters = _statement(dialect, table)
    timed = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
    converted: dict[Any, Any] = {}  # answers of one response mostly share their times
    params = []
    for row in rows:
        values = [row[name] for name in columns]
        for index, convert in timed:
            value = values[index]
            try:
                values[index] = converted[value]
            except KeyError:
                values[index] = converted[value] = convert(value)
        params.append(tuple(values))
    return sql, params
