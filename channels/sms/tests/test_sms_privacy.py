"""Erasure and retention of what the SMS channel keeps: a real conversation, then ``respondents erase``."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import select

from rightsaware.cli import Context, build_cli
from rightsaware.privacy import find_respondents
from rightsaware.retention import purge
from rightsaware.store import tables
from rightsaware_sms import sms_store

from .conftest import PUBLIC_URL

NUMBER = "+447700900123"
OTHER = "+447700900456"
SMS_TABLES = (sms_store.inbound, sms_store.leases, sms_store.delivery, sms_store.attempts)


def whole_interview(runtime, fake, invite, text, client, number):
    """Invite, answer every question (a free-text comment too), and report a delivery status."""
    respondent = invite(number)
    response_id = runtime.store.active_response(respondent, channel="sms").id
    for body in ("1", "30", "1 3", "The bus is always late"):
        text(number, body)
    assert runtime.store.load_response(response_id).status == "completed"
    sent = [m for m in fake.sent() if m.to == number]
    url, form, signature = fake.status_callback(sent[-1].sid, "delivered")
    assert client.post(url.replace(PUBLIC_URL, ""), data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
    return respondent, response_id, [m.sid for m in sent]


def rows(runtime, table):
    with runtime.store.engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table)).mappings()]


def linked_rows(runtime, identifiers):
    """Rows of every sms_* table and of the outbox holding any of ``identifiers`` in any column."""
    found = []
    for table in (*SMS_TABLES, tables.outbox):
        for row in rows(runtime, table):
            values = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row.values() if v is not None]
            if any(identifier in value for identifier in identifiers for value in values):
                found.append((table.name, row))
    return found


def test_erasure_removes_every_sms_trace_and_is_harmless_twice(sms_runtime, fake_twilio, invite, text, client):
    respondent, response_id, sids = whole_interview(sms_runtime, fake_twilio, invite, text, client, NUMBER)
    other, other_response, other_sids = whole_interview(sms_runtime, fake_twilio, invite, text, client, OTHER)
    identifiers = [NUMBER, NUMBER.lstrip("+"), respondent, response_id, *sids]
    assert linked_rows(sms_runtime, identifiers)  # the conversation left traces to erase
    assert any(row["sender_key"] == respondent for row in rows(sms_runtime, sms_store.inbound))
    assert any(row["message_sid"] == sids[-1] for row in rows(sms_runtime, sms_store.delivery))

    cli = build_cli(sms_runtime)
    result = CliRunner().invoke(cli, ["respondents", "erase", "--phone", NUMBER, "--yes"], obj=Context(sms_runtime, "en"))
    assert result.exit_code == 0, result.output
    assert NUMBER not in result.output

    assert linked_rows(sms_runtime, identifiers) == []
    assert find_respondents(sms_runtime, phone=NUMBER) == []
    stored = sms_runtime.store.load_response(response_id)  # the answers stay, anonymous
    assert stored.respondent_id is None and stored.status == "completed"
    assert sms_runtime.channels.get("sms").console.transcript(NUMBER) == []
    # the other person's conversation is untouched
    assert linked_rows(sms_runtime, [other, other_response, *other_sids])
    assert any(row["sender_key"] == other for row in rows(sms_runtime, sms_store.inbound))
    assert any(row["message_sid"] == other_sids[-1] for row in rows(sms_runtime, sms_store.delivery))

    before = {table.name: rows(sms_runtime, table) for table in (*SMS_TABLES, tables.outbox)}
    again = CliRunner().invoke(cli, ["respondents", "erase", "--phone", NUMBER, "--yes"], obj=Context(sms_runtime, "en"))
    assert again.exit_code == 0, again.output
    assert {table.name: rows(sms_runtime, table) for table in (*SMS_TABLES, tables.outbox)} == before


def test_erasure_hook_deletes_pending_texts_and_leases_by_id(sms_runtime, sms_channel):
    from rightsaware_sms.privacy import erase_respondent

    sms = sms_channel.sms_store(sms_runtime)
    respondent = sms_runtime.store.ensure_respondent("sms", NUMBER)
    sms.record_inbound("SM" + "1" * 32, respondent, NUMBER, "not applied yet")
    assert sms.try_lease(respondent, "token", 30)
    counts = erase_respondent(sms_runtime, sms_channel, respondent, [])
    assert counts["inbound"] == 1
    assert rows(sms_runtime, sms_store.inbound) == [] and rows(sms_runtime, sms_store.leases) == []
    assert erase_respondent(sms_runtime, sms_channel, respondent, [])["inbound"] == 0


def test_retention_purge_reaches_the_raw_texts(sms_runtime, fake_twilio, invite, text, client):
    whole_interview(sms_runtime, fake_twilio, invite, text, client, NUMBER)
    assert rows(sms_runtime, sms_store.inbound) and rows(sms_runtime, sms_store.delivery)
    now = dt.datetime.now(dt.timezone.utc)
    assert not [i for i in purge(sms_runtime, now=now).items if i.source == "sms"]  # nothing is old yet
    later = now + dt.timedelta(days=sms_runtime.settings.retention_messages_days + 1)
    dry = purge(sms_runtime, now=later, dry_run=True)
    counted = sum(item.count for item in dry.items if item.source == "sms" and item.kind == "messages")
    assert counted >= 5 and rows(sms_runtime, sms_store.inbound)
    report = purge(sms_runtime, now=later)
    # at least what the dry run counted: the core's purge of sent messages first orphans their send attempts
    assert sum(item.count for item in report.items if item.source == "sms") >= counted
    for table in SMS_TABLES:
        assert rows(sms_runtime, table) == [], table.name


def test_subject_access_export_includes_the_sms_records(sms_runtime, fake_twilio, invite, text, client, tmp_path,
                                                         monkeypatch):
    import json

    import rightsaware_sms.service as service_module

    monkeypatch.setattr(service_module.Pump, "_sweep", lambda self: None)  # keep the text below pending

    respondent, response_id, sids = whole_interview(sms_runtime, fake_twilio, invite, text, client, NUMBER)
    sms = sms_runtime.channels.get("sms").sms_store(sms_runtime)
    sms.record_inbound("SM" + "f" * 32, respondent, NUMBER, "a text not applied yet")  # no pump wake-up
    out = tmp_path / "person.json"
    cli = build_cli(sms_runtime)
    result = CliRunner().invoke(cli, ["respondents", "export", "--phone", NUMBER, "--out", str(out)],
                                obj=Context(sms_runtime, "en"))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    channel = json.dumps(data, ensure_ascii=False)
    assert "a text not applied yet" in channel
    assert sids[-1] in channel and response_id in channel
    erase_cli = CliRunner().invoke(cli, ["respondents", "erase", "--phone", NUMBER, "--yes"], obj=Context(sms_runtime, "en"))
    assert erase_cli.exit_code == 0
    assert not out.exists()  # the export named the person: erasure deleted it
    assert sms_runtime.channels.get("sms").personal_data(respondent, [response_id], sms_runtime) == {}
