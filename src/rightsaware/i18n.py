"""Translated messages: gettext catalogs per domain, bound to one locale at a time.

::

    translator = Translator(languages=("en", "cy", "gd"))
    translator.add_domain("rightsaware", core_locales_dir())
    m = translator.messages("cy")
    m._("Question {n} of {total}", n=3, total=12)          # 'Cwestiwn 3 o 12'
    m.ngettext("{n} question left", "{n} questions left", 6)

Catalogs are ``.po`` files compiled in memory (``read_po`` → ``write_mo`` → ``Translations``)
and cached by content; no ``.mo`` is committed or needed. Loading is strict: a declared
language without a catalog raises :class:`~rightsaware.errors.CatalogError` instead of
silently falling back to English as ``Translations.load`` does. English is the source
language, so its catalog is optional and its empty ``msgstr`` mean "use the msgid".
A catalog whose ``Plural-Forms`` disagrees with CLDR (old 4-form or 2-form Welsh rules) is
refused, because it would print the wrong word for real numbers without any error.

Instrument text is translated with the instrument id as domain and a stable ``msgctxt`` per
field (see :mod:`rightsaware.extract`); :func:`localize` wraps that.

Library code marks user-facing text with the module-level :func:`_` (translated into the
locale made active with :func:`use_messages`, English otherwise) or :func:`N_` (marked for
extraction, translated later; :func:`Nn_` marks a singular/plural pair the same way).
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import hashlib
import io
import logging
from collections.abc import Iterator, Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from . import i18n_format as fmt
from .errors import CatalogError, ConfigError
from .i18n_languages import (  # noqa: F401 - re-exported API
    BILINGUAL_ORDER_SETTINGS,
    LANGUAGES,
    UnknownLanguage,
    bilingual_order,
    language_name,
    negotiate,
    normalize_language,
)
from .text import nfc

CORE_DOMAIN = "rightsaware"
#: Extraction keywords (pybabel ``-k`` syntax) for Python sources and templates.
KEYWORDS = ("_", "gettext", "ngettext:1,2", "pgettext:1c,2", "npgettext:1c,2,3", "N_", "Nn_:1,2")
#: Comment tag copied into the POT (``# TRANSLATORS: ...`` above a call).
COMMENT_TAG = "TRANSLATORS:"
SOURCE_LANGUAGE = "en"

log = logging.getLogger(__name__)
_COMPILED: dict[str, Translations] = {}
_NULL = _gettext.NullTranslations()


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction without translating it (translated later)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - like N_
    """Mark a plural pair for extraction without translating it (``ngettext`` later)."""
    return singular, plural


def core_locales_dir() -> Any:
    """The core's ``locales`` directory: in the installed wheel, else in the source tree."""
    installed = resources.files("rightsaware") / "locales"
    if installed.is_dir():
        return installed
    source_tree = Path(__file__).resolve().parents[2] / "locales"
    if source_tree.is_dir():
        return source_tree
    raise CatalogError(
        N_("rightsaware's own translations are missing (looked in {first} and {second}). "
           "Reinstall rightsaware."), params={"first": str(installed), "second": str(source_tree)}
    )


def builtin_instruments_dir() -> Path:
    """Where the built-in instrument files (``{id}.toml``) live."""
    return Path(__file__).resolve().parent / "data" / "instruments"


def instrument_locales_dir(instrument_id: str, path: str | Path | None = None) -> Path:
    """``my-survey.toml`` keeps its catalogs in ``my-survey/locales`` beside it.

    ``path=None`` means a built-in instrument (``data/instruments/{id}/locales``).
    """
    if path is None:
        return builtin_instruments_dir() / instrument_id / "locales"
    path = Path(path)
    return path.parent / path.stem / "locales"


def catalog_path(locales_dir: Any, domain: str, language: str) -> Any:
    """``{locales_dir}/{language}/LC_MESSAGES/{domain}.po``."""
    return locales_dir / language / "LC_MESSAGES" / f"{domain}.po"


