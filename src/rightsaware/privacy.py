"""People's rights over their data: find a person, erase them, record withdrawals and exports.

* :func:`find_respondents` — the respondent ids of a phone number (under every configured
  secret and every channel) or of a given id.
* :func:`erase` — removes contact details, queued and sent messages, the person's free-text
  answers, every link from answers to the person (responses are detached; withdrawn
  responses are deleted), export files that named them and their ids in the audit log.
  Plugins delete their own data through the ``respondent_erased`` hook first. Idempotent.
* :func:`withdraw` — the person withdrew consent: their responses go into ``withdrawals``
  (every report and export leaves them out through
  :func:`rightsaware.store.tables.not_withdrawn`), their referrals are deleted, active
  responses are abandoned with reason ``"withdrawn"`` and, by default, they are opted out.
* :func:`record_export` — every file written with personal data is recorded, so that
  erasure and retention can delete it, and audited.

The subject access export is :mod:`rightsaware.privacy_export`, retention
:mod:`rightsaware.retention`, key rotation :mod:`rightsaware.key_rotation`.

Channels take part through optional methods of the channel object (duck-typed):

* ``personal_data(respondent_id, response_ids, runtime) -> dict`` — what the channel
  holds about the person, JSON-serialisable, for the subject access export;
* ``purge_personal_data(kind, before, runtime, dry_run) -> int`` — delete data of ``kind``
  (``messages``, ``scans``, ``contacts``, ``exports``) older than ``before``; the count;
* ``rekey_respondents(connection, renamed, runtime)`` and
  ``reencrypt_personal_data(keyring, runtime) -> int`` — key rotation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, and_, delete, func, select, update

from . import audit
from .crypto import PHONE_CHANNELS, normalise_address
from .errors import RightsawareError
from .i18n import N_, _
from .response import STATUS_ACTIVE, utcnow
from .store import tables
from .store.engine import insert_ignoring_duplicates, write_transaction
from .text import reply_key

log = logging.getLogger(__name__)

MSG_NOT_A_PHONE = N_("That is not a phone number. Write it with digits, for example +44 7700 900123 or 07700 900123.")
MSG_NOT_AN_ID = N_("A respondent id is 64 letters and digits (0-9, a-f), as shown by the export or the audit log.")
MSG_PLUGIN_FAILED = N_("A plugin could not erase its own copy of the data ({error}). Nothing was erased; fix the "
                       "problem and run the command again.")

# Whole-message replies that withdraw consent (matched like the other reply keywords: case,
# punctuation and, on a second pass, accents ignored). Welsh and Gaelic entries marked † are
# proposals for a fluent speaker to confirm (locales/REVIEW.md).
WITHDRAW_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("withdraw", "withdraw consent", "delete my answers", "delete my data"),
    "cy": ("tynnu'n ôl", "tynnu nôl", "tynnu yn ôl", "dileu fy atebion", "dileu fy nata"),  # †
    "gd": ("tarraing air ais", "tarraing às", "sguab às mo fhreagairtean", "sguab às an dàta agam"),  # †
}


@frozen
class ErasureReport:
    """What :func:`erase` removed (numbers only: it never holds personal data)."""

    respondents: int = 0
    responses_anonymised: int = 0
    responses_deleted: int = 0
    text_answers_deleted: int = 0
    messages_deleted: int = 0
    export_files_deleted: int = 0
    audit_entries_anonymised: int = 0

    def __add__(self, other: ErasureReport) -> ErasureReport:
        return ErasureReport(**{name: value + getattr(other, name) for name, value in self.counts().items()})

    def counts(self) -> dict[str, int]:
        return attrs.asdict(self)


@frozen
class WithdrawalReport:
    """What :func:`withdraw` changed."""

    respondent_id: str | None
    responses: int
    newly_withdrawn: int
    abandoned: int


def is_withdrawal(text: str) -> bool:
    """Whether a whole reply asks to withdraw consent, in English, Welsh or Gaelic."""
    for accents in (True, False):
        key = reply_key(text or "", accents=accents)
        if not key:
            return False
        for words in WITHDRAW_WORDS.values():
            if key in {reply_key(word, accents=accents) for word in words}:
                return True
    return False


def _phone_key(phone: str) -> str:
    normalised = normalise_address("sms", phone)
    digits = normalised.lstrip("+")
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise RightsawareError(_(MSG_NOT_A_PHONE))
    return normalised


def find_respondents(runtime: Any, *, phone: str | None = None, respondent_id: str | None = None) -> list[str]:
    """The stored respondent ids of a phone number (any phone channel, any secret) or an id.

    An empty list when nothing is held. Never logs the number.
    """
    store = runtime.store
    if respondent_id is not None:
        candidate = respondent_id.strip().lower()
        if len(candidate) != 64 or any(ch not in "0123456789abcdef" for ch in candidate):
            raise RightsawareError(_(MSG_NOT_AN_ID))
        candidates = {candidate}
    else:
        address = _phone_key(phone or "")
        with store.engine.connect() as connection:
            channels = set(connection.scalars(select(tables.respondent_contacts.c.channel).distinct()))
        candidates = {rid for channel in sorted(channels | PHONE_CHANNELS)
                      for rid in store.keyring.respondent_ids(channel, address)}
    with store.engine.connect() as connection:
        found = set(connection.scalars(select(tables.respondents.c.id).where(tables.respondents.c.id.in_(candidates))))
        # responses may name a respondent whose row is gone (never in the core; a plugin's import)
        found |= set(connection.scalars(select(tables.responses.c.respondent_id).distinct()
                                        .where(tables.responses.c.respondent_id.in_(candidates))))
    return sorted(found)


def response_ids_of(connection: Connection, respondent_id: str) -> list[str]:
    responses = tables.responses
    return list(connection.scalars(select(responses.c.id).where(responses.c.respondent_id == respondent_id)
                                   .order_by(responses.c.started_at)))


def delete_responses(connection: Connection, response_ids: Sequence[str]) -> int:
    """Delete responses with their answers, choices, referrals and withdrawals; how many."""
    deleted = 0
    for start in range(0, len(response_ids), 500):
        chunk = list(response_ids[start : start + 500])
        for table in (tables.answer_choices, tables.answers, tables.referrals, tables.withdrawals):
            connection.execute(delete(table).where(table.c.response_id.in_(chunk)))
        deleted += max(connection.execute(delete(tables.responses).where(tables.responses.c.id.in_(chunk))).rowcount, 0)
        # Their tally rows went with them (ON DELETE CASCADE); the marks the triggers just made go too.
        connection.execute(delete(tables.tally_dirty).where(tables.tally_dirty.c.response_id.in_(chunk)))
    return deleted


def erase(runtime: Any, respondent_ids: Iterable[str], *, actor: str, action: str = audit.RESPONDENT_ERASE) -> ErasureReport:
    """Erase each respondent (see the module docstring); safe to run again."""
    report = ErasureReport()
    for respondent_id in dict.fromkeys(respondent_ids):
        report = report + _erase_one(runtime, respondent_id, actor, action)
    return report


def _erase_one(runtime: Any, respondent_id: str, actor: str, action: str) -> ErasureReport:
    store = runtime.store
    with store.engine.connect() as connection:
        response_ids = response_ids_of(connection, respondent_id)
    try:
        runtime.hook.respondent_erased(respondent_id=respondent_id, response_ids=list(response_ids), runtime=runtime)
    except RightsawareError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's failure stops the erasure, with a clear message
        raise RightsawareError(_(MSG_PLUGIN_FAILED, error=type(exc).__name__)) from None
    files = _delete_export_files(store, respondent_id)
    now = utcnow()
    t = tables
    with write_transaction(store.engine) as connection:
        response_ids = response_ids_of(connection, respondent_id)  # again, inside the transaction
        withdrawn = set(connection.scalars(select(t.withdrawals.c.response_id)
                                           .where(t.withdrawals.c.response_id.in_(response_ids))))
        keep = [rid for rid in response_ids if rid not in withdrawn]
        deleted = delete_responses(connection, sorted(withdrawn))
        texts = 0
        instruments = dict(connection.execute(select(t.responses.c.id, t.responses.c.instrument_id)
                                              .where(t.responses.c.id.in_(keep))).all()) if keep else {}
        for response_id in keep:
            texts += _delete_free_text(connection, response_id, _free_text_questions(runtime, instruments[response_id]))
        for start in range(0, len(keep), 500):
            chunk = keep[start : start + 500]
            connection.execute(update(t.responses).where(t.responses.c.id.in_(chunk)).values(respondent_id=None))
        messages = max(connection.execute(delete(t.outbox).where(t.outbox.c.respondent_id == respondent_id)).rowcount, 0)
        contacts = t.respondent_contacts
        connection.execute(delete(contacts).where(
            and_(contacts.c.respondent_id == respondent_id, contacts.c.opted_out.is_(False))))
        opted_out = connection.scalar(select(func.count()).select_from(contacts)
                                      .where(contacts.c.respondent_id == respondent_id))
        erased_at = connection.execute(select(t.respondents.c.erased_at)
                                       .where(t.respondents.c.id == respondent_id)).first()
        changed = bool(response_ids or messages or files) or (erased_at is not None and erased_at[0] is None)
        if opted_out:  # keep "never contact again", without the address
            connection.execute(update(contacts).where(contacts.c.respondent_id == respondent_id)
                               .values(address=None, updated_at=now))
            connection.execute(update(t.respondents).where(t.respondents.c.id == respondent_id)
                               .values(language=None, erased_at=now, updated_at=now))
        else:
            connection.execute(delete(t.respondents).where(t.respondents.c.id == respondent_id))
        connection.execute(delete(t.exported_respondents).where(t.exported_respondents.c.respondent_id == respondent_id))
        anonymised = audit.forget_subjects(connection, [respondent_id, *response_ids])
        report = ErasureReport(respondents=1 if changed else 0, responses_anonymised=len(keep),
                               responses_deleted=deleted, text_answers_deleted=texts, messages_deleted=messages,
                               export_files_deleted=files, audit_entries_anonymised=anonymised)
        audit.record(store, actor, action, detail=report.counts(), connection=connection)
    log.info("erased a respondent: %s", report.counts())
    return report


def _free_text_questions(runtime: Any, instrument_id: str) -> set[str] | None:
    """Names of the instrument's free-text questions; ``None`` when it is not installed any more."""
    from .errors import NotFound

    try:
        instrument = runtime.instrument(instrument_id)
    except (NotFound, RightsawareError):
        return None
    return {question.name for question in instrument.questions if question.kind == "text"}


