"""Instrument catalogs on the way into and out of XLSForm workbooks.

:func:`read_translations` gives the Welsh and Gaelic text an export writes: from each
language's ``.po``, the entries for the instrument's current English text that are
translated and not fuzzy — exactly what a respondent would see. :func:`write_import`
writes an imported instrument as ``<out>/<id>.toml`` and its catalogs as
``<out>/<id>/locales/{lang}/LC_MESSAGES/<id>.po`` (+ ``<id>.pot``) through the same code as
``rightsaware i18n update`` (:mod:`rightsaware.i18n_check`), then fills in the translations.
Everything is built and checked in a temporary folder first, so a failure writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

from . import i18n_check
from .extract import instrument_messages
from .i18n import Translator, _, catalog_path, language_name, ngettext
from .instrument import Instrument
from .loading import instrument_data, load_instrument, write_instrument
from .text import nfc
from .xlsform import Finding, XLSFormError


def source_texts(instrument: Instrument) -> dict[str, str]:
    """msgctxt → English text of every translatable field (the extractor's own list)."""
    return {m.context: m.msgid for m in instrument_messages(instrument_data(instrument))}


def read_translations(instrument: Instrument, locales_dir: Path | None) -> tuple[dict[str, dict[str, str]], list[Finding]]:
    """language → msgctxt → translation, and notes on what was not exported (missing, fuzzy)."""
    wanted = {context: nfc(text) for context, text in source_texts(instrument).items()}
    translations: dict[str, dict[str, str]] = {}
    notes: list[Finding] = []
    for language in instrument.languages:
        if language == "en":
            continue
        texts = translations.setdefault(language, {})
        path = catalog_path(Path(locales_dir), instrument.id, language) if locales_dir else None
        if path is None or not path.is_file():
            notes.append(Finding(None, _("no {language} catalog ({path}): the {language} columns are empty",
                                         language=language_name(language), path=str(path))))
            continue
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language, domain=instrument.id, abort_invalid=True)
        except (PoFileError, ValueError, UnicodeDecodeError) as exc:
            raise XLSFormError(_("{file}: this translation file is broken: {problem}", file=str(path),
                                 problem=str(exc))) from None
        fuzzy = 0
        for message in list(catalog)[1:]:
            if not isinstance(message.id, str) or message.context not in wanted:
                continue
            if nfc(message.id) != wanted[message.context] or not isinstance(message.string, str):
                continue
            if message.fuzzy and message.string:
                fuzzy += 1
            elif message.string:
                texts[message.context] = message.string
        if fuzzy:
            notes.append(Finding(None, ngettext(
                "{path}: {n} fuzzy translation (not yet reviewed) was not exported",
                "{path}: {n} fuzzy translations (not yet reviewed) were not exported", fuzzy, path=str(path))))
    return translations, notes


def _fill(path: Path, language: str, domain: str, texts: dict[str, str]) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    for message in list(catalog)[1:]:
        if message.context in texts:
            message.string = texts[message.context]
    path.write_text(i18n_check.render(catalog, True), encoding="utf-8")


def write_import(result, out_dir: str | Path, *, force: bool = False) -> list[Path]:  # noqa: ANN001 - ImportResult
    """Write the instrument file and its catalogs into ``out_dir``; return the paths written.

    Refuses (XLSFormError, nothing written) when any of them exists, unless ``force``.
    """
    instrument = result.instrument
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise XLSFormError(_("{path} is a file; --out needs a folder", path=str(out)))
    with tempfile.TemporaryDirectory(prefix="rightsaware-xlsform-") as folder:
        staging = Path(folder)
        source = staging / f"{instrument.id}.toml"
        write_instrument(instrument, source)
        domain = i18n_check.instrument_domain(source)
        i18n_check.update(domain)
        for language in domain.languages:
            _fill(domain.po_path(language), language, instrument.id, result.translations.get(language, {}))
        loaded = load_instrument(source)
        if loaded != instrument or loaded.content_hash != instrument.content_hash:
            raise XLSFormError(_("the imported instrument did not read back the same from {path}; please report "
                                 "this as a bug", path=str(source)))
        Translator(languages=instrument.languages).add_instrument(loaded, source)
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        targets = [out / p.relative_to(staging) for p in files]
        existing = [str(t) for t in targets if t.exists()]
        if existing and not force:
            raise XLSFormError(_("these files already exist; nothing was written. Import again with --force to "
                                 "replace them, or choose another --out folder"), [Finding(None, p) for p in existing])
        for file, target in zip(files, targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(file.read_bytes())
            os.replace(partial, target)
    return targets
