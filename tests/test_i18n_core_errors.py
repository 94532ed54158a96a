"""Errors from expressions, secret keys, the referral directory and channels, in Welsh and Gaelic.

``rightsaware validate`` lists a bad ``relevant``/``constraint`` in the UI language; the other
errors are English templates (``str(exc)``) that ``exc.display(messages)`` translates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rightsaware import expressions
from rightsaware.channel import ChannelRegistry
from rightsaware.crypto import Keyring
from rightsaware.errors import ConfigError, ExpressionError, InstrumentError, RightsawareError
from rightsaware.i18n import Translator
from rightsaware.loading import loads_instrument
from rightsaware.referral import Directory, DirectoryError
from rightsaware.testing import write_sample_instrument

LANGUAGE_VARIABLES = ("RIGHTSAWARE_UI_LANGUAGE", "LANGUAGE", "LC_ALL", "LANG")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.with_core()


def sample_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "instruments"
    folder.mkdir(exist_ok=True)
    write_sample_instrument(folder)
    text = (folder / "sample.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_validate_lists_a_misspelt_question_in_welsh_from_lang(tmp_path) -> None:
    """LANG=cy_GB.UTF-8 in a real subprocess: the relevant's unknown name, with its suggestion."""
    bad = sample_with(tmp_path, "relevant = \"${heard} = 'yes'\"", "relevant = \"${herd} = 'yes'\"")
    environ = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    environ.update({"RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"),
                    "RIGHTSAWARE_INSTRUMENTS_DIR": str(tmp_path / "instruments"), "LANG": "cy_GB.UTF-8"})
    result = subprocess.run([sys.executable, "-m", "rightsaware", "validate", str(bad)], env=environ,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1
    assert "Nid oes cwestiwn o'r enw 'herd' yn yr arolwg hwn. Oeddech chi'n golygu ${heard}?" in result.stderr
    assert "There is no question named" not in result.stderr
    assert "relevant:" in result.stderr  # the field stays as the author types it


def test_expression_problems_in_gaelic_keep_the_position(translator, tmp_path) -> None:
    bad = sample_with(tmp_path, "relevant = \"${heard} = 'yes'\"", "relevant = \"regex(${heard}, 5)\"")
    with pytest.raises(InstrumentError) as caught:
        loads_instrument(bad.read_text(encoding="utf-8"), str(bad))
    gd = caught.value.display(translator.messages("gd"))
    assert "feumaidh pàtran regex() a bhith eadar comharran-labhairt" in gd
    assert "relevant:" in gd
    assert "needs its pattern in quotes" in str(caught.value)  # English for logs and tests


@pytest.mark.parametrize(
    ("source", "english", "welsh"),
    [
        ("${}", "${} needs a question name, like ${age}", "Mae angen enw cwestiwn rhwng cromfachau ${}, fel ${age}"),
        ("${a b} = 1", "'a b' is not a question name", "Nid yw 'a b' yn enw cwestiwn"),
        ("regex(., '(a+)+')", "repeats a part that itself repeats", "yn ailadrodd rhan sydd ei hun yn ailadrodd"),
        ("regex(., '(')", "is not a valid regular expression: missing ),",
         "Nid yw'r patrwm regex() yn fynegiad rheolaidd dilys: missing ),"),
    ],
)
def test_parse_errors_are_templates(translator, source, english, welsh) -> None:
    with pytest.raises(ExpressionError) as caught:
        expressions.parse(source)
    assert english in str(caught.value)
    assert welsh in caught.value.display(translator.messages("cy"))


def test_long_regex_names_its_length_in_welsh(translator) -> None:
    from rightsaware.expression_compiler import MAX_PATTERN_LENGTH

    pattern = "a" * (MAX_PATTERN_LENGTH + 1)
    with pytest.raises(ExpressionError) as caught:
        expressions.parse(f"regex(., '{pattern}')")
    assert f"is {MAX_PATTERN_LENGTH + 1} characters long" in str(caught.value)
    assert f"yn {MAX_PATTERN_LENGTH + 1} nod o hyd; yr uchafswm a ganiateir yw {MAX_PATTERN_LENGTH}" in (
        caught.value.display(translator.messages("cy")))


def test_secret_key_errors_in_welsh_and_gaelic(translator) -> None:
    with pytest.raises(ConfigError) as short:
        Keyring.from_secret("short")
    assert "The secret key is too short" in str(short.value)
    assert short.value.display(translator.messages("cy")).startswith("Mae'r allwedd gyfrinachol yn rhy fyr: mae angen o leiaf")
    with pytest.raises(ConfigError) as none:
        Keyring([])
    assert none.value.display(translator.messages("gd")).startswith("Chan eil iuchair dhìomhair air a suidheachadh.")
    keyring = Keyring.from_secret("a" * 40)
    other = Keyring.from_secret("b" * 40)
    with pytest.raises(ConfigError) as moved:
        other.decrypt(keyring.encrypt("x"))
    assert "encrypted with a secret key that is not configured" in str(moved.value)
    assert "allwedd gyfrinachol nad yw wedi'i gosod" in moved.value.display(translator.messages("cy"))
    with pytest.raises(ConfigError) as damaged:
        keyring.decrypt(b"\x00")
    assert damaged.value.display(translator.messages("gd")).startswith("Tha an dàta pearsanta")


def test_referral_directory_problems_use_plural_forms(translator, tmp_path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text('[[organisations]]\nid = "a"\n\n[[organisations]]\nid = "b"\n', encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        Directory.load(extra)
    n = len(caught.value.details)
    assert n >= 2
    assert f"{extra}: {n} problems in the referral directory" in str(caught.value)
    cy = caught.value.display(translator.messages("cy")).splitlines()[0]
    assert cy.startswith(f"{extra}: {n} ") and cy.endswith("yn y cyfeiriadur atgyfeirio")
    missing = tmp_path / "missing.toml"
    with pytest.raises(DirectoryError) as gone:
        Directory.load(missing)
    assert gone.value.display(translator.messages("gd")) == f"chan eil an eòlaire tar-chuir {missing} ann"


def test_unknown_organisation_and_channel_in_welsh(translator) -> None:
    with pytest.raises(RightsawareError) as org:
        Directory.load().get("no-such-org")
    assert str(org.value) == "no organisation with id 'no-such-org' in the referral directory"
    assert org.value.display(translator.messages("cy")) == (
        "nid oes sefydliad â'r id 'no-such-org' yn y cyfeiriadur atgyfeirio")
    with pytest.raises(RightsawareError) as channel:
        ChannelRegistry().get("fax")
    assert str(channel.value) == "no channel called 'fax' is installed (installed: none)"
    assert channel.value.display(translator.messages("gd")) == (
        "chan eil seanail air a bheil 'fax' air a stàladh (air an stàladh: chan eil gin)")


def test_store_url_errors_in_welsh_and_gaelic(translator) -> None:
    from rightsaware.store import normalise_url

    with pytest.raises(ConfigError) as none:
        normalise_url(None)
    assert str(none.value).startswith("No database is configured.")
    assert none.value.display(translator.messages("cy")).startswith("Nid oes cronfa ddata wedi'i gosod. Gosodwch ")
    with pytest.raises(ConfigError) as driver:
        normalise_url("sqlite+other:///x.db")
    assert driver.value.display(translator.messages("gd")) == (
        "Chan eil taic ann don draibhear SQLite 'other'; cleachd sqlite:///path/to/file.db.")


def test_disclosure_errors_are_translated(translator) -> None:
    from rightsaware.disclosure import SuppressionProblem
    from rightsaware.disclosure_checks import DisclosureError

    tables = SuppressionProblem()
    with pytest.raises(DisclosureError) as negative:
        tables.add("a", -1)
    assert str(negative.value) == "A count cannot be negative ('a' = -1)."
    assert negative.value.display(translator.messages("cy")) == "Ni all cyfrif fod yn negatif ('a' = -1)."


def test_results_error_pages_speak_the_viewers_language(tmp_path) -> None:
    """/results shows a missing survey in Welsh (HTML) and Gaelic (JSON) when the viewer asks."""
    import re

    import argon2
    from starlette.testclient import TestClient

    from rightsaware.auth import Users
    from rightsaware.plugins import hookimpl, make_plugin_manager
    from rightsaware.results_routes import results_routes
    from rightsaware.runtime import Runtime
    from rightsaware.server import make_app
    from rightsaware.settings import Settings

    class Results:
        @hookimpl
        def register_routes(self, register, runtime):  # noqa: ANN001, ANN202
            for route in results_routes(runtime):
                register(route)

    pm = make_plugin_manager(entrypoints=False)
    pm.register(Results(), name="results")
    runtime = Runtime(Settings(data_dir=str(tmp_path / "data"), secret_key="i18n error tests, not for production"),
                      plugin_manager=pm)
    try:
        runtime._auth_users = Users(runtime.store, hasher=argon2.PasswordHasher(time_cost=1, memory_cost=1024,
                                                                                 parallelism=1))
        runtime._auth_users.add("iolo", "cyfrinair hir iawn 73", "viewer")
        client = TestClient(make_app(runtime), follow_redirects=False)
        page = client.get("/login", params={"next": "/results"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"csrf_token": token, "username": "iolo", "password": "cyfrinair hir iawn 73",
                                    "next": "/results"})
        welsh = client.get("/results/no-such-survey", params={"lang": "cy"})
        assert welsh.status_code == 404
        assert "nid oes arolwg â'r id 'no-such-survey'" in welsh.text
        assert "no instrument with id" not in welsh.text
        gaelic = client.get("/results/no-such-survey.json", params={"lang": "gd"})
        assert gaelic.status_code == 404 and gaelic.json()["title"].startswith("chan eil suirbhidh ann leis an id")
        english = client.get("/results/no-such-survey.json", params={"lang": "en"})
        assert english.json()["title"].startswith("no instrument with id 'no-such-survey'")
    finally:
        runtime.close()
