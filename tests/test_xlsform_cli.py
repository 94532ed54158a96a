"""``rightsaware xlsform import|export`` as a user runs them: output, exit codes, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from rightsaware.cli import Context
from rightsaware.loading import load_instrument
from rightsaware.testing import write_sample_instrument
from rightsaware.xlsform import XLSFormError
from rightsaware.xlsform_cli import xlsform

ROOT = ("from rightsaware.cli import cli, main; from rightsaware.xlsform_cli import xlsform; "
        "cli.add_command(xlsform); main()")


def invoke(runtime, *args: str):
    return CliRunner().invoke(xlsform, list(args), obj=Context(runtime, "en"), catch_exceptions=True)


def test_export_then_import_through_the_commands(rightsaware_runtime, sample_instrument, tmp_path) -> None:
    workbook = tmp_path / "sample.xlsx"
    result = invoke(rightsaware_runtime, "export", "sample", "--out", str(workbook))
    assert result.exit_code == 0, result.output
    assert f"Wrote {workbook}: sample version 1, 5 questions, languages: en, cy, gd." in result.output
    result = invoke(rightsaware_runtime, "import", str(workbook), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "Imported sample (version 1, 5 questions, languages: en, cy, gd)." in result.output
    assert "Welsh: 12 of 12 texts translated" in result.output
    assert "Scottish Gaelic: 12 of 12 texts translated" in result.output
    assert str(tmp_path / "out" / "sample" / "locales" / "gd" / "LC_MESSAGES" / "sample.po") in result.output
    assert load_instrument(tmp_path / "out" / "sample.toml") == sample_instrument
    again = invoke(rightsaware_runtime, "import", str(workbook), "--out", str(tmp_path / "out"))
    assert isinstance(again.exception, XLSFormError) and "--force" in str(again.exception)
    assert invoke(rightsaware_runtime, "import", str(workbook), "--out", str(tmp_path / "out"), "--force").exit_code == 0


def test_export_a_toml_file_and_list_what_was_not_imported(rightsaware_runtime, tmp_path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    path = write_sample_instrument(folder)
    workbook = tmp_path / "s.xlsx"
    assert invoke(rightsaware_runtime, "export", str(path), "--out", str(workbook)).exit_code == 0
    book = openpyxl.load_workbook(workbook)
    book["survey"].cell(1, 20, "appearance")
    book["survey"].cell(3, 20, "minimal")
    book.save(workbook)
    result = invoke(rightsaware_runtime, "import", str(workbook), "--out", str(tmp_path / "out"), "--id", "copy")
    assert result.exit_code == 0, result.output
    assert "Imported copy" in result.output
    assert "1 thing in the workbook was not imported as it is:" in result.output
    assert "survey sheet, row 3, column T (appearance): 'appearance' is not supported; not imported" in result.output


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "instruments"
    folder.mkdir()
    write_sample_instrument(folder)
    environ = dict(os.environ)
    environ.update({"RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"), "RIGHTSAWARE_INSTRUMENTS_DIR": str(folder),
                    "RIGHTSAWARE_UI_LANGUAGE": "en"})
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-c", ROOT, *args], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_errors_exit_1_without_a_traceback(env, tmp_path) -> None:
    bad = tmp_path / "bad.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "survey"
    book.active.append(["type", "name", "label"])
    book.active.append(["selct_one yn", "q", "Q?"])
    book.save(bad)
    result = run(env, "xlsform", "import", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"Error: {bad}: 2 problems found; nothing was imported." in result.stderr
    assert "survey sheet, row 2, column A (type): unknown type 'selct_one yn'. Did you mean 'select_one'?" in result.stderr
    assert "survey sheet: an instrument needs at least one question" in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_and_unknown_instrument(rightsaware_runtime, tmp_path) -> None:
    from rightsaware.errors import NotFound

    assert invoke(rightsaware_runtime, "import").exit_code == 2
    assert invoke(rightsaware_runtime, "export", "sample").exit_code == 2  # --out is required
    result = invoke(rightsaware_runtime, "export", "no-such-survey", "--out", str(tmp_path / "x.xlsx"))
    assert isinstance(result.exception, NotFound) and "no-such-survey" in str(result.exception)
    assert not (tmp_path / "x.xlsx").exists()
