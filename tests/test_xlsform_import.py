"""Importing XLSForms written elsewhere (ODK, KoboToolbox): what is kept, what is listed as left out."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.messages.pofile import read_po

from rightsaware import expressions
from rightsaware.i18n import Translator, localize
from rightsaware.loading import load_instrument
from rightsaware.testing import write_workbook as workbook
from rightsaware.xlsform import classify_type, import_xlsform, write_import

EN, CY, GD = "English (en)", "Cymraeg (cy)", "Gàidhlig (gd)"


SETTINGS = [["form_title", "form_id", "version"], ["Local services", "local-services", "2024051501"]]


def notes_text(result) -> str:
    return "\n".join(str(note) for note in result.notes)


def test_languages_by_code_and_by_name_become_catalogs(tmp_path) -> None:
    path = workbook(tmp_path / "form.xlsx", {
        "survey": [
            ["type", "name", "label::English (en)", "label::Welsh", "label::Gàidhlig (gd)", "hint::English (en)",
             "hint::Cymraeg (cy)", "constraint", "constraint_message::English", "constraint_message::cy",
             "constraint_message::Scottish Gaelic"],
            ["select_one yn", "use_library", "Do you use the library?", "Ydych chi'n defnyddio'r llyfrgell?",
             "A bheil thu a' cleachdadh an leabharlann?", "In the last year", "Yn y flwyddyn ddiwethaf"],
            ["integer", "visits", "How many visits?", "Sawl ymweliad?", "Co mheud turas?", None, None,
             ". >= 0", "Zero or more", "Sero neu fwy", "Neoni no barrachd"],
        ],
        "choices": [["list_name", "name", "label::English (en)", "label::Cymraeg (cy)", "label::Gàidhlig (gd)"],
                    ["yn", "yes", "Yes", "Ydw", "Tha"], ["yn", "no", "No", "Nac ydw", "Chan eil"]],
        "settings": SETTINGS,
    })
    result = import_xlsform(path)
    instrument = result.instrument
    assert instrument.id == "local-services" and instrument.version == "2024051501"
    assert instrument.languages == ("en", "cy", "gd")
    assert [q.type for q in instrument.questions] == ["select_one yn", "integer"]
    assert instrument.question("visits").constraint_message == "Zero or more"
    assert result.translations["cy"]["local-services:use_library:hint"] == "Yn y flwyddyn ddiwethaf"
    assert result.translations["gd"]["local-services:visits:constraint_message"] == "Neoni no barrachd"
    assert result.translations["cy"]["local-services:use_library:no:label"] == "Nac ydw"

    written = write_import(result, tmp_path / "out")
    toml = tmp_path / "out" / "local-services.toml"
    assert toml in written
    for language in ("en", "cy", "gd"):
        assert tmp_path / "out" / "local-services" / "locales" / language / "LC_MESSAGES" / "local-services.po" in written
    assert (tmp_path / "out" / "local-services" / "locales" / "local-services.pot").is_file()
    loaded = load_instrument(toml)
    assert loaded == instrument
    translator = Translator(("en", "cy", "gd"))
    translator.add_instrument(loaded, toml)
    welsh = localize(loaded, translator.messages("cy"))
    assert welsh.label("use_library") == "Ydych chi'n defnyddio'r llyfrgell?"
    assert welsh.choice_label("use_library", "yes") == "Ydw"
    gaelic = localize(loaded, translator.messages("gd"))
    assert gaelic.constraint_message("visits") == "Neoni no barrachd"
    with (tmp_path / "out" / "local-services" / "locales" / "cy" / "LC_MESSAGES" / "local-services.po").open("rb") as f:
        catalog = read_po(f, locale="cy")
    assert catalog.plural_forms.startswith("nplurals=6;")


def test_unsuffixed_columns_follow_default_language(tmp_path) -> None:
    path = workbook(tmp_path / "welsh-first.xlsx", {
        "survey": [["type", "name", "label", "label::English (en)"],
                   ["text", "comment", "Unrhyw sylwadau?", "Any comments?"]],
        "settings": [["form_id", "default_language"], ["sylwadau", "Cymraeg (cy)"]],
    })
    result = import_xlsform(path)
    assert result.instrument.question("comment").label == "Any comments?"
    assert result.translations["cy"]["sylwadau:comment:label"] == "Unrhyw sylwadau?"
    assert result.instrument.languages == ("en", "cy")


def test_groups_are_flattened_and_their_relevant_kept(tmp_path) -> None:
    path = workbook(tmp_path / "groups.xlsx", {
        "survey": [["type", "name", "label", "relevant", "appearance"],
                   ["select_one yn", "works", "Do you work?"],
                   ["begin_group", "job", "About your job", "${works} = 'yes'", "field-list"],
                   ["begin group", "hours_block", "Hours", "${works} != ''"],
                   ["integer", "hours", "Hours a week?", "${works} = 'yes'"],
                   ["end group"],
                   ["text", "employer", "Employer?"],
                   ["end_group", "job"],
                   ["note", "thanks", "Thank you"]],
        "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        "settings": SETTINGS,
    })
    result = import_xlsform(path)
    instrument = result.instrument
    assert [q.name for q in instrument.questions] == ["works", "hours", "employer", "thanks"]
    assert instrument.question("hours").relevant == "(${works} = 'yes') and (${works} != '') and (${works} = 'yes')"
    assert instrument.question("employer").relevant == "${works} = 'yes'"
    assert instrument.question("thanks").relevant is None
    text = notes_text(result)
    assert "survey sheet, row 3: group 'job' (rows 3–8) was flattened" in text
    assert "its relevant was added to each question in it" in text
    assert "survey sheet, row 3, column E (appearance): 'appearance' is not supported" in text
    relevant = expressions.parse(instrument.question("hours").relevant)
    assert relevant.is_true({"works": "yes"}) and not relevant.is_true({"works": "no"})


def test_repeats_media_and_unsupported_types_are_listed(tmp_path) -> None:
    path = workbook(tmp_path / "household.xlsx", {
        "survey": [["type", "name", "label", "image", "label::Français (fr)", "my notes"],
                   ["integer", "people", "How many people live here?", "house.png", "Combien ?", "ask first"],
                   ["begin_repeat", "member", "Each person"],
                   ["text", "member_name", "Name?"],
                   ["begin_group", "inner", "Inner"],
                   ["integer", "member_age", "Age?"],
                   ["end_group"],
                   ["end_repeat"],
                   ["geopoint", "where", "Where are you?", "map.png"],
                   ["select_one yn or_other", "happy", "Happy here?", "smile.png"],
                   ["start", "started"]],
        "choices": [["list_name", "name", "label", "image"], ["yn", "yes", "Yes", "yes.png"], ["yn", "no", "No"]],
        "settings": SETTINGS,
        "external_choices": [["list_name", "name", "label"], ["towns", "a", "Aber"]],
        "Working notes": [["check with the council"]],
    })
    result = import_xlsform(path)
    assert [q.name for q in result.instrument.questions] == ["people", "happy"]
    assert "external_choices sheet: the external_choices sheet is not supported; not imported" in notes_text(result)
    assert "Working notes sheet: not an XLSForm sheet; not imported" in notes_text(result)
    text = notes_text(result)
    assert "repeat 'member' (rows 3–8) is not supported" in text and "member_name, member_age" in text
    assert "survey sheet, row 9, column A (type): type 'geopoint' is not supported: 'where' was left out" in text
    assert "survey sheet, row 11, column A (type): type 'start' is not supported" in text
    assert "survey sheet, rows 2, 10, column D (image): images, audio and video are not supported" in text
    assert "choices sheet, row 2, column D (image): images, audio and video are not supported" in text
    assert "column E (label::Français (fr)): rightsaware has English, Welsh and Gaelic only: text in 'fr'" in text
    assert "survey sheet, row 2, column F (my notes): unknown column" in text
    assert "row 10, column A (type): 'or_other' is not supported" in text
    assert "map.png" not in text  # rows left out are reported once, not cell by cell


def test_calculations_in_the_subset_are_written_into_expressions(tmp_path) -> None:
    path = workbook(tmp_path / "calc.xlsx", {
        "survey": [["type", "name", "label", "calculation", "relevant", "constraint"],
                   ["integer", "age", "Age?"],
                   ["calculate", "next_year", None, "${age} + 1"],
                   ["calculate", "adult_next_year", None, "${next_year} >= 18"],
                   ["calculate", "lookup", None, "pulldata('ages', 'band', 'age', ${age})"],
                   ["calculate", "unused", None, "1 + 1"],
                   ["text", "why", "Why?", None, "${adult_next_year} = 'true'", "string-length(.) < 100"]],
        "settings": SETTINGS,
    })
    result = import_xlsform(path)
    why = result.instrument.question("why")
    assert why.relevant == "string(string(${age} + 1) >= 18) = 'true'"
    parsed = expressions.parse(why.relevant)
    assert parsed.is_true({"age": 17}) and not parsed.is_true({"age": 16})
    text = notes_text(result)
    assert "row 3, column D (calculation): calculation 'next_year' is not a question in rightsaware" in text
    assert "calculation 'lookup' uses what rightsaware's expressions do not support" in text
    assert "calculation 'unused' is used by no expression that was imported: left out" in text


def test_required_values_and_cell_types(tmp_path) -> None:
    path = workbook(tmp_path / "required.xlsx", {
        "survey": [["type", "name", "label", "required"],
                   ["select_one codes", "a", "A?", "yes"],
                   ["text", "b", "B?", True],
                   ["text", "c", "C?", "FALSE"],
                   ["text", "d", "D?"],
                   ["text", "e", "E?", "${a} = '1'"],
                   ["date", "f", "When?", "true()"],
                   ["decimal", "g", "How much?", "no"],
                   ["note", "h", "Note"]],
        "choices": [["list_name", "name", "label"], ["codes", 1, "One"], ["codes", 2.0, "Two"],
                    ["codes", "3", dt.date(2024, 5, 1)]],
        "settings": [["form_title", "form_id", "version"], ["Required", "required", 3]],
    })
    result = import_xlsform(path)
    instrument = result.instrument
    assert {q.name: q.required for q in instrument.questions} == {
        "a": True, "b": True, "c": False, "d": False, "e": False, "f": True, "g": False, "h": False}
    assert [c.name for c in instrument.choices["codes"]] == ["1", "2", "3"]
    assert instrument.choices["codes"][2].label == "2024-05-01"
    assert instrument.version == "3"
    assert "required only when '${a} = '1'' is true is not supported: the question is optional" in notes_text(result)


def test_a_form_without_settings_takes_its_id_from_the_file_name(tmp_path) -> None:
    path = workbook(tmp_path / "quick-poll.xlsx", {"survey": [["type", "name", "label"], ["text", "q", "Q?"]]})
    result = import_xlsform(path)
    assert (result.instrument.id, result.instrument.version, result.instrument.title) == ("quick-poll", "1", "quick-poll")
    assert result.instrument.languages == ("en",)
    assert "the id is 'quick-poll', from the file name" in notes_text(result)
    assert import_xlsform(path, instrument_id="poll-2").instrument.id == "poll-2"


def test_translations_without_english_are_reported(tmp_path) -> None:
    path = workbook(tmp_path / "form.xlsx", {
        "survey": [["type", "name", "label::English (en)", "label::Cymraeg (cy)", "hint::Cymraeg (cy)"],
                   ["text", "q", "Name of your town ${x}?", "Enw eich tref?", "Er enghraifft, Aberystwyth"]],
        "choices": [["list_name", "name", "label", "label::Cymraeg (cy)"], ["spare", "a", "A", "A (cy)"]],
        "settings": SETTINGS,
        "rightsaware": [["key", "value"], ["description::Cymraeg (cy)", "Am y dref"]],
    })
    result = import_xlsform(path)
    text = notes_text(result)
    assert "row 2, column E (hint::Cymraeg (cy)): Cymraeg text with no English text beside it: left out" in text
    assert "the text uses ${…}" in text
    assert "list 'spare' is used by no question: its Welsh and Gaelic labels are not kept" in text
    assert "rightsaware sheet, row 2, column B (value): Cymraeg text with no English text beside it" in text
    assert set(result.translations["cy"]) == {"local-services:q:label"}


@pytest.mark.parametrize("text, role, kind, list_name", [
    ("select_one yes_no", "question", "select_one", "yes_no"),
    ("select one  yes_no", "question", "select_one", "yes_no"),
    ("select_multiple barriers", "question", "select_multiple", "barriers"),
    ("select all that apply barriers", "question", "select_multiple", "barriers"),
    ("int", "question", "integer", None),
    ("string", "question", "text", None),
    ("begin group", "begin_group", None, None),
    ("end_repeat", "end_repeat", None, None),
    ("calculate", "calculate", None, None),
    ("dateTime", "unsupported", None, None),
    ("select_one_from_file places.csv", "unsupported", None, None),
    ("intgeer", "unknown", None, None),
    ("select_one", "unknown", None, None),
])
def test_classify_type(text, role, kind, list_name) -> None:
    found = classify_type(text)
    assert (found.role, found.kind, found.list_name) == (role, kind, list_name)


def test_every_pyxform_type_is_known() -> None:
    """Each type pyxform accepts is imported or reported as unsupported: never 'unknown'."""
    from pyxform import aliases
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    from rightsaware.xlsform import SELECT_WORDS

    for name in QUESTION_TYPE_DICT:
        word = f"{name} some_list" if name in aliases.select or name in SELECT_WORDS else name
        assert classify_type(word).role != "unknown", name
    for name in aliases.select:
        assert classify_type(f"{name} some_list").role != "unknown", name
    for name in aliases.control:
        assert classify_type(f"begin {name}").role.startswith("begin_"), name
        assert classify_type(f"end_{name}").role.startswith("end_"), name
