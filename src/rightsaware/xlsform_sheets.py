"""Reading an XLSForm workbook into tables of cells that remember what was used.

:func:`read_workbook` opens the file with openpyxl (read-only, cached formula values) and
refuses anything that is not an ``.xlsx`` workbook with a message saying what to do.
A :class:`Table` is one sheet: its parsed column headers and its non-empty rows. The
importer *takes* the cells it imports; :meth:`Table.leftovers` then lists every non-empty
cell that was not taken, grouped by column, so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from attrs import frozen

from .i18n import _, ngettext
from .xlsform import Column, Finding, Where, XLSFormError, parse_header

MAX_BYTES = 20_000_000
MAX_UNPACKED = 200_000_000
MAX_ROWS = 20_000


def cell_text(value: Any) -> str | None:
    """A cell as text (numbers without a spurious ``.0``), or None when it is empty or blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _refuse(file: str, message: str) -> XLSFormError:
    return XLSFormError(_("{file}: {problem}", file=file, problem=message))


def read_workbook(source: str | Path | bytes, file: str | None = None) -> dict[str, tuple[str, list]]:
    """Sheets by lower-case name: ``(title, [(row_number, values), ...])``, empty rows left out."""
    if isinstance(source, bytes):
        data, file = source, file or "<workbook>"
    else:
        file = file or str(source)
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise _refuse(file, _("no such file")) from None
        except IsADirectoryError:
            raise _refuse(file, _("this is a folder, not a workbook")) from None
        except OSError as exc:
            raise _refuse(file, _("cannot be read ({reason})", reason=exc.strerror or str(exc))) from None
    if len(data) > MAX_BYTES:
        raise _refuse(file, _("the file is larger than {size} MB; an XLSForm is a small workbook",
                              size=MAX_BYTES // 1_000_000))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse(file, _("this is an old Excel 97–2003 (.xls) file: open it and save it as an "
                              "Excel workbook (.xlsx), then import that"))
    try:
        import openpyxl

        if not data.startswith(b"PK"):
            raise zipfile.BadZipFile
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise _refuse(file, _("the workbook unpacks to more than {size} MB; an XLSForm is a small workbook",
                                  size=MAX_UNPACKED // 1_000_000))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSFormError:
        raise
    except Exception:  # noqa: BLE001 - zipfile, KeyError, openpyxl's own errors: all "not a workbook"
        raise _refuse(file, _("this is not an Excel workbook (.xlsx). An XLSForm is a .xlsx file with "
                              "survey, choices and settings sheets; save other spreadsheets (.ods, "
                              ".csv) as .xlsx first")) from None
    sheets: dict[str, tuple[str, list]] = {}
    try:
        for worksheet in workbook.worksheets:
            rows = []
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                if any(cell_text(value) is not None for value in values):
                    rows.append((number, tuple(values)))
                    if len(rows) > MAX_ROWS:
                        raise _refuse(file, ngettext("the {sheet} sheet has more than {n} row",
                                                     "the {sheet} sheet has more than {n} rows", MAX_ROWS,
                                                     sheet=worksheet.title))
            sheets.setdefault(worksheet.title.strip().lower(), (worksheet.title, rows))
    finally:
        workbook.close()
    return sheets


@frozen
class Row:
    number: int
    values: tuple


class Table:
    """One sheet: columns by field (and language), rows, and which cells were imported."""

    def __init__(self, sheet: str, columns: list[Column], rows: list[Row], header_row: int | None) -> None:
        self.sheet = sheet
        self.columns = columns
        self.rows = rows
        self.header_row = header_row
        self.taken: set[tuple[int, int]] = set()
        self.skipped: set[int] = set()

    @classmethod
    def read(cls, title: str, rows: list, default: tuple[str | None, str | None],
             errors: list[Finding], known: frozenset[str] = frozenset()) -> Table:
        """Parse the header (first non-empty row); bad or duplicate headers of ``known`` fields go to ``errors``."""
        if not rows:
            return cls(title, [], [], None)
        header_number, header_values = rows[0]
        width = max(len(values) for _number, values in rows)
        columns: list[Column] = []
        for index in range(width):
            text = cell_text(header_values[index]) if index < len(header_values) else None
            if text is None:
                columns.append(Column(index, "", ""))
                continue
            text = text.strip()
            try:
                columns.append(parse_header(index, text, default))
            except ValueError:
                columns.append(Column(index, text, ""))
                errors.append(Finding(Where(title, header_number, index, text), _(
                    "this column has no language code after '::'. Write the language as "
                    "'Name (code)', for example label::Cymraeg (cy), label::Gàidhlig (gd) or "
                    "label::English (en)")))
        seen: dict[tuple, Column] = {}
        for column in columns:
            if column.field not in known and not column.field.startswith("meta."):
                continue
            key = (column.field, column.language, column.other_language)
            if key in seen:
                first = seen[key]
                where = Where(title, header_number, column.index, column.header)
                params = dict(first=first.header, letter=first.letter, second=column.header)
                errors.append(Finding(where, _(
                    "two columns give the same thing: {first} (column {letter}) and {second}. Remove one, or set "
                    "default_language on the settings sheet to say which language the columns without '::' are "
                    "in", **params) if first.suffixed != column.suffixed else _(
                    "two columns give the same thing: {first} (column {letter}) and {second}. Remove one",
                    **params)))
            seen.setdefault(key, column)
        padded = [Row(number, tuple(values) + (None,) * (width - len(values))) for number, values in rows[1:]]
        return cls(title, columns, padded, header_number)

    def find(self, field: str, language: str | None = None) -> Column | None:
        """The column of ``field`` (in ``language``, for translated fields)."""
        for column in self.columns:
            if column.field == field and (language is None or column.language == language):
                return column
        return None

    def languages(self, field: str) -> dict[str, Column]:
        """The columns of a translated field by language (en, cy, gd; first wins)."""
        found: dict[str, Column] = {}
        for column in self.columns:
            if column.field == field and column.language is not None:
                found.setdefault(column.language, column)
        return found

    def value(self, row: Row, column: Column | None) -> Any:
        """The raw value of a cell, marked as imported."""
        if column is None:
            return None
        self.taken.add((row.number, column.index))
        return row.values[column.index]

    def text(self, row: Row, column: Column | None, *, strip: bool = False) -> str | None:
        """The text of a cell (None when empty), marked as imported."""
        text = cell_text(self.value(row, column))
        if text is not None and strip:
            text = " ".join(text.split())
        return text

    def where(self, row: Row | int | None = None, column: Column | None = None) -> Where:
        number = row.number if isinstance(row, Row) else row
        if column is None:
            return Where(self.sheet, number)
        return Where(self.sheet, number, column.index, column.header or column.letter)

    def has_content(self, row: Row, fields: tuple[str, ...]) -> bool:
        return any(cell_text(row.values[c.index]) is not None for c in self.columns if c.field in fields)

    def leftovers(self, reason: Callable[[Column, list[Row]], str]) -> Iterator[Finding]:
        """A finding per column with non-empty cells that were not imported (skipped rows excepted)."""
        for column in self.columns:
            rows = [row for row in self.rows if row.number not in self.skipped
                    and (row.number, column.index) not in self.taken
                    and cell_text(row.values[column.index]) is not None]
            if rows:
                where = Where(self.sheet, None, column.index, column.header or column.letter,
                              tuple(row.number for row in rows))
                yield Finding(where, reason(column, rows))
