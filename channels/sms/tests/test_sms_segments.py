"""GSM-7 vs UCS-2 detection, segment counting and the punctuation table."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rightsaware_sms.segments import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    PUNCTUATION,
    UCS2,
    letters_of,
    measure,
    prepare,
    split,
)

WELSH_CIRCUMFLEX = "âêîôûŵŷÂÊÎÔÛŴŶ"
GAELIC_LOWER = "àèìòù"
GAELIC_UPPER = "ÀÈÌÒÙ"


def test_tables_have_the_standard_sizes():
    assert len(GSM7_BASIC) == 127  # 128 positions, one of them the escape to the extension table
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize("letter", list(WELSH_CIRCUMFLEX + "ëïáíóúËÏÁÍÓÚẁẃẅỳýÿ" + GAELIC_UPPER))
def test_letters_outside_gsm7_force_ucs2(letter):
    info = measure("Pa mor fodlon " + letter)
    assert info.encoding == UCS2
    assert info.forcing == (letter,)


@pytest.mark.parametrize("letter", list(GAELIC_LOWER + "äöüÄÖÜéÉ"))
def test_letters_in_gsm7(letter):
    assert measure("Dè cho riaraichte " + letter).encoding == GSM7


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("a" * 159 + "€", GSM7, 161, 2),  # the brief's example: an extension character at the boundary
    ("a" * 158 + "€", GSM7, 160, 1),
    ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),  # the escape pair is not split: 152+2 > 153
    ("ŵ" * 70, UCS2, 70, 1),
    ("ŵ" * 71, UCS2, 71, 2),
    ("ŵ" * 134, UCS2, 134, 2),
    ("ŵ" * 135, UCS2, 135, 3),
    ("ŵ" * 69 + "😀", UCS2, 71, 2),  # a surrogate pair counts two units
    ("ŵ" * 66 + "😀" + "a" * 10, UCS2, 78, 2),  # 66+2 > 67: the pair moves to the next segment
    ("", GSM7, 0, 0),
])
def test_segment_boundaries(text, encoding, units, segments):
    info = measure(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


def test_split_never_separates_pairs():
    text = "a" * 152 + "€" + "a" * 10
    parts = split(text)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")
    text = "ŵ" * 66 + "😀" + "x" * 5  # 73 units: two segments, and 66 + 2 > 67
    assert "".join(split(text)) == text
    assert split(text)[0] == "ŵ" * 66


def test_brief_sample_questions():
    en = "How satisfied were you with the service? Reply 1 (not at all) to 5 (very)."
    cy = "Pa mor fodlon oeddech chi â'r gwasanaeth? Atebwch 1 (dim o gwbl) i 5 (iawn)."
    gd = "Dè cho riaraichte 's a bha thu leis an t-seirbheis? Freagair 1 (idir) gu 5 (glè)."
    assert (measure(en).encoding, measure(en).segments) == (GSM7, 1)
    assert (measure(cy).encoding, measure(cy).segments) == (UCS2, 2)
    assert (measure(gd).encoding, measure(gd).segments) == (GSM7, 1)
    assert measure("Òran: " + gd[6:]).encoding == UCS2


def test_151_plain_plus_w_circumflex_is_three_segments():
    assert measure("a" * 151 + " ŵ").segments == 3


def test_prepare_maps_typographic_punctuation_only():
    assert prepare("a’r “tŷ” – iawn…") == "a'r \"tŷ\" - iawn..."
    assert prepare("Na\u00a0h-Eileanan\u200b Siar") == "Na h-Eileanan Siar"
    assert measure(prepare("Don’t – stop")).encoding == GSM7


def test_prepare_composes_nfd_and_keeps_welsh_and_gaelic_letters():
    decomposed = unicodedata.normalize("NFD", "tân, â'r, bàs, Ìle, ŵyr, ŷd")
    assert decomposed != "tân, â'r, bàs, Ìle, ŵyr, ŷd"
    assert prepare(decomposed) == "tân, â'r, bàs, Ìle, ŵyr, ŷd"
    assert "^" not in prepare(decomposed)


def test_punctuation_table_never_touches_letters():
    for char in PUNCTUATION:
        assert unicodedata.category(char)[0] not in "LMN", char


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_prepare_never_removes_or_changes_a_letter(text):
    assert letters_of(prepare(text)) == letters_of(text)


@given(st.text(alphabet=st.sampled_from(list("ab €{ŵ😀") + list(GAELIC_LOWER)), max_size=400))
def test_split_matches_measure(text):
    info = measure(text)
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == info.segments
    if info.segments > 1:
        for part in parts:
            assert measure(part).units <= (153 if info.encoding == GSM7 else 67)