def _delete_free_text(connection: Connection, response_id: str, names: set[str] | None) -> int:
    """Delete the free-text answers of a response (every text-valued answer if the instrument is unknown)."""
    answers = tables.answers
    where = [answers.c.response_id == response_id, answers.c.value_kind == "text"]
    if names is not None:
        if not names:
            return 0
        where.append(answers.c.question.in_(sorted(names)))
    return max(connection.execute(delete(answers).where(and_(*where))).rowcount, 0)


def _delete_export_files(store: Any, respondent_id: str) -> int:
    files, links = tables.exported_files, tables.exported_respondents
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(files.c.id, files.c.path).join(links, links.c.export_id == files.c.id)
            .where(and_(links.c.respondent_id == respondent_id, files.c.deleted_at.is_(None)))).all()
    deleted = delete_files(store, rows)
    return deleted


def delete_files(store: Any, rows: Sequence[Any]) -> int:
    """Delete exported files (rows with ``id`` and ``path``) and mark them deleted; how many existed."""
    existed = 0
    for row in rows:
        try:
            os.unlink(row.path)
            existed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise RightsawareError(_("An exported file could not be deleted ({reason}). Delete it by hand: {path}",
                                     reason=exc.strerror or type(exc).__name__, path=row.path)) from None
    if rows:
        with write_transaction(store.engine) as connection:
            connection.execute(update(tables.exported_files).where(tables.exported_files.c.id.in_([r.id for r in rows]))
                               .values(deleted_at=utcnow()))
            connection.execute(delete(tables.exported_respondents)
                               .where(tables.exported_respondents.c.export_id.in_([r.id for r in rows])))
    return existed


