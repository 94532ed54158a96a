"""Key rotation: re-encrypt every encrypted column and re-key respondent ids with the new secret.

A respondent id is the HMAC of their contact under a secret, and it is the primary key
that responses, contacts and the outbox point to. Rotation re-keys it *transactionally*,
a batch of respondents at a time: for each respondent whose id was made with an older
secret, a new row is inserted under the new id, every row that points to the old id
(contacts, responses, outbox, export records, audit entries, and channels' own tables
through ``channel.rekey_respondents(connection, renamed, runtime)``) is moved to it in the
same transaction, and the old row is deleted. Contact addresses are re-encrypted as they
move (their encryption is bound to the respondent id); outbox payloads and errors are
re-encrypted in place; channels re-encrypt their own columns in
``channel.reencrypt_personal_data(keyring, runtime)``.

Every step is idempotent: a rotation interrupted half-way is finished by running it again
(the keyring still holds both secrets, so old and new ids and ciphertexts are all read).

A respondent erased while opted out keeps only an id and the opt-out, no address: their id
cannot be recomputed, so it stays under the old secret (counted in ``kept_without_address``)
and is recognised only while that secret is listed in ``previous_secret_keys``.
"""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select, update

from . import audit
from .crypto import Keyring
from .store import tables
from .store.engine import write_transaction
from .store.outbox import _error_context, _payload_context
from .store.respondents import _contact_context

BATCH = 200


@frozen
class RotationReport:
    respondents_rekeyed: int
    contacts_reencrypted: int
    messages_reencrypted: int
    channel_items_reencrypted: int
    kept_without_address: int

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in (
            "respondents_rekeyed", "contacts_reencrypted", "messages_reencrypted", "channel_items_reencrypted",
            "kept_without_address")}


def _current_id(keyring: Keyring, respondent_id: str, contacts: list[Any]) -> str | None:  # noqa: ANN401
    """The id under the current secret, from a contact whose address hashes to ``respondent_id``."""
    for contact in contacts:
        if contact.address is None:
            continue
        address = keyring.decrypt(contact.address, context=_contact_context(respondent_id, contact.channel))
        ids = keyring.respondent_ids(contact.channel, address)
        if respondent_id in ids:
            return ids[0]
    return None


def _move(connection: Connection, keyring: Keyring, old: str, new: str, contacts: list[Any]) -> int:  # noqa: ANN401
    t = tables
    row = connection.execute(select(t.respondents).where(t.respondents.c.id == old)).mappings().one()
    existing = connection.scalar(select(t.respondents.c.id).where(t.respondents.c.id == new))
    if existing is None:
        connection.execute(insert(t.respondents).values({**row, "id": new}))
    taken = set(connection.scalars(select(t.respondent_contacts.c.channel)
                                   .where(t.respondent_contacts.c.respondent_id == new)))
    moved = 0
    for contact in contacts:
        if contact.channel not in taken:
            address = None
            if contact.address is not None:
                plain = keyring.decrypt(contact.address, context=_contact_context(old, contact.channel))
                address = keyring.encrypt(plain, context=_contact_context(new, contact.channel))
                moved += 1
            connection.execute(insert(t.respondent_contacts).values(
                respondent_id=new, channel=contact.channel, address=address, opted_out=contact.opted_out,
                created_at=contact.created_at, updated_at=contact.updated_at))
    connection.execute(delete(t.respondent_contacts).where(t.respondent_contacts.c.respondent_id == old))
    connection.execute(update(t.responses).where(t.responses.c.respondent_id == old).values(respondent_id=new))
    connection.execute(update(t.outbox).where(t.outbox.c.respondent_id == old).values(respondent_id=new))
    connection.execute(update(t.audit_log).where(t.audit_log.c.subject_id == old).values(subject_id=new))
    linked = set(connection.scalars(select(t.exported_respondents.c.export_id)
                                    .where(t.exported_respondents.c.respondent_id == new)))
    for export_id in connection.scalars(select(t.exported_respondents.c.export_id)
                                        .where(t.exported_respondents.c.respondent_id == old)).all():
        if export_id not in linked:
            connection.execute(insert(t.exported_respondents).values(export_id=export_id, respondent_id=new))
    connection.execute(delete(t.exported_respondents).where(t.exported_respondents.c.respondent_id == old))
    connection.execute(delete(t.respondents).where(t.respondents.c.id == old))
    return moved


