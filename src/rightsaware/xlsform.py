"""XLSForm interoperability: what the importer and the exporter share.

An XLSForm is a workbook with ``survey``, ``choices`` and ``settings`` sheets (the format of
ODK and KoboToolbox). This module knows where things are in a workbook (sheet, row, column),
how a header such as ``label::Cymraeg (cy)`` names a field and a language, which XLSForm
question types exist, and the error raised when a workbook cannot be imported.
:func:`import_xlsform` / :func:`write_import` (in :mod:`rightsaware.xlsform_import`) and
:func:`export_xlsform` (in :mod:`rightsaware.xlsform_export`) are re-exported here.
``docs/xlsform.md`` describes the mapping.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import field, frozen

from .errors import RightsawareError
from .i18n import _, ngettext
from .i18n_languages import UnknownLanguage, normalize_language

if TYPE_CHECKING:
    from .instrument import Instrument
    from .xlsform_export import ExportResult
    from .xlsform_import import ImportResult

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
#: Sheets pyxform ignores, for what XLSForm has no column for (see docs/xlsform.md).
EXTRA, CHOICE_EXTRAS, REFERRALS = "rightsaware", "rightsaware_choices", "rightsaware_referrals"
#: How the exporter names the languages in column headers (``label::Cymraeg (cy)``).
LANGUAGE_COLUMNS = {"en": "English (en)", "cy": "Cymraeg (cy)", "gd": "Gàidhlig (gd)"}
TRANSLATED_FIELDS = ("label", "hint", "constraint_message", "sms_label")
YES = frozenset({"yes", "true", "true()"})
NO = frozenset({"no", "false", "false()"})

#: Header aliases pyxform accepts, to the names used here.
HEADER_ALIASES = {
    "caption": "label", "relevance": "relevant", "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message", "list name": "list_name", "calculate": "calculation",
}
MEDIA_COLUMNS = frozenset({"image", "big-image", "audio", "video", "media"})
#: XLSForm columns that exist but that rightsaware does not import.
XLSFORM_COLUMNS = frozenset({
    "appearance", "default", "choice_filter", "read_only", "readonly", "calculation",
    "required_message", "requiredmsg", "guidance_hint", "repeat_count", "jr:count", "count",
    "parameters", "trigger", "autoplay", "rows", "no_app_error_string", "noapperrorstring",
    "save_to", "compact_tag", "sms_field", "sms_option", "sms_separator", "sms_allow_media",
    "sms_date_format", "sms_datetime_format", "sms_response", "body", "instance_name",
    "public_key", "submission_url", "style", "allow_choice_duplicates", "namespaces",
    "auto_send", "auto_delete", "clean_text_values", "prefix", "delimiter", "sms_keyword",
})

# --- question types ----------------------------------------------------------------------

#: The XLSForm types rightsaware imports (pyxform's names and aliases) and their kinds.
IMPORTED_TYPES = {
    "text": "text", "string": "text", "q string": "text", "add text prompt": "text",
    "integer": "integer", "int": "integer", "q int": "integer", "add integer prompt": "integer",
    "decimal": "decimal", "q decimal": "decimal", "add decimal prompt": "decimal",
    "date": "date", "q date": "date", "add date prompt": "date",
    "note": "note", "q note": "note", "add note prompt": "note",
}
#: Words that start a select type, followed by the list name (``select_one yes_no``).
SELECT_WORDS = {
    "select_one": "select_one", "select one": "select_one", "select1": "select_one",
    "q select1": "select_one", "select one from": "select_one", "select one using": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple", "select multiple": "select_multiple",
    "q select": "select_multiple", "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple", "select multiple from": "select_multiple",
    "select multiple using": "select_multiple", "add select multiple prompt using": "select_multiple",
}
_CONTROLS = {"group": "group", "repeat": "repeat", "loop": "repeat", "lgroup": "repeat", "looped group": "repeat"}
GROUP_WORDS = {f"{end}{space}{word}": f"{end}_{kind}" for word, kind in _CONTROLS.items()
               for end in ("begin", "end") for space in (" ", "_")}
CALCULATE_TYPES = frozenset({"calculate", "q calculate", "add calculate prompt"})
#: XLSForm types that exist (pyxform 4.5) but that rightsaware has no question kind for.
UNSUPPORTED_TYPES = frozenset({
    "range", "rank", "geopoint", "geotrace", "geoshape", "gps", "location", "q geopoint",
    "q geoshape", "q geotrace", "q location", "add location prompt", "time", "datetime",
    "date time", "q date time", "q datetime", "add date time prompt", "add datetime prompt",
    "image", "photo", "q picture", "q image", "add image prompt", "audio", "q audio",
    "add audio prompt", "background-audio", "video", "q video", "add video prompt", "file",
    "add file prompt", "barcode", "q barcode", "add barcode prompt", "acknowledge",
    "q acknowledge", "add acknowledge prompt", "trigger", "hidden", "xml-external",
    "csv-external", "start", "end", "today", "get start time", "get end time", "start time",
    "end time", "get today", "deviceid", "device id", "get device id", "imei", "uri:deviceid",
    "phonenumber", "phone number", "get phone number", "uri:phonenumber", "simserial",
    "sim id", "get sim id", "uri:simserial", "subscriberid", "subscriber id",
    "get subscriber id", "uri:subscriberid", "username", "uri:username", "email", "uri:email",
    "audit", "start-geopoint", "background-geopoint", "osm", "percentage",
    "number of days in last month", "number of days in last six months",
    "number of days in last year", "select_one_from_file", "select_multiple_from_file",
    "select one from file", "select multiple from file", "select_one_external",
    "select one external", "cascading select", "cascading_select",
})


@frozen
class RowType:
    """What a ``type`` cell says: ``role`` is question, calculate, a group word, unsupported or unknown."""

    role: str
    kind: str | None = None
    list_name: str | None = None
    or_other: bool = False
    text: str = ""


def classify_type(text: str) -> RowType:
    """Read a ``type`` cell (``select_one yes_no``, ``begin_group``, ``geopoint``…)."""
    words = " ".join(text.split())
    lowered = words.lower()
    if lowered in GROUP_WORDS:
        return RowType(GROUP_WORDS[lowered], text=words)
    if lowered in IMPORTED_TYPES:
        return RowType("question", IMPORTED_TYPES[lowered], text=words)
    if lowered in CALCULATE_TYPES:
        return RowType("calculate", text=words)
    if any(lowered == known or lowered.startswith(known + " ") for known in UNSUPPORTED_TYPES):
        return RowType("unsupported", text=words)
    for prefix in sorted(SELECT_WORDS, key=len, reverse=True):
        if lowered.startswith(prefix + " "):
            rest = words[len(prefix) + 1:].split()
            other = len(rest) == 2 and rest[1].lower() == "or_other"
            if len(rest) == 1 or other:
                return RowType("question", SELECT_WORDS[prefix], rest[0], other, words)
    return RowType("unknown", text=words)


# --- where things are, and what went wrong -------------------------------------------------


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA`` (spreadsheet column names)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_ranges(rows: tuple[int, ...]) -> str:
    """``(3, 4, 5, 9)`` → ``3–5, 9``."""
    parts: list[str] = []
    ordered = sorted(set(rows))
    start = previous = ordered[0] if ordered else 0
    for row in ordered[1:] + [None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if row is not None:
            start = previous = row
    return ", ".join(parts)


@frozen
class Where:
    """A place in a workbook: a sheet, and maybe a row (or rows) and a column."""

    sheet: str
    row: int | None = None
    column: int | None = None  # 0-based index
    header: str | None = None
    rows: tuple[int, ...] = field(default=(), converter=tuple)

    def __str__(self) -> str:
        sheet, header = self.sheet, self.header or ""
        letter = column_letter(self.column) if self.column is not None else ""
        if self.rows:
            return ngettext("{sheet} sheet, row {rows}, column {column} ({header})",
                            "{sheet} sheet, rows {rows}, column {column} ({header})",
                            len(self.rows), sheet=sheet, rows=row_ranges(self.rows),
                            column=letter, header=header)
        if self.row is not None and self.column is not None:
            return _("{sheet} sheet, row {row}, column {column} ({header})", sheet=sheet,
                     row=self.row, column=letter, header=header)
        if self.row is not None:
            return _("{sheet} sheet, row {row}", sheet=sheet, row=self.row)
        if self.column is not None:
            return _("{sheet} sheet, column {column} ({header})", sheet=sheet, column=letter,
                     header=header)
        return _("{sheet} sheet", sheet=sheet)


@frozen
class Finding:
    """One error or one thing not imported, where it is and what it means (translated text)."""

    where: Where | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where is not None else self.message


class XLSFormError(RightsawareError):
    """A workbook that cannot be imported or exported; ``findings`` say where and why."""

    def __init__(self, message: str, findings: list[Finding] | tuple[Finding, ...] = ()) -> None:
        self.findings = list(findings)
        super().__init__(message, details=[str(f) for f in self.findings])


def fail(file: str, findings: list[Finding]) -> XLSFormError:
    """The error for a workbook with ``findings`` (nothing has been written)."""
    return XLSFormError(ngettext("{file}: {n} problem found; nothing was imported.",
                                 "{file}: {n} problems found; nothing was imported.",
                                 len(findings), file=file), findings)


# --- column headers ------------------------------------------------------------------------

_NAMED_CODE = re.compile(r"^(.*?)\s*\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*\)$")


@frozen
class Column:
    """A column header read: ``field`` (``label``, ``meta.law``…) and its language, if any.

    ``language`` is en, cy or gd; ``suffixed`` says whether the header named it (``label::…``)
    or it is the default language; ``other_language`` is a language rightsaware does not have.
    """

    index: int
    header: str
    field: str
    language: str | None = None
    suffixed: bool = False
    other_language: str | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)


def parse_language(text: str) -> tuple[str | None, str | None]:
    """``Cymraeg (cy)``, ``Welsh``, ``cy`` → ``("cy", None)``; ``French (fr)`` → ``(None, "fr")``.

    Raises ValueError when the text names no language code and no language rightsaware knows.
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError(text)
    named = _NAMED_CODE.match(text)
    candidate = named.group(2) if named else text
    try:
        return normalize_language(candidate), None
    except UnknownLanguage:
        if named:
            return None, named.group(2).lower()
        raise ValueError(text) from None


