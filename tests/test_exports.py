"""Exports: protected tables as CSV/XLSX/JSON; respondent-level data only on request, never contacts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from rightsaware.cli import Context, build_cli
from rightsaware.report_cli import export
from rightsaware.response import Response
from rightsaware.store import tables
from rightsaware.testing import made_response

PHONE = "+447700900123"
NOW = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)


def cli(runtime):
    group = build_cli(runtime)
    if "export" not in group.commands:
        group.add_command(export)
    return group


def invoke(runtime, *args: str):
    return CliRunner().invoke(cli(runtime), ["export", *args], obj=Context(runtime, "en"))


def response(instrument, values, **options) -> Response:
    return made_response(instrument, values, at=NOW, **options)


@pytest.fixture
def runtime(rightsaware_runtime, sample_instrument):
    store = rightsaware_runtime.store
    store.record_instrument("sample", "1", sample_instrument.content_hash)
    respondent = store.ensure_respondent("sms", PHONE)
    batch = [response(sample_instrument, {"heard": "yes", "age": 30 + i, "barriers": ("time", "transport"),
                                          "comment": "Fine"}, respondent_id=respondent if i == 0 else None)
             for i in range(25)]
    batch += [response(sample_instrument, {"heard": "no", "age": 70, "comment": None}, channel="sms")
              for _ in range(15)]
    batch.append(response(sample_instrument, {"heard": "yes", "age": 50, "barriers": ("language",),
                                              "comment": "=HYPERLINK(\"http://evil.example\",\"x\")"}))
    batch += [response(sample_instrument, {"heard": "no", "age": 20}, synthetic=True) for _ in range(5)]
    store.save_completed_batch(batch)
    return rightsaware_runtime


def test_csv_tables_hide_small_counts_and_open_in_excel(runtime, tmp_path) -> None:
    out = tmp_path / "tables.csv"
    result = invoke(runtime, "--instrument", "sample", "--by", "channel", "--bom", "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    language = next(r for r in rows if r["question"] == "barriers" and r["code"] == "language" and not r["breakdown"])
    assert (language["count"], language["suppressed"], language["percent"]) == ("", "1", "")
    assert all(r["count"] == r["percent"] == "" for r in rows if r["suppressed"] == "1")
    yes = next(r for r in rows if r["question"] == "heard" and r["code"] == "yes" and not r["breakdown"])
    assert (yes["count"], yes["suppressed"], yes["percent"]) == ("26", "0", "63.4")  # 26 of 41
    assert {r["breakdown"] for r in rows} == {"", "channel"}
    assert not any(r["question"] == "comment" and r["figure"] == "answer" for r in rows)


def test_xlsx_and_json_tables(runtime, tmp_path) -> None:
    out = tmp_path / "tables.xlsx"
    assert invoke(runtime, "--instrument", "sample", "--format", "xlsx", "--out", str(out)).exit_code == 0
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["Tables", "About"]
    header, *rows = list(book["Tables"].iter_rows(values_only=True))
    counts = {(r[0], r[7]): r[9] for r in rows if r[2] is None and r[6] == "answer"}
    assert counts[("heard", "yes")] == 26 and counts[("heard", "no")] == 15
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Smallest count shown"] == 10 and about["Synthetic (practice) responses"] == "left out"
    out = tmp_path / "tables.json"
    assert invoke(runtime, "--instrument", "sample", "--format", "json", "--labels", "cy", "--out", str(out)).exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    barriers = next(q for q in data["questions"] if q["question"] == "barriers")
    assert barriers["overall"]["rows"][0]["cells"]["language"] == {"suppressed": True}
    assert data["labels"]["language"] == "cy" and data["synthetic_left_out"] == 5


def test_xlsx_needs_a_file(runtime) -> None:
    result = invoke(runtime, "--instrument", "sample", "--format", "xlsx")
    assert result.exit_code != 0 and "needs a file" in str(result.exception)


def test_respondent_level_export_has_no_contact_details(runtime, tmp_path) -> None:
    out = tmp_path / "responses.csv"
    result = invoke(runtime, "--instrument", "sample", "--respondents", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 41  # synthetic ones left out
    assert set(rows[0]) == {"response", "version", "channel", "language", "completed_at", "synthetic", "heard", "age",
                            "barriers:time", "barriers:transport", "barriers:language"}
    respondent = runtime.store.ensure_respondent("sms", PHONE)
    assert PHONE not in text and PHONE[1:] not in text and respondent not in text
    assert "Fine" not in text  # free text only when asked for
    # Rows come in response-id order (random): pick each kind of answer by what only it chose.
    first = next(r for r in rows if r["heard"] == "yes" and r["barriers:transport"] == "1")
    assert (first["barriers:time"], first["barriers:language"]) == ("1", "0")
    lone = next(r for r in rows if r["barriers:language"] == "1")
    assert (lone["barriers:time"], lone["barriers:transport"]) == ("0", "0")
    assert next(r for r in rows if r["heard"] == "no")["barriers:time"] == ""  # not asked
    with runtime.store.engine.connect() as connection:
        actions = connection.execute(tables.audit_log.select()).mappings().all()
    assert any(a["action"] == "responses.export" and a["subject_id"] == "sample" for a in actions)


def test_free_text_is_neutralised_and_synthetic_and_withdrawn_handled(runtime, tmp_path) -> None:
    withdrawn = json.loads(json.dumps([]))
    with runtime.store.engine.begin() as connection:
        # a real response other than the one whose formula this test looks for (ids are random)
        formula = tables.answers.select().where(tables.answers.c.question == "comment",
                                                tables.answers.c.value_text.like("=HYPERLINK%"))
        evil = {row["response_id"] for row in connection.execute(formula).mappings()}
        assert evil
        first = connection.execute(tables.responses.select().where(tables.responses.c.synthetic.is_(False),
                                                                   tables.responses.c.id.not_in(evil))
                                   .order_by(tables.responses.c.id).limit(1)).mappings().first()
        connection.execute(tables.withdrawals.insert().values(response_id=first["id"], channel="cli", withdrawn_at=NOW))
        withdrawn.append(first["id"])
    out = tmp_path / "responses.csv"
    result = invoke(runtime, "--instrument", "sample", "--respondents", "--include-free-text", "--include-synthetic",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 45 and withdrawn[0] not in {r["response"] for r in rows}
    comments = {r["comment"] for r in rows}
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in comments
    assert all(not v or v[0] not in "=+-@" for r in rows for v in r.values())
    xlsx = tmp_path / "responses.xlsx"
    invoke(runtime, "--instrument", "sample", "--respondents", "--include-free-text", "--format", "xlsx",
           "--out", str(xlsx))
    cells = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells


def test_respondent_json_and_labels_in_welsh(rightsaware_runtime, tmp_path) -> None:
    from rightsaware.simulate import simulate

    runtime = rightsaware_runtime
    simulate(runtime.store, runtime.instrument("rights-wales"), 12, seed=2)
    out = tmp_path / "r.json"
    result = invoke(runtime, "--instrument", "rights-wales", "--respondents", "--include-synthetic", "--format",
                    "json", "--labels", "cy", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == 12 and all(r["synthetic"] == 1 for r in data)
    consent = next(k for k in data[0] if "hŷn" in k)  # the consent question, in Welsh with ŷ intact
    assert {r[consent] for r in data} <= {"Ydw", "Nac ydw"}


def test_tables_refuse_free_text_and_unknown_labels(runtime) -> None:
    result = invoke(runtime, "--instrument", "sample", "--include-free-text")
    assert result.exit_code != 0 and "only with --respondents" in str(result.exception)
    result = invoke(runtime, "--instrument", "sample", "--labels", "fr")
    assert result.exit_code != 0 and "not a language" in str(result.exception)
