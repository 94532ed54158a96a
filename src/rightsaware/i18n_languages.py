"""Language names and choices: normalising codes, Accept-Language, bilingual order.

Part of the i18n machinery (re-exported by :mod:`rightsaware.i18n`). rightsaware speaks three
languages, always named by bare codes: ``en``, ``cy`` (Cymraeg) and ``gd`` (Gàidhlig).

* :func:`normalize_language` accepts what people and systems actually write (``cy-GB``,
  ``CY``, ``cym``, ``wel``, ``Welsh``, ``Cymraeg``, ``Gàidhlig``, ``Beurla`` …) and returns the
  bare code, or raises :class:`UnknownLanguage` with a message a person can act on.
* :func:`negotiate` reads an ``Accept-Language`` header. Use it only to *pre-select* a
  language: many Welsh and Gaelic speakers run English-language phones and browsers, so the
  respondent's own choice always wins (briefs/i18n.md §3.1).
* :func:`bilingual_order` decides which language comes first in bilingual output.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel import Locale, negotiate_locale

from .errors import ConfigError
from .text import fold, nfc

LANGUAGES = ("en", "cy", "gd")

#: Names people type for the languages, in English, Welsh and Gaelic (CLDR 49's names for
#: each language in each of the three, plus common short forms), compared after
#: :func:`rightsaware.text.fold` (so case and accents do not matter).
LANGUAGE_NAMES = {
    "en": ("english", "saesneg", "beurla", "eng"),
    "cy": ("welsh", "cymraeg", "cuimris", "cym", "wel"),
    "gd": ("gaelic", "scottish gaelic", "gaidhlig", "gaeleg", "gaeleg yr alban", "gla",
           "gaidhlig na h-alba"),
}
_BY_NAME = {name: code for code, names in LANGUAGE_NAMES.items() for name in names}

BILINGUAL_ORDER_SETTINGS = ("welsh_first", "gaelic_first", "english_first")


class UnknownLanguage(ConfigError, ValueError):
    """A language name or code that is not English, Welsh or Scottish Gaelic."""


def _unknown(value: object) -> UnknownLanguage:
    from .i18n import N_

    return UnknownLanguage(
        N_(
            "'{value}' is not a language rightsaware knows. Use en (English), cy (Cymraeg) "
            "or gd (Gàidhlig)."
        ),
        params={"value": str(value)[:40]},
    )


def normalize_language(value: object) -> str:
    """``"en"``, ``"cy"`` or ``"gd"`` for a code, locale or language name; else UnknownLanguage.

    Accepts BCP 47 and POSIX spellings (``cy-GB``, ``cy_GB.UTF-8``), any case, ISO 639-2/3
    (``cym``, ``wel``, ``gla``, ``eng``) and the languages' names in all three languages.
    """
    if not isinstance(value, str) or not value.strip():
        raise _unknown(value)
    text = nfc(value).strip()
    by_name = _BY_NAME.get(fold(text))
    if by_name is not None:
        return by_name
    candidate = text.split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if candidate.upper() in ("C", "POSIX"):  # Babel reads these as en_US_POSIX
        raise _unknown(value)
    try:
        language = Locale.parse(candidate).language
    except Exception:  # noqa: BLE001 - ValueError, or Babel's own UnknownLocaleError
        raise _unknown(value) from None
    if language not in LANGUAGES:
        raise _unknown(value)
    return language


def parse_accept_language(header: str | None, limit: int = 32) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first (q=0 and ``*`` dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(str(header)[:2000].split(",")[:limit]):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, number = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(ranked)]


def negotiate(
    accept_language: str | None, available: Iterable[str] = LANGUAGES, default: str | None = None
) -> str | None:
    """The best of ``available`` for an ``Accept-Language`` header, else ``default``.

    Always a bare code (``"cy"``, never ``"CY"`` or ``"cy_GB"``): Babel's
    ``negotiate_locale`` returns the caller's spelling and knows no ISO 639-2/3 codes, so
    every preference is normalised first.
    """
    offered = [normalize_language(code) for code in available]
    preferences = []
    for tag in parse_accept_language(accept_language):
        try:
            preferences.append(normalize_language(tag))
        except UnknownLanguage:
            preferences.append(tag)
    chosen = negotiate_locale(preferences, offered, sep="-")
    if chosen is None:
        return default
    return normalize_language(chosen)


def bilingual_order(languages: Iterable[str], setting: str | None = None) -> tuple[str, ...]:
    """The order in which to present ``languages`` side by side (paper) or one after another.

    Default: Welsh, then Gaelic, then English. For cy+en this follows the Welsh Language
    Standards' signs standard ("positioned so that it is likely to be read first"), which
    most Welsh bodies extend to documents and web pages. For gd+en no rule fixes the order
    (Bòrd na Gàidhlig asks for *equal respect* and an *active offer*); putting Gaelic first
    mirrors the Welsh behaviour and makes the offer visible, so it is the default too.

    ``setting`` is the deployment's ``bilingual_order``: ``"welsh_first"`` or
    ``"gaelic_first"`` (the Celtic language first; they differ only when both appear),
    ``"english_first"``, or ``None`` for the default. Styling must be equal either way.
    """
    unique = list(dict.fromkeys(normalize_language(code) for code in languages))
    if setting is None or setting == "welsh_first":
        rank = {"cy": 0, "gd": 1, "en": 2}
    elif setting == "gaelic_first":
        rank = {"gd": 0, "cy": 1, "en": 2}
    elif setting == "english_first":
        rank = {"en": 0, "cy": 1, "gd": 2}
    else:
        from .i18n import N_

        raise ConfigError(
            N_("The setting bilingual_order is '{value}'. Use one of: {choices}."),
            params={"value": str(setting)[:40], "choices": ", ".join(BILINGUAL_ORDER_SETTINGS)},
        )
    return tuple(sorted(unique, key=rank.__getitem__))


def language_name(code: str, in_language: str | None = None) -> str:
    """CLDR's name of ``code`` in ``in_language`` (its own name, the autonym, by default).

    ``language_name("gd") == "Gàidhlig"``; ``language_name("cy", "gd") == "Cuimris"``.
    """
    code = normalize_language(code)
    target = normalize_language(in_language) if in_language else code
    return Locale(target).languages[code]
