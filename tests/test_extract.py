"""The instrument extractor: msgctxt per field, per-question choice labels, comments, TOML lines."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from rightsaware.errors import CatalogError
from rightsaware.extract import extract_instrument, toml_lines

SURVEY = '''\
# A survey used by these tests
id = "my-survey"
version = "1"
title = "Knowing your rights"
languages = ["en", "cy", "gd"]
description = """
[[questions]] inside a string is not a table.
"""

[[questions]]
name = "heard"
type = "select_one yes_no"
label = "Have you heard of co-production?"
sms_label = "Heard of co-production?"
meta = { law = "Social Services and Well-being (Wales) Act 2014" }

[[questions]]
name = "damp"
type = "select_one yes_no"
label = 'Is there damp in your home?'
hint = "Think of the last 12 months."

[[questions]]
name = "age"  # a comment
type = "integer"
label = "How old are you?"
constraint_message = "Enter an age of 16 or over."

[[questions]]
name = "info"
type = "note"
label = "Thank you."

[choices]
yes_no = [
  { name = "yes", label = "Yes", sms_label = "Y" },
  { name = "no", label = "No" },
]
'''

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3), "N_": None}


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "my-survey.toml"
    path.write_text(SURVEY, encoding="utf-8")
    return path


def test_extractor_yields_contexts_lines_and_comments(survey: Path) -> None:
    found = list(extract_instrument(survey.open("rb"), KEYWORDS, [], {}))
    by_context = {message[0]: (lineno, funcname, message[1], comments)
                  for lineno, funcname, message, comments in found}
    assert {funcname for _l, funcname, _m, _c in found} == {"pgettext"}
    assert list(by_context) == [
        "my-survey:title", "my-survey:description",
        "my-survey:heard:label", "my-survey:heard:sms_label",
        "my-survey:heard:yes:label", "my-survey:heard:yes:sms_label", "my-survey:heard:no:label",
        "my-survey:damp:label", "my-survey:damp:hint",
        "my-survey:damp:yes:label", "my-survey:damp:yes:sms_label", "my-survey:damp:no:label",
        "my-survey:age:label", "my-survey:age:constraint_message",
        "my-survey:info:label",
    ]
    lines = SURVEY.splitlines()
    for context, (lineno, _f, msgid, _c) in by_context.items():
        if "\n" not in msgid:
            assert msgid in lines[lineno - 1], context  # the line really holds the text
    assert by_context["my-survey:heard:label"][0] == 13
    assert by_context["my-survey:damp:label"][0] == 20
    assert by_context["my-survey:age:label"][0] == 26
    assert by_context["my-survey:heard:yes:label"][0] == by_context["my-survey:damp:yes:label"][0] == 36


def test_comments_say_what_each_string_is(survey: Path) -> None:
    comments = {m[0]: c for _l, _f, m, c in extract_instrument(survey.open("rb"), KEYWORDS, [], {})}
    assert comments["my-survey:heard:yes:label"][0] == (
        "Answer option 'yes' for the question: Have you heard of co-production?")
    assert any("Ydw / Nac ydw" in line for line in comments["my-survey:damp:no:label"])
    assert "law: Social Services and Well-being (Wales) Act 2014" in comments["my-survey:heard:yes:label"]
    assert any(line.startswith("SMS: keep short") for line in comments["my-survey:heard:sms_label"])
    assert any(line.startswith("SMS: keep short") for line in comments["my-survey:damp:yes:sms_label"])
    assert "not a question" in comments["my-survey:info:label"][0]


def test_babel_extracts_through_the_registered_method(survey: Path) -> None:
    results = list(extract_from_file("rightsaware", str(survey), keywords=KEYWORDS, comment_tags=()))
    contexts = {context: (msgid, comments) for _lineno, msgid, comments, context in results}
    assert contexts["my-survey:damp:yes:label"][0] == "Yes"
    assert contexts["my-survey:heard:yes:label"][0] == "Yes"
    assert contexts["my-survey:damp:hint"][1] == ["Hint shown with question 'damp': Is there damp in your home?"]


def test_pybabel_extract_writes_msgctxt_and_comments(survey: Path, tmp_path: Path) -> None:
    # The INI mapping must name the entry point: "[rightsaware.extract:extract_instrument: ...]"
    # is split at the first colon and silently extracts nothing (briefs/i18n.md §2.2).
    mapping = tmp_path / "babel.cfg"
    mapping.write_text("[rightsaware: **.toml]\n", encoding="utf-8")
    output = tmp_path / "out.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", str(mapping), "-o", str(output), "."],
                   check=True, capture_output=True, cwd=tmp_path)
    text = output.read_text(encoding="utf-8")
    assert 'msgctxt "my-survey:damp:yes:label"' in text
    assert "#. Answer option 'yes' for the question: Is there damp in your home?" in text
    assert "#: my-survey.toml:20" in text
    catalog = read_po(io.BytesIO(text.encode()))
    yeses = [m for m in catalog if m.id == "Yes"]
    assert len(yeses) == 2  # one per question: Welsh needs Ydw for one, Oes for the other
    assert {m.context for m in yeses} == {"my-survey:heard:yes:label", "my-survey:damp:yes:label"}


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\ntitle = \n', encoding="utf-8")
    with pytest.raises(CatalogError, match="broken.toml.*not a valid instrument file"):
        list(extract_instrument(path.open("rb"), KEYWORDS, [], {}))


def test_missing_id_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no id"):
        list(extract_instrument(io.BytesIO(b'title = "x"\n'), KEYWORDS, [], {}))


def test_toml_lines_follow_tables_arrays_and_strings() -> None:
    text = '\ufeff'[1:] + '''\
a = 1
"quoted key" = 'x'
multi = """
[[questions]]
"""
[[questions]]
name = "one"
label = "One"   # comment with "quotes" and [brackets]
[[questions]]
name = "two"

label = """Two
lines"""
[choices]
[[choices.yes_no]]
name = "yes"
[[choices.yes_no]]
name = "no"
[other.nested]
list = [
  1,
  { k = "v" },
]
'''
    lines = toml_lines(text)
    assert lines[("questions", 0)] == 6
    assert lines[("questions", 0, "label")] == 8
    assert lines[("questions", 1, "name")] == 10
    assert lines[("questions", 1, "label")] == 12
    assert lines[("choices", "yes_no", 1, "name")] == 18
    assert lines[("other", "nested", "list", 1)] == 22
    assert lines[("other", "nested", "list", 1, "k")] == 22
    assert lines[("quoted key",)] == 2
    assert ("questions", 2) not in lines  # the [[questions]] inside the string was skipped