def _rekey_batch(runtime: Any, keyring: Keyring, after: str) -> tuple[str | None, int, int, int]:  # noqa: ANN401
    """One transaction over the next batch of respondents: (last id, re-keyed, re-encrypted, kept)."""
    t = tables
    rekeyed = reencrypted = kept = 0
    with write_transaction(runtime.store.engine) as connection:
        ids = list(connection.scalars(select(t.respondents.c.id).where(t.respondents.c.id > after)
                                      .order_by(t.respondents.c.id).limit(BATCH)))
        if not ids:
            return None, 0, 0, 0
        contacts_of: dict[str, list[Any]] = {}
        for contact in connection.execute(select(t.respondent_contacts)
                                          .where(t.respondent_contacts.c.respondent_id.in_(ids))):
            contacts_of.setdefault(contact.respondent_id, []).append(contact)
        renamed: dict[str, str] = {}
        for respondent_id in ids:
            contacts = contacts_of.get(respondent_id, [])
            new = _current_id(keyring, respondent_id, contacts)
            if new is None:
                kept += 1
            elif new != respondent_id:
                reencrypted += _move(connection, keyring, respondent_id, new, contacts)
                renamed[respondent_id] = new
                rekeyed += 1
            else:
                reencrypted += _reencrypt_contacts(connection, keyring, respondent_id, contacts)
        if renamed:
            for channel in runtime.channels:
                method = getattr(channel, "rekey_respondents", None)
                if callable(method):
                    method(connection, dict(renamed), runtime)
    return ids[-1], rekeyed, reencrypted, kept


def _reencrypt_contacts(connection: Connection, keyring: Keyring, respondent_id: str, contacts: list[Any]) -> int:  # noqa: ANN401
    count = 0
    for contact in contacts:
        if contact.address is None or keyring.is_current(contact.address):
            continue
        context = _contact_context(respondent_id, contact.channel)
        blob = keyring.encrypt(keyring.decrypt(contact.address, context=context), context=context)
        c = tables.respondent_contacts.c
        connection.execute(update(tables.respondent_contacts)
                           .where((c.respondent_id == respondent_id) & (c.channel == contact.channel))
                           .values(address=blob))
        count += 1
    return count


def _reencrypt_outbox(runtime: Any, keyring: Keyring) -> int:  # noqa: ANN401
    o = tables.outbox
    count, after = 0, 0
    while True:
        with write_transaction(runtime.store.engine) as connection:
            rows = connection.execute(select(o.c.id, o.c.channel, o.c.key, o.c.payload, o.c.error)
                                      .where(o.c.id > after).order_by(o.c.id).limit(BATCH)).all()
            if not rows:
                return count
            for row in rows:
                values: dict[str, bytes] = {}
                if not keyring.is_current(row.payload):
                    context = _payload_context(row.channel, row.key)
                    payload = json.loads(keyring.decrypt(row.payload, context=context))
                    values["payload"] = keyring.encrypt(json.dumps(payload, ensure_ascii=False), context=context)
                if row.error is not None and not keyring.is_current(row.error):
                    context = _error_context(row.id)
                    values["error"] = keyring.encrypt(keyring.decrypt(row.error, context=context), context=context)
                if values:
                    connection.execute(update(o).where(o.c.id == row.id).values(**values))
                    count += 1
            after = rows[-1].id


def rotate(runtime: Any, keyring: Keyring, *, actor: str) -> RotationReport:  # noqa: ANN401
    """Bring every encrypted value and respondent id under ``keyring``'s first secret."""
    rekeyed = reencrypted = kept = 0
    after = ""
    while True:
        last, batch_rekeyed, batch_reencrypted, batch_kept = _rekey_batch(runtime, keyring, after)
        if last is None:
            break
        rekeyed, reencrypted, kept = rekeyed + batch_rekeyed, reencrypted + batch_reencrypted, kept + batch_kept
        after = last
    messages = _reencrypt_outbox(runtime, keyring)
    channel_items = 0
    for channel in runtime.channels:
        method = getattr(channel, "reencrypt_personal_data", None)
        if callable(method):
            channel_items += int(method(keyring, runtime) or 0)
    report = RotationReport(respondents_rekeyed=rekeyed, contacts_reencrypted=reencrypted,
                            messages_reencrypted=messages, channel_items_reencrypted=channel_items,
                            kept_without_address=kept)
    audit.record(runtime.store, actor, audit.KEYS_ROTATE, detail=report.counts())
    return report
