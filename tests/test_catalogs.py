"""Catalog checks: the committed core catalogs, and every defect `rightsaware i18n check` must catch."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from click.testing import CliRunner

from rightsaware import i18n_check
from rightsaware.i18n import Translator, localize
from rightsaware.i18n_check import (Domain, channel_domain, check_domain, core_domain, coverage,
                                    instrument_domain, render, run_msgfmt, source_root, update)
from rightsaware.i18n_cli import i18n
from rightsaware.loading import loads_instrument
from rightsaware.testing import require_all, require_or_skip

CY_HEADER = "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n == 3 ? 3 : n == 6 ? 4 : 5);"
GD_HEADER = ("nplurals=4; plural=(n == 1 || n == 11) ? 0 : (n == 2 || n == 12) ? 1 : "
             "(n >= 3 && n <= 10 || n >= 13 && n <= 19) ? 2 : 3;")
LEGACY_CY = "nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;"


def test_babel_still_writes_the_cldr_headers() -> None:
    # If a Babel upgrade changes these, re-check every catalog deliberately (briefs/i18n.md §1.3).
    assert str(get_plural("cy")) == CY_HEADER
    assert str(get_plural("gd")) == GD_HEADER


def test_committed_core_catalogs_carry_the_exact_headers() -> None:
    root = source_root()
    assert root is not None
    for language, header in (("cy", CY_HEADER), ("gd", GD_HEADER), ("en", "nplurals=2; plural=(n != 1);")):
        text = (root / "locales" / language / "LC_MESSAGES" / "rightsaware.po").read_text(encoding="utf-8")
        fields, fuzzy = i18n_check._header(text)
        assert fields["Plural-Forms"][0] == header
        assert not fuzzy


def test_committed_core_catalogs_are_complete_and_valid() -> None:
    if require_all():
        assert shutil.which("msgfmt"), "msgfmt (Debian package gettext) is required"
    domain = core_domain(source_root())
    # The template's freshness is checked once the whole core has been extracted.
    assert check_domain(domain, stale=False) == []
    rows = {row.language: row for row in coverage(domain)}
    assert rows["cy"].total > 0 and rows["cy"].percent == rows["gd"].percent == 100.0


# --- a channel-style Python domain --------------------------------------------------------

SOURCE = '''\
from rightsaware.i18n import _, ngettext


def greet(name, n):
    # TRANSLATORS: shown first.
    hello = _("Hello {name}", name=name)
    return hello, ngettext("{n} year", "{n} years", n)
'''
CY_YEARS = ("{n} mlynedd", "{n} flwyddyn", "{n} flynedd", "{n} blynedd", "{n} blynedd", "{n} mlynedd")
GD_YEARS = ("{n} bhliadhna", "{n} bhliadhna", "{n} bliadhnaichean", "{n} bliadhna")


def fill(path: Path, language: str, strings: dict) -> None:
    catalog = read_po(path.open("rb"), locale=language)
    for message in list(catalog)[1:]:
        key = message.id if isinstance(message.id, str) else message.id[0]
        message.string = strings[key]
        message.flags.discard("fuzzy")
    path.write_text(render(catalog, False), encoding="utf-8")


@pytest.fixture
def channel(tmp_path: Path) -> Domain:
    (tmp_path / "src" / "chan").mkdir(parents=True)
    (tmp_path / "src" / "chan" / "messages.py").write_text(SOURCE, encoding="utf-8")
    domain = channel_domain("chan", tmp_path / "locales")
    update(domain)
    fill(domain.po_path("cy"), "cy", {"Hello {name}": "Helo {name}", "{n} year": CY_YEARS})
    fill(domain.po_path("gd"), "gd", {"Hello {name}": "Halò {name}", "{n} year": GD_YEARS})
    return domain


def messages_of(problems) -> str:
    return "\n".join(str(p) for p in problems)


def test_a_complete_domain_passes_and_translates(channel: Domain) -> None:
    assert check_domain(channel) == []
    pot = channel.pot_path.read_text(encoding="utf-8")
    assert "#. shown first." in pot and "#: src/chan/messages.py" in pot
    translator = Translator()
    translator.add_domain("chan", channel.locales_dir)
    assert translator.messages("gd").domain("chan").ngettext("{n} year", "{n} years", 12) == "12 bhliadhna"


def test_templates_are_extracted_with_jinja2_s_extractor(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "pkg" / "templates"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        "<h1>{{ _('Your answers') }}</h1>{% trans count=n %}{{ count }} answer{% pluralize %}"
        "{{ count }} answers{% endtrans %}", encoding="utf-8")
    catalog = i18n_check.build_template(channel_domain("pkg", tmp_path / "locales"))
    ids = [m.id for m in list(catalog)[1:]]
    assert "Your answers" in ids
    assert ("%(count)s answer", "%(count)s answers") in ids  # Jinja's own msgids, never hand-written


def test_update_is_quiet_when_nothing_changed(channel: Domain) -> None:
    assert update(channel) == []  # only dates would differ: files are left alone


def test_stale_template(channel: Domain) -> None:
    source = channel.source / "chan" / "messages.py"
    source.write_text(SOURCE.replace("Hello {name}", "Good morning {name}"), encoding="utf-8")
    assert "the template is out of date" in messages_of(check_domain(channel))


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_missing_plural_forms(channel: Domain, how: str) -> None:
    # Four of six Welsh forms, as a catalog from an older project would have them. Babel's
    # reader pads deleted forms with "", so `pybabel compile` never notices (briefs/i18n.md §1.3).
    path = channel.po_path("cy")
    text = path.read_text(encoding="utf-8")
    for index in (4, 5):
        line = f'msgstr[{index}] "{CY_YEARS[index]}"\n'
        text = text.replace(line, f'msgstr[{index}] ""\n' if how == "emptied" else "")
    path.write_text(text, encoding="utf-8")
    problems = check_domain(channel, msgfmt=False)
    found = messages_of(problems)
    assert "plural forms missing for '{n} year': msgstr[4] (n = 6…); msgstr[5] (n = 4, 5, 7, 8…)" in found
    assert f"{path}:" in found
    if how == "deleted" and shutil.which("msgfmt"):
        assert any("plural forms" in str(p) for p in run_msgfmt(path))


def test_placeholder_mismatch_is_caught_by_us_and_by_msgfmt(channel: Domain) -> None:
    path = channel.po_path("cy")
    path.write_text(path.read_text(encoding="utf-8").replace('"Helo {name}"', '"Helo {enw}"'), encoding="utf-8")
    problems = check_domain(channel, msgfmt=False)
    assert len(problems) == 1
    assert "placeholders differ in 'Hello {name}': the translation has ['enw'], the English has ['name']" in str(problems[0])
    assert problems[0].line is not None
    require_or_skip(shutil.which("msgfmt") is not None, "msgfmt")
    assert any("msgfmt:" in str(p) for p in run_msgfmt(path))


def test_a_plural_form_for_one_number_may_leave_the_number_out(channel: Domain) -> None:
    path = channel.po_path("cy")
    text = path.read_text(encoding="utf-8").replace(f'msgstr[1] "{CY_YEARS[1]}"', 'msgstr[1] "blwyddyn"')
    path.write_text(text, encoding="utf-8")
    assert check_domain(channel, msgfmt=False) == []  # slot 1 is n = 1 only
    gd = channel.po_path("gd")  # but Gaelic slot 0 is 1 and 11: the number must show
    gd.write_text(gd.read_text(encoding="utf-8").replace('msgstr[0] "{n} bhliadhna"', 'msgstr[0] "bliadhna"'),
                  encoding="utf-8")
    assert "placeholders differ in '{n} year'" in messages_of(check_domain(channel, msgfmt=False))


def test_fuzzy_and_untranslated_entries(channel: Domain) -> None:
    path = channel.po_path("gd")
    text = path.read_text(encoding="utf-8")
    text = text.replace('msgid "Hello {name}"', '#, fuzzy\nmsgid "Hello {name}"')
    path.write_text(text, encoding="utf-8")
    cy = channel.po_path("cy")
    cy.write_text(cy.read_text(encoding="utf-8").replace('"Helo {name}"', '""'), encoding="utf-8")
    found = messages_of(check_domain(channel))
    assert "fuzzy (needs review): 'Hello {name}'" in found
    assert "not translated: 'Hello {name}'" in found
    rows = {row.language: row for row in coverage(channel)}
    # Unlike `pybabel compile --statistics`, a fuzzy entry does not count as translated.
    assert (rows["gd"].translated, rows["gd"].fuzzy, rows["gd"].untranslated) == (1, 1, 0)
    assert (rows["cy"].translated, rows["cy"].fuzzy, rows["cy"].untranslated) == (1, 0, 1)
    assert rows["en"].percent == 100.0


@pytest.mark.parametrize("header", [LEGACY_CY, "nplurals=2; plural=(n==2) ? 1 : 0;"])
def test_a_plural_forms_header_other_than_cldr(channel: Domain, header: str) -> None:
    path = channel.po_path("cy")
    text = path.read_text(encoding="utf-8")
    start, end = text.index('"Plural-Forms:'), text.index('"MIME-Version')
    path.write_text(text[:start] + f'"Plural-Forms: {header}\\n"\n' + text[end:], encoding="utf-8")
    found = messages_of(check_domain(channel, msgfmt=False))
    assert f"Plural-Forms is '{header}'; CLDR (Babel 2.19) says '{CY_HEADER}'" in found


def test_a_fuzzy_header(channel: Domain) -> None:
    path = channel.po_path("cy")
    path.write_text("#, fuzzy\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert "the whole file is marked fuzzy" in messages_of(check_domain(channel))


def test_missing_catalog_and_empty_template(channel: Domain, tmp_path: Path) -> None:
    channel.po_path("gd").unlink()
    assert f"{channel.po_path('gd')}: missing" in messages_of(check_domain(channel))
    empty = channel_domain("empty", tmp_path / "empty" / "locales", tmp_path / "nothing")
    (tmp_path / "nothing").mkdir()
    update(empty)
    assert "the template has no messages" in messages_of(check_domain(empty))


def test_msgfmt_catches_what_babel_does_not(channel: Domain) -> None:
    require_or_skip(shutil.which("msgfmt") is not None, "msgfmt")
    path = channel.po_path("cy")
    path.write_text(path.read_text(encoding="utf-8").replace('"Helo {name}"', '"Helo {name}\\n"'), encoding="utf-8")
    problems = check_domain(channel)
    assert any(str(p).startswith(f"{path}:") and "msgfmt:" in str(p) for p in problems)


# --- an instrument's catalogs, end to end --------------------------------------------------

SURVEY = '''\
id = "my-survey"
version = "2"
title = "Knowing your rights"
languages = ["en", "cy", "gd"]

[[questions]]
name = "damp"
type = "select_one yes_no"
label = "Is there damp in your home?"

[choices]
yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]
'''
CY = {"Knowing your rights": "Gwybod eich hawliau", "Is there damp in your home?": "Oes lleithder yn eich cartref?",
      "Yes": "Oes", "No": "Nac oes"}
GD = {"Knowing your rights": "Eòlas air do chòraichean", "Is there damp in your home?": "A bheil taise nad dhachaigh?",
      "Yes": "Tha", "No": "Chan eil"}


def test_instrument_catalogs_through_the_command_line(tmp_path: Path) -> None:
    survey = tmp_path / "my-survey.toml"
    survey.write_text(SURVEY, encoding="utf-8")
    runner = CliRunner()
    args = ["--instrument", str(survey), "--domain", "my-survey"]
    result = runner.invoke(i18n, ["update", *args])
    assert result.exit_code == 0, result.output
    po = {x: tmp_path / "my-survey" / "locales" / x / "LC_MESSAGES" / "my-survey.po" for x in ("en", "cy", "gd")}
    assert all(path.is_file() for path in po.values())
    assert (tmp_path / "my-survey" / "locales" / "my-survey.pot").is_file()
    assert "#: my-survey.toml:9" in po["cy"].read_text(encoding="utf-8")

    result = runner.invoke(i18n, ["check", *args])
    assert result.exit_code == 1
    assert f"{po['cy']}:" in result.output and "not translated: 'Yes' [my-survey:damp:yes:label]" in result.output
    assert "problems found." in result.output

    fill(po["cy"], "cy", CY)
    fill(po["gd"], "gd", GD)
    result = runner.invoke(i18n, ["check", *args])
    assert result.exit_code == 0, result.output
    assert "All catalogs are complete and valid." in result.output

    status = runner.invoke(i18n, ["status", *args])
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines[0].split() == ["domain", "language", "translated", "fuzzy", "untranslated", "total", "%"]
    assert lines[2].split() == ["my-survey", "cy", "4", "0", "0", "4", "100"]

    instrument = loads_instrument(SURVEY)
    translator = Translator()
    translator.add_instrument(instrument, survey)
    assert localize(instrument, translator.messages("cy")).choice_label("damp", "yes") == "Oes"
    assert localize(instrument, translator.messages("gd")).label("damp") == "A bheil taise nad dhachaigh?"

    survey.write_text(SURVEY.replace("damp in your home", "damp or mould in your home"), encoding="utf-8")
    result = runner.invoke(i18n, ["check", *args])
    assert result.exit_code == 1 and "the template is out of date" in result.output
    runner.invoke(i18n, ["update", *args])
    # The changed question keeps its old translation only as a fuzzy suggestion: never shipped.
    assert "fuzzy (needs review): 'Is there damp or mould in your home?'" in runner.invoke(i18n, ["check", *args]).output


def test_cli_uses_the_runtime_s_channel_catalogs_and_ui_language(channel: Domain) -> None:
    def register_message_catalogs(register, runtime):  # noqa: ANN001, ANN202
        register("chan", channel.locales_dir, channel.source)

    runtime = SimpleNamespace(hook=SimpleNamespace(register_message_catalogs=register_message_catalogs))
    obj = SimpleNamespace(runtime=runtime, m=Translator.with_core().messages("cy"))
    result = CliRunner().invoke(i18n, ["check", "--domain", "chan"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "Mae pob catalog yn gyflawn ac yn ddilys." in result.output
    result = CliRunner().invoke(i18n, ["status", "--domain", "nope"], obj=obj)
    assert result.exit_code == 2 and "nope" in result.output


def test_check_without_msgfmt(channel: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    def register_message_catalogs(register, runtime):  # noqa: ANN001, ANN202
        register("chan", channel.locales_dir, channel.source)

    obj = SimpleNamespace(hook=SimpleNamespace(register_message_catalogs=register_message_catalogs))
    monkeypatch.setattr(i18n_check.shutil, "which", lambda name: None)
    monkeypatch.delenv("RIGHTSAWARE_REQUIRE_ALL", raising=False)
    result = CliRunner().invoke(i18n, ["check", "--domain", "chan"], obj=obj)
    assert result.exit_code == 0 and "msgfmt (Debian package gettext) is not installed" in result.output
    monkeypatch.setenv("RIGHTSAWARE_REQUIRE_ALL", "1")
    result = CliRunner().invoke(i18n, ["check", "--domain", "chan"], obj=obj)
    assert result.exit_code == 1 and "msgfmt: msgfmt (Debian package gettext) is not installed" in result.output


def test_instrument_domain_reads_languages_and_places(tmp_path: Path) -> None:
    survey = tmp_path / "my-survey.toml"
    survey.write_text(SURVEY.replace('["en", "cy", "gd"]', '["en", "Cymraeg"]'), encoding="utf-8")
    domain = instrument_domain(survey)
    assert (domain.name, domain.languages, domain.version) == ("my-survey", ("en", "cy"), "2")
    assert domain.pot_path == tmp_path / "my-survey" / "locales" / "my-survey.pot"
    assert os.fspath(domain.po_path("cy")).endswith("my-survey/locales/cy/LC_MESSAGES/my-survey.po")
    assert read_po(io.BytesIO(render(i18n_check.build_template(domain), True).encode())).__len__() == 4
