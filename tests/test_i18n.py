"""The translator: strict catalog loading, CLDR plurals, NFC, placeholders, Jinja and instruments."""

from __future__ import annotations

import gettext
import logging
import unicodedata
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from babel.units import format_unit

from rightsaware.errors import CatalogError, ConfigError
from rightsaware.i18n import (CORE_DOMAIN, ENGLISH, N_, Messages, Translator, _, core_locales_dir,
                              install_jinja, localize, ngettext, use_messages)
from rightsaware.i18n_check import plural_examples
from rightsaware.loading import loads_instrument
from rightsaware.testing import write_sample_instrument

N_VALUES = (0, 1, 2, 3, 6, 11, 20, 100)


def write_catalog(locales: Path, domain: str, language: str, messages: dict, *, fuzzy_ids=()) -> Path:
    """A .po written through Babel's API (``fuzzy=False``, as ``pybabel init`` does)."""
    catalog = Catalog(locale=language, domain=domain, fuzzy=False)
    for msgid, msgstr in messages.items():
        context = None
        if isinstance(msgid, tuple) and len(msgid) == 2 and msgid[0].startswith("ctx:"):
            context, msgid = msgid[0][4:], msgid[1]
        flags = ("fuzzy",) if msgid in fuzzy_ids else ()
        catalog.add(msgid, msgstr, context=context, flags=flags)
    path = locales / language / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


# --- the core catalogs -------------------------------------------------------------------

def test_core_catalogs_are_found_in_the_source_tree() -> None:
    folder = core_locales_dir()
    assert (folder / "cy" / "LC_MESSAGES" / "rightsaware.po").is_file()


def test_core_catalogs_are_found_in_an_installed_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The wheel force-includes locales/ as rightsaware/locales.
    from rightsaware import i18n

    (tmp_path / "locales" / "cy").mkdir(parents=True)
    monkeypatch.setattr(i18n.resources, "files", lambda package: tmp_path)
    assert core_locales_dir() == tmp_path / "locales"


def test_a_known_message_comes_back_in_welsh_and_gaelic() -> None:
    translator = Translator.with_core()
    for language in ("cy", "gd"):
        assert type(translator.catalog(CORE_DOMAIN, language)) is not gettext.NullTranslations
    message = "All catalogs are complete and valid."
    assert translator.messages("cy")._(message) == "Mae pob catalog yn gyflawn ac yn ddilys."
    assert translator.messages("gd")._(message) == "Tha gach catalog coileanta agus dligheach."
    assert translator.messages("en")._(message) == message


def test_core_plural_message_for_every_form() -> None:
    translator = Translator.with_core()
    got = {language: [translator.messages(language).ngettext("{n} problem found.", "{n} problems found.", n)
                      for n in N_VALUES] for language in ("en", "cy", "gd")}
    # n:            0            1            2            3            6            11          20           100
    assert got["cy"] == ["Canfuwyd 0 problem.", "Canfuwyd 1 broblem.", "Canfuwyd 2 broblem.",
                         "Canfuwyd 3 problem.", "Canfuwyd 6 phroblem.", "Canfuwyd 11 problem.",
                         "Canfuwyd 20 problem.", "Canfuwyd 100 problem."]
    assert got["gd"] == ["Chaidh 0 duilgheadas a lorg.", "Chaidh 1 duilgheadas a lorg.",
                         "Chaidh 2 dhuilgheadas a lorg.", "Chaidh 3 duilgheadasan a lorg.",
                         "Chaidh 6 duilgheadasan a lorg.", "Chaidh 11 duilgheadas a lorg.",
                         "Chaidh 20 duilgheadas a lorg.", "Chaidh 100 duilgheadas a lorg."]
    assert got["en"][:3] == ["0 problems found.", "1 problem found.", "2 problems found."]


# --- plural forms with a test catalog built from CLDR's own unit patterns ------------------

