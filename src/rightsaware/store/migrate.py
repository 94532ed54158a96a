"""Alembic migrations of the store, run from Python (works from an installed wheel).

:func:`upgrade` brings a database to the newest schema inside one transaction, holding
the write lock (SQLite) or an advisory lock (PostgreSQL) so that two processes starting
at once migrate it exactly once. :func:`differences` compares the migrated database with
``tables.metadata`` (empty when migrations and metadata agree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from ..errors import StoreError
from ..i18n import N_
from . import tables
from .engine import write_transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_KEY = 0x72696768  # "righ": one lock for every rightsaware database
TALLY_TABLE_PREFIX = "tally_r_"


def alembic_config() -> Config:
    """An Alembic ``Config`` pointing at the migrations inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:  # noqa: ANN401
    """Render ``UTCDateTime`` as the plain ``sa.DateTime(timezone=True)`` it is in the database."""
    if type_ == "type" and isinstance(obj, tables.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:  # noqa: ANN401
    """Leave out the tally tables made at run time (``tally_r_<hex>``, see rightsaware.tally)."""
    return not (type_ == "table" and name is not None and name.startswith(TALLY_TABLE_PREFIX))


def configure_context() -> dict[str, Any]:
    """Options for ``context.configure`` shared by env.py and :func:`differences`."""
    return {"render_as_batch": True, "compare_type": True, "render_item": _render_item,
            "include_name": _include_name}


def lock_for_migration(connection: Connection) -> None:
    """Serialise migrations between processes (SQLite already holds BEGIN IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` (the newest by default).

    Refuses, with :class:`~rightsaware.errors.StoreError`, a database that a newer
    version of rightsaware has already migrated further.
    """
    config = alembic_config()
    scripts = ScriptDirectory.from_config(config)
    with write_transaction(engine) as connection:
        lock_for_migration(connection)
        current = MigrationContext.configure(connection).get_current_revision()
        if current is not None:
            try:
                scripts.get_revision(current)
            except (ResolutionError, CommandError):
                raise StoreError(
                    N_("This database was last used by a newer version of rightsaware (its schema is at "
                       "revision {current}). Install that version or a later one to use it."),
                    params={"current": current}
                ) from None
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str:
    """The newest migration in this version of rightsaware."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match ``tables.metadata``."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=configure_context())
        return compare_metadata(context, tables.metadata)
