"""Respondents: keyed-hash ids, encrypted contact details, language, opt-outs, erasure.

A respondent is known only by the HMAC of their normalised contact. The address itself is
stored encrypted, bound to its row (respondent id and channel), and is decrypted only
when a channel asks for it to send a message. Nothing here logs an address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, and_, delete, select, update

from ..crypto import Keyring, normalise_address, normalise_channel
from ..errors import NotFound
from ..response import utcnow
from . import tables
from .engine import insert_ignoring_duplicates, write_transaction
from .records import RespondentRecord

_contacts = tables.respondent_contacts
_respondents = tables.respondents


def _contact_context(respondent_id: str, channel: str) -> str:
    return f"contact\x00{respondent_id}\x00{channel}"


class RespondentsMixin:
    """Respondent methods of :class:`rightsaware.store.Store`."""

    engine: object
    keyring: Keyring

    def ensure_respondent(self, channel: str, address: str, *, language: str | None = None) -> str:
        """The respondent id for this contact, creating the respondent if new.

        Stores the normalised address encrypted. Idempotent: calling again changes nothing
        (``language`` only fills in a language not yet known). A respondent created under
        an older secret keeps their id after a key rotation. An erased respondent who
        comes back is active again.
        """
        channel = normalise_channel(channel)
        if not normalise_address(channel, address):
            raise ValueError("A respondent needs a non-empty address.")
        candidates = self.keyring.respondent_ids(channel, address)
        now = utcnow()
        with write_transaction(self.engine) as connection:
            respondent_id = self._existing_id(connection, candidates) or candidates[0]
            insert_ignoring_duplicates(
                connection,
                _respondents,
                {"id": respondent_id, "language": language, "created_at": now, "updated_at": now, "erased_at": None},
            )
            row = connection.execute(
                select(_respondents.c.language, _respondents.c.erased_at).where(_respondents.c.id == respondent_id)
            ).one()
            if row.erased_at is not None or (language and row.language is None):
                connection.execute(
                    update(_respondents)
                    .where(_respondents.c.id == respondent_id)
                    .values(erased_at=None, language=row.language or language, updated_at=now)
                )
            encrypted = self.keyring.encrypt(
                normalise_address(channel, address), context=_contact_context(respondent_id, channel)
            )
            inserted = insert_ignoring_duplicates(
                connection,
                _contacts,
                {
                    "respondent_id": respondent_id,
                    "channel": channel,
                    "address": encrypted,
                    "opted_out": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if not inserted:  # the row exists; fill the address in if it was erased
                connection.execute(
                    update(_contacts)
                    .where(and_(_contacts.c.respondent_id == respondent_id, _contacts.c.channel == channel))
                    .where(_contacts.c.address.is_(None))
                    .values(address=encrypted, updated_at=now)
                )
        return respondent_id

    @staticmethod
    def _existing_id(connection: Connection, candidates: tuple[str, ...]) -> str | None:
        if len(candidates) == 1:
            return None
        found = set(connection.scalars(select(_respondents.c.id).where(_respondents.c.id.in_(candidates))))
        return next((candidate for candidate in candidates if candidate in found), None)

    def find_respondent(self, channel: str, address: str) -> str | None:
        """The id of the respondent with this contact, or ``None`` (creates nothing)."""
        candidates = self.keyring.respondent_ids(channel, address)
        with self.engine.connect() as connection:
            found = set(connection.scalars(select(_respondents.c.id).where(_respondents.c.id.in_(candidates))))
        return next((candidate for candidate in candidates if candidate in found), None)

    def respondent(self, respondent_id: str) -> RespondentRecord | None:
        """The respondent with this id, or ``None``."""
        with self.engine.connect() as connection:
            row = connection.execute(select(_respondents).where(_respondents.c.id == respondent_id)).first()
            if row is None:
                return None
            opted_out = connection.scalars(
                select(_contacts.c.channel).where(
                    and_(_contacts.c.respondent_id == respondent_id, _contacts.c.opted_out.is_(True))
                )
            ).all()
        return RespondentRecord(
            id=row.id,
            language=row.language,
            created_at=row.created_at,
            opted_out_channels=frozenset(opted_out),
            erased=row.erased_at is not None,
        )

    def contact_address(self, respondent_id: str, channel: str) -> str | None:
        """The decrypted address of the respondent on ``channel`` (``None`` if unknown or erased)."""
        channel = normalise_channel(channel)
        with self.engine.connect() as connection:
            blob = connection.scalar(
                select(_contacts.c.address).where(
                    and_(_contacts.c.respondent_id == respondent_id, _contacts.c.channel == channel)
                )
            )
        if blob is None:
            return None
        return self.keyring.decrypt(blob, context=_contact_context(respondent_id, channel))

    def set_language(self, respondent_id: str, language: str) -> None:
        """Remember the respondent's explicit choice of language."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(_respondents)
                .where(_respondents.c.id == respondent_id)
                .values(language=language, updated_at=utcnow())
            )
            if result.rowcount == 0:
                raise _no_respondent()

    def set_opted_out(self, respondent_id: str, channel: str, opted_out: bool) -> None:
        """Record that the respondent opted out of (or back in to) ``channel``."""
        channel = normalise_channel(channel)
        now = utcnow()
        with write_transaction(self.engine) as connection:
            if connection.scalar(select(_respondents.c.id).where(_respondents.c.id == respondent_id)) is None:
                raise _no_respondent()
            inserted = insert_ignoring_duplicates(
                connection,
                _contacts,
                {
                    "respondent_id": respondent_id,
                    "channel": channel,
                    "address": None,
                    "opted_out": opted_out,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if not inserted:
                connection.execute(
                    update(_contacts)
                    .where(and_(_contacts.c.respondent_id == respondent_id, _contacts.c.channel == channel))
                    .values(opted_out=opted_out, updated_at=now)
                )

    def erase_respondent(self, respondent_id: str, *, delete_responses: bool = False) -> None:
        """Erase a respondent's personal data.

        Deletes their contact addresses (an opt-out is kept, without the address, so they
        are never contacted again), their language and their outbox messages, and detaches
        their responses (or deletes them with ``delete_responses=True``).
        """
        now: dt.datetime = utcnow()
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(_respondents)
                .where(_respondents.c.id == respondent_id)
                .values(language=None, erased_at=now, updated_at=now)
            )
            if result.rowcount == 0:
                raise _no_respondent()
            connection.execute(
                delete(_contacts).where(
                    and_(_contacts.c.respondent_id == respondent_id, _contacts.c.opted_out.is_(False))
                )
            )
            connection.execute(
                update(_contacts).where(_contacts.c.respondent_id == respondent_id).values(address=None, updated_at=now)
            )
            connection.execute(delete(tables.outbox).where(tables.outbox.c.respondent_id == respondent_id))
            responses = tables.responses
            if delete_responses:
                connection.execute(delete(responses).where(responses.c.respondent_id == respondent_id))
            else:
                connection.execute(
                    update(responses).where(responses.c.respondent_id == respondent_id).values(respondent_id=None)
                )


def _no_respondent() -> NotFound:
    return NotFound("There is no respondent with that id.")