@pytest.fixture
def years(tmp_path: Path) -> Translator:
    """A catalog whose plural slots hold CLDR's 'N years' for an example n of each slot."""
    for language in ("cy", "gd"):
        forms = []
        for slot, numbers in sorted(plural_examples(language).items()):
            n = numbers[0]
            forms.append(format_unit(n, "duration-year", length="long", locale=language).replace(str(n), "{n}"))
        write_catalog(tmp_path, "years", language, {("{n} year", "{n} years"): tuple(forms),
                                                    ("ctx:age", "{n} year"): "ctx"})
        # npgettext needs a plural entry with a context too.
        catalog = (tmp_path / language / "LC_MESSAGES" / "years.po")
        text = catalog.read_text(encoding="utf-8")
        catalog.write_text(text + "\nmsgctxt \"age\"\nmsgid \"{n} year\"\nmsgid_plural \"{n} years\"\n"
                           + "".join(f'msgstr[{i}] "{f}"\n' for i, f in enumerate(forms)), encoding="utf-8")
    translator = Translator(("en", "cy", "gd"))
    translator.add_domain("years", tmp_path)
    return translator


@pytest.mark.parametrize("language", ["cy", "gd"])
def test_ngettext_matches_cldr_for_every_n(years: Translator, language: str) -> None:
    m = years.messages(language).domain("years")
    for n in range(0, 120):
        expected = format_unit(n, "duration-year", length="long", locale=language)
        assert m.ngettext("{n} year", "{n} years", n) == expected, n
        assert m.npgettext("age", "{n} year", "{n} years", n) == expected, n


def test_the_brief_s_welsh_and_gaelic_year_table(years: Translator) -> None:
    cy = years.messages("cy").domain("years")
    gd = years.messages("gd").domain("years")
    assert [cy.ngettext("{n} year", "{n} years", n) for n in N_VALUES] == [
        "0 mlynedd", "1 flwyddyn", "2 flynedd", "3 blynedd", "6 blynedd", "11 mlynedd", "20 mlynedd", "100 mlynedd"]
    assert [gd.ngettext("{n} year", "{n} years", n) for n in N_VALUES] == [
        "0 bliadhna", "1 bhliadhna", "2 bhliadhna", "3 bliadhnaichean", "6 bliadhnaichean", "11 bhliadhna",
        "20 bliadhna", "100 bliadhna"]


def test_ngettext_refuses_fractions(years: Translator) -> None:
    m = years.messages("gd").domain("years")
    assert m.ngettext("{n} year", "{n} years", 2.0) == "2 bhliadhna"
    with pytest.raises(TypeError, match="format_unit"):
        m.ngettext("{n} year", "{n} years", 1.5)
    with pytest.raises(TypeError):
        m.ngettext("{n} year", "{n} years", True)


# --- strict loading ---------------------------------------------------------------------

def test_a_declared_language_without_a_catalog_is_an_error(tmp_path: Path) -> None:
    write_catalog(tmp_path, "sms", "cy", {"Hello": "Helo"})
    translator = Translator(("en", "cy", "gd"))
    with pytest.raises(CatalogError) as caught:
        translator.add_domain("sms", tmp_path)
    assert str(tmp_path / "gd" / "LC_MESSAGES" / "sms.po") in str(caught.value)
    assert "rightsaware i18n update" in str(caught.value)
    # Without gd, and without an English catalog (English is the source), it loads.
    welsh_only = Translator(("en", "cy"))
    welsh_only.add_domain("sms", tmp_path, tmp_path / "src")  # a hook may pass its sources too
    assert welsh_only.messages("cy").domain("sms")._("Hello") == "Helo"
    assert welsh_only.messages("en").domain("sms")._("Hello") == "Hello"


def test_unknown_domain_and_unconfigured_language_are_errors() -> None:
    translator = Translator.with_core(("en", "cy"))
    with pytest.raises(CatalogError, match="rightsaware_sms"):
        translator.messages("cy").domain("rightsaware_sms")
    with pytest.raises(ConfigError, match="gd is not one of the languages"):
        translator.messages("gd")
    assert translator.messages("Cymraeg").locale == "cy"
    assert translator.messages("cy-GB") is translator.messages("cy")


