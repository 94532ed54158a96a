"""Alembic environment of the rightsaware store.

Used both by :func:`rightsaware.store.migrate.upgrade` (which hands over an open
connection in ``config.attributes["connection"]``) and by the ``alembic`` command line
with ``src/rightsaware/store/alembic.ini``, where the database URL comes from
``-x db=URL``, ``RIGHTSAWARE_DATABASE_URL`` or ``sqlalchemy.url`` in that order.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from rightsaware.store import tables
from rightsaware.store.engine import make_engine, normalise_url, write_transaction
from rightsaware.store.migrate import configure_context, lock_for_migration

config = context.config
if config.config_file_name and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str | None:
    x_arguments = context.get_x_argument(as_dictionary=True)
    return x_arguments.get("db") or os.environ.get("RIGHTSAWARE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")


def run_offline() -> None:
    """Write the SQL to standard output (``alembic upgrade head --sql``)."""
    context.configure(
        url=normalise_url(_url()),
        target_metadata=tables.metadata,
        literal_binds=True,
        **configure_context(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=tables.metadata, **configure_context())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with write_transaction(engine) as connection:
            lock_for_migration(connection)
            context.configure(connection=connection, target_metadata=tables.metadata, **configure_context())
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
