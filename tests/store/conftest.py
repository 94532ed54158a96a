"""Fixtures for the store tests: every test runs against SQLite and a real PostgreSQL server.

``postgresql_server`` starts one PostgreSQL server per session with pytest-postgresql's
``PostgreSQLExecutor`` from the binaries of Debian's ``postgresql`` package (``pg_ctl`` on
PATH or in ``/usr/lib/postgresql/<version>/bin``; ``RIGHTSAWARE_PG_CTL`` names another). PostgreSQL refuses to run as root, so
when the tests run as root (CI containers) ``pg_ctl`` is run as the ``postgres`` system
user through a two-line wrapper (``runuser``), in a data folder that user owns. A test gets a
fresh database (``database_url``) or a migrated one emptied for it (``store_url``). Without the binaries the PostgreSQL cases are skipped, unless
``RIGHTSAWARE_REQUIRE_ALL=1``, under which they fail with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from rightsaware.crypto import Keyring
from rightsaware.store import Store, tables
from rightsaware.store.engine import make_engine

SECRET = "test secret for the store suite, not for production"
REQUIRE_ALL = os.environ.get("RIGHTSAWARE_REQUIRE_ALL") == "1"


def find_pg_ctl() -> str | None:
    """``$RIGHTSAWARE_PG_CTL``, else ``pg_ctl`` on PATH, else the newest ``/usr/lib/postgresql/*/bin/pg_ctl``."""
    chosen = os.environ.get("RIGHTSAWARE_PG_CTL")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    found = shutil.which("pg_ctl")
    if found:
        return os.path.realpath(found)

    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    return candidates[-1] if candidates else None


def unavailable(reason: str) -> None:
    """Skip, or fail when ``RIGHTSAWARE_REQUIRE_ALL=1`` says every component must be tested."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (RIGHTSAWARE_REQUIRE_ALL=1: a missing component fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


class PostgresServer:
    """A running PostgreSQL server: connection details and throwaway databases."""

    def __init__(self, host: str, port: int, user: str) -> None:
        self.host, self.port, self.user = host, port, user

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def _admin(self):  # noqa: ANN202
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_as() -> str | None:
    """The system user to run PostgreSQL as: ``postgres`` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        unavailable("PostgreSQL cannot run as root and there is no 'postgres' system user to run it")
    return "postgres"


def _wrapper(pg_ctl: str, run_as: str, folder: Path) -> str:
    """A script that runs ``pg_ctl`` as ``run_as`` (through runuser), for pytest-postgresql."""
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    wrapper = folder / "pg_ctl_as_postgres"
    wrapper.write_text(f'#!/bin/sh\ncd /\nexec "{runuser}" -u {run_as} -- "{pg_ctl}" "$@"\n')
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (see the module docstring)."""
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        unavailable("PostgreSQL server binaries (pg_ctl) are not installed; `.ci/run` installs them")
    from port_for import select_random
    from pytest_postgresql.executors import PostgreSQLExecutor

    run_as = _run_as()
    tools = Path(tempfile.mkdtemp(prefix="rightsaware-pgctl-"))
    base = Path(tempfile.mkdtemp(prefix="rightsaware-pg-"))
    executable = pg_ctl
    if run_as is not None:
        executable = _wrapper(pg_ctl, run_as, tools)
        account = pwd.getpwnam(run_as)
        os.chown(base, account.pw_uid, account.pw_gid)
    port = select_random()
    executor = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=port,
        datadir=str(base / "data"),
        unixsocketdir=str(base),
        logfile=str(base / "postgresql.log"),
        startparams="-w",
        dbname="rightsaware",
        user="postgres",
        timeout=120,
    )
    try:
        executor.start()
    except Exception as exc:  # noqa: BLE001 - report why the server did not start
        log = base / "postgresql.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(tools, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start with {pg_ctl}: {exc}\n{detail}", pytrace=False)
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        try:
            executor.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(tools, ignore_errors=True)


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