def test_a_legacy_welsh_plural_header_is_refused(tmp_path: Path) -> None:
    # A catalog from an older Welsh project: CLDR 1.8's four forms (one, two, many = 8 and 11).
    path = tmp_path / "cy" / "LC_MESSAGES" / "old.po"
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: cy\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;\\n"\n\n'
        'msgid "{n} year"\nmsgid_plural "{n} years"\nmsgstr[0] "{n} flwyddyn"\nmsgstr[1] "{n} flynedd"\n'
        'msgstr[2] "{n} blynedd"\nmsgstr[3] "{n} mlynedd"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="Plural-Forms") as caught:
        Translator(("cy",)).add_domain("old", tmp_path)
    assert "nplurals=6" in str(caught.value)


def test_an_equivalent_plural_expression_is_accepted(tmp_path: Path) -> None:
    # The sample catalogs spell the Gaelic rule differently; what counts is the form for each n.
    path = write_sample_instrument(tmp_path)
    instrument = loads_instrument(path.read_text(encoding="utf-8"))
    translator = Translator()
    translator.add_instrument(instrument, path)
    assert localize(instrument, translator.messages("gd")).label("age") == "Dè an aois a tha thu?"


def test_a_broken_catalog_names_file_and_line(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, "bad", "cy", {"Hello": "Helo"})
    path.write_text(path.read_text(encoding="utf-8") + '\nmsgid "Two"\nmsgstr "Dau"\nmsgstr "Tri"\nbogus line\n',
                    encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        Translator(("cy",)).add_domain("bad", tmp_path)
    assert f"{path}:" in str(caught.value)


def test_fuzzy_entries_are_not_used_but_a_fuzzy_header_is_no_trap(tmp_path: Path) -> None:
    path = write_catalog(tmp_path, "f", "cy", {"Thank you": "Diolch", "Thank you for taking part": "Diolch"},
                         fuzzy_ids={"Thank you for taking part"})
    # Catalog(...) with the default fuzzy=True marks the whole header fuzzy; pybabel compile
    # then skips the file. Loading in memory still uses its translations.
    path.write_text("#, fuzzy\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    translator = Translator(("cy",))
    translator.add_domain("f", tmp_path)
    m = translator.messages("cy").domain("f")
    assert m._("Thank you") == "Diolch"
    assert m._("Thank you for taking part") == "Thank you for taking part"


def test_catalogs_and_lookups_are_nfc(tmp_path: Path) -> None:
    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    write_catalog(tmp_path, "n", "cy", {nfd("Your house (tŷ)"): nfd("Eich tŷ")})
    translator = Translator(("cy",))
    translator.add_domain("n", tmp_path)
    m = translator.messages("cy").domain("n")
    assert m._("Your house (tŷ)") == "Eich tŷ"
    assert m._(nfd("Your house (tŷ)")) == "Eich tŷ"
    assert unicodedata.is_normalized("NFC", m._("Your house (tŷ)"))
    assert m._("{name} ŵ", name=nfd("Siân")) == "Siân ŵ"


def test_a_placeholder_typo_falls_back_to_english(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_catalog(tmp_path, "p", "cy", {"Hello {name}": "Helo {enw}"})
    translator = Translator(("cy",))
    translator.add_domain("p", tmp_path)
    with caplog.at_level(logging.WARNING):
        assert translator.messages("cy").domain("p")._("Hello {name}", name="Siân") == "Hello Siân"
    assert "Siân" not in caplog.text  # personal data never logged
    with pytest.raises(KeyError):
        ENGLISH._("Hello {name}", other="x")  # a programming error still shows


def test_messages_without_params_keep_braces() -> None:
    assert ENGLISH._("Use {placeholders} like this") == "Use {placeholders} like this"
    assert ENGLISH._("{n} of {total}", n=1, total=2) == "1 of 2"


# --- module-level functions, N_ and Jinja ---------------------------------------------------

def test_module_functions_follow_the_active_messages() -> None:
    translator = Translator.with_core()
    text = "All catalogs are complete and valid."
    assert _(text) == text
    with use_messages(translator.messages("gd")):
        assert _(text) == "Tha gach catalog coileanta agus dligheach."
        assert ngettext("{n} problem found.", "{n} problems found.", 12) == "Chaidh 12 dhuilgheadas a lorg."
    assert _(text) == text
    template = N_("All catalogs are complete and valid.")
    assert template == text
    assert translator.messages("cy")._(template) == "Mae pob catalog yn gyflawn ac yn ddilys."


def test_jinja_templates_translate_and_escape() -> None:
    translator = Translator.with_core()
    env = jinja2.Environment(autoescape=True)
    install_jinja(env, translator.messages("cy"))
    template = env.from_string(
        "<p>{{ _('All catalogs are complete and valid.') }}</p>"
        "<p>{{ ngettext('{n} problem found.', '{n} problems found.', n) }}</p>"
        "<p>{{ _('Unknown domain: {names}. Known: {known}', names=who, known='x') }}</p>"
        "<p>{{ pgettext('reply keyword', 'BACK') }}</p>")
    html = template.render(n=6, who="<script>")
    assert "<p>Mae pob catalog yn gyflawn ac yn ddilys.</p>" in html
    assert "<p>Canfuwyd 6 phroblem.</p>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<p>NÔL, YN ÔL</p>" in html


# --- instruments ------------------------------------------------------------------------

@pytest.fixture
def sample(tmp_path: Path):
    path = write_sample_instrument(tmp_path)
    return loads_instrument(path.read_text(encoding="utf-8")), path


def test_localize_an_instrument(sample) -> None:
    instrument, path = sample
    translator = Translator()
    translator.add_instrument(instrument, path)
    cy = localize(instrument, translator.messages("cy"))
    assert cy.locale == "cy"
    assert cy.title() == "Cymryd rhan lle rydych chi'n byw"
    assert cy.label("heard") == "Ydych chi wedi clywed am gydgynhyrchu?"
    assert cy.sms_label("heard") == cy.label("heard")  # no SMS wording: the label
    assert cy.choice_label("heard", "yes") == "Ydw"
    assert cy.choice_sms_label(instrument.question("heard"), "no") == "Nac ydw"
    assert cy.constraint_message("age") == "Rhowch oed rhwng 16 a 120."
    assert cy.hint("age") is None and cy.description() is None
    assert cy.choices("barriers") == [("time", "Amser"), ("transport", "Teithio a phellter"), ("language", "Iaith")]
    gd = localize(instrument, translator.messages("gd"))
    assert gd.choice_label("heard", "yes") == "Chuala"
    en = localize(instrument, translator.messages("en"))
    assert en.choice_label("heard", "yes") == "Yes"


def test_an_instrument_missing_a_declared_catalog_is_an_error(sample) -> None:
    instrument, path = sample
    (path.parent / "sample" / "locales" / "gd" / "LC_MESSAGES" / "sample.po").unlink()
    with pytest.raises(CatalogError, match="sample"):
        Translator().add_instrument(instrument, path)


def test_an_english_only_instrument_needs_no_catalog(tmp_path: Path) -> None:
    text = 'id = "plain"\nversion = "1"\ntitle = "Plain"\nlanguages = ["en"]\n' \
           '[[questions]]\nname = "q"\ntype = "text"\nlabel = "Why?"\n'
    instrument = loads_instrument(text)
    translator = Translator()
    translator.add_instrument(instrument, tmp_path / "plain.toml")
    assert localize(instrument, translator.messages("gd")).label("q") == "Why?"


def test_messages_bound_to_a_locale() -> None:
    m = Messages(None, "gd")
    assert m.locale == "gd" and str(m.babel_locale) == "gd"
