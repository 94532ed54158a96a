"""Database URLs and engines: SQLite (WAL, one file) by default, PostgreSQL by URL.

SQLite connections run in WAL mode with foreign keys on, ``synchronous=NORMAL`` and a
30-second busy timeout. The store opens its own transactions: ``BEGIN IMMEDIATE`` for
writes (so two processes queue for the write lock instead of failing half-way) and a
plain deferred ``BEGIN`` for reads.

Engines never log query parameters (``hide_parameters``) and, even with the
``sqlalchemy.engine`` logger at DEBUG, never log result rows: rows hold answers, and
free-text answers can hold names and phone numbers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from ..errors import ConfigError
from ..i18n import N_


class _DropResultRows(logging.Filter):
    """Drops SQLAlchemy's DEBUG records of result rows (they would log answers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_DropResultRows())

BUSY_TIMEOUT_SECONDS = 30
ENV_VAR = "RIGHTSAWARE_DATABASE_URL"
_EXAMPLE = "sqlite:///rightsaware.db or postgresql://user:password@host/dbname"


def normalise_url(url: str | None) -> URL:
    """Parse a database URL (or a bare SQLite file path) and choose the driver.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://`` (psycopg 3).
    Raises :class:`~rightsaware.errors.ConfigError` for a missing or unusable URL.
    """
    if url is None or not str(url).strip():
        raise ConfigError(
            N_("No database is configured. Set {env} or pass --db, for example {example}."),
            params={"env": ENV_VAR, "example": _EXAMPLE}
        )
    text = str(url).strip()
    if "://" not in text:
        text = "sqlite:///" + text  # a bare path names a SQLite file
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise ConfigError(
            N_("The database URL could not be read. Write it like {example}."),
            params={"example": _EXAMPLE}
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise ConfigError(
                N_("The PostgreSQL driver '{driver}' is not supported; use postgresql+psycopg:// "
                   "or plain postgresql://."),
                params={"driver": driver}
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigError(
                N_("The SQLite driver '{driver}' is not supported; use sqlite:///path/to/file.db."),
                params={"driver": driver}
            )
        return parsed.set(drivername="sqlite+pysqlite")
    raise ConfigError(
        N_("The database '{backend}' is not supported. Use SQLite or PostgreSQL, for example {example}."),
        params={"backend": backend, "example": _EXAMPLE}
    )


def describe_url(url: URL) -> str:
    """The URL for messages, with any password hidden."""
    return url.render_as_string(hide_password=True)


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL | None, **kwargs) -> Engine:  # noqa: ANN003 - passed to create_engine
    """An engine for ``url`` configured for the store (see the module docstring)."""
    parsed = url if isinstance(url, URL) else normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, hide_parameters=True, **kwargs)


def _sqlite_engine(url: URL, **kwargs) -> Engine:  # noqa: ANN003
    memory = is_memory(url)
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        path = Path(url.database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                N_("The folder for the database file {path} cannot be created: {reason}."),
                params={"path": str(path), "reason": exc.strerror or exc}
            ) from None
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(
                N_("The database file {path} cannot be read and written by this user."),
                params={"path": str(path)}
            )
        kwargs.setdefault("connect_args", {"timeout": BUSY_TIMEOUT_SECONDS})
    engine = create_engine(url, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        # The store issues BEGIN itself (see _on_begin); the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on exit."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: Sequence[dict] | dict) -> int:
    """Insert rows, skipping those whose primary or unique key exists; the number inserted."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    result = connection.execute(statement, rows)
    return max(result.rowcount, 0)
