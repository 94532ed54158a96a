"""Fixtures for the store tests: every test runs against SQLite and a real PostgreSQL server.

The server comes from ``rightsaware.testing``'s session fixture ``postgresql_server`` (see
:mod:`rightsaware.pgserver`). A test gets a fresh database (``database_url``) or a migrated
one emptied for it (``store_url``). Without PostgreSQL the cases are skipped, unless
``RIGHTSAWARE_REQUIRE_ALL=1``, under which they fail with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rightsaware.crypto import Keyring
from rightsaware.pgserver import PostgresServer
from rightsaware.store import Store, tables
from rightsaware.store.engine import make_engine

SECRET = "test secret for the store suite, not for production"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every store test runs on both."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh database on the PostgreSQL server."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgresql_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture(scope="session")
def migrated_postgresql_url(postgresql_server: PostgresServer) -> Iterator[str]:
    """One migrated PostgreSQL database for the session; ``store`` empties it before each test."""
    name = postgresql_server.create_database()
    url = postgresql_server.url(name)
    Store.open(url, Keyring.from_secret(SECRET)).close()
    try:
        yield url
    finally:
        postgresql_server.drop_database(name)


@pytest.fixture
def secret() -> str:
    """The secret of the test keyring (for processes that build their own)."""
    return SECRET


@pytest.fixture
def keyring(secret: str) -> Keyring:
    return Keyring.from_secret(secret)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, database_kind: str, tmp_path: Path) -> str:
    """A migrated, empty database (faster than :func:`database_url` plus a migration on PostgreSQL)."""
    if database_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = request.getfixturevalue("migrated_postgresql_url")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET lock_timeout = '20s'")
            names = ", ".join(f'"{table.name}"' for table in tables.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def store(store_url: str, keyring: Keyring) -> Iterator[Store]:
    """A migrated, empty store on each database."""
    opened = Store.open(store_url, keyring)
    try:
        yield opened
    finally:
        opened.close()