def parse_header(index: int, header: str, default: tuple[str | None, str | None]) -> Column:
    """Read one header cell; ``default`` is the (language, other language) of unsuffixed text.

    Raises ValueError (with the language text) when a ``::`` suffix names no language.
    """
    parts = [part.strip() for part in header.split("::")]
    base = parts[0]
    if base.lower().startswith("meta."):
        return Column(index, header, "meta." + base[5:].strip())
    name = HEADER_ALIASES.get(base.lower(), base.lower())
    if name not in TRANSLATED_FIELDS:
        return Column(index, header, name if len(parts) == 1 or name in MEDIA_COLUMNS else header.lower())
    if len(parts) == 1:
        return Column(index, header, name, default[0], False, default[1])
    language, other = parse_language("::".join(parts[1:]))
    return Column(index, header, name, language, True, other)


def import_xlsform(source: str | Path | bytes, *, instrument_id: str | None = None,
                   file: str | None = None) -> ImportResult:
    """Read an XLSForm; see :func:`rightsaware.xlsform_import.import_xlsform`."""
    from .xlsform_import import import_xlsform as run

    return run(source, instrument_id=instrument_id, file=file)


def write_import(result: ImportResult, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write an import's files; see :func:`rightsaware.xlsform_catalogs.write_import`."""
    from .xlsform_catalogs import write_import as run

    return run(result, out_dir, force=force)


def export_xlsform(instrument: Instrument, locales_dir: Path | None, path: str | Path, *,
                   force: bool = False) -> ExportResult:
    """Write a workbook; see :func:`rightsaware.xlsform_export.export_xlsform`."""
    from .xlsform_export import export_xlsform as run

    return run(instrument, locales_dir, path, force=force)
