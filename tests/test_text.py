"""Text pitfalls of briefs/i18n.md §4: NFC, matching keys, casing, Welsh letters and sorting."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rightsaware.text import (capitalize_first, fold, letters, nfc, reply_key, sort_key,
                              strip_accents, truncate)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize("word", ["tŷ", "dŵr", "Gàidhlig", "Ìle", "Ŵ", "Ŷ"])
def test_nfc_composes_decomposed_welsh_and_gaelic_letters(word: str) -> None:
    assert nfd(word) != word  # the pitfall: the same word, other code points
    assert nfc(nfd(word)) == word
    assert len(nfc(nfd(word))) == len(word)


def test_fold_is_for_matching_only_and_keeps_nothing_typographic() -> None:
    assert fold("  GÀIDHLIG ") == fold("Gáidhlig") == fold("gaidhlig") == "gaidhlig"
    assert fold(nfd("TŶ")) == "ty"
    assert fold("Na’dw") == fold("Na'dw") == fold("Naʼdw") == "na'dw"
    assert fold("“Ie”") == '"ie"'
    assert fold("dad–danysgrifio") == "dad-danysgrifio"  # en dash
    assert fold("nac\u00a0\u00a0ydw\n") == "nac ydw"  # no-break spaces and newline
    assert fold("y\u200bdw") == "ydw"  # zero-width space from a phone keyboard


def test_fold_strips_accents_but_nfc_keeps_them() -> None:
    # tân (fire) and tan (until) are different words: only matching may merge them.
    assert fold("tân") == fold("tan")
    assert nfc("tân") != nfc("tan")
    assert strip_accents("ŵŷâ àèìòù") == "wya aeiou"


def test_reply_key_drops_punctuation_keeps_accents_unless_asked() -> None:
    assert reply_key("Ydw!") == "ydw"
    assert reply_key("THA.") == "tha"
    assert reply_key("  nac   ydw ") == "nac ydw"
    assert reply_key("’S e") == reply_key("'s e") == "s e"
    assert reply_key("ydŵ") == "ydŵ"
    assert reply_key("ydŵ", accents=False) == "ydw"
    assert reply_key(nfd("ydŵ")) == "ydŵ"  # combining mark kept, then composed


def test_upper_and_casefold_handle_circumflex_w_and_y() -> None:
    assert "ŵ".upper() == "Ŵ" and "ŷ".upper() == "Ŷ"
    assert "TŶ".casefold() == "tŷ" and "Ì".casefold() == "ì"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mae'r tŷ", "Mae'r tŷ"),  # str.title() gives "Mae'R Tŷ"
        ("'s e", "'S e"),
        ("llanelli", "Llanelli"),  # not "LLanelli"
        ("h-alba", "h-Alba"),
        ("t-ògmhios", "t-Ògmhios"),
        ("ŵyr", "Ŵyr"),
        ("", ""),
        ("123", "123"),
    ],
)
def test_capitalize_first_changes_one_letter(text: str, expected: str) -> None:
    assert capitalize_first(text) == expected
    assert capitalize_first(nfd(text)) == expected


def test_title_case_would_be_wrong() -> None:
    # Documents why capitalize_first exists.
    assert "na h-alba".title() == "Na H-Alba"
    assert capitalize_first("na h-alba") == "Na h-alba"


def test_letters_count_welsh_digraphs_and_accents_as_one() -> None:
    assert letters("Llanelli", "cy") == ["Ll", "a", "n", "e", "ll", "i"]
    assert len("Llanelli") == 8
    assert letters("Llanelli", "en") == list("Llanelli")
    assert letters(nfd("dŵr"), "cy") == ["d", "ŵ", "r"]
    assert letters("rhyddhau", "cy") == ["rh", "y", "dd", "h", "a", "u"]


def test_truncate_never_splits_a_digraph_or_accent() -> None:
    assert truncate("Llanelli", 3, "cy") == "Ll…"
    assert truncate("Llanelli", 2, "cy") == "…"  # "L" alone would be half a letter
    assert truncate("Llanelli", 20, "cy") == "Llanelli"
    assert truncate(nfd("tŷ bach"), 3, "cy") == "tŷ…"
    assert len(truncate("a" * 50, 10)) == 10


def _welsh_sorted(words: list[str]) -> list[str]:
    return sorted(words, key=lambda word: sort_key(word, "cy"))


def test_welsh_sort_treats_digraphs_as_letters() -> None:
    # Python's sorted() puts chi before ci and llyn before lwc; ICU cy agrees with this order.
    words = ["chwarae", "ci", "chi", "cyw", "cyrch", "ddoe", "dyn", "llanw", "lwc", "lori",
             "phwy", "pwy", "thema", "tynnu", "tŷ"]
    assert _welsh_sorted(words) == ["ci", "cyrch", "cyw", "chi", "chwarae", "dyn", "ddoe", "lori",
                                    "lwc", "llanw", "pwy", "phwy", "tŷ", "tynnu", "thema"]
    assert sorted(["ci", "chi"]) == ["chi", "ci"]  # the pitfall


def test_welsh_sort_knows_false_digraphs_where_icu_does_not() -> None:
    assert _welsh_sorted(["arwydd", "arholiad"]) == ["arholiad", "arwydd"]
    assert _welsh_sorted(["llongyfarch", "llom", "llong"]) == ["llong", "llom", "llongyfarch"]
    # dangos is dan·gos (n + g): with the split it sorts after danfon (f < g), as a dictionary does.
    extra = {"dangos": "dan|gos"}
    assert _welsh_sorted(["danfon", "dangos"]) == ["dangos", "danfon"]  # ng read as a digraph
    assert sorted(["dangos", "danfon"], key=lambda w: sort_key(w, "cy", false_digraphs=extra)) == [
        "danfon", "dangos"]


def test_sort_is_case_insensitive_then_stable_on_case() -> None:
    assert sorted(["bangor", "Abertawe", "aber"], key=sort_key) == ["aber", "Abertawe", "bangor"]
    assert sorted(["Bangor", "abertawe"]) == ["Bangor", "abertawe"]  # the pitfall
    assert _welsh_sorted(["Bangor", "abertawe"]) == ["abertawe", "Bangor"]
    assert sorted(["Ìle", "Inbhir Nis", "Arainn"], key=lambda w: sort_key(w, "gd")) == [
        "Arainn", "Ìle", "Inbhir Nis"]


@given(st.text())
def test_keys_are_idempotent_and_nfc(text: str) -> None:
    assert nfc(nfc(text)) == nfc(text)
    assert fold(fold(text)) == fold(text)
    assert reply_key(reply_key(text)) == reply_key(text)
    assert unicodedata.is_normalized("NFC", fold(text))
    assert fold(nfd(text)) == fold(text)
    assert reply_key(nfd(text)) == reply_key(text)
