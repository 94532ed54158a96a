"""Every error message of the expression parser, in Welsh and Gaelic.

Each template marked in ``expressions.py`` is raised by one broken expression below (a test
checks that none is missing), and its Welsh and Gaelic text must differ from the English,
keep no English word of the template, and end with the translated position. The count
message ("needs 2 values") uses the CLDR plural forms: 6 in Welsh, 4 in Gaelic.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_file
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

import rightsaware.expressions as expressions
from rightsaware.channel import ChannelRegistry
from rightsaware.errors import (
    ExpressionError,
    InstrumentError,
    Message,
    RightsawareError,
)
from rightsaware.expressions import check_references, parse
from rightsaware.i18n import KEYWORDS, Translator, core_locales_dir, use_messages
from rightsaware.loading import loads_instrument
from rightsaware.testing import write_sample_instrument, write_workbook
from rightsaware.xlsform import XLSFormError, import_xlsform

#: One broken expression per message; None stands for parse(None), a list for
#: check_references with those known names.
CASES: list[tuple[object, list[str] | None]] = [
    (None, None),
    ("${}", None),
    ("${my age} = 1", None),
    ("${agee} = 1", ["age"]),
    ("${zzz} = 1", ["age"]),
    ("${a} == 1", None),
    ("${a} && ${b}", None),
    ("${a} || ${b}", None),
    ("../q", None),
    ("${a} / 2", None),
    ("${a} | ${b}", None),
    ("${a} & ${b}", None),
    ("${a} % 2", None),
    ("!${a}", None),
    ("${a}[1]", None),
    ("@id = 1", None),
    ("$a = 1", None),
    ("${a} = \u2018y\u2019", None),
    ("${abc = 1", None),
    ("'abc", None),
    ("\u0663 > 1", None),
    ("1 # 2", None),
    ("", None),
    ("1 + 2)", None),
    ("${a} AND ${b}", None),
    ("${a} 65", None),
    ("${a} 'x'", None),
    ("1 +", None),
    ("= 1", None),
    ("and 1", None),
    ("(" * (expressions.MAX_NESTING + 1) + "1", None),
    ("(1 + 2", None),
    ("selected(${a} 'x')", None),
    ("true", None),
    ("q > 3", None),
    ("foo(1)", None),
    ("Selected(${a}, 'x')", None),
    ("selected(${a})", None),
    ("concat()", None),
    ("string-length(1, 2)", None),
]
POSITION = {"cy": "(ar nod {position} o '{source}')", "gd": "(aig caractar {position} de '{source}')"}
CODE = re.compile(r"\$\{[^}]*\}|\{[^}]*\}|'[^'\s]*'|\S*/\S*|[\w-]+\([^)]*\)")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.with_core()


def error_of(source: object, known: list[str] | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        if known is None:
            parse(source)  # type: ignore[arg-type]
        else:
            check_references(parse(source), known)  # type: ignore[arg-type]
    return caught.value


def templates_of(value: object) -> set[str]:
    """The English templates of an error or message and of the messages among its params."""
    found: set[str] = set()
    if isinstance(value, (ExpressionError, Message)):
        found.add(value.template)
        if getattr(value, "plural", None):
            found.add(value.plural)
        for param in value.params.values():
            found |= templates_of(param)
    return found


def values_of(value: object) -> list[str]:
    """The param values (not translated: code, names, numbers), nested ones too."""
    found = []
    for param in getattr(value, "params", {}).values():
        found.extend(values_of(param) if isinstance(param, Message) else [str(param)])
    return found


def english_words(template: str) -> set[str]:
    """The words of a template a translation must not keep (code and placeholders left out)."""
    return {word.lower() for word in re.findall(r"[A-Za-z]{4,}", CODE.sub(" ", template))}


def test_every_marked_template_of_the_parser_has_a_case() -> None:
    marked: set[str] = set()
    for _line, message, _comments, _context in extract_from_file(
            "python", str(Path(expressions.__file__)), keywords=parse_keywords(list(KEYWORDS))):
        marked |= set(message) if isinstance(message, tuple) else {message}
    raised = set().union(*(templates_of(error_of(source, known)) for source, known in CASES))
    assert len(marked) >= 35
    assert marked - raised == set(), "add a broken expression to CASES for these"
    assert raised - marked == set(), "these are raised but not marked for translation"


@pytest.mark.parametrize("language", ["cy", "gd"])
@pytest.mark.parametrize(("source", "known"), CASES, ids=lambda value: repr(value)[:30])
def test_each_parser_error_is_translated(translator, language, source, known) -> None:
    error = error_of(source, known)
    text = error.translated(translator.messages(language))
    assert text != str(error)
    assert error.display(translator.messages(language)) == text
    if error.position is not None and error.source:
        suffix = POSITION[language].format(position=error.position + 1, source=error.source)
        assert text.endswith(suffix), text
        assert f"(at character {error.position + 1} of " in str(error)
        text = text[: -len(suffix)]
    for value in values_of(error):
        text = text.replace(value, " ")
    left = english_words(text.lower())
    for template in templates_of(error):
        kept = english_words(template) & left
        assert not kept, f"English {sorted(kept)} left in {language}: {text!r}"


def test_english_text_is_unchanged() -> None:
    assert str(error_of("(1 + 2")) == (
        "Missing ')' to close the '(' at character 1; found the end of the expression "
        "(at character 7 of '(1 + 2')")
    assert error_of("${a} 'x'").message == (
        "Unexpected the text 'x': is an operator such as 'and' or '=' missing before it?")
    assert error_of("string-length(1, 2)").message.startswith("string-length() needs 0 or 1 values but was given 2")
    assert error_of("concat()").message.startswith("concat() needs at least 1 value but was given 0, for example:")
    assert error_of("today(1)").message.startswith("today() needs 0 values but was given 1")
    assert error_of("$a").message == "Write a question's answer as ${name}, like ${age}"  # no params: braces stay


def test_nested_pieces_are_translated_with_the_message(translator) -> None:
    error = error_of("(1 + 2")
    assert error.translated(translator.messages("cy")).startswith(
        "Mae ')' ar goll i gau'r '(' ar nod 1; cafwyd diwedd y mynegiad")
    assert error.translated(translator.messages("gd")).startswith(
        "Tha ')' a dhìth airson an '(' aig caractar 1 a dhùnadh; fhuaradh deireadh na h-abairte")
    assert "y testun 'x'" in error_of("${a} 'x'").translated(translator.messages("cy"))
    assert error.translated(None) == str(error)


def test_message_values() -> None:
    inner = Message("the text '{text}'", text="x")
    outer = Message("found {token}", token=inner)
    assert str(outer) == "found the text 'x'"
    assert outer == Message("found {token}", token=Message("the text '{text}'", text="x"))
    assert outer != Message("found {token}", token="the text 'x'")

    class Upper:
        def _(self, template: str, /, **params: object) -> str:
            return template.upper().replace("{TEXT}", "{text}").replace("{TOKEN}", "{token}").format(**params)

    assert outer.translated(Upper()) == "FOUND THE TEXT 'x'"
    assert outer.translated(None) == "found the text 'x'"
    error = RightsawareError("Problem: {what}", params={"what": inner})
    assert str(error) == "Problem: the text 'x'"


PLURAL_ORDER = {"cy": ("zero", "one", "two", "few", "many", "other"), "gd": ("one", "two", "few", "other")}


@pytest.mark.parametrize("language", ["cy", "gd"])
@pytest.mark.parametrize("at_least", [False, True])
def test_the_count_message_takes_the_cldr_plural_form(translator, language, at_least) -> None:
    singular, plural = expressions._count_message(1, None if at_least else 1)
    path = core_locales_dir() / language / "LC_MESSAGES" / "rightsaware.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    forms = catalog[singular].string
    assert len(forms) == len(PLURAL_ORDER[language]) and all(forms)
    assert len(set(forms)) > 1  # the forms differ somewhere (a mutation or a plural noun)
    params = {"name": "f", "given": 7, "example": "f(1)", "fewest": 1, "most": 1}
    for n in (0, 1, 2, 3, 4, 6, 7, 11, 12, 13, 19, 20, 100):
        error = ExpressionError(singular, plural=plural, params={**params, "n": n})
        category = Locale.parse(language).plural_form(n)
        expected = forms[PLURAL_ORDER[language].index(category)].format(n=n, **params)
        assert error.translated(translator.messages(language)) == expected, n
        assert str(error) == (singular if n == 1 else plural).format(n=n, **params)


def test_plural_forms_read_as_expected(translator) -> None:
    cy, gd = translator.messages("cy"), translator.messages("gd")
    assert error_of("selected(${a})").translated(cy).startswith("Mae angen 2 werth ar selected() ond rhoddwyd 1 iddo")
    assert error_of("if(1)").translated(cy).startswith("Mae angen 3 gwerth ar if()")
    assert error_of("today(1)").translated(cy).startswith("Mae angen 0 gwerth ar today()")
    assert error_of("if(1)").translated(gd).startswith("Feumaidh if() 3 luachan ach fhuair e 1")
    assert error_of("not()").translated(gd).startswith("Feumaidh not() 1 luach ach fhuair e 0")
    assert error_of("concat()").translated(gd).startswith("Feumaidh concat() co-dhiù 1 luach")


def test_validate_shows_a_count_error_in_gaelic_with_its_plural(translator, tmp_path) -> None:
    """loading passes only a ``_`` to the error: the plural form is still the Gaelic one."""
    folder = tmp_path / "instruments"
    folder.mkdir()
    write_sample_instrument(folder)
    text = (folder / "sample.toml").read_text(encoding="utf-8")
    old = "relevant = \"${heard} = 'yes'\""
    assert old in text
    with pytest.raises(InstrumentError) as caught:
        loads_instrument(text.replace(old, 'relevant = "if(${heard})"'), "bad.toml")
    gd = caught.value.display(translator.messages("gd"))
    assert "Feumaidh if() 3 luachan ach fhuair e 1" in gd
    assert "(aig caractar 1 de 'if(${heard})')" in gd
    assert "needs 3 values" in str(caught.value)


def test_xlsform_import_lists_referral_rule_problems_in_welsh(translator, tmp_path) -> None:
    """A referral rule's ``when`` is checked by the instrument's own validation, then placed."""
    path = write_workbook(tmp_path / "form.xlsx", {
        "survey": [["type", "name", "label"], ["text", "heard", "Heard?"]],
        "settings": [["form_title", "form_id", "version"], ["Test", "test-form", "1"]],
        "rightsaware_referrals": [["when", "topics"], ["selected(${heard})", "advice"], ["${heard} 'x'", "advice"]]})
    with use_messages(translator.messages("cy")), pytest.raises(XLSFormError) as caught:
        import_xlsform(path)
    found = [finding.message for finding in caught.value.findings]
    assert len(found) == 2, found
    assert found[0].startswith("Mae angen 2 werth ar selected() ond rhoddwyd 1 iddo"), found
    assert found[0].endswith("(ar nod 1 o 'selected(${heard})')"), found
    assert found[1].startswith("Rhywbeth annisgwyl: y testun 'x'. A oes gweithredydd"), found


def test_no_channel_installed_says_none_in_welsh_and_gaelic(translator) -> None:
    with pytest.raises(RightsawareError) as caught:
        ChannelRegistry().get("fax")
    assert str(caught.value) == "no channel called 'fax' is installed (installed: none)"
    assert caught.value.display(translator.messages("cy")).endswith("(wedi'u gosod: dim un)")
    assert caught.value.display(translator.messages("gd")).endswith("(air an stàladh: chan eil gin)")


def test_xlsform_import_shows_a_broken_relevant_in_welsh(translator, tmp_path) -> None:
    path = write_workbook(tmp_path / "form.xlsx", {
        "survey": [["type", "name", "label", "relevant"], ["text", "heard", "Heard?", ""],
                   ["text", "why", "Why?", "${heard} 'x'"]],
        "settings": [["form_title", "form_id", "version"], ["Test", "test-form", "1"]]})
    with use_messages(translator.messages("cy")), pytest.raises(XLSFormError) as caught:
        import_xlsform(path)
    found = [finding.message for finding in caught.value.findings]
    assert any(text.startswith("Rhywbeth annisgwyl: y testun 'x'.") for text in found), found
    assert not any("Unexpected" in text for text in found), found
