"""Export → pyxform → import: every built-in instrument and the sample come back the same.

pyxform (a dev dependency) must convert each exported workbook to an ODK XForm with no
warnings, with an English, a Welsh and a Gaelic translation block.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po
from pyxform.xls2xform import convert

from rightsaware import i18n_check
from rightsaware.errors import RightsawareError
from rightsaware.i18n import catalog_path
from rightsaware.instrument import (Choice, Date, Decimal, Instrument, Note, ReferralRule, SelectMultiple,
                                    SelectOne, Text)
from rightsaware.library import InstrumentLibrary, builtin_instruments_dir
from rightsaware.loading import load_instrument
from rightsaware.testing import write_sample_instrument
from rightsaware.xlsform import XLSFormError, export_xlsform, import_xlsform, write_import
from rightsaware.xlsform_catalogs import read_translations, source_texts
from rightsaware.xlsform_export import build_workbook

BUILTIN = InstrumentLibrary([builtin_instruments_dir()]).ids()
XF = "{http://www.w3.org/2002/xforms}"


@pytest.fixture(params=[*BUILTIN, "sample"])
def source(request, tmp_path) -> tuple[Instrument, Path, Path]:
    """(instrument, its file, its locales folder) for each built-in instrument and the sample."""
    if request.param == "sample":
        path = write_sample_instrument(tmp_path)
    else:
        path = InstrumentLibrary([builtin_instruments_dir()]).entry(request.param).path
    return load_instrument(path), path, path.with_suffix("") / "locales"


def messages(path: Path, language: str) -> dict[tuple, tuple]:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {(m.context, m.id): (m.string, m.fuzzy) for m in list(catalog)[1:]}


def problem_texts(domain: i18n_check.Domain) -> set[str]:
    return {p.message for p in i18n_check.check_domain(domain, stale=False, msgfmt=False)}


def test_builtins_are_listed() -> None:
    assert {"rights-wales", "rights-scotland"} <= set(BUILTIN)


def test_round_trip_gives_the_same_instrument_and_catalogs(source, tmp_path) -> None:
    instrument, path, locales = source
    workbook = tmp_path / f"{instrument.id}.xlsx"
    export_xlsform(instrument, locales, workbook)
    result = import_xlsform(workbook)
    assert result.instrument == instrument
    assert result.instrument.content_hash == instrument.content_hash
    assert result.notes == ()
    write_import(result, tmp_path / "out")
    imported_file = tmp_path / "out" / f"{instrument.id}.toml"
    assert load_instrument(imported_file) == instrument
    texts = {(context, msgid) for context, msgid in source_texts(instrument).items()}
    for language in instrument.languages:
        original = messages(catalog_path(locales, instrument.id, language), language)
        imported = messages(catalog_path(tmp_path / "out" / instrument.id / "locales", instrument.id, language),
                            language)
        assert set(imported) == texts, language  # one entry per text of the instrument, as extracted
        assert imported == {key: value for key, value in original.items() if key in texts}, language
    domain = i18n_check.instrument_domain(imported_file)
    assert i18n_check.check_domain(domain, msgfmt=False, stale=True) == [] or (
        problem_texts(domain) <= problem_texts(i18n_check.instrument_domain(path)))


def test_pyxform_converts_the_export_without_warnings(source, tmp_path) -> None:
    instrument, _path, locales = source
    workbook = tmp_path / f"{instrument.id}.xlsx"
    export_xlsform(instrument, locales, workbook)
    result = convert(str(workbook), form_name="data")
    assert result.warnings == []
    root = ET.fromstring(result.xform)
    blocks = {t.get("lang"): t for t in root.iter(f"{XF}translation")}
    assert set(blocks) == {"English (en)", "Cymraeg (cy)", "Gàidhlig (gd)"}
    assert blocks["English (en)"].get("default") == "true()"
    translations, _notes = read_translations(instrument, locales)
    checked = 0
    for question in instrument.questions:
        welsh = translations["cy"].get(f"{instrument.id}:{question.name}:label")
        if welsh is None:
            continue
        texts = {t.get("id"): t.find(f"{XF}value").text for t in blocks["Cymraeg (cy)"]}
        assert texts[f"/data/{question.name}:label"] == welsh
        checked += 1
    assert checked >= 5
    data = root.find(f".//{XF}instance/{XF}data")
    assert data.get("id") == instrument.id and data.get("version") == instrument.version


def test_exported_columns(tmp_path) -> None:
    entry = InstrumentLibrary([builtin_instruments_dir()]).entry("rights-wales")
    path = tmp_path / "wales.xlsx"
    export_xlsform(entry.instrument, entry.locales_dir, path)
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book["survey"][1]]
    for column in ("label::English (en)", "label::Cymraeg (cy)", "label::Gàidhlig (gd)", "hint::Cymraeg (cy)",
                   "constraint_message::Gàidhlig (gd)", "sms_label::Cymraeg (cy)", "relevant", "meta.module"):
        assert column in header
    assert [c.value for c in book["settings"][2]] == [entry.instrument.title, "rights-wales", "1", "English (en)"]
    assert book.sheetnames == ["survey", "choices", "settings", "rightsaware", "rightsaware_choices",
                               "rightsaware_referrals"]


YES_NO = (Choice("yes", "Yes"), Choice("no", "No", sms_label="N"))


def custom_instrument() -> Instrument:
    return Instrument(
        id="cars", version="2", title="Getting about", languages=("en", "cy", "gd"), description="About travel.",
        jurisdiction="wales", meta={"owner": "Team", "source": "Made up"},
        questions=(
            Note(name="intro", label="=5 questions.\nThank you.  ", required=True),
            SelectOne(name="heard", label="Have you heard of the bus pass?", list_name="yes_no"),
            SelectOne(name="have_car", label="Is there a car?", list_name="yes_no", required=False,
                      meta={"module": "travel", "law": "none"}),
            SelectOne(name="knows", label="Do you know the route?", list_name="yes_no", meta={"law": "x"}),
            SelectMultiple(name="modes", label="How do you travel?", list_name="modes", relevant="${heard} = 'yes'"),
            Decimal(name="miles", label="Miles a week?", constraint=". >= 0", constraint_message="Zero or more"),
            Date(name="since", label="Since when?", hint="Roughly"),
            Text(name="other", label="Anything else?", sms_label="Else?", required=False),
        ),
        choices={"yes_no": YES_NO, "modes": (Choice("bus", "Bus"), Choice("rail", "Train")),
                 "unused": (Choice("a", "A"),)},
        referrals=(ReferralRule("${heard} = 'no'", ("transport", "benefits"), "Did not know"),),
    )


TRANSLATIONS = {
    "cy": {"cars:title": "Teithio", "cars:description": "Am deithio.", "cars:heard:label": "Ydych chi wedi clywed?",
           "cars:heard:yes:label": "Ydw", "cars:heard:no:label": "Nac ydw", "cars:heard:no:sms_label": "N",
           "cars:have_car:yes:label": "Oes", "cars:have_car:no:label": "Nac oes",
           "cars:knows:yes:label": "Ydw", "cars:knows:no:label": "Nac ydw", "cars:knows:no:sms_label": "N",
           "cars:modes:bus:label": "Bws", "cars:since:hint": "Yn fras", "cars:other:sms_label": "Arall?"},
    "gd": {"cars:heard:yes:label": "Chuala", "cars:heard:no:label": "Cha chuala", "cars:intro:label": "=5 ceistean.",
           "cars:have_car:yes:label": "Tha", "cars:have_car:no:label": "Chan eil", "cars:knows:yes:label": "Chuala",
           "cars:knows:no:label": "Cha chuala", "cars:miles:constraint_message": "Neoni no barrachd"},
}


def save(book, path: Path) -> Path:
    book.save(path)
    return path


def test_shared_lists_are_split_per_question_and_folded_back(tmp_path) -> None:
    instrument = custom_instrument()
    book, notes = build_workbook(instrument, TRANSLATIONS)
    assert "written as the lists yes_no, yes_no__have_car" in str(notes[0])
    choices = [[c.value for c in row] for row in book["choices"].iter_rows(min_row=2)]
    assert ["yes_no__have_car", "yes", "Yes", "Oes", "Tha"] in choices
    assert ["yes_no", "no", "No", "Nac ydw", "Cha chuala"] in choices
    survey = {row[1].value: row[0].value for row in book["survey"].iter_rows(min_row=2)}
    assert survey["have_car"] == "select_one yes_no__have_car" and survey["knows"] == "select_one yes_no"
    extra = {row[0].value: row[1].value for row in book["rightsaware"].iter_rows(min_row=2)}
    assert extra["list.yes_no__have_car"] == "yes_no" and extra["title::Cymraeg (cy)"] == "Teithio"
    path = save(book, tmp_path / "cars.xlsx")
    assert convert(str(path), form_name="data").warnings == []
    result = import_xlsform(path)
    assert result.instrument == instrument
    assert list(result.instrument.question("have_car").meta) == ["module", "law"]
    assert result.translations == TRANSLATIONS
    assert result.instrument.question("intro").label == "=5 questions.\nThank you.  "


def test_a_copied_list_whose_english_was_edited_stays_separate(tmp_path) -> None:
    book, _notes = build_workbook(custom_instrument(), TRANSLATIONS)
    for row in book["choices"].iter_rows(min_row=2):
        if row[0].value == "yes_no__have_car" and row[1].value == "yes":
            row[2].value = "Yes, there is"
    result = import_xlsform(save(book, tmp_path / "edited.xlsx"))
    assert result.instrument.question("have_car").list_name == "yes_no__have_car"
    assert result.instrument.choices["yes_no__have_car"][0].label == "Yes, there is"
    assert any("marked as a copy of 'yes_no' but their English differs" in str(n) for n in result.notes)


def test_english_only_instrument(tmp_path) -> None:
    instrument = Instrument(id="plain", version="1", title="Plain", questions=(Text(name="q", label="Q?"),))
    path = tmp_path / "plain.xlsx"
    result = export_xlsform(instrument, None, path)
    assert result.notes == ()
    header = [c.value for c in openpyxl.load_workbook(path)["survey"][1]]
    assert header == ["type", "name", "label::English (en)", "required", "relevant", "constraint"]
    assert convert(str(path), form_name="data").warnings == []
    assert import_xlsform(path).instrument == instrument


def test_export_refuses_to_overwrite_and_odd_topics(tmp_path) -> None:
    instrument = custom_instrument()
    path = tmp_path / "cars.xlsx"
    export_xlsform(instrument, None, path)
    with pytest.raises(XLSFormError, match="already exists; nothing was written"):
        export_xlsform(instrument, None, path)
    export_xlsform(instrument, None, path, force=True)
    with pytest.raises(XLSFormError, match="must end in .xlsx"):
        export_xlsform(instrument, None, tmp_path / "cars.csv")
    spaced = Instrument(id="x", version="1", title="X", questions=(Text(name="q", label="Q?"),),
                        referrals=(ReferralRule("${q} = 'a'", ("legal advice",)),))
    with pytest.raises(RightsawareError, match="referral topic 'legal advice' contains a space"):
        export_xlsform(spaced, None, tmp_path / "x.xlsx")


def test_missing_and_fuzzy_translations_are_not_exported(tmp_path) -> None:
    path = write_sample_instrument(tmp_path)
    po = catalog_path(path.with_suffix("") / "locales", "sample", "cy")
    text = po.read_text(encoding="utf-8").replace('msgctxt "sample:heard:label"', '#, fuzzy\nmsgctxt "sample:heard:label"')
    po.write_text(text, encoding="utf-8")
    catalog_path(path.with_suffix("") / "locales", "sample", "gd").unlink()
    result = export_xlsform(load_instrument(path), path.with_suffix("") / "locales", tmp_path / "s.xlsx")
    notes = " ".join(str(n) for n in result.notes)
    assert "1 fuzzy translation (not yet reviewed) was not exported" in notes
    assert "no Gàidhlig catalog" in notes
    imported = import_xlsform(tmp_path / "s.xlsx")
    assert "sample:heard:label" not in imported.translations["cy"]
    assert imported.translations["cy"]["sample:heard:yes:label"] == "Ydw"
    assert "gd" not in imported.translations