def record_export(runtime: Any, path: str | Path, kind: str, respondent_ids: Iterable[str], *, actor: str,
                  action: str, subject_kind: str | None = None, subject_id: str | None = None,
                  detail: Mapping[str, Any] | None = None) -> int:
    """Remember a file written with personal data (for erasure and retention) and audit it.

    One audit entry per respondent whose data is in the file. Returns the export's id.
    """
    ids = sorted(set(respondent_ids))
    with write_transaction(runtime.store.engine) as connection:
        export_id = connection.execute(tables.exported_files.insert().values(
            kind=kind, path=str(Path(path).resolve()), created_at=utcnow(), deleted_at=None)).inserted_primary_key[0]
        if ids:
            connection.execute(tables.exported_respondents.insert(),
                               [{"export_id": export_id, "respondent_id": rid} for rid in ids])
        info = {"export": export_id, "respondents": len(ids), **(detail or {})}
        if ids and subject_id is None:
            audit.record_many(connection, actor, action, "respondent", ids, detail=info)
        else:
            audit.record(runtime.store, actor, action, subject_kind=subject_kind, subject_id=subject_id,
                         detail=info, connection=connection)
    return export_id


def withdrawn_responses(store: Any, response_ids: Iterable[str]) -> set[str]:
    """Which of these responses were withdrawn."""
    ids = list(response_ids)
    found: set[str] = set()
    with store.engine.connect() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found |= set(connection.scalars(select(tables.withdrawals.c.response_id)
                                            .where(tables.withdrawals.c.response_id.in_(chunk))))
    return found


