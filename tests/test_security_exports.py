"""Exports neutralise spreadsheet formulas; secrets and contact details never reach the database in clear."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rightsaware.cli import Context, build_cli
from rightsaware.crypto import Keyring
from rightsaware.interview import Interviewer
from rightsaware.settings import Settings, ensure_secret_key

PHONE = "+447700900123"


def referred(runtime, channel: str, address: str) -> None:
    store = runtime.store
    rid = store.ensure_respondent(channel, address)
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=rid)
    store.add_referral(turn.response.id, "copronet-wales", "advice", channel=channel, language="en", share_contact=True)


@pytest.mark.parametrize("address", [
    "=HYPERLINK(\"http://evil.example\",\"x\")@example.org", "+SUM(A1:A9)@example.org", "-2+3@example.org",
    "@SUM(1)@example.org",
])
def test_referral_export_neutralises_formulas(rightsaware_runtime, tmp_path, address) -> None:
    runtime = rightsaware_runtime
    referred(runtime, "email", address)
    referred(runtime, "sms", PHONE)
    out = tmp_path / "referrals.csv"
    result = CliRunner().invoke(build_cli(runtime), ["referrals", "export", "--organisation", "copronet-wales",
                                                     "--out", str(out)], obj=Context(runtime, "en"))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    contacts = sorted(row["contact"] for row in rows)
    assert contacts == sorted(["'" + address.casefold(), "'" + PHONE])
    for row in rows:
        assert all(not value or value[0] not in "=+-@" for value in row.values())


def test_secrets_and_contacts_never_in_the_database_in_clear(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    referred(runtime, "sms", PHONE)
    runtime.store.enqueue("sms", "k1", {"to": PHONE, "body": "Helô"})
    runtime.close()
    database = Path(runtime.settings.database.removeprefix("sqlite:///"))
    raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    for secret in (runtime.settings.secret_key, PHONE, PHONE[1:], "7700900123"):
        assert secret.encode() not in raw


def test_generated_secret_key_file_is_private_and_kept_private(tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    key = ensure_secret_key(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o644)  # a careless copy
    assert ensure_secret_key(settings) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_secrets_are_not_shown_in_representations() -> None:
    settings = Settings(secret_key="s" * 32, previous_secret_keys=("p" * 32,))
    assert "s" * 32 not in repr(settings) and "p" * 32 not in repr(settings)
    assert "s" * 32 not in repr(Keyring.from_secrets(["s" * 32, "p" * 32]))
