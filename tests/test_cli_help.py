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


def run_error(tmp_path, language: str, *args: str) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    environ.update({"RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"), "RIGHTSAWARE_UI_LANGUAGE": language})
    result = subprocess.run([sys.executable, "-m", "rightsaware", *args], env=environ, check=False,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stderr


def test_clicks_usage_errors_are_in_the_ui_language(tmp_path) -> None:
    code, english = run_error(tmp_path, "en", "report")
    assert code == 2 and "Error: Missing option '--instrument'." in english
    code, welsh = run_error(tmp_path, "cy", "report")
    assert code == 2
    assert "Gwall: Mae'r opsiwn '--instrument' ar goll." in welsh
    assert "Defnydd: rightsaware report" in welsh and "Usage:" not in welsh
    assert "Rhowch gynnig ar 'rightsaware report --help'" in welsh
    _code, gaelic = run_error(tmp_path, "gd", "export", "--instrument", "x", "--format", "pdf")
    assert "Mearachd: Luach mì-dhligheach airson '--format': Chan eil 'pdf' am measg 'csv', 'xlsx', 'json'." in gaelic


@pytest.mark.parametrize(("english", "welsh"), [
    ("Missing argument 'FILES...'.", "Mae'r ddadl 'FILES...' ar goll."),
    ("Option '--instrument' requires an argument.", "Mae angen gwerth ar ôl yr opsiwn '--instrument'."),
    ("No such option '--bogus'. Did you mean '--out'?", "Does dim opsiwn '--bogus'. Oeddech chi'n golygu '--out'?"),
    ("No such command 'reprt'. (Did you mean one of: 'export', 'report'?)",
     "Does dim gorchymyn 'reprt'. Oeddech chi'n golygu 'export', 'report'?"),
    ("Got unexpected extra argument (extra)", "Geiriau ychwanegol annisgwyl: extra"),
    ("Invalid value for '--threshold': 'abc' is not a valid integer.",
     "Gwerth annilys ar gyfer '--threshold': Nid yw 'abc' yn rhif cyfan."),
    ("Invalid value for '--respondents': 0 is not in the range x>=1.",
     "Gwerth annilys ar gyfer '--respondents': Nid yw 0 yn yr ystod x>=1."),
    ("Something Click may say one day.", "Something Click may say one day."),  # shown as it is
])
def test_each_click_message_template(english, welsh) -> None:
    from rightsaware.cli_errors import translate_click_message
    from rightsaware.i18n import Translator

    assert translate_click_message(english, Translator.with_core().messages("cy")) == welsh