def _plural_table(num_plurals: int, expression: str, upto: int = 1000) -> tuple[int, ...]:
    try:
        function = _gettext.c2py(expression)
    except (ValueError, SyntaxError):
        return (num_plurals, -1)
    return (num_plurals, *(function(n) for n in range(upto + 1)))


def compile_catalog(data: bytes, language: str, domain: str, origin: str = "<catalog>") -> Translations:
    """Compile ``.po`` bytes to ``Translations`` in memory, NFC-normalised; cached by content.

    Raises CatalogError if the file cannot be parsed or its ``Plural-Forms`` give other
    forms than CLDR's for any n from 0 to 1000.
    """
    key = hashlib.sha256(data + f"\0{language}\0{domain}".encode()).hexdigest()
    if key in _COMPILED:
        return _COMPILED[key]
    try:
        catalog = read_po(io.BytesIO(data), locale=language, domain=domain, abort_invalid=True)
    except PoFileError as exc:
        raise CatalogError(
            N_("{file}:{line}: this translation file is broken: {problem}"),
            params={"file": origin, "line": exc.lineno + 1, "problem": str(exc).rsplit(" on ", 1)[0]},
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(N_("{file}: this translation file cannot be read: {problem}"),
                           params={"file": origin, "problem": str(exc)}) from None
    expected = get_plural(language)
    if _plural_table(catalog.num_plurals, catalog.plural_expr) != _plural_table(
        expected.num_plurals, expected.plural_expr
    ):
        raise CatalogError(
            N_("{file}: the Plural-Forms header is '{found}' but {language} needs '{expected}' "
               "(CLDR). Replace the header and move each plural translation to its new slot."),
            params={"file": origin, "found": catalog.plural_forms, "language": language,
                    "expected": str(expected)},
        )
    for message in list(catalog)[1:]:
        if isinstance(message.id, (list, tuple)):
            message.id = tuple(nfc(part) for part in message.id)
        else:
            message.id = nfc(message.id)
        if isinstance(message.string, (list, tuple)):
            message.string = tuple(nfc(part) for part in message.string)
        elif message.string:
            message.string = nfc(message.string)
        if message.context:
            message.context = nfc(message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(fp=buffer, domain=domain)
    _COMPILED[key] = translations
    return translations


def load_catalog(locales_dir: Any, domain: str, language: str) -> Translations | None:
    """The compiled catalog, or None when its ``.po`` file does not exist."""
    path = catalog_path(locales_dir, domain, language)
    if not path.is_file():
        return None
    return compile_catalog(path.read_bytes(), language, domain, origin=str(path))


class Translator:
    """All catalogs of one deployment: domains × languages. Hand out :class:`Messages`."""

    def __init__(self, languages: tuple[str, ...] | list[str] = LANGUAGES) -> None:
        self.languages = tuple(dict.fromkeys(normalize_language(code) for code in languages))
        self._domains: dict[str, dict[str, Translations]] = {}
        self._messages: dict[tuple[str, str], Messages] = {}

    @classmethod
    def with_core(cls, languages: tuple[str, ...] | list[str] = LANGUAGES) -> Translator:
        """A translator with the core's own catalogs already added."""
        translator = cls(languages)
        translator.add_domain(CORE_DOMAIN, core_locales_dir())
        return translator

    def add_domain(self, domain: str, locales_dir: Any, source_dir: Any = None, *,
                   languages: Any = None) -> None:
        """Load ``domain``'s catalogs for every language (``languages`` or the translator's).

        Every language except English must have its ``.po`` file, else CatalogError.
        ``source_dir`` (where the domain's sources are) is only used by ``rightsaware i18n``,
        so a ``register_message_catalogs`` hook may pass it to either.
        """
        if isinstance(locales_dir, str):
            locales_dir = Path(locales_dir)
        wanted = self.languages if languages is None else tuple(normalize_language(x) for x in languages)
        loaded: dict[str, Translations] = {}
        missing = []
        for language in wanted:
            catalog = load_catalog(locales_dir, domain, language)
            if catalog is not None:
                loaded[language] = catalog
            elif language != SOURCE_LANGUAGE:
                missing.append(str(catalog_path(locales_dir, domain, language)))
        if missing:
            raise CatalogError(
                N_("The translations of '{domain}' are missing for a declared language. Create "
                   "them with: rightsaware i18n update"), params={"domain": domain},
                details=missing,
            )
        self._domains[domain] = loaded
        self._messages = {k: v for k, v in self._messages.items() if k[1] != domain}

    def add_instrument(self, instrument: Any, path: str | Path | None = None) -> None:
        """Load an instrument's catalogs (domain = its id) for every language it declares."""
        self.add_domain(instrument.id, instrument_locales_dir(instrument.id, path),
                        languages=instrument.languages)

    def has_domain(self, domain: str) -> bool:
        return domain in self._domains

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self._domains)

    def catalog(self, domain: str, language: str) -> Any:
        """The compiled catalog (``NullTranslations`` for a language without one)."""
        if domain not in self._domains:
            raise CatalogError(
                N_("No translations are loaded for '{domain}'. Add them first (for an "
                   "instrument: Translator.add_instrument)."), params={"domain": domain},
            )
        return self._domains[domain].get(language, _NULL)

    def messages(self, locale: str, domain: str = CORE_DOMAIN) -> Messages:
        """Messages bound to ``locale`` (any spelling :func:`normalize_language` accepts)."""
        language = normalize_language(locale)
        if language not in self.languages:
            raise ConfigError(
                N_("{language} is not one of the languages set up here ({languages})."),
                params={"language": language, "languages": ", ".join(self.languages)},
            )
        key = (language, domain)
        if key not in self._messages:
            self._messages[key] = Messages(self, language, domain)
        return self._messages[key]


def _format(translated: str, source: str, params: Mapping[str, Any], locale: str) -> str:
    if not params:
        return nfc(translated)
    try:
        return nfc(translated.format(**params))
    except (KeyError, IndexError, ValueError, AttributeError):
        if translated == source:
            raise
        # A translator's placeholder typo must not break a respondent's session;
        # `rightsaware i18n check` reports it. Never log the values (personal data).
        log.warning("placeholders of the %s translation of %r do not match; using English",
                    locale, source[:80])
        return nfc(source.format(**params))


def _whole_number(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, float, Decimal)) or n != int(n):
        raise TypeError(f"ngettext needs a whole number, not {n!r}; use format_unit for decimals")
    return int(n)


