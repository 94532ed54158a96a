"""Subject access export: everything held about one person, readable, recorded and audited."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.errors import RightsawareError
from rightsaware.interview import Interviewer
from rightsaware.privacy import erase, withdraw
from rightsaware.privacy_export import FORMAT, export_subject
from rightsaware.store import tables

PHONE = "+447700900123"


@pytest.fixture
def person(rightsaware_runtime):
    runtime = rightsaware_runtime
    store = runtime.store
    rid = store.ensure_respondent("sms", PHONE, language="cy")
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=rid)
    assert turn.response.language == "cy"
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": "1", "age": "70", "barriers": "1 2",
                                                             "comment": "Mae angen bws"})
    assert not errors and turn.completed
    store.add_referral(turn.response.id, "citizens-advice", "advice", channel="sms", language="cy", share_contact=True)
    store.enqueue("sms", "thanks-1", {"to": PHONE, "body": "Diolch yn fawr"}, respondent_id=rid)
    audit.record(store, "user:siân", audit.RESPONSES_VIEW, subject_kind="response", subject_id=turn.response.id)
    return rid, turn.response.id


def test_export_holds_everything_in_the_persons_language(rightsaware_runtime, person, tmp_path) -> None:
    runtime = rightsaware_runtime
    rid, response_id = person
    out = tmp_path / "sar" / "person.json"
    assert export_subject(runtime, [rid], out, actor="cli:test") == 1
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == FORMAT and document["language"] == "cy"
    assert all(text and "survey" not in text for text in document["about"])  # Welsh, not English
    [who] = document["respondents"]
    assert who["respondent_id"] == rid and who["language"] == "cy"
    assert who["contacts"] == [{"channel": "sms", "opted_out": False, "since": who["contacts"][0]["since"],
                                "address": PHONE}]
    [response] = who["responses"]
    answers = {a["question"]: a for a in response["answers"]}
    assert answers["heard"]["answer"] == "yes" and answers["heard"]["answer_text"] == ["Ydw"]
    assert answers["heard"]["question_text"] == "Ydych chi wedi clywed am gydgynhyrchu?"
    assert answers["barriers"]["answer"] == ["time", "transport"]
    assert answers["barriers"]["answer_text"] == ["Amser", "Teithio a phellter"]
    assert answers["age"]["answer"] == 70 and answers["comment"]["answer"] == "Mae angen bws"
    assert response["referrals"][0]["organisation"] == "citizens-advice" and response["withdrawn_at"] is None
    assert who["messages"][0]["content"] == {"to": PHONE, "body": "Diolch yn fawr"}
    assert [entry["action"] for entry in who["access_log"]] == [audit.RESPONSES_VIEW]
    # recorded for erasure and retention, and audited without personal data
    with runtime.store.engine.connect() as connection:
        kinds = connection.execute(select(tables.exported_files.c.kind, tables.exported_files.c.path)).all()
    assert kinds == [("subject_access", str(out.resolve()))]
    entry = audit.entries(runtime.store, action=audit.RESPONDENT_EXPORT)[0]
    assert entry.subject_id == rid and entry.detail["responses"] == 1
    # erasing the person deletes the export too
    assert erase(runtime, [rid], actor="cli:test").export_files_deleted == 1 and not out.exists()


def test_export_shows_withdrawal_and_channel_data(rightsaware_runtime, person, fake_channel, tmp_path) -> None:
    runtime = rightsaware_runtime
    rid, response_id = person
    calls = []

    def personal_data(respondent_id, response_ids, runtime):
        calls.append((respondent_id, response_ids))
        return {"scans": [f"page 1 of sheet {response_ids[0][:4]}"]}

    fake_channel.personal_data = personal_data
    withdraw(runtime, respondent_id=rid, channel="sms", actor="cli:test")
    out = tmp_path / "person.json"
    export_subject(runtime, [rid], out, actor="cli:test", language="gd")
    document = json.loads(out.read_text(encoding="utf-8"))
    who = document["respondents"][0]
    assert who["responses"][0]["withdrawn_at"] is not None and who["responses"][0]["referrals"] == []
    assert who["contacts"][0]["opted_out"] is True
    assert who["channels"] == {"fake": {"scans": [f"page 1 of sheet {response_id[:4]}"]}}
    assert calls == [(rid, [response_id])]
    assert document["language"] == "gd"


def test_export_never_overwrites(rightsaware_runtime, person, tmp_path) -> None:
    rid, _ = person
    out = tmp_path / "existing.json"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(RightsawareError, match="already exists"):
        export_subject(rightsaware_runtime, [rid], out, actor="cli:test")
    assert out.read_text(encoding="utf-8") == "keep me"


def test_cli_export_by_phone(rightsaware_runtime, person, tmp_path) -> None:
    runtime = rightsaware_runtime
    out = tmp_path / "sar.json"
    result = CliRunner().invoke(build_cli(runtime), ["respondents", "export", "--phone", "07700 900123", "--out", str(out)],
                                obj=Context(runtime, "en"))
    assert result.exit_code == 0, result.output
    assert "(1 response)" in result.output and "deleted after 30 days" in result.output
    assert PHONE not in result.output and json.loads(out.read_text(encoding="utf-8"))["respondents"]
    nobody = CliRunner().invoke(build_cli(runtime), ["respondents", "export", "--phone", "+447700900000", "--out",
                                                     str(tmp_path / "nobody.json")], obj=Context(runtime, "en"))
    assert nobody.exit_code == 0 and "Nothing is held" in nobody.output and not (tmp_path / "nobody.json").exists()
