"""Erasure: `respondents erase` removes a person's data everywhere and is safe to repeat."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.errors import RightsawareError
from rightsaware.interview import Interviewer
from rightsaware.plugins import hookimpl
from rightsaware.privacy import erase, find_respondents, record_export, withdraw
from rightsaware.store import tables

PHONE = "+447700900123"
OTHER = "+447700900999"


def person(runtime, phone: str = PHONE, *, comment: str = "Siân Jones, Llanrwst") -> tuple[str, str]:
    """A respondent who answered the sample survey, was referred, messaged and exported."""
    store = runtime.store
    rid = store.ensure_respondent("sms", phone, language="cy")
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=rid)
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": "1", "age": "70", "barriers": "2",
                                                             "comment": comment})
    assert not errors and turn.completed
    store.add_referral(turn.response.id, "citizens-advice", "advice", channel="sms", language="cy", share_contact=True)
    store.enqueue("sms", f"msg-{rid[:8]}", {"to": phone, "body": "Diolch"}, respondent_id=rid)
    audit.record(store, "cli:test", audit.REFERRALS_EXPORT, subject_kind="respondent", subject_id=rid)
    return rid, turn.response.id


def count(store, table, *where) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table).where(*where))


def test_erase_removes_contacts_messages_links_text_and_exports(rightsaware_runtime, tmp_path) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid, response_id = person(runtime)
    other, other_response = person(runtime, OTHER, comment="Dim")
    export = tmp_path / "referrals.csv"
    export.write_text("date,contact\n2026-01-01,+447700900123\n", encoding="utf-8")
    record_export(runtime, export, "referrals", [rid, other], actor="cli:test", action=audit.REFERRALS_EXPORT)

    assert find_respondents(runtime, phone="07700 900123") == [rid]
    report = erase(runtime, [rid], actor="cli:test")

    assert report.respondents == 1 and report.responses_anonymised == 1 and report.text_answers_deleted == 1
    assert report.messages_deleted == 1 and report.export_files_deleted == 1 and report.responses_deleted == 0
    assert store.respondent(rid) is None and store.find_respondent("sms", PHONE) is None
    kept = store.load_response(response_id)
    assert kept.respondent_id is None and kept.status == "completed"
    assert set(kept.answers) == {"heard", "age", "barriers"}  # the free text may name the person
    assert count(store, tables.outbox, tables.outbox.c.respondent_id == rid) == 0
    assert count(store, tables.audit_log, tables.audit_log.c.subject_id == rid) == 0
    assert count(store, tables.audit_log, tables.audit_log.c.subject_id == response_id) == 0
    assert not export.exists()
    entry = audit.entries(store, action=audit.RESPONDENT_ERASE)[0]
    assert entry.subject_id is None and entry.detail["responses_anonymised"] == 1 and PHONE not in json.dumps(entry.detail)
    # the other person is untouched (their export link went with the file)
    assert store.contact_address(other, "sms") == OTHER
    assert store.load_response(other_response).respondent_id == other
    assert store.load_response(other_response).answers["comment"].value == "Dim"


def test_erase_is_idempotent(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    rid, _ = person(runtime)
    erase(runtime, [rid], actor="cli:test")
    assert find_respondents(runtime, phone=PHONE) == []
    again = erase(runtime, [rid], actor="cli:test")
    assert set(again.counts().values()) == {0}


def test_an_opt_out_survives_erasure_without_the_address(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid, _ = person(runtime)
    store.set_opted_out(rid, "sms", True)
    erase(runtime, [rid], actor="cli:test")
    record = store.respondent(rid)
    assert record.erased and record.opted_out_channels == {"sms"} and record.language is None
    assert store.contact_address(rid, "sms") is None
    assert store.find_respondent("sms", "07700 900123") == rid  # never contacted again
    assert erase(runtime, [rid], actor="cli:test").respondents == 0


def test_erasing_a_withdrawn_person_leaves_nothing(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    rid, response_id = person(runtime)
    withdraw(runtime, respondent_id=rid, channel="sms", actor="cli:test")
    report = erase(runtime, [rid], actor="cli:test")
    assert report.responses_deleted == 1 and report.responses_anonymised == 0
    assert store.load_response(response_id) is None
    assert count(store, tables.referrals, tables.referrals.c.response_id == response_id) == 0
    assert count(store, tables.withdrawals) == 0


def test_hook_respondent_erased_lets_plugins_delete_their_data(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    seen = []

    class ScanKeeper:
        @hookimpl
        def respondent_erased(self, respondent_id, response_ids, runtime):
            # called before the core erases: the link from responses to the person still exists
            linked = [runtime.store.load_response(r).respondent_id for r in response_ids]
            seen.append((respondent_id, list(response_ids), linked))

    runtime.pm.register(ScanKeeper(), name="scans")
    rid, response_id = person(runtime)
    erase(runtime, [rid], actor="cli:test")
    assert seen == [(rid, [response_id], [rid])]


def test_a_failing_plugin_stops_the_erasure_cleanly(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime

    class Broken:
        @hookimpl
        def respondent_erased(self, respondent_id):
            raise OSError(f"disk full while deleting files of {PHONE}")

    runtime.pm.register(Broken(), name="broken")
    rid, response_id = person(runtime)
    with pytest.raises(RightsawareError, match="Nothing was erased") as caught:
        erase(runtime, [rid], actor="cli:test")
    assert PHONE not in str(caught.value)
    assert runtime.store.contact_address(rid, "sms") == PHONE
    assert runtime.store.load_response(response_id).respondent_id == rid


def test_find_respondents_under_an_older_secret_and_bad_input(rightsaware_runtime) -> None:
    from rightsaware.crypto import Keyring
    from rightsaware.store import Store

    runtime = rightsaware_runtime
    old_secret = "an older secret that is being rotated out"
    runtime.__dict__["keyring"] = Keyring.from_secrets([runtime.settings.secret_key, old_secret])
    with Store.open(runtime.settings.database, Keyring.from_secret(old_secret)) as old_store:
        old_id = old_store.ensure_respondent("sms", PHONE)
    assert old_id != runtime.keyring.respondent_id("sms", PHONE)
    assert find_respondents(runtime, phone="0044 7700 900123") == [old_id]
    with pytest.raises(RightsawareError, match="not a phone number") as caught:
        find_respondents(runtime, phone="Siân 0770")
    assert "Siân" not in str(caught.value)
    with pytest.raises(RightsawareError, match="64 letters"):
        find_respondents(runtime, respondent_id="+447700900123")


def test_cli_erase_by_phone_and_by_id(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    rid, _ = person(runtime)
    other, _ = person(runtime, OTHER)
    group = build_cli(runtime)
    obj = Context(runtime, "en")
    result = CliRunner().invoke(group, ["respondents", "erase", "--phone", "-", "--yes"], input="07700 900123\n", obj=obj)
    assert result.exit_code == 0, result.output
    assert "Erased 1 respondent." in result.output and "1 response kept" in result.output
    assert "900123" not in result.output
    again = CliRunner().invoke(group, ["respondents", "erase", "--phone", PHONE, "--yes"], obj=obj)
    assert again.exit_code == 0 and "Nothing is held about this person." in again.output
    refused = CliRunner().invoke(group, ["respondents", "erase", "--respondent", other], input="n\n", obj=obj)
    assert refused.exit_code == 1 and runtime.store.respondent(other) is not None
    welsh = CliRunner().invoke(group, ["respondents", "erase", "--respondent", other, "--yes"], obj=Context(runtime, "cy"))
    assert welsh.exit_code == 0 and runtime.store.respondent(other) is None
    both = CliRunner().invoke(group, ["respondents", "erase", "--phone", PHONE, "--respondent", other], obj=obj)
    assert both.exit_code == 2 and "either --phone or --respondent" in both.output
