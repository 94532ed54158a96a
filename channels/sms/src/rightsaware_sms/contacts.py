"""Contact lists for SMS campaigns: read a CSV, normalise phone numbers to E.164, report problems.

UK numbers are accepted in the ways people and spreadsheets write them (``07700 900123``,
``+44 (0)7700 900123``, ``0044…``, ``447700…`` and ``7700900123`` when a spreadsheet dropped
the leading zero) and must be mobile numbers: a landline cannot receive texts. Numbers of
other countries must be written in international form (``+353…``). Every problem is
reported with its line number; duplicates are reported and sent only once.

Phone numbers are personal data: they are never logged, and problems quote only the line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import field, frozen

from .messages import N_, _

from rightsaware.errors import RightsawareError

PHONE_COLUMNS = ("phone", "mobile", "number", "phone_number", "mobile_number", "telephone", "tel", "to", "ffôn", "fòn")
_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_UK_MOBILE = re.compile(r"^\+447(?:[1-57-9]\d{8}|624\d{6})$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


class ContactsError(RightsawareError):
    """The contacts file cannot be used at all (missing, unreadable, no phone column)."""


@frozen
class Contact:
    line: int
    address: str  # E.164; personal data
    language: str


@frozen
class Problem:
    """One problem of one row: an English message template (translated when shown) and its values."""

    line: int
    message: str
    params: dict[str, str] = field(factory=dict, hash=False)

    def format(self, translate: Callable[..., str] | None = None) -> str:
        translate = translate or (lambda message, **params: message.format(**params))
        return translate("line {line}: {problem}", line=self.line, problem=translate(self.message, **self.params))

    def __str__(self) -> str:
        return self.format()


@frozen
class ContactList:
    contacts: tuple[Contact, ...]
    errors: tuple[Problem, ...]
    duplicates: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def languages(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for contact in self.contacts:
            counts[contact.language] = counts.get(contact.language, 0) + 1
        return counts


def normalise_phone(raw: str) -> tuple[str | None, str | None]:
    """``(E.164 number, None)`` or ``(None, reason)`` for a number as typed."""
    text = (raw or "").strip()
    if not text:
        return None, N_("the phone number is empty")
    if _SCIENTIFIC.match(text):
        return None, N_("the phone number looks like a spreadsheet turned it into a number such as 7.7E+09; "
                         "format the column as text and export again")
    compact = _SEPARATORS.sub("", text.replace("(0)", ""))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d+", compact):
        return None, N_("the phone number contains letters or symbols")
    if compact.startswith("+"):
        number = compact
    elif compact.startswith("44") and len(compact) == 12:
        number = "+" + compact
    elif compact.startswith("0") and len(compact) == 11:
        number = "+44" + compact[1:]
    elif compact.startswith("7") and len(compact) == 10:
        number = "+44" + compact  # a spreadsheet dropped the leading 0
    else:
        return None, N_("the phone number is not a complete UK number (07… with 11 digits) or an international one (+…)")
    if number.startswith("+44"):
        if _UK_MOBILE.match(number):
            return number, None
        if re.fullmatch(r"\+44[1-3]\d{8,9}", number):
            return None, N_("the phone number is a landline: it cannot receive texts")
        return None, N_("the phone number is not a UK mobile number (mobile numbers start 07)")
    if not _E164.match(number):
        return None, N_("the phone number has too few or too many digits for an international number")
    return number, None


def _find_phone_column(header: Sequence[str]) -> str | None:
    lowered = {name.strip().casefold(): name for name in header}
    for candidate in PHONE_COLUMNS:
        if candidate in lowered:
            return lowered[candidate]
    return None


def read_contacts(
    path: str | Path,
    *,
    languages: Sequence[str],
    default_language: str,
    language_column: str | None = "language",
    language_column_required: bool = False,
) -> ContactList:
    """Read and check a contacts CSV (UTF-8, with or without BOM; comma or semicolon).

    ``languages`` are the instrument's; a row in another language is an error.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContactsError(_("The contacts file {path} does not exist.", path=str(path))) from None
    except OSError as exc:
        raise ContactsError(_("The contacts file {path} cannot be read: {reason}.", path=str(path),
                                reason=str(exc.strerror or exc))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContactsError(_(
            "The contacts file {path} is not UTF-8 text. Save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)' and try again.", path=str(path)
        )) from None
    return parse_contacts(text, languages=languages, default_language=default_language,
                          language_column=language_column, language_column_required=language_column_required,
                          source=str(path))


def _csv_rows(reader: Any, source: str) -> Iterator[list[str]]:
    """The reader's rows; a file the csv module cannot read (stray quotes, a huge cell) is a clear error."""
    try:
        yield from reader
    except csv.Error:
        raise ContactsError(_(
            "{source} cannot be read as CSV (the problem is near line {line}: a very long cell or a stray "
            "quote mark). Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again.",
            source=source, line=str(reader.line_num or 1),
        )) from None


def parse_contacts(
    text: str,
    *,
    languages: Sequence[str],
    default_language: str,
    language_column: str | None = "language",
    language_column_required: bool = False,
    source: str = "contacts",
) -> ContactList:
    from rightsaware.i18n_languages import UnknownLanguage, normalize_language

    if not text.strip():
        raise ContactsError(_("{source} is empty: it needs a header row with a 'phone' column and one row per person.",
                                source=source))
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _csv_rows(reader, source)
    header = next(rows, [])
    phone_column = _find_phone_column(header)
    if phone_column is None:
        raise ContactsError(_(
            "{source} has no phone number column. Name one column 'phone' (or mobile, number); "
            "the columns found are: {columns}.", source=source,
            columns=", ".join(h for h in header if h.strip()) or "-",
        ))
    phone_index = header.index(phone_column)
    language_index = None
    if language_column:
        names = [h.strip().casefold() for h in header]
        if language_column.strip().casefold() in names:
            language_index = names.index(language_column.strip().casefold())
        elif language_column_required:
            raise ContactsError(_(
                "{source} has no column called '{column}'. The columns found are: {columns}.",
                source=source, column=language_column, columns=", ".join(h for h in header if h.strip()) or "-",
            ))
    offered = tuple(languages)
    contacts: list[Contact] = []
    errors: list[Problem] = []
    duplicates: list[Problem] = []
    first_line: dict[str, int] = {}
    for row in rows:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        cell = row[phone_index] if phone_index < len(row) else ""
        number, reason = normalise_phone(cell)
        if number is None:
            errors.append(Problem(line, reason or N_("the phone number is not valid")))
            continue
        language = default_language
        raw_language = row[language_index].strip() if language_index is not None and language_index < len(row) else ""
        if raw_language:
            try:
                language = normalize_language(raw_language)
            except UnknownLanguage:
                errors.append(Problem(line, N_("the language '{language}' is not en, cy or gd"), {"language": raw_language[:20]}))
                continue
        if language not in offered:
            errors.append(Problem(line, N_("the survey is not available in '{language}' (it offers {offered})"),
                                  {"language": language, "offered": ", ".join(offered)}))
            continue
        if number in first_line:
            duplicates.append(Problem(line, N_("the same number as line {first}: it will get one text only"),
                                      {"first": str(first_line[number])}))
            continue
        first_line[number] = line
        contacts.append(Contact(line, number, language))
    return ContactList(tuple(contacts), tuple(errors), tuple(duplicates))


def describe_problems(problems: Iterable[Problem], translate: Callable[..., str] | None = None,
                      limit: int = 50) -> list[str]:
    """Lines for the terminal, at most ``limit`` (with a count of the rest)."""
    problems = list(problems)
    lines = [p.format(translate) for p in problems[:limit]]
    if len(problems) > limit:
        rest = len(problems) - limit
        lines.append(translate("... and {n} more", n=rest) if translate else f"... and {rest} more")
    return lines
