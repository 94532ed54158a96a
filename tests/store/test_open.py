"""Opening stores: URLs, SQLite settings, migrations that match the metadata."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from rightsaware.crypto import Keyring
from rightsaware.errors import ConfigError, StoreError
from rightsaware.store import Store, normalise_url, tables
from rightsaware.store.migrate import current_revision, differences, head_revision


@pytest.mark.parametrize("url", [None, "", "   "])
def test_a_missing_url_says_how_to_configure_one(url: str | None, keyring: Keyring) -> None:
    with pytest.raises(ConfigError, match="RIGHTSAWARE_DATABASE_URL or pass --db"):
        Store.open(url, keyring)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db.example/survey", "postgresql+psycopg://u:***@db.example/survey"),
        ("postgres://u@db.example/survey", "postgresql+psycopg://u@db.example/survey"),
        ("postgresql+psycopg://u@h:5433/s", "postgresql+psycopg://u@h:5433/s"),
        ("sqlite:///data/x.db", "sqlite+pysqlite:///data/x.db"),
        ("survey.db", "sqlite+pysqlite:///survey.db"),
    ],
)
def test_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_url(given).render_as_string(hide_password=True) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "not supported. Use SQLite or PostgreSQL"),
        ("postgresql+psycopg2://u@h/db", "use postgresql\\+psycopg://"),
        ("sqlite+aiosqlite:///x.db", "use sqlite:///"),
        ("post gres://x/y", "could not be read"),
    ],
)
def test_unusable_urls_are_refused_clearly(url: str, message: str, keyring: Keyring) -> None:
    with pytest.raises(ConfigError, match=message):
        Store.open(url, keyring)


def test_an_unreachable_server_is_a_store_error_without_the_password(keyring: Keyring) -> None:
    url = "postgresql://someone:hunter2-secret@127.0.0.1:9/nowhere?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot be opened") as caught:
        Store.open(url, keyring)
    assert "hunter2" not in str(caught.value)


def test_sqlite_creates_its_folder_and_runs_in_wal_mode(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "new" / "folder" / "survey.db"
    with Store.open(f"sqlite:///{path}", keyring) as store:
        assert path.exists()
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    with Store.open(str(path), keyring) as again:  # a bare path works too
        assert again.schema_revision() == head_revision()


def test_migrations_create_everything_and_match_metadata(database_url: str, keyring: Keyring) -> None:
    store = Store.open(database_url, keyring)
    assert store.schema_revision() == head_revision()
    names = set(inspect(store.engine).get_table_names())
    assert set(tables.metadata.tables) <= names
    assert differences(store.engine) == []
    store.migrate()  # repeating is harmless
    assert store.schema_revision() == head_revision()
    store.close()


def test_the_comparison_notices_a_schema_that_drifted(database_url: str, keyring: Keyring) -> None:
    with Store.open(database_url, keyring) as store:
        with store.engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_answers_question_value_text"))
        drift = differences(store.engine)
    assert [change[0] for change in drift] == ["add_index"]


def test_open_without_migrate_leaves_an_empty_database_empty(database_url: str, keyring: Keyring) -> None:
    with Store.open(database_url, keyring, migrate=False) as store:
        assert current_revision(store.engine) is None
        assert "responses" not in inspect(store.engine).get_table_names()
        store.migrate()
        assert current_revision(store.engine) == head_revision()


def test_the_alembic_command_line_upgrades_a_database(database_url: str, keyring: Keyring) -> None:
    ini = Path(sys.modules["rightsaware.store"].__file__).parent / "alembic.ini"
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"db={database_url}", "upgrade", "head"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with Store.open(database_url, keyring, migrate=False) as store:
        assert store.schema_revision() == head_revision()
        assert differences(store.engine) == []


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my meeting notes, not a database. " * 200)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store.open(f"sqlite:///{path}", keyring)


def test_a_database_from_a_newer_rightsaware_is_refused(store_url: str, keyring: Keyring) -> None:
    with Store.open(store_url, keyring) as store:
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(StoreError, match="newer version of rightsaware"):
        Store.open(store_url, keyring)
    with Store.open(store_url, keyring, migrate=False) as store:  # nothing was changed
        assert store.schema_revision() == "f00d"
        with store.engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
