"""The :class:`Store`: opening a database, migrating it, instruments seen and referrals.

Respondents, responses and the outbox live in mixins (``respondents.py``,
``responses.py``, ``outbox.py``) so that each module stays small; this class ties them
together around one SQLAlchemy engine and one :class:`~rightsaware.crypto.Keyring`.
"""

from __future__ import annotations

import re
from types import ModuleType

from sqlalchemy import Engine, and_, func, select, update
from sqlalchemy.exc import DBAPIError

from ..crypto import Keyring
from ..errors import InstrumentConflict, StoreError
from ..i18n import N_
from ..response import utcnow
from . import migrate as _migrate
from . import tables as _tables
from .engine import describe_url, insert_ignoring_duplicates, make_engine, normalise_url, write_transaction
from .fast import FastPath
from .outbox import OutboxMixin
from .records import ReferralRecord
from .respondents import RespondentsMixin
from .responses import ResponsesMixin

_instruments = _tables.instruments


def suggest_next_version(version: str) -> str:
    """``1`` → ``2``, ``1.4`` → ``1.5``, ``2024-03`` → ``2024-04``; otherwise ``<version>.1``."""
    match = re.search(r"(\d+)(\D*)$", version)
    if match is None:
        return f"{version}.1"
    number = str(int(match.group(1)) + 1).zfill(len(match.group(1)))
    return version[: match.start(1)] + number + match.group(2)


class Store(RespondentsMixin, ResponsesMixin, OutboxMixin):
    """Everything rightsaware keeps: instruments seen, respondents, responses, events, outbox, referrals.

    Open it with :meth:`open`. ``engine`` is the SQLAlchemy engine and ``tables`` the
    module of ``Table`` objects, for code that writes its own SQL (reports).
    """

    tables: ModuleType = _tables

    def __init__(self, engine: Engine, keyring: Keyring) -> None:
        self.engine = engine
        self.keyring = keyring
        self.fast = FastPath(engine)
        self._recorded: set[tuple[str, str, str]] = set()  # instruments this store recorded

    @classmethod
    def open(cls, url: str | None, keyring: Keyring, *, migrate: bool = True) -> Store:
        """Open (and by default migrate) the database at ``url``.

        ``sqlite:///path.db`` (or a bare file path; the folder is created),
        ``postgresql://…`` or ``postgresql+psycopg://…``. ``None`` or an empty URL is a
        :class:`~rightsaware.errors.ConfigError` saying how to configure one.
        """
        parsed = normalise_url(url)
        engine = make_engine(parsed)
        store = cls(engine, keyring)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            if migrate:
                store.migrate()
        except DBAPIError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else "unknown"
            raise StoreError(
                N_("The database {url} cannot be opened: {reason}"),
                params={"url": describe_url(parsed), "reason": reason}
            ) from None
        except BaseException:
            engine.dispose()
            raise
        return store

    def migrate(self) -> None:
        """Bring the database to the newest schema (``alembic upgrade head``); safe to repeat."""
        _migrate.upgrade(self.engine)

    def schema_revision(self) -> str | None:
        """The migration the database is at."""
        return _migrate.current_revision(self.engine)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {describe_url(self.engine.url)}>"

    # -- instruments -------------------------------------------------------------------
    def record_instrument(self, instrument_id: str, version: str, content_hash: str) -> None:
        """Remember which content an instrument id and version has.

        The same id and version with a different hash is refused with
        :class:`~rightsaware.errors.InstrumentConflict` once responses exist for it; with no
        responses yet, the new content replaces the old. Recording what this store already
        recorded changes nothing, so it is done once per process (and instrument content).
        """
        if (instrument_id, version, content_hash) in self._recorded:
            return
        self._record_instrument(instrument_id, version, content_hash)
        self._recorded = {key for key in self._recorded if key[:2] != (instrument_id, version)}
        self._recorded.add((instrument_id, version, content_hash))

    def _record_instrument(self, instrument_id: str, version: str, content_hash: str) -> None:
        now = utcnow()
        key = and_(_instruments.c.instrument_id == instrument_id, _instruments.c.version == version)
        with write_transaction(self.engine) as connection:
            inserted = insert_ignoring_duplicates(
                connection,
                _instruments,
                {
                    "instrument_id": instrument_id,
                    "version": version,
                    "content_hash": content_hash,
                    "first_seen_at": now,
                    "updated_at": now,
                },
            )
            if inserted:
                return
            query = select(_instruments.c.content_hash).where(key)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            if connection.scalar(query) == content_hash:
                return
            responses = _tables.responses
            count = connection.scalar(
                select(func.count())
                .select_from(responses)
                .where(and_(responses.c.instrument_id == instrument_id, responses.c.instrument_version == version))
            )
            if count:
                raise InstrumentConflict(
                    N_("Instrument '{id}' version '{version}' has changed, but responses were already "
                       "collected with the earlier content (total so far: {count}). Give the changed instrument "
                       "a new version (for example '{next}') and load it again."),
                    params={"id": instrument_id, "version": version, "count": count, "next": suggest_next_version(version)}
                )
            connection.execute(update(_instruments).where(key).values(content_hash=content_hash, updated_at=now))

    def event_claimed(self, channel: str, key: str) -> bool:
        """Whether the event ``(channel, key)`` was claimed (see :meth:`claim_event`)."""
        fast = self.fast
        with fast.read() as cursor:
            cursor.execute(fast.event_sql, (channel, key))
            return cursor.fetchone() is not None

    def instrument_hash(self, instrument_id: str, version: str) -> str | None:
        """The content hash recorded for an instrument id and version, or ``None``."""
        with self.engine.connect() as connection:
            return connection.scalar(
                select(_instruments.c.content_hash).where(
                    and_(_instruments.c.instrument_id == instrument_id, _instruments.c.version == version)
                )
            )

    # -- referrals ---------------------------------------------------------------------
    def add_referral(
        self,
        response_id: str,
        organisation_id: str,
        topic: str,
        *,
        channel: str,
        language: str,
        share_contact: bool,
    ) -> None:
        """Record a referral; adding the same response and organisation again changes nothing."""
        fast = self.fast
        row = (response_id, organisation_id, topic, channel, language, share_contact, fast.time(utcnow()))
        try:
            with fast.write() as cursor:
                cursor.execute(fast.referral_sql, row)
        except self.engine.dialect.loaded_dbapi.IntegrityError:
            raise StoreError(N_("A referral needs a stored response; there is none with that id.")) from None

    def referrals_for(self, response_id: str) -> list[ReferralRecord]:
        """The referrals made from a response, in the order they were made."""
        fast = self.fast
        with fast.read() as cursor:
            cursor.execute(fast.referrals_sql, (response_id,))
            rows = cursor.fetchall()
        return [ReferralRecord(response_id=r[0], organisation_id=r[1], topic=r[2], channel=r[3], language=r[4],
                               share_contact=bool(r[5]), created_at=fast.read_time(r[6])) for r in rows]