class Messages:
    """Translations bound to one locale (and one domain, ``rightsaware`` by default)."""

    def __init__(self, translator: Translator | None, locale: str, domain: str = CORE_DOMAIN) -> None:
        self.translator = translator
        self.locale = locale
        self.domain_name = domain
        self.babel_locale = Locale.parse("en_GB" if locale == "en" else locale)

    def __repr__(self) -> str:
        return f"<Messages {self.locale} {self.domain_name}>"

    @property
    def _catalog(self) -> Any:
        if self.translator is None:
            return _NULL
        return self.translator.catalog(self.domain_name, self.locale)

    def domain(self, name: str) -> Messages:
        """The same locale, another domain (a channel's, or an instrument id)."""
        if self.translator is None:
            return Messages(None, self.locale, name)
        self.translator.catalog(name, self.locale)  # raises if the domain is unknown
        return self.translator.messages(self.locale, name)

    def _(self, message: str, /, **params: Any) -> str:
        """Translate ``message`` and fill its ``{placeholders}`` from ``params``."""
        message = nfc(message)
        return _format(self._catalog.gettext(message), message, params, self.locale)

    gettext = _

    def ngettext(self, singular: str, plural: str, n: Any, /, **params: Any) -> str:
        """The plural form for ``n`` (CLDR: 6 in Welsh, 4 in Gaelic); ``{n}`` is ``n``."""
        n = _whole_number(n)
        params.setdefault("n", n)
        singular, plural = nfc(singular), nfc(plural)
        translated = self._catalog.ngettext(singular, plural, n)
        return _format(translated, singular if n == 1 else plural, params, self.locale)

    def pgettext(self, context: str, message: str, /, **params: Any) -> str:
        """Translate ``message`` in ``context`` (a ``msgctxt``)."""
        message = nfc(message)
        return _format(self._catalog.pgettext(context, message), message, params, self.locale)

    def npgettext(self, context: str, singular: str, plural: str, n: Any, /, **params: Any) -> str:
        n = _whole_number(n)
        params.setdefault("n", n)
        singular, plural = nfc(singular), nfc(plural)
        translated = self._catalog.npgettext(context, singular, plural, n)
        return _format(translated, singular if n == 1 else plural, params, self.locale)

    # --- formatting (Babel, with the traps of briefs/i18n.md §1.5 fixed) -----------------

    def format_number(self, value: Any) -> str:
        return fmt.format_decimal(value, self.babel_locale)

    def format_decimal(self, value: Any, format: str | None = None) -> str:
        return fmt.format_decimal(value, self.babel_locale, format)

    def format_percent(self, value: Any, format: str | None = None) -> str:
        return fmt.format_percent(value, self.babel_locale, format)

    def format_unit(self, value: Any, unit: str, length: str = "long") -> str:
        return fmt.format_unit(value, unit, self.babel_locale, length)

    def format_date(self, value: Any, format: str = "long") -> str:
        return fmt.format_date(value, self.babel_locale, format)

    def format_month_year(self, value: Any) -> str:
        return fmt.format_month_year(value, self.babel_locale)

    def format_time(self, value: Any, format: str = "short") -> str:
        return fmt.format_time(value, self.babel_locale, format)

    def format_list(self, items: Any, style: str = "standard", *, mutate: bool = False) -> str:
        return fmt.format_list(items, self.babel_locale, style, mutate=mutate)

    def language_name(self, code: str) -> str:
        """The name of a language in this locale (``Saesneg`` for en in Welsh)."""
        return language_name(code, self.locale)


