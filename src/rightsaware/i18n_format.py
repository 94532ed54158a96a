"""Locale-aware formatting of numbers, dates and lists, with CLDR's known traps fixed.

Part of the i18n machinery; use it through :class:`rightsaware.i18n.Messages`
(``m.format_date(d)``), which binds the locale. Traps (briefs/i18n.md §1.5):

* **Gaelic month names.** CLDR's format month (``MMMM``) is the genitive phrase used after a
  day number (``14mh dhen Ghearran 2026``). A month without a day needs the stand-alone name
  (``An Gearran 2026``): patterns without a day field use ``LLLL``, and
  :func:`format_month_year` uses the ``yMMMM`` skeleton.
* **Welsh short dates** use a two-digit year (``14/02/26``), ambiguous for a date of birth.
  ``format="short"`` always writes four digits.
* **Welsh lists.** CLDR writes ``a(c)`` because it cannot choose between *a* (before a
  consonant) and *ac* (before a vowel); :func:`format_list` chooses. *a* and *neu* also
  mutate the next word (``a chaws``, ``neu gaws``); pass ``mutate=True`` when every item is
  a Welsh word that should mutate (names of English-language organisations should not).
* Times are 24-hour (``HH:mm``) in all three locales; never use an ``a`` (AM/PM) pattern.
* Non-whole quantities never go through ``ngettext``: use :func:`format_unit`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from babel import Locale, dates, lists, numbers, units

DATE_STYLES = ("short", "medium", "long", "full")
_WELSH_VOWELS = set("aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ")
_ASPIRATE = {"c": "ch", "p": "ph", "t": "th"}
_SOFT = (("ll", "l"), ("rh", "r"), ("c", "g"), ("p", "b"), ("t", "d"), ("g", ""), ("b", "f"),
         ("d", "dd"), ("m", "f"))


def _outside_quotes(pattern: str) -> list[tuple[bool, str]]:
    """Split a CLDR pattern into (is_literal, text) parts; ``'mh'`` is a literal."""
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    return [(part.startswith("'"), part) for part in parts if part]


def _fix_pattern(pattern: str) -> str:
    fields = "".join(text for literal, text in _outside_quotes(pattern) if not literal)
    has_day = "d" in fields or "E" in fields
    fixed = []
    for literal, text in _outside_quotes(pattern):
        if not literal:
            text = re.sub(r"(?<!y)yy(?!y)", "y", text)
            if not has_day:
                text = text.replace("MMMM", "LLLL").replace("MMM", "LLL")
        fixed.append(text)
    return "".join(fixed)


def format_date(value: dt.date, locale: Locale, format: str = "long") -> str:
    """A date in ``locale``: a style (``short``/``medium``/``long``/``full``) or a CLDR pattern."""
    if format in DATE_STYLES:
        pattern = locale.date_formats[format].pattern
        return dates.format_date(value, _fix_pattern(pattern), locale=locale)
    return dates.format_date(value, _fix_pattern(format), locale=locale)


def format_month_year(value: dt.date, locale: Locale) -> str:
    """Month and year as a heading: ``February 2026``, ``Chwefror 2026``, ``An Gearran 2026``."""
    return dates.format_skeleton("yMMMM", value, locale=locale)


def format_time(value: dt.time | dt.datetime, locale: Locale, format: str = "short") -> str:
    """A time in 24-hour form (``21:30``) for every locale."""
    patterns = {"short": "HH:mm", "medium": "HH:mm:ss", "long": "HH:mm:ss", "full": "HH:mm:ss"}
    return dates.format_time(value, patterns.get(format, format), locale=locale)


def format_decimal(value: int | float | Decimal, locale: Locale, format: str | None = None) -> str:
    return numbers.format_decimal(value, format=format, locale=locale)


def format_percent(value: int | float | Decimal, locale: Locale, format: str | None = None) -> str:
    return numbers.format_percent(value, format=format, locale=locale)


def format_unit(value: int | float | Decimal, unit: str, locale: Locale, length: str = "long") -> str:
    """A measured quantity (``1.5 bliadhna``, ``3 blynedd``) with CLDR's unit patterns."""
    return units.format_unit(value, unit, length=length, locale=locale)


def welsh_conjunction_a(following: str) -> str:
    """*ac* before a vowel (``ac Abertawe``, ``ac wyth``), *a* before a consonant."""
    first = following.lstrip("\"'‘“(")[:1].lower()
    if first in _WELSH_VOWELS or first in ("1", "8"):  # un, wyth
        return "ac"
    return "a"


def _mutate(word: str, table: Iterable[tuple[str, str]]) -> str:
    lower = word.lower()
    for radical, mutated in table:
        if lower.startswith(radical) and not (len(radical) == 1 and lower[1:2] == "h"):
            result = mutated + word[len(radical) :]
            if word[:1].isupper():
                result = result[:1].upper() + result[1:]
            return result
    return word


def aspirate_mutation(word: str) -> str:
    """Welsh aspirate mutation after *a* (and): caws → chaws, pen → phen, tad → thad."""
    return _mutate(word, _ASPIRATE.items())


def soft_mutation(word: str) -> str:
    """Welsh soft mutation after *neu* (or): caws → gaws, llaeth → laeth, gardd → ardd."""
    return _mutate(word, _SOFT)


def format_list(items: Iterable[str], locale: Locale, style: str = "standard", *,
                mutate: bool = False) -> str:
    """``A, B and C`` in the locale, with Welsh *a*/*ac* chosen and optional mutation."""
    items = [str(item) for item in items]
    if locale.language != "cy" or style not in ("standard", "or") or len(items) < 2:
        return lists.format_list(items, style=style, locale=locale)
    last = items[-1]
    if style == "or":
        word = "neu"
        last = soft_mutation(last) if mutate else last
    else:
        word = welsh_conjunction_a(last)
        last = aspirate_mutation(last) if mutate else last
    patterns = locale.list_patterns[style]
    end = patterns["2"] if len(items) == 2 else patterns["end"]
    end = end.replace("a(c)", word)
    head = items[0]
    for item in items[1:-1]:
        head = patterns["middle"].format(head, item)
    return end.format(head, last)
