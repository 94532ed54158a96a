"""Errors raised deep in the core are shown in the reader's language (Welsh, Gaelic), placeholders filled.

Exceptions carry English templates marked with ``N_``; the CLI translates them when it prints
them, in the language it picks from RIGHTSAWARE_UI_LANGUAGE, LANGUAGE, LC_ALL or LANG.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from rightsaware.cli import main
from rightsaware.errors import InstrumentError, NotFound, RightsawareError
from rightsaware.i18n import N_, Translator
from rightsaware.loading import loads_instrument
from rightsaware.testing import write_sample_instrument

LANGUAGE_VARIABLES = ("RIGHTSAWARE_UI_LANGUAGE", "LANGUAGE", "LC_ALL", "LANG")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.with_core()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "instruments"
    folder.mkdir()
    write_sample_instrument(folder)
    return folder


def broken_copy(folder: Path, tmp_path: Path) -> Path:
    """The sample with a duplicate question name and an unknown choice list."""
    text = (folder / "sample.toml").read_text(encoding="utf-8")
    text = text.replace('name = "comment"', 'name = "age"').replace("select_multiple barriers", "select_multiple obstacles")
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def misshapen_copy(folder: Path, tmp_path: Path) -> Path:
    """The sample with a number as version and a misspelt field (structural errors)."""
    text = (folder / "sample.toml").read_text(encoding="utf-8")
    text = text.replace('version = "1"', "version = 1").replace('label = "Anything else?"', 'lable = "Anything else?"')
    path = tmp_path / "misshapen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_main(monkeypatch, capsys, tmp_path: Path, folder: Path, language_env: dict[str, str], *args: str):
    """Run ``rightsaware`` in this process as a user would; (exit code, stdout, stderr)."""
    for name in LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RIGHTSAWARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RIGHTSAWARE_INSTRUMENTS_DIR", str(folder))
    for name, value in language_env.items():
        monkeypatch.setenv(name, value)
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


# --- the CLI, in Welsh and Gaelic -----------------------------------------------------------


def test_validate_in_welsh_from_lang(folder, tmp_path) -> None:
    """LANG=cy_GB.UTF-8, as on a Welsh desktop: a real subprocess."""
    bad = broken_copy(folder, tmp_path)
    environ = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    environ.update({"RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"), "RIGHTSAWARE_INSTRUMENTS_DIR": str(folder),
                    "LANG": "cy_GB.UTF-8"})
    result = subprocess.run([sys.executable, "-m", "rightsaware", "validate", str(bad)], env=environ,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1
    assert f"{bad}: 2 broblem" in result.stderr
    assert "mae'r enw cwestiwn 'age' yn ymddangos ddwywaith" in result.stderr
    assert "rhestr o ddewisiadau anhysbys 'obstacles'; diffiniwch hi o dan [choices]" in result.stderr
    assert "duplicate question name" not in result.stderr and "unknown choice list" not in result.stderr
    # where the problem is stays exact: file:line: field path
    assert f"{bad}:" in result.stderr and "questions[4].name:" in result.stderr


def test_validate_in_gaelic(monkeypatch, capsys, folder, tmp_path) -> None:
    bad = broken_copy(folder, tmp_path)
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANGUAGE": "gd"}, "validate", str(bad))
    assert code == 1
    assert f"{bad}: 2 dhuilgheadas" in err
    assert "tha an t-ainm ceiste 'age' ann dà thuras" in err
    assert "liosta roghainnean neo-aithnichte 'obstacles'; mìnich i fo [choices]" in err
    assert "duplicate question name" not in err


def test_validate_structural_problems_in_welsh(monkeypatch, capsys, folder, tmp_path) -> None:
    bad = misshapen_copy(folder, tmp_path)
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANG": "cy_GB.UTF-8"}, "validate", str(bad))
    assert code == 1
    assert "version: disgwylid testun, cafwyd int 1" in err  # the kind expected is translated too
    assert "maes/meysydd anhysbys lable — gwiriwch y sillafu" in err
    assert "expected" not in err and "check the spelling" not in err


def test_validate_unreadable_file_in_gaelic(monkeypatch, capsys, folder, tmp_path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_bytes(b"")
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"RIGHTSAWARE_UI_LANGUAGE": "gd"},
                               "validate", str(empty), str(tmp_path / "missing.toml"))
    assert code == 1
    assert f"{empty}: tha am faidhle falamh" in err
    assert f"{tmp_path / 'missing.toml'}: chan eil am faidhle ann" in err


def test_missing_instrument_in_welsh(monkeypatch, capsys, folder, tmp_path) -> None:
    code, out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANG": "cy_GB.UTF-8"},
                              "instruments", "show", "no-such-survey")
    assert code == 1 and out == ""
    assert err.startswith("Gwall: nid oes arolwg â'r id 'no-such-survey' (ar gael: ")
    assert "sample" in err  # the available ids are filled in
    assert "{" not in err


def test_missing_instrument_in_gaelic_and_english(monkeypatch, capsys, folder, tmp_path) -> None:
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANGUAGE": "gd_GB:en"},
                               "instruments", "show", "nope")
    assert code == 1
    assert err.startswith("Mearachd: chan eil suirbhidh ann leis an id 'nope' (rim faighinn: ")
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANG": "C.UTF-8"},
                               "instruments", "show", "nope")
    assert err.startswith("Error: no instrument with id 'nope' (available: ")


def test_settings_error_in_welsh_before_the_runtime_exists(monkeypatch, capsys, folder, tmp_path) -> None:
    monkeypatch.setenv("RIGHTSAWARE_PORT", "wyth mil")
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANG": "cy_GB.UTF-8"},
                               "instruments", "list")
    assert code == 2
    assert err.strip() == "Gwall: rhaid i RIGHTSAWARE_PORT fod yn rhif cyfan, nid 'wyth mil'"


def test_settings_file_error_in_gaelic(monkeypatch, capsys, folder, tmp_path) -> None:
    settings = tmp_path / "broken-settings.toml"
    settings.write_text("port = [", encoding="utf-8")
    monkeypatch.setenv("RIGHTSAWARE_CONFIG", str(settings))
    code, _out, err = run_main(monkeypatch, capsys, tmp_path, folder, {"LANGUAGE": "gd"}, "instruments", "list")
    assert code == 2
    assert f"Mearachd: chan e TOML dligheach a th' ann am faidhle nan roghainnean {settings}: " in err


# --- the exceptions themselves ------------------------------------------------------------------


def test_error_keeps_english_and_translates_when_shown(translator) -> None:
    error = NotFound(N_("no instrument with id '{id}' (available: {known})"), params={"id": "x", "known": "a, b"})
    assert str(error) == error.message == "no instrument with id 'x' (available: a, b)"
    assert error.display(translator.messages("cy")) == "nid oes arolwg â'r id 'x' (ar gael: a, b)"
    assert error.display(translator.messages("gd")) == "chan eil suirbhidh ann leis an id 'x' (rim faighinn: a, b)"
    assert error.display(translator.messages("en")) == str(error)
    assert error.display(None) == str(error)


def test_plural_summary_and_problem_details_translate(translator) -> None:
    text = "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 'text'\nlabel = ''\n"
    with pytest.raises(InstrumentError) as caught:
        loads_instrument(text, file="x.toml")
    error = caught.value
    assert str(error).splitlines()[0] == "x.toml: 1 problem found"
    cy = error.display(translator.messages("cy")).splitlines()
    assert cy == ["x.toml: canfuwyd 1 broblem", "  x.toml:7: questions[0].label: mae angen label ar gwestiwn"]
    gd = error.display(translator.messages("gd")).splitlines()
    assert gd[0] == "x.toml: chaidh 1 duilgheadas a lorg"
    assert error.problems[0].format(translator.messages("gd")._).endswith("feumaidh leubail a bhith aig ceist")


def test_a_message_already_translated_is_shown_as_it_is(translator) -> None:
    error = RightsawareError("Mae rhywbeth o'i le {yma}")  # no params: braces are not placeholders
    assert error.display(translator.messages("cy")) == "Mae rhywbeth o'i le {yma}"


@pytest.mark.parametrize("text", [
    "id = 'x'\nversion = 1\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 'text'\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 'integr'\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 'select_one'\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 'text yn'\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\ntype = 3\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\n[[questions]]\nname = 'a'\nlabel = 'A'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\nquestions = 'a'\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\nquestions = ['a']\n",
    "id = 'x'\nversion = '1'\ntitle = 't'\nlanguages = ['en', 'fr']\nwho = 1\n[[questions]]\nname = 'a'\ntype = 'text'\nlabel = 'A'\nrequired = 'yes'\n",
])
def test_every_structural_problem_has_a_translation(text, translator) -> None:
    """The converter's English messages are matched to catalog templates; none falls through."""
    with pytest.raises(InstrumentError) as caught:
        loads_instrument(text, file="x.toml")
    cy = translator.messages("cy")
    for problem in caught.value.problems:
        assert problem.message != "{error}", problem
        assert problem.format(cy._) != problem.format(), problem


def test_every_loading_and_settings_template_is_translated() -> None:
    """Each N_ template in loading.py and settings.py is in the Welsh and Gaelic catalogs."""
    root = Path(__file__).resolve().parents[1]
    for language in ("cy", "gd"):
        with (root / "locales" / language / "LC_MESSAGES" / "rightsaware.po").open("rb") as handle:
            catalog = read_po(handle, locale=language)
        ours = [m for m in catalog if m.id and any(loc[0].endswith(("loading.py", "settings.py", "library.py", "cli.py"))
                                                    for loc in m.locations)]
        assert len(ours) > 50
        for message in ours:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, message.id
