"""Every CSV/XLSX that exports.py writes neutralises text a spreadsheet would run as a formula (=, +, -, @)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from rightsaware.cli import Context, build_cli
from rightsaware.report_cli import export
from rightsaware.response import Response
from rightsaware.results_labels import Labels
from rightsaware.testing import made_response

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)
ATTACKS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _response(instrument, values, channel="web") -> Response:
    return made_response(instrument, values, channel=channel, at=NOW)


@pytest.fixture
def runtime(rightsaware_runtime, sample_instrument, monkeypatch):
    """Forty responses with hostile free text, and labels (as a partner's instrument file might have) that are formulas."""
    store = rightsaware_runtime.store
    store.record_instrument("sample", "1", sample_instrument.content_hash)
    comments = itertools.cycle(ATTACKS)
    store.save_completed_batch([
        _response(sample_instrument, {"heard": "yes" if i % 2 else "no", "age": 30 + i % 40,
                                      "barriers": ("time", "transport") if i % 2 else None, "comment": next(comments)},
                  channel="web" if i < 20 else "sms")
        for i in range(40)])
    attack = itertools.cycle(ATTACKS)
    for name in ("question", "option", "dimension", "item"):
        original = getattr(Labels, name)
        monkeypatch.setattr(Labels, name, lambda self, *args, _o=original: next(attack) + str(_o(self, *args)))
    return rightsaware_runtime


def _invoke(runtime, *args: str) -> None:
    group = build_cli(runtime)
    if "export" not in group.commands:
        group.add_command(export)
    result = CliRunner().invoke(group, ["export", "--instrument", "sample", *args], obj=Context(runtime, "en"))
    assert result.exit_code == 0, (result.output, result.exception)


def _csv_cells(path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _xlsx_cells(path) -> list:
    book = load_workbook(path, read_only=True)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]


@pytest.mark.parametrize(("kind", "args"), [
    ("tables.csv", ("--by", "channel")),
    ("tables-bom.csv", ("--by", "channel", "--bom")),
    ("tables.xlsx", ("--by", "channel", "--format", "xlsx")),
    ("respondents.csv", ("--respondents", "--include-free-text")),
    ("respondents.xlsx", ("--respondents", "--include-free-text", "--format", "xlsx")),
])
def test_every_csv_and_xlsx_export_neutralises_formulas(runtime, tmp_path, kind, args) -> None:
    out = tmp_path / kind
    _invoke(runtime, *args, "--out", str(out))
    cells = _xlsx_cells(out) if kind.endswith(".xlsx") else _csv_cells(out)
    texts = [c for c in cells if isinstance(c, str) and c]
    dangerous = [c for c in texts if c.startswith(RISKY)]
    assert dangerous == [], dangerous[:5]
    neutralised = {c[1] for c in texts if c.startswith("'") and c[1:2] in RISKY}
    # (an XML parser reads a stored "\r" back as "\n", so the XLSX files show "'\n=1+1": still neutralised)
    expected = set(RISKY) - ({"\r"} if kind.endswith(".xlsx") else set())
    assert expected <= neutralised, f"expected every risky start to be written neutralised, saw {neutralised}"
    if kind.endswith(".xlsx"):  # numbers stay numbers (a negative count would be a number, not text)
        assert any(isinstance(c, (int, float)) for c in cells)
