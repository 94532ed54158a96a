"""Bad spreadsheets: clear errors naming sheet, row and column, all at once; nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rightsaware.errors import RightsawareError
from rightsaware.testing import write_workbook as workbook
from rightsaware.xlsform import XLSFormError, import_xlsform, write_import

SETTINGS = [["form_title", "form_id", "version"], ["Test", "test-form", "1"]]
CHOICES = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def form(tmp_path: Path, survey: list[list], **sheets: list[list]) -> Path:
    return workbook(tmp_path / "form.xlsx", {"survey": survey, "choices": sheets.get("choices", CHOICES),
                                             "settings": sheets.get("settings", SETTINGS)})


def problems(path: Path) -> list[str]:
    with pytest.raises(XLSFormError) as caught:
        import_xlsform(path)
    assert isinstance(caught.value, RightsawareError)
    assert "nothing was imported" in caught.value.message or not caught.value.findings
    return [str(finding) for finding in caught.value.findings] or [caught.value.message]


def test_not_a_workbook(tmp_path) -> None:
    text = tmp_path / "form.xlsx"
    text.write_text("type,name,label\ntext,q,Q?\n", encoding="utf-8")
    assert "is not an Excel workbook (.xlsx)" in problems(text)[0]
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "old Excel 97–2003 (.xls) file" in problems(old)[0]
    other_zip = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "is not an Excel workbook" in problems(other_zip)[0]
    assert "no such file" in problems(tmp_path / "missing.xlsx")[0]
    assert "a folder, not a workbook" in problems(tmp_path)[0]


def test_missing_survey_sheet_names_the_sheets_found(tmp_path) -> None:
    path = workbook(tmp_path / "form.xlsx", {"Questions": [["type", "name", "label"]], "choices": CHOICES})
    (message,) = problems(path)
    assert "there is no survey sheet (sheets found: Questions, choices)" in message


def test_missing_columns(tmp_path) -> None:
    found = problems(form(tmp_path, [["kind", "label::Cymraeg (cy)"], ["text", "Enw?"]]))
    assert any("the survey sheet has no type column" in p for p in found)
    assert any("the survey sheet has no name column" in p for p in found)
    assert any("has no English label column" in p for p in found)


def test_unknown_types_duplicates_and_broken_expressions_are_all_reported(tmp_path) -> None:
    path = form(tmp_path, [
        ["type", "name", "label", "relevant", "constraint"],
        ["select_one yn", "heard", "Heard of it?"],
        ["intger", "age", "Age?"],
        ["text", "heard", "Again?"],
        ["text", "why", "Why?", "${heard} == 'yes'"],
        ["integer", "count", "How many?", "${haerd} = 'yes'", ". > 0 and"],
        ["select_one nolist", "pick", "Pick one"],
        ["text", "bad name", "Bad?"],
        ["text", None, "No name?"],
        [None, "orphan", "No type?"],
    ])
    found = problems(path)
    expected = [
        "survey sheet, row 3, column A (type): unknown type 'intger'. Did you mean 'integer'?",
        "survey sheet, row 4, column B (name): the name 'heard' is used twice (rows 2 and 4)",
        "survey sheet, row 5, column D (relevant): '==' is not supported: use '=' to compare",
        "survey sheet, row 6, column D (relevant): There is no question named 'haerd' in this survey. Did you mean ${heard}?",
        "survey sheet, row 6, column E (constraint): The expression ends too early",
        "survey sheet, row 7, column A (type): there is no list 'nolist' on the choices sheet",
        "survey sheet, row 8, column B (name): invalid question name 'bad name'",
        "survey sheet, row 9, column B (name): this question has no name",
        "survey sheet, row 10, column A (type): this row has a name or label but no type",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in found), (text, found)
    assert len(found) == len(expected), found


def test_translation_columns_need_a_language_code(tmp_path) -> None:
    path = form(tmp_path, [["type", "name", "label", "label::Klingon", "hint::"], ["text", "q", "Q?", "Q'?", "h"]])
    found = problems(path)
    assert found[0].startswith("survey sheet, row 1, column D (label::Klingon): this column has no language code")
    assert found[1].startswith("survey sheet, row 1, column E (hint::): this column has no language code")
    assert "label::Cymraeg (cy)" in found[0]


def test_two_columns_for_the_same_language(tmp_path) -> None:
    path = form(tmp_path, [["type", "name", "label", "label::English (en)"], ["text", "q", "Q?", "Q?"]])
    (found,) = problems(path)
    assert found.startswith("survey sheet, row 1, column D (label::English (en)): two columns give the same thing: "
                            "label (column C) and label::English (en)")
    assert "default_language" in found


def test_choice_problems(tmp_path) -> None:
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "yes", "Yes again"],
               ["yn", None, "No name"], [None, "orphan", "No list"], ["yn", "maybe"]]
    found = problems(form(tmp_path, [["type", "name", "label"], ["select_one yn", "q", "Q?"]], choices=choices))
    assert "choices sheet, row 3, column B (name): choice 'yes' appears twice in list 'yn' (rows 2 and 3)" in found
    assert "choices sheet, row 4, column B (name): this choice has no name" in found
    assert "choices sheet, row 5, column A (list_name): this choice has no list_name" in found
    assert "choices sheet, row 6, column C (label): a choice needs a label" in found


def test_settings_problems(tmp_path) -> None:
    settings = [["form_id", "default_language"], ["My Form!", "Klingon"]]
    found = problems(form(tmp_path, [["type", "name", "label"], ["text", "q", "Q?"]], settings=settings))
    assert any(p.startswith("settings sheet, row 2, column A (form_id): 'My Form!' cannot be an instrument id")
               and "--id my-form" in p for p in found)
    assert any(p.startswith("settings sheet, row 2, column B (default_language): default_language 'Klingon'")
               for p in found)


def test_groups_must_be_closed_and_matched(tmp_path) -> None:
    found = problems(form(tmp_path, [["type", "name", "label"], ["begin_group", "g", "G"], ["text", "q", "Q?"],
                                     ["end_repeat"], ["end_group"], ["end_group"]]))
    assert any("row 4, column A (type): end_repeat does not match: it would close 'g' (begin_group, row 2)" in p
               for p in found)
    assert any("row 6, column A (type): end_group does not match: nothing is open" in p for p in found)
    found = problems(form(tmp_path, [["type", "name", "label"], ["begin_repeat", "r", "R"], ["text", "q", "Q?"]]))
    assert any("row 2: 'r' (begin_repeat) is never closed: add an end_repeat row" in p for p in found)


def test_references_to_questions_left_out(tmp_path) -> None:
    found = problems(form(tmp_path, [
        ["type", "name", "label", "relevant", "calculation"],
        ["geopoint", "where", "Where?"],
        ["begin_repeat", "r", "R"], ["text", "inner", "Inner?"], ["end_repeat"],
        ["calculate", "lookup", None, None, "pulldata('x', 'y', 'z', 1)"],
        ["text", "a", "A?", "${where} != ''"],
        ["text", "b", "B?", "${inner} != ''"],
        ["text", "c", "C?", "${lookup} = 'x'"],
    ]))
    assert "survey sheet, row 7, column D (relevant): ${where} was not imported: row 2 has type 'geopoint'" in found
    assert "survey sheet, row 8, column D (relevant): ${inner} was not imported: it is inside a repeat" in found
    assert any(p.startswith("survey sheet, row 9, column D (relevant): ${lookup} was not imported: row 6 is a "
                            "calculation") for p in found)


def test_rightsaware_sheet_problems(tmp_path) -> None:
    path = workbook(tmp_path / "form.xlsx", {
        "survey": [["type", "name", "label"], ["text", "q", "Q?"]], "settings": SETTINGS,
        "rightsaware": [["key", "value"], ["languages", "en cy fr"], ["colour", "blue"], ["title::English (en)", "T"],
                        ["list.copy", "original"], ["colour", "red"]],
        "rightsaware_referrals": [["when", "topics"], ["${q} = ", "advice"]],
    })
    found = problems(path)
    assert any(p.startswith("rightsaware sheet, row 2, column B (value): 'fr' is not a language") for p in found)
    assert any(p.startswith("rightsaware sheet, row 3, column B (value): unknown key 'colour'") for p in found)
    assert any("row 4, column B (value): the English title is form_title on the settings sheet" in p for p in found)
    assert any("row 5, column B (value): list.copy = original: both lists must be on the choices sheet" in p
               for p in found)
    assert any("row 6, column A (key): 'colour' is given twice (rows 3 and 6)" in p for p in found)
    assert any(p.startswith("rightsaware_referrals sheet, row 2, column A (when): The expression ends too early")
               for p in found)


def test_nothing_is_written_when_the_import_fails(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(XLSFormError):
        import_xlsform(form(tmp_path, [["type", "name", "label"], ["text", "q", "Q?"], ["txt", "r", "R?"]]))
    assert not out.exists()


def test_existing_files_are_kept_without_force(tmp_path) -> None:
    result = import_xlsform(form(tmp_path, [["type", "name", "label"], ["text", "q", "Q?"]]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "test-form.toml").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(XLSFormError) as caught:
        write_import(result, out)
    assert "already exist; nothing was written" in str(caught.value) and "test-form.toml" in str(caught.value)
    assert (out / "test-form.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (out / "test-form").exists()
    written = write_import(result, out, force=True)
    assert out / "test-form.toml" in written and 'name = "q"' in (out / "test-form.toml").read_text("utf-8")
    assert not list(out.rglob("*.partial"))


def test_size_limits(tmp_path, monkeypatch) -> None:
    from rightsaware import xlsform_sheets

    path = form(tmp_path, [["type", "name", "label"], ["text", "q", "Q?"]])
    monkeypatch.setattr(xlsform_sheets, "MAX_UNPACKED", 2_000)
    assert "the workbook unpacks to more than" in problems(path)[0]
    monkeypatch.setattr(xlsform_sheets, "MAX_BYTES", 1_000)
    assert "the file is larger than" in problems(path)[0]
    monkeypatch.setattr(xlsform_sheets, "MAX_UNPACKED", 200_000_000)
    monkeypatch.setattr(xlsform_sheets, "MAX_BYTES", 20_000_000)
    monkeypatch.setattr(xlsform_sheets, "MAX_ROWS", 1)
    assert "the survey sheet has more than 1 row" in problems(path)[0]
