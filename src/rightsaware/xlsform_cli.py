"""``rightsaware xlsform``: bring an ODK/KoboToolbox XLSForm in as an instrument, or send one out.

Attach with ``cli.add_command(xlsform)``. Commands take the runtime and the UI language's
messages from ``click.get_current_context().obj`` (``.runtime``, ``.m``); problems in the
input raise :class:`~rightsaware.xlsform.XLSFormError`, which the root CLI prints without a
traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from .i18n import use_messages


def _echo_notes(heading: str, notes) -> None:  # noqa: ANN001 - findings
    if notes:
        click.echo(heading, err=True)
        for note in notes:
            click.echo(f"  {note}", err=True)


@click.group("xlsform")
def xlsform() -> None:
    """Import and export XLSForm workbooks (the format of ODK and KoboToolbox).

    \b
    rightsaware xlsform import form.xlsx --out instruments/
    rightsaware xlsform export rights-wales --out rights-wales.xlsx
    See docs/xlsform.md for what maps to what.
    """


@xlsform.command("import")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for ID.toml and its catalogs (ID/locales/...).")
@click.option("--id", "instrument_id", default=None, help="Instrument id [default: form_id on the settings sheet].")
@click.option("--force", is_flag=True, help="Replace an instrument file or catalogs that already exist.")
def import_command(workbook: Path, out_dir: Path, instrument_id: str | None, force: bool) -> None:
    """Read an XLSForm (.xlsx) and write the instrument and a catalog for each language.

    Translated columns such as label::Cymraeg (cy) or hint::Gàidhlig (gd) become the Welsh and
    Gaelic catalogs. Anything that cannot be imported is listed with its sheet, row and column;
    if the workbook has errors, nothing is written.
    """
    from .xlsform import import_xlsform, write_import
    from .xlsform_catalogs import source_texts

    obj = click.get_current_context().obj
    m = obj.m
    with use_messages(m):
        result = import_xlsform(workbook, instrument_id=instrument_id)
        paths = write_import(result, out_dir, force=force)
    instrument = result.instrument
    click.echo(m.ngettext("Imported {id} (version {version}, {n} question, languages: {languages}).",
                          "Imported {id} (version {version}, {n} questions, languages: {languages}).",
                          len(instrument.questions), id=instrument.id, version=instrument.version,
                          languages=", ".join(instrument.languages)))
    for path in paths:
        click.echo(f"  {path}")
    total = len(source_texts(instrument))
    for language in instrument.languages:
        if language != "en":
            click.echo(m.ngettext("{language}: {done} of {n} text translated",
                                  "{language}: {done} of {n} texts translated", total,
                                  language=m.language_name(language), done=len(result.translations.get(language, {}))))
    _echo_notes(m.ngettext("{n} thing in the workbook was not imported as it is:",
                           "{n} things in the workbook were not imported as they are:", len(result.notes)),
                result.notes)


@xlsform.command("export")
@click.argument("instrument")
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path), help="The workbook to write (.xlsx).")
@click.option("--force", is_flag=True, help="Replace the workbook if it exists.")
def export_command(instrument: str, out_path: Path, force: bool) -> None:
    """Write an instrument (an id, or a path to an .toml file) as an XLSForm with its translations.

    The workbook has label::English (en), label::Cymraeg (cy) and label::Gàidhlig (gd) columns
    and converts to an ODK XForm with pyxform; importing it again gives the same instrument.
    """
    from .i18n import instrument_locales_dir
    from .loading import load_instrument
    from .xlsform import export_xlsform

    obj = click.get_current_context().obj
    m = obj.m
    with use_messages(m):
        if instrument.endswith(".toml"):
            source = Path(instrument)
            loaded = load_instrument(source)
            locales = instrument_locales_dir(loaded.id, source)
        else:
            entry = obj.runtime.instruments.entry(instrument)
            loaded, locales = entry.instrument, entry.locales_dir
        result = export_xlsform(loaded, locales, out_path, force=force)
    click.echo(m.ngettext("Wrote {path}: {id} version {version}, {n} question, languages: {languages}.",
                          "Wrote {path}: {id} version {version}, {n} questions, languages: {languages}.",
                          len(loaded.questions), path=str(result.path), id=loaded.id, version=loaded.version,
                          languages=", ".join(loaded.languages)))
    _echo_notes(m.ngettext("{n} note on the export:", "{n} notes on the export:", len(result.notes)), result.notes)