ENGLISH = Messages(None, SOURCE_LANGUAGE)
_active: contextvars.ContextVar[Messages | None] = contextvars.ContextVar(
    "rightsaware_messages", default=None
)


def current_messages() -> Messages:
    """The messages made active with :func:`use_messages`, else English."""
    return _active.get() or ENGLISH


@contextlib.contextmanager
def use_messages(messages: Messages) -> Iterator[Messages]:
    """Make ``messages`` the locale of the module-level :func:`_` within the block."""
    token = _active.set(messages)
    try:
        yield messages
    finally:
        _active.reset(token)


def _(message: str, /, **params: Any) -> str:
    """Translate into the active locale (see :func:`use_messages`) and fill placeholders."""
    return current_messages()._(message, **params)


def gettext(message: str, /, **params: Any) -> str:
    return current_messages()._(message, **params)


def ngettext(singular: str, plural: str, n: Any, /, **params: Any) -> str:
    return current_messages().ngettext(singular, plural, n, **params)


def pgettext(context: str, message: str, /, **params: Any) -> str:
    return current_messages().pgettext(context, message, **params)


def npgettext(context: str, singular: str, plural: str, n: Any, /, **params: Any) -> str:
    return current_messages().npgettext(context, singular, plural, n, **params)


def install_jinja(env: Any, messages: Messages) -> None:
    """Give a Jinja2 environment ``_``, ``gettext``, ``ngettext``, ``pgettext``, ``npgettext``.

    Templates call ``{{ _("Question {n} of {total}", n=n, total=total) }}``; the result is
    autoescaped like any other value. Prefer this to ``{% trans %}`` blocks, whose msgids use
    ``%(name)s`` and must be extracted with Jinja2's own extractor.
    """
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(
        gettext=messages._, ngettext=messages.ngettext, newstyle=False,
        pgettext=messages.pgettext, npgettext=messages.npgettext,
    )


def localize(instrument: Any, messages: Messages) -> Any:
    """An instrument's text in ``messages``' locale (see :class:`rightsaware.extract.LocalizedText`)."""
    from .extract import LocalizedText

    return LocalizedText(instrument, messages.domain(instrument.id))
