"""Driver-level SQL for the store's hot paths: one response loaded, saved or checked.

Channels load and save one response per request. Through SQLAlchemy Core each statement
costs far more than the database's own work (statement building, cache keys, connection
events, an explicit ``BEGIN`` per read), so these few statements are written once as
driver SQL and run on the pooled DBAPI connection:

* reads run as single statements (each is consistent by itself): SQLite in autocommit
  mode, PostgreSQL in a transaction the pool rolls back on return;
* writes run in one transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` on SQLite (the same
  write lock order as :func:`rightsaware.store.engine.write_transaction`), the driver's
  transaction committed on PostgreSQL; anything raised rolls it back.

Values are converted exactly as the column types would (see :mod:`rightsaware.store.bulk`),
and read back into the same Python types SQLAlchemy would give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from .bulk import _aware_time, _sqlite_time

_UTC = dt.timezone.utc

RESPONSE_COLUMNS = ("id", "instrument_id", "instrument_version", "instrument_hash", "channel", "language",
                    "respondent_id", "status", "history", "seen_notes", "revision", "started_at", "updated_at",
                    "completed_at", "synthetic")
ANSWER_COLUMNS = ("question", "value_kind", "value_text", "value_num", "value_long", "language", "channel",
                  "answered_at", "skipped")
_RESPONSE_TIMES = ("started_at", "updated_at", "completed_at")
_UPDATED = tuple(c for c in RESPONSE_COLUMNS if c not in ("id", "started_at"))


class FastPath:
    """The hot statements of one store, in its database's parameter style."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        mark = "?" if self.sqlite else "%s"
        self._to_time = _sqlite_time if self.sqlite else _aware_time
        response_cols = ", ".join(f'r."{c}"' for c in RESPONSE_COLUMNS)
        answer_cols = ", ".join(f'a."{c}"' for c in ANSWER_COLUMNS)
        self.load_sql = (f"SELECT {response_cols}, {answer_cols} FROM responses r "
                         f"LEFT OUTER JOIN answers a ON a.response_id = r.id WHERE r.id = {mark}")
        self.answers_sql = f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answers WHERE response_id = {mark}"
        self.revision_sql = f"SELECT revision FROM responses WHERE id = {mark}"
        self.update_sql = "UPDATE responses SET {sets} WHERE id = {m} AND revision = {m}".format(
            sets=", ".join(f'"{c}" = {mark}' for c in _UPDATED), m=mark)
        self.event_sql = f'SELECT 1 FROM processed_events WHERE channel = {mark} AND "key" = {mark}'
        self.referral_sql = (f"INSERT INTO referrals (response_id, organisation_id, topic, channel, language, "
                             f"share_contact, created_at) VALUES ({mark}, {mark}, {mark}, {mark}, {mark}, {mark}, "
                             f"{mark}) ON CONFLICT DO NOTHING")
        self.referrals_sql = (f"SELECT response_id, organisation_id, topic, channel, language, share_contact, "
                              f"created_at FROM referrals WHERE response_id = {mark} "
                              f"ORDER BY created_at, organisation_id")
        self.claim_sql = (f'INSERT INTO processed_events (channel, "key", kind, processed_at) '
                          f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT DO NOTHING")
        self.delete_choices_sql = f"DELETE FROM answer_choices WHERE response_id = {mark} AND question = {mark}"
        self.delete_answers_sql = f"DELETE FROM answers WHERE response_id = {mark} AND question = {mark}"

    # -- connections -------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Any]:
        """A DBAPI cursor for single-statement reads."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back anything still open

    @contextmanager
    def write(self) -> Iterator[Any]:
        """A DBAPI cursor in a write transaction, committed on exit (rolled back on an error)."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                if self.sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield cursor
                except BaseException:
                    if self.sqlite:
                        cursor.execute("ROLLBACK")
                    else:
                        connection.rollback()
                    raise
                if self.sqlite:
                    cursor.execute("COMMIT")
                else:
                    connection.commit()
            finally:
                cursor.close()
        finally:
            connection.close()

    # -- values ------------------------------------------------------------------------
    @staticmethod
    def read_time(value: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite: naive UTC text
            return dt.datetime.fromisoformat(value).replace(tzinfo=_UTC)
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)

    def response_row(self, row: Sequence[Any]) -> dict[str, Any]:
        values = dict(zip(RESPONSE_COLUMNS, row))
        for name in _RESPONSE_TIMES:
            values[name] = self.read_time(values[name])
        return values

    def answer_row(self, row: Sequence[Any]) -> dict[str, Any]:
        values = dict(zip(ANSWER_COLUMNS, row))
        values["answered_at"] = self.read_time(values["answered_at"])
        return values

    def time(self, value: dt.datetime) -> Any:
        """A timezone-aware time as the database keeps it."""
        return self._to_time(value)

    def update_params(self, values: dict[str, Any], response_id: str, expected_revision: int) -> tuple:
        params = [values[c] for c in _UPDATED]
        for index, name in enumerate(_UPDATED):
            if name in _RESPONSE_TIMES:
                params[index] = self._to_time(params[index])
        return (*params, response_id, expected_revision)
