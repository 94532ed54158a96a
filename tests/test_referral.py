"""The referral directory, choosing organisations, the default plugin and the consented export."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from rightsaware.interview import Interviewer
from rightsaware.loading import loads_instrument
from rightsaware.referral import Directory, DirectoryError, referrals_shown
from rightsaware.testing import SAMPLE_INSTRUMENT, write_sample_instrument

LOCAL = """
[[organisations]]
id = "gwynedd-voice"
name_en = "Gwynedd Voice"
name_cy = "Llais Gwynedd"
website = "https://example.org/gwynedd"
jurisdiction = "wales"
topics = ["participation"]
local_authorities = ["gwynedd"]
helps_with_en = "Local help to take part in council decisions."
helps_with_cy = "Help lleol i gymryd rhan ym mhenderfyniadau'r cyngor."
helps_with_gd = "Cuideachadh ionadail."
confidence = "A"

[[organisations]]
id = "spso"
name_en = "Replaced Ombudsman"
website = "https://example.org/spso"
jurisdiction = "scotland"
topics = ["complaints"]
helps_with_en = "Replaced entry."
confidence = "A"
"""


def test_builtin_directory_is_valid() -> None:
    directory = Directory.load()
    assert len(directory.organisations) >= 35
    for org in directory.organisations.values():
        assert org.website == "" or org.website.startswith("https://")
        assert set(org.topics) <= set(directory.topics)
        assert org.name("gd")  # falls back to the English name, never invented


def test_deployer_file_adds_and_overrides(tmp_path) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(LOCAL, encoding="utf-8")
    directory = Directory.load(extra)
    assert directory.get("gwynedd-voice").name("cy") == "Llais Gwynedd"
    assert directory.get("spso").name("en") == "Replaced Ombudsman"
    assert len(directory.organisations) == len(Directory.load().organisations) + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[organisations]]\nid = "x"\nname_en = "X"\njurisdiction = "mars"\ntopics = ["participation"]\nhelps_with_en = "x"\n', "jurisdiction"),
        ('[[organisations]]\nid = "x"\nname_en = "X"\njurisdiction = "wales"\ntopics = ["nope"]\nhelps_with_en = "x"\n', "unknown topic"),
        ('[[organisations]]\nid = "x"\nname_en = "X"\njurisdiction = "wales"\ntopics = ["participation"]\nhelps_with_en = "x"\nwebsite = "http://x"\n', "https://"),
        ('[[organisations]]\nname_en = "X"\njurisdiction = "wales"\ntopics = ["participation"]\nhelps_with_en = "x"\n', "id"),
        ('[[organisations]]\nid = "x"\nnmae_en = "X"\n', "unknown field"),
        ("[[organisations]\n", "not valid TOML"),
    ],
)
def test_broken_deployer_file_is_refused_clearly(tmp_path, text, message) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as info:
        Directory.load(extra)
    assert message in str(info.value)


def test_choose_most_specific_first_and_never_another_nation(tmp_path) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(LOCAL, encoding="utf-8")
    directory = Directory.load(extra)
    chosen = directory.choose(["participation"], jurisdiction="wales", local_authority="gwynedd", limit=5)
    assert chosen[0][0].id == "gwynedd-voice"
    assert all(org.jurisdiction in ("wales", "uk") for org, _topic in chosen)
    elsewhere = directory.choose(["participation"], jurisdiction="wales", local_authority="cardiff", limit=5)
    assert "gwynedd-voice" not in [org.id for org, _ in elsewhere]
    scottish = directory.choose(["complaints"], jurisdiction="scotland", limit=2)
    assert len(scottish) == 2 and all(org.jurisdiction in ("scotland", "uk") for org, _ in scottish)


REFERRING = SAMPLE_INSTRUMENT.replace('id = "sample"', 'id = "sample"\njurisdiction = "wales"') + """
[[referrals]]
when = "${heard} = 'no'"
topics = ["co-production"]
"""


def test_hook_response_completed_stores_referrals(rightsaware_runtime) -> None:
    instrument = loads_instrument(REFERRING)
    rightsaware_runtime.instruments.add(instrument, rightsaware_runtime.instruments.entry("sample").path)
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake", language="cy")
    for reply in ("2", "40", "SKIP"):
        turn = interviewer.reply(turn.response.id, reply)
    assert turn.completed
    stored = rightsaware_runtime.store.referrals_for(turn.response.id)
    assert stored and all(r.topic == "co-production" and not r.share_contact for r in stored)
    assert stored[0].language == "cy" and stored[0].channel == "fake"
    shown = referrals_shown(rightsaware_runtime, turn.response.id, "cy")
    assert shown[0]["helps_with"].startswith("Cymorth")  # the Welsh line of the directory


def test_no_referral_when_no_rule_fires(rightsaware_runtime) -> None:
    instrument = loads_instrument(REFERRING)
    rightsaware_runtime.instruments.add(instrument, rightsaware_runtime.instruments.entry("sample").path)
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    for reply in ("1", "40", "SKIP", "SKIP"):
        turn = interviewer.reply(turn.response.id, reply)
    assert turn.completed
    assert rightsaware_runtime.store.referrals_for(turn.response.id) == []


def test_export_only_consented_referrals_with_contact(tmp_path) -> None:
    folder = tmp_path / "instruments"
    folder.mkdir()
    write_sample_instrument(folder)
    text = REFERRING.replace('[[questions]]\nname = "comment"', '[[questions]]\nname = "contact_consent"\ntype = "select_one yes_no"\nlabel = "May an organisation contact you?"\n\n[[questions]]\nname = "comment"')
    (folder / "sample.toml").write_text(text, encoding="utf-8")
    env = dict(os.environ, RIGHTSAWARE_DATA_DIR=str(tmp_path / "data"), RIGHTSAWARE_INSTRUMENTS_DIR=str(folder),
               RIGHTSAWARE_SECRET_KEY="a test secret that is long enough")
    script = """
from rightsaware.runtime import make_runtime
from rightsaware.interview import Interviewer
runtime = make_runtime()
interviewer = Interviewer(runtime)
for phone, consent in (("+447700900001", "yes"), ("+447700900002", "no")):
    respondent = runtime.store.ensure_respondent("fake", phone)
    turn = interviewer.start("sample", channel="fake", respondent_id=respondent)
    for reply in ("2", "40", consent, "SKIP"):
        turn = interviewer.reply(turn.response.id, reply)
    assert turn.completed, turn
runtime.close()
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=tmp_path)
    out = tmp_path / "export.csv"
    result = subprocess.run([sys.executable, "-m", "rightsaware", "referrals", "export", "--organisation", "copronet-wales",
                             "--out", str(out)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["date", "survey", "topic", "language", "channel", "contact"]
    assert [row[-1] for row in rows[1:]] == ["'+447700900001"]  # only the consenting person; formula-safe
    assert "+44770090000" not in result.stderr + result.stdout  # never echoed or logged


def test_referrals_list_cli_in_gaelic() -> None:
    result = subprocess.run([sys.executable, "-m", "rightsaware", "referrals", "list", "--jurisdiction", "scotland",
                             "--topic", "complaints", "--lang", "gd"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "spso" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "rightsaware", "referrals", "list", "--topic", "nope"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown topic" in bad.stderr and "Traceback" not in bad.stderr
