"""``--help`` in the reader's language: extraction of help texts, and showing them translated."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from rightsaware.cli_help import HELP_COMMENT, _help_texts, clean, extract_python
from rightsaware.i18n_check import core_domain, source_root

LANGUAGE_VARIABLES = ("RIGHTSAWARE_UI_LANGUAGE", "LANGUAGE", "LC_ALL", "LANG")

SOURCE = b'''
import click

@click.command("greet")
@click.option("--name", help="Who to greet "
              "by name.")
@click.option("--loud", is_flag=True)
def greet(name, loud):
    """Say hello.

    Twice if asked.\\f
    Not shown.
    """

def helper():
    """Not a command."""

label = _("Hello {name}")
'''


def test_help_texts_of_commands_and_options_are_extracted_with_the_usual_calls() -> None:
    found = [(message, comments) for _line, _func, message, comments in
             extract_python(io.BytesIO(SOURCE), ["_"], [], {})]
    messages = [message for message, _ in found]
    assert "Hello {name}" in messages
    assert "Who to greet by name." in messages
    assert "Say hello.\n\nTwice if asked." in messages  # cleaned as Click shows it, cut at \f
    assert "Not a command." not in messages
    assert all(comments == [HELP_COMMENT] for message, comments in found if message != "Hello {name}")


def test_a_file_that_does_not_parse_gives_no_help_texts() -> None:
    assert list(_help_texts(b"def broken(:\n")) == []


def test_the_core_template_holds_the_help_of_the_commands() -> None:
    from rightsaware.report_cli import report

    root = source_root()
    assert root is not None
    template = read_po(core_domain(root).pot_path.open("rb"))
    assert clean(report.help) in template
    assert next(p for p in report.params if p.name == "no_charts").help in template
    for word in ("Usage:", "Options", "Commands", "Show this message and exit.", "default", "required"):
        assert word in template


def run_help(tmp_path, language: str, *args: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    environ.update({"RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"), "RIGHTSAWARE_UI_LANGUAGE": language,
                    "COLUMNS": "100"})
    result = subprocess.run([sys.executable, "-m", "rightsaware", *args, "--help"], env=environ,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("language", ["cy", "gd"])
def test_report_help_is_in_the_ui_language(tmp_path, language) -> None:
    from rightsaware.i18n import Translator
    from rightsaware.report_cli import report

    m = Translator.with_core().messages(language)
    english = run_help(tmp_path, "en", "report")
    shown = run_help(tmp_path, language, "report")
    summary = clean(report.help)
    assert summary in english and summary not in shown
    assert m._(summary) in " ".join(shown.split()) or m._(summary).split()[0] in shown
    assert m._("Usage:") in shown and m._("Options") in shown and "Usage:" not in shown
    assert m._("Show this message and exit.") in " ".join(shown.split())
    assert "--include-synthetic" in shown and "--no-charts" in shown  # option names stay as typed
    no_charts = next(p for p in report.params if p.name == "no_charts").help
    assert no_charts in english and no_charts not in shown


def test_the_command_list_and_channel_commands_are_translated(tmp_path) -> None:
    from rightsaware.i18n import Translator

    m = Translator.with_core().messages("cy")
    listing = run_help(tmp_path, "cy")
    assert m._("Commands") in listing and "Commands" not in listing
    english = run_help(tmp_path, "en")
    assert "Write a self-contained HTML report" in english
    assert "Write a self-contained HTML report" not in listing
    export = run_help(tmp_path, "cy", "export")
    assert f"[{m._('default')}: csv]" in export and "[default: csv]" not in export  # a row with no help of its own
    assert f"[{m._('required')}]" in " ".join(export.split())
    sms_english, sms_welsh = run_help(tmp_path, "en", "sms"), run_help(tmp_path, "cy", "sms")
    for text in ("SMS campaigns and conversations through Twilio", "Encoding, characters and segments"):
        assert text in sms_english and text not in sms_welsh  # the channel's own domain
    assert "rightsaware sms send --instrument ID --contacts people.csv" in sms_welsh  # examples kept


def test_help_goes_back_to_english_in_the_same_process(rightsaware_runtime) -> None:
    from click.testing import CliRunner

    from rightsaware.cli import Context, build_cli
    from rightsaware.i18n import use_messages

    group = build_cli(rightsaware_runtime)
    runner = CliRunner()
    with use_messages(rightsaware_runtime.messages("gd")):
        gaelic = runner.invoke(group, ["report", "--help"], obj=Context(rightsaware_runtime, "gd")).output
    english = runner.invoke(group, ["report", "--help"], obj=Context(rightsaware_runtime, "en")).output
    assert "Usage:" in english and "Usage:" not in gaelic
    assert "Write a self-contained HTML report" in english
