"""Text handling for English, Welsh and Scottish Gaelic: normalisation, matching keys, case, sorting.

Rules (see ``briefs/i18n.md`` §4):

* Every text that crosses a boundary (SMS in, form post, instrument file, catalog) is
  normalised to NFC with :func:`nfc`; ``tŷ`` typed on some keyboards arrives as ``t y U+0302``.
* :func:`fold` and :func:`reply_key` build keys **for matching only**. They strip accents and
  unify apostrophes, which is right for comparing a typed reply with a list of words and wrong
  for anything shown or stored: *tân* (fire) and *tan* (until) are different words.
* Never title-case Welsh or Gaelic with ``str.title()`` (``na h-alba`` → ``Na H-Alba``); use
  :func:`capitalize_first`, which changes the first letter only.
* Welsh sorts with digraphs as single letters (``ch`` after ``c``, ``ll`` after ``l``):
  :func:`sort_key`. Never sort answer options by translated label; keep the author's order.
* Welsh letters are not code points (``Llanelli`` has 8 characters and 6 letters):
  :func:`letters` and :func:`truncate` never split a digraph or an accented letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u0060\u2032\u201b\uff07"
QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_TYPOGRAPHIC = str.maketrans(
    {**{c: "'" for c in APOSTROPHES}, **{c: '"' for c in QUOTES}, **{c: "-" for c in DASHES},
     **{c: None for c in ZERO_WIDTH}}
)
_SPACES = re.compile(r"\s+")
# Anything that is not a letter, digit, combining mark, apostrophe, hyphen or space.
_PUNCTUATION = re.compile(r"[^\w\s'\-\u0300-\u036f]|_")

#: The Welsh alphabet in order (Welsh Language Commissioner, technology guidance §10.2), with
#: the non-native letters k, q, v, x, z placed where English puts them.
WELSH_ALPHABET = (
    "a", "b", "c", "ch", "d", "dd", "e", "f", "ff", "g", "ng", "h", "i", "j", "k", "l", "ll",
    "m", "n", "o", "p", "ph", "q", "r", "rh", "s", "t", "th", "u", "v", "w", "x", "y", "z",
)
WELSH_DIGRAPHS = ("ch", "dd", "ff", "ng", "ll", "ph", "rh", "th")
_WELSH_RANK = {letter: rank for rank, letter in enumerate(WELSH_ALPHABET)}

#: Words whose adjacent letters look like a digraph but are two letters (``ar·holiad``,
#: ``llon·gyfarch``, ``Ban·gor``): ICU's Welsh collation gets these wrong too. ``|`` marks the
#: boundary. Extend through ``sort_key(..., false_digraphs=...)``.
KNOWN_FALSE_DIGRAPHS: Mapping[str, str] = {
    "arholiad": "ar|holiad",
    "llongyfarch": "llon|gyfarch",
    "bangor": "ban|gor",
}


def nfc(text: str) -> str:
    """``text`` in Unicode normalisation form C (precomposed ``ŵ``, ``ŷ``, ``à``)."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def strip_accents(text: str) -> str:
    """Base letters only (``ŵ`` → ``w``, ``Gàidhlig`` → ``Gaidhlig``). For matching keys only."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def unify_typography(text: str) -> str:
    """Typographic apostrophes, quotes and dashes become ``'``, ``"`` and ``-``; zero-width go."""
    return text.translate(_TYPOGRAPHIC)


def collapse_spaces(text: str) -> str:
    """Runs of any whitespace (including no-break spaces) become one space; ends are trimmed."""
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """A key for comparing texts, never for display or storage.

    NFC → casefold → strip accents → unify apostrophes, quotes and dashes → collapse
    whitespace. ``fold("  Na’dw ") == fold("na'dw")``; ``fold("GÀIDHLIG") == "gaidhlig"``.
    Punctuation other than apostrophes, quotes and dashes is kept; :func:`reply_key` drops it.
    """
    return collapse_spaces(unify_typography(strip_accents(nfc(text).casefold())))


