"""A throwaway PostgreSQL server for tests and benchmarks, from Debian's ``postgresql`` binaries.

``pg_ctl`` is found through ``RIGHTSAWARE_PG_CTL``, then PATH, then the newest
``/usr/lib/postgresql/<version>/bin``. PostgreSQL refuses to run as root, so as root
(CI containers) ``pg_ctl`` runs as the ``postgres`` system user through ``runuser``, in a
data folder that user owns. Nothing here is used by a deployment.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The binaries or the system user needed to run PostgreSQL are missing."""


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


class PostgresServer:
    """A running PostgreSQL server: connection details and throwaway databases."""

    def __init__(self, host: str, port: int, user: str) -> None:
        self.host, self.port, self.user = host, port, user

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def _admin(self):  # noqa: ANN202
        """A connection to the maintenance database, waiting while the server finishes starting."""
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres",
                                       autocommit=True, connect_timeout=10)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def create_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("PostgreSQL cannot run as root and there is no 'postgres' system user to run it") from None
    return "postgres"


def _wrapper(pg_ctl: str, run_as: str, folder: Path) -> str:
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    wrapper = folder / "pg_ctl_as_postgres"
    wrapper.write_text(f'#!/bin/sh\ncd /\nexec "{runuser}" -u {run_as} -- "{pg_ctl}" "$@"\n')
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server on a random free port; stop it and remove its files after."""
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        raise PostgresUnavailable("PostgreSQL server binaries (pg_ctl) are not installed; `.ci/run` installs them")
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
        executable=executable, host="127.0.0.1", port=port, datadir=str(base / "data"),
        unixsocketdir=str(base), logfile=str(base / "postgresql.log"), startparams="-w",
        dbname="rightsaware", user="postgres", timeout=120,
    )
    try:
        executor.start()
    except Exception as exc:
        log = base / "postgresql.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(tools, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start with {pg_ctl}: {exc}\n{detail}") from exc
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        try:
            executor.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)
            shutil.rmtree(tools, ignore_errors=True)