def withdraw(runtime: Any, *, respondent_id: str | None = None, response_id: str | None = None, channel: str,
             actor: str, stop_contact: bool = True) -> WithdrawalReport:
    """Record that a person withdrew consent, from any channel; safe to repeat.

    Give the ``respondent_id`` (SMS: the sender; CLI) or a ``response_id`` (a web link, a
    paper sheet). A response that belongs to a respondent withdraws all of that person's
    responses; an anonymous one withdraws itself.
    """
    from .errors import NotFound
    from .interview import Interviewer

    store = runtime.store
    responses = tables.responses
    with store.engine.connect() as connection:
        if response_id is not None:
            owner = connection.execute(select(responses.c.respondent_id).where(responses.c.id == response_id)).first()
            if owner is None:
                raise NotFound(_("There is no response with that id."))
            respondent_id = owner.respondent_id or respondent_id
        ids = response_ids_of(connection, respondent_id) if respondent_id else []
        if response_id is not None and response_id not in ids:
            ids.append(response_id)
        active = list(connection.scalars(select(responses.c.id).where(
            and_(responses.c.id.in_(ids), responses.c.status == STATUS_ACTIVE)))) if ids else []
    now = utcnow()
    with write_transaction(store.engine) as connection:
        newly = insert_ignoring_duplicates(connection, tables.withdrawals,
                                           [{"response_id": rid, "channel": channel, "withdrawn_at": now} for rid in ids]) if ids else 0
        if ids:
            connection.execute(delete(tables.referrals).where(tables.referrals.c.response_id.in_(ids)))
        subject = ("respondent", respondent_id) if respondent_id else ("response", response_id)
        audit.record(store, actor, audit.RESPONDENT_WITHDRAW, subject_kind=subject[0], subject_id=subject[1],
                     detail={"responses": len(ids), "new": newly, "channel": channel}, connection=connection)
    abandoned = 0
    interviewer = Interviewer(runtime)
    for rid in active:
        try:
            interviewer.abandon(rid, "withdrawn")
            abandoned += 1
        except NotFound:  # an instrument no longer installed: the withdrawal itself is recorded
            continue
    if stop_contact and respondent_id and store.respondent(respondent_id) is not None:
        with store.engine.connect() as connection:
            channels = list(connection.scalars(select(tables.respondent_contacts.c.channel).where(
                tables.respondent_contacts.c.respondent_id == respondent_id)))
        for name in channels:
            store.set_opted_out(respondent_id, name, True)
    return WithdrawalReport(respondent_id=respondent_id, responses=len(ids), newly_withdrawn=newly, abandoned=abandoned)