def reply_key(text: str, *, accents: bool = True) -> str:
    """A key for a typed reply: like :func:`fold`, but drops punctuation (``Ydw!`` → ``ydw``).

    Apostrophes and hyphens inside words stay (``na'dw``, ``'s e``, ``dad-danysgrifio``).
    With ``accents=True`` (the first matching pass) accents are kept; the second pass uses
    ``accents=False`` so that ``ydŵ``, ``Gáidhlig`` (old acute) and ``Gaidhlig`` still match.
    """
    text = unify_typography(nfc(text).casefold())
    if not accents:
        text = strip_accents(text)
    text = _PUNCTUATION.sub(" ", text)
    text = collapse_spaces(text)
    # Hyphens and apostrophes at the edges are punctuation, not part of a word.
    return text.strip("-' ")


def capitalize_first(text: str) -> str:
    """Upper-case the first letter and nothing else (never ``str.title()`` in cy or gd).

    ``mae'r tŷ`` → ``Mae'r tŷ``; ``'s e`` → ``'S e``; ``llanelli`` → ``Llanelli`` (not
    ``LLanelli``); a Gaelic ``t-``/``h-``/``n-`` prefix stays lower case and the letter after
    it is capitalised (``h-alba`` → ``h-Alba``), as in CLDR's ``An t-Ògmhios``.
    """
    text = nfc(text)
    start = 0
    prefix = re.match(r"^([thn])-(?=\w)", text)
    if prefix:
        start = prefix.end()
    for index in range(start, len(text)):
        char = text[index]
        if char.isalpha():
            return nfc(text[:index] + char.title() + text[index + 1 :])
    return text


def letters(text: str, locale: str = "en") -> list[str]:
    """Split ``text`` into letters: a base character with its accents; Welsh digraphs as one.

    ``letters("Llanelli", "cy") == ["Ll", "a", "n", "e", "ll", "i"]``.
    """
    text = nfc(text)
    clusters: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    clusters = [nfc(c) for c in clusters]
    if not str(locale).lower().startswith("cy"):
        return clusters
    result: list[str] = []
    index = 0
    while index < len(clusters):
        pair = "".join(clusters[index : index + 2])
        if len(pair) == 2 and pair.lower() in WELSH_DIGRAPHS:
            result.append(pair)
            index += 2
        else:
            result.append(clusters[index])
            index += 1
    return result


def truncate(text: str, limit: int, locale: str = "en", *, ellipsis: str = "…") -> str:
    """At most ``limit`` code points (after NFC), cut between letters and ending in ``ellipsis``.

    Never cuts a Welsh digraph or separates a letter from its accent.
    """
    text = nfc(text)
    if len(text) <= limit:
        return text
    budget = limit - len(ellipsis)
    if budget <= 0:
        return ellipsis[:limit]
    kept = ""
    for letter in letters(text, locale):
        if len(kept) + len(letter) > budget:
            break
        kept += letter
    return kept.rstrip() + ellipsis


def sort_key(
    text: str, locale: str = "en", *, false_digraphs: Mapping[str, str] | None = None
) -> tuple:
    """A key for ``sorted()``: case- and accent-insensitive first, then accents, then case.

    For Welsh (``cy``) the digraphs are letters of their own, so ``ci < cyw < chi`` and
    ``lwc < llyn``. ``false_digraphs`` (folded word → ``ar|holiad`` style split) adds to
    :data:`KNOWN_FALSE_DIGRAPHS`. Prefer a curated order for published lists.
    """
    text = nfc(text)
    plain = fold(text)
    tiebreak = (nfc(text.casefold()), tuple(not c.islower() for c in text), text)
    if not str(locale).lower().startswith("cy"):
        return (plain, *tiebreak)
    exceptions = {**KNOWN_FALSE_DIGRAPHS, **(false_digraphs or {})}
    primary: list[tuple[int, str]] = []
    for word in plain.split(" "):
        pieces = exceptions.get(word, word).split("|")
        for piece in pieces:
            for letter in letters(piece, "cy"):
                rank = _WELSH_RANK.get(letter)
                # Digits and signs sort before letters, in code point order.
                primary.append((-1, letter) if rank is None else (rank, ""))
        primary.append((-2, " "))
    return (tuple(primary), *tiebreak)
