"""``rightsaware sms send / worker / cost / status`` through click, on the test runtime."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from rightsaware.cli import Context, build_cli
from rightsaware_sms.channel import QUEUE_CAMPAIGN


@pytest.fixture
def run(sms_runtime):
    cli = build_cli(sms_runtime)

    def invoke(*args, input=None):
        result = CliRunner().invoke(cli, ["sms", *args], obj=Context(sms_runtime, "en"), input=input)
        return result

    return invoke


@pytest.fixture
def contacts(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,phone,language\nAnn,07700 900001,cy\nBob,07700 900002,en\nCat,07700900003,gd\n"
                    "Ann again,+44 7700 900001,cy\n", encoding="utf-8")
    return path


def queued(runtime):
    return runtime.store.outbox_items(QUEUE_CAMPAIGN)


def test_send_checks_estimates_confirms_and_queues_once(run, sms_runtime, contacts, fake_twilio):
    result = run("send", "--instrument", "sample", "--contacts", str(contacts), input="y\n")
    assert result.exit_code == 0, result.output
    assert "line 5: the same number as line 2" in result.output
    assert "3 people to invite" in result.output
    for language in ("en", "cy", "gd"):
        assert re.search(language + r": 1 × \d segment\(s\) \((GSM-7|UCS-2)\) = \d segments", result.output)
    assert "Queued 3 invitations" in result.output
    assert sorted(i.payload["language"] for i in queued(sms_runtime)) == ["cy", "en", "gd"]
    assert fake_twilio.sent() == []  # queuing sends nothing
    again = run("send", "--instrument", "sample", "--contacts", str(contacts), "--yes")
    assert "3 people were invited before and are skipped" in again.output
    assert "Nothing to queue." in again.output
    assert len(queued(sms_runtime)) == 3


def test_rows_with_errors_block_the_campaign_unless_skipped(run, sms_runtime, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("phone\n07700 900001\n01234 567890\nnot a number\n", encoding="utf-8")
    result = run("send", "--instrument", "sample", "--contacts", str(path), "--yes")
    assert result.exit_code != 0
    assert "line 3: the phone number is a landline" in result.output
    assert "line 4:" in result.output
    assert "Nothing was queued" in str(result.exception) or "Nothing was queued" in result.output
    assert queued(sms_runtime) == []
    result = run("send", "--instrument", "sample", "--contacts", str(path), "--yes", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert len(queued(sms_runtime)) == 1


def test_declining_the_confirmation_queues_nothing(run, sms_runtime, contacts):
    result = run("send", "--instrument", "sample", "--contacts", str(contacts), input="n\n")
    assert "Nothing was queued." in result.output
    assert queued(sms_runtime) == []


def test_dry_run_shows_texts_with_masked_numbers_and_queues_nothing(run, sms_runtime, contacts):
    result = run("send", "--instrument", "sample", "--contacts", str(contacts), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Ydych chi wedi clywed am gydgynhyrchu?" in result.output
    assert "••••••••••001" in result.output and "07700 900001" not in result.output and "+447700900001" not in result.output
    assert "Dry run: nothing was queued or sent." in result.output
    assert queued(sms_runtime) == []


def test_opted_out_numbers_are_never_invited(run, sms_runtime, contacts):
    respondent = sms_runtime.store.ensure_respondent("sms", "+447700900002")
    sms_runtime.store.set_opted_out(respondent, "sms", True)
    result = run("send", "--instrument", "sample", "--contacts", str(contacts), "--yes")
    assert "1 person opted out and is skipped" in result.output
    assert len(queued(sms_runtime)) == 2


def test_worker_command_sends_the_queue(run, sms_runtime, contacts, fake_twilio):
    run("send", "--instrument", "sample", "--contacts", str(contacts), "--yes")
    result = run("worker", "--exit-when-done", "--rate", "100")
    assert result.exit_code == 0, result.output
    assert "sent: 3" in result.output
    assert len(fake_twilio.sent()) == 3
    status = run("status")
    assert "sent" in status.output and "queued" in status.output and "       3" in status.output


def test_worker_refuses_to_run_without_credentials(run, sms_channel):
    sms_channel.use_gateway(sms_channel.console)
    result = run("worker", "--exit-when-done")
    assert result.exit_code != 0
    assert "No Twilio credentials are set" in str(result.exception)


def test_cost_per_question_and_language(run):
    result = run("cost", "--instrument", "sample")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    heard_en = next(line for line in lines if line.startswith("heard") and " en " in line)
    assert "GSM-7" in heard_en and heard_en.split()[-1] == "1"
    comment_cy = next(line for line in lines if line.startswith("comment") and " cy " in line)
    assert "UCS-2" in comment_cy and "ŵ" in comment_cy and "â" in comment_cy
    comment_gd = next(line for line in lines if line.startswith("comment") and " gd " in line)
    assert "GSM-7" in comment_gd  # lower-case à è ì ò ù are GSM-7
    welsh_only = run("cost", "--instrument", "sample", "--lang", "cy")
    assert " en " not in welsh_only.output and " cy " in welsh_only.output


def test_cost_warns_above_three_segments_and_flags_gaelic_capitals(run, sms_runtime, tmp_path):
    from rightsaware.loading import loads_instrument

    long_label = "Òran mòr: " + "Dè cho tric 's a bhios tu a' gabhail pàirt ann an coinneamhan? " * 4
    instrument = loads_instrument(
        'id = "long"\nversion = "1"\ntitle = "Long"\nlanguages = ["en"]\n'
        f'[[questions]]\nname = "long_q"\ntype = "text"\nlabel = "{long_label}"\n'
    )
    sms_runtime.instruments.add(instrument, tmp_path / "long.toml")
    result = run("cost", "--instrument", "long")
    row = next(line for line in result.output.splitlines() if line.startswith("long_q"))
    assert "UCS-2" in row and "Ò" in row
    assert "Warning: 'long_q' in en needs" in result.output


def test_unknown_instrument_is_a_clear_error(run):
    result = run("cost", "--instrument", "nope")
    assert result.exit_code != 0
    assert "no instrument with id 'nope'" in str(result.exception)
