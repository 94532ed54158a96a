"""The subject access export: everything held about one person, as readable JSON.

For each respondent id of the person: their contact details (decrypted), language and
opt-outs; every response with its answers, both as stored codes and as the question and
choice texts in the response's language; withdrawals; referrals and the organisations
they were for; messages in the outbox; files their data was exported in; the audit log's
entries about them; and whatever each channel holds (``channel.personal_data``). An
``about`` section explains the file in the person's language.

The file is written with mode 0600, recorded (so erasure and retention delete it too) and
audited.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from . import audit
from .errors import NotFound, RightsawareError
from .i18n import N_, _
from .privacy import record_export, response_ids_of
from .response import utcnow
from .store import tables

FORMAT = "rightsaware subject access export v1"
MSG_EXISTS = N_("The file {file} already exists. Choose a new file name, so that nothing is overwritten.")
MSG_NOTHING = N_("Nothing is held about this person.")
ABOUT = (
    N_("This file lists everything this survey service holds about you: your contact details, your answers, "
       "referrals made for you, messages to you, and who looked at your data."),
    N_("Answers are stored as codes; next to each code is the text of the question and the answer in the "
       "language you used."),
    N_("To have this data deleted, or to correct it, contact the organisation that ran the survey."),
)


def _value(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _answers(runtime: Any, response: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    from .i18n import localize

    try:
        instrument = runtime.instrument(response.instrument_id)
        text = localize(instrument, runtime.messages(response.language))
    except (NotFound, RightsawareError):
        instrument = text = None
    rows = []
    for name, answer in response.answers.items():
        row: dict[str, Any] = {"question": name, "answer": _value(answer.value), "skipped": answer.skipped,
                               "answered_at": _time(answer.answered_at), "channel": answer.channel,
                               "language": answer.language}
        question = instrument.question(name) if instrument is not None and name in _names(instrument) else None
        if question is not None:
            row["question_text"] = text.label(question)
            codes = answer.value if isinstance(answer.value, tuple) else (answer.value,)
            labels = {choice.name: text.choice_label(question, choice) for choice in instrument.choices_for(question)}
            if labels and all(isinstance(code, str) and code in labels for code in codes):
                row["answer_text"] = [labels[code] for code in codes]
        rows.append(row)
    return rows


def _names(instrument: Any) -> set[str]:  # noqa: ANN401
    return {question.name for question in instrument.questions}


def _organisation(runtime: Any, organisation_id: str) -> str | None:  # noqa: ANN401
    from .referral import directory_for

    try:
        return directory_for(runtime).get(organisation_id).name("en")
    except (NotFound, RightsawareError, KeyError):
        return None


def collect(runtime: Any, respondent_id: str) -> dict[str, Any]:
    """Everything held about one respondent id, as a JSON-ready dict."""
    store = runtime.store
    t = tables
    record = store.respondent(respondent_id)
    person: dict[str, Any] = {"respondent_id": respondent_id}
    with store.engine.connect() as connection:
        contacts = connection.execute(select(t.respondent_contacts).where(
            t.respondent_contacts.c.respondent_id == respondent_id)).all()
        response_ids = response_ids_of(connection, respondent_id)
        withdrawn = {row.response_id: row for row in connection.execute(
            select(t.withdrawals).where(t.withdrawals.c.response_id.in_(response_ids)))}
        referrals = connection.execute(select(t.referrals).where(t.referrals.c.response_id.in_(response_ids))
                                       .order_by(t.referrals.c.created_at)).all()
        outbox = connection.execute(select(t.outbox).where(t.outbox.c.respondent_id == respondent_id)
                                    .order_by(t.outbox.c.id)).all()
        exports = connection.execute(
            select(t.exported_files.c.kind, t.exported_files.c.created_at, t.exported_files.c.deleted_at)
            .join(t.exported_respondents, t.exported_respondents.c.export_id == t.exported_files.c.id)
            .where(t.exported_respondents.c.respondent_id == respondent_id)
            .order_by(t.exported_files.c.created_at)).all()
        log_rows = connection.execute(select(t.audit_log).where(
            t.audit_log.c.subject_id.in_([respondent_id, *response_ids])).order_by(t.audit_log.c.id)).all()
    if record is not None:
        person.update(created_at=_time(record.created_at), language=record.language, erased=record.erased)
    person["contacts"] = [
        {"channel": row.channel, "opted_out": row.opted_out, "since": _time(row.created_at),
         "address": store.contact_address(respondent_id, row.channel)}
        for row in contacts
    ]
    responses = []
    for response_id in response_ids:
        response = store.load_response(response_id)
        if response is None:
            continue
        responses.append({
            "response_id": response.id, "survey": response.instrument_id, "version": response.instrument_version,
            "channel": response.channel, "language": response.language, "status": response.status,
            "started_at": _time(response.started_at), "completed_at": _time(response.completed_at),
            "withdrawn_at": _time(withdrawn[response.id].withdrawn_at) if response.id in withdrawn else None,
            "answers": _answers(runtime, response),
            "referrals": [{"organisation": row.organisation_id, "organisation_name": _organisation(runtime, row.organisation_id),
                           "topic": row.topic, "share_contact": row.share_contact, "made_at": _time(row.created_at)}
                          for row in referrals if row.response_id == response.id],
        })
    person["responses"] = responses
    person["messages"] = []
    for row in outbox:
        item = store.outbox_item_from_row(row)
        person["messages"].append({"channel": item.channel, "status": item.status, "queued_at": _time(item.created_at),
                                   "content": item.payload, "error": item.error})
    person["exports"] = [{"kind": row.kind, "made_at": _time(row.created_at), "deleted_at": _time(row.deleted_at)}
                         for row in exports]
    person["access_log"] = [{"at": _time(row.at), "by": row.actor, "action": row.action} for row in log_rows]
    channels = {}
    for channel in runtime.channels:
        method = getattr(channel, "personal_data", None)
        if callable(method):
            data = method(respondent_id, list(response_ids), runtime)
            if data:
                channels[channel.info.name] = data
    person["channels"] = channels
    return person


def export_subject(runtime: Any, respondent_ids: list[str], out: Path, *, actor: str,
                   language: str | None = None) -> int:
    """Write the export of these respondent ids (one person) to ``out``; the number of responses in it."""
    out = Path(out)
    if out.exists():
        raise RightsawareError(_(MSG_EXISTS, file=str(out)))
    if not respondent_ids:
        raise RightsawareError(_(MSG_NOTHING))
    people = [collect(runtime, rid) for rid in respondent_ids]
    language = language or next((p.get("language") for p in people if p.get("language")), None) \
        or runtime.settings.default_language
    messages = runtime.messages(language)
    document = {
        "format": FORMAT,
        "made_at": utcnow().isoformat(),
        "language": language,
        "about": [messages._(text) for text in ABOUT],
        "respondents": people,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    count = sum(len(person["responses"]) for person in people)
    record_export(runtime, out, "subject_access", respondent_ids, actor=actor, action=audit.RESPONDENT_EXPORT,
                  detail={"responses": count})
    return count


__all__ = ["FORMAT", "collect", "export_subject"]
