"""Import an XLSForm workbook as an instrument and its Welsh and Gaelic translations.

:func:`import_xlsform` reads the ``settings`` sheet and rightsaware's own sheets (written by
the exporter, ignored by pyxform), then the choices and the survey
(:mod:`rightsaware.xlsform_survey`), builds the :class:`~rightsaware.instrument.Instrument`
and checks it with the same rules as an instrument file. Every problem is reported at once,
with sheet, row and column; every cell that is not imported is listed. Nothing is written
here: :func:`rightsaware.xlsform_catalogs.write_import` writes the result.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from attrs import frozen

from .extract import context
from .errors import Message
from .i18n import LANGUAGES, _, current_messages, language_name
from .i18n_languages import UnknownLanguage, normalize_language
from .instrument import ID_PATTERN, Choice, Instrument, ReferralRule
from .loading import Problem, content_hash, validate_instrument
from .xlsform import (CHOICE_EXTRAS, CHOICES, EXTRA, MEDIA_COLUMNS, REFERRALS, SETTINGS, SURVEY,
                      XLSFORM_COLUMNS, Column, Finding, Where, fail, parse_language)
from .xlsform_catalogs import source_texts
from .xlsform_sheets import Row, Table, read_workbook
from .xlsform_survey import SURVEY_FIELDS, SurveyReader

SETTINGS_FIELDS = frozenset({"form_title", "form_id", "version", "default_language"})
CHOICE_FIELDS = frozenset({"list_name", "name", "label"})
KNOWN_SHEETS = {"external_choices", "entities", "osm"}
READ_SHEETS = {SURVEY, CHOICES, SETTINGS, EXTRA, CHOICE_EXTRAS, REFERRALS}


@frozen
class ImportResult:
    """An imported instrument, its translations (language → msgctxt → text) and what was left out."""

    instrument: Instrument
    translations: dict[str, dict[str, str]]
    notes: tuple[Finding, ...]


@frozen
class ChoiceRow:
    row: Row
    name: str
    labels: dict[str, str]


def import_xlsform(source: str | Path | bytes, *, instrument_id: str | None = None,
                   file: str | None = None) -> ImportResult:
    """Read an XLSForm; raise :class:`~rightsaware.xlsform.XLSFormError` listing every problem."""
    file = file or (str(source) if not isinstance(source, bytes) else "<workbook>")
    sheets = read_workbook(source, file)
    return _Importer(sheets, file, instrument_id).run()


def _reason(column: Column, rows: list[Row]) -> str:
    """Why the non-empty cells of ``column`` were not imported."""
    if column.field in MEDIA_COLUMNS or column.field.startswith("media::"):
        return _("images, audio and video are not supported; not imported")
    if column.other_language:
        return _("rightsaware has English, Welsh and Gaelic only: text in '{code}' is not imported",
                 code=column.other_language)
    if not column.header:
        return _("a column with no header; not imported")
    if column.field.split("::")[0] in ("bind", "instance", "body") or column.field in XLSFORM_COLUMNS:
        return _("'{header}' is not supported; not imported", header=column.header)
    if column.field in SURVEY_FIELDS | CHOICE_FIELDS | SETTINGS_FIELDS or column.field.startswith("meta."):
        return _("not used on this kind of row; not imported")
    return _("unknown column; not imported")


class _Importer:
    def __init__(self, sheets: dict[str, tuple[str, list]], file: str, instrument_id: str | None) -> None:
        self.sheets = sheets
        self.file = file
        self.given_id = instrument_id
        self.errors: list[Finding] = []
        self.notes: list[Finding] = []
        self.parts: dict[str, dict[tuple[str, ...], str]] = {}
        self.places: dict[str, Where] = {}
        self.error_paths: set[str] = set()
        self.tables: list[Table] = []

    def error(self, where: Where | None, message: str, path: str | None = None) -> None:
        self.errors.append(Finding(where, message))
        if path:
            self.error_paths.add(path)

    def failure(self) -> Exception:
        """Every error once, in workbook order (sheet, row, column)."""
        return fail(self.file, self.in_order(self.errors))

    def in_order(self, findings: list[Finding]) -> list[Finding]:
        """Each finding once, in workbook order: sheet, row, column."""
        order = {title: index for index, (title, _rows) in enumerate(self.sheets.values())}

        def position(finding: Finding) -> tuple:
            where = finding.where
            if where is None:
                return (-1, 0, 0)
            return (order.get(where.sheet, len(order)), where.row or (where.rows or (0,))[0], where.column or 0)

        return sorted(dict.fromkeys(findings), key=position)

    def note(self, where: Where | None, message: str) -> None:
        self.notes.append(Finding(where, message))

    def translate(self, language: str, parts: tuple[str, ...], text: str) -> None:
        self.parts.setdefault(language, {})[parts] = text

    def table(self, name: str, default: tuple, known: frozenset[str]) -> Table | None:
        if name not in self.sheets:
            return None
        title, rows = self.sheets[name]
        table = Table.read(title, rows, default, self.errors, known)
        self.tables.append(table)
        return table

    # --- the whole workbook ----------------------------------------------------------------

    def run(self) -> ImportResult:
        if SURVEY not in self.sheets:
            found = ", ".join(title for title, _rows in self.sheets.values()) or "-"
            raise fail(self.file, [Finding(None, _(
                "there is no survey sheet (sheets found: {sheets}). An XLSForm needs a sheet named "
                "'survey' with type, name and label columns", sheets=found))])
        settings = self.read_settings()
        default = settings.pop("default")
        extras = self.read_extras(default)
        lists = self.read_choices(default)
        sms = self.read_choice_extras(default, lists)
        reader = SurveyReader(self, self.table(SURVEY, default, SURVEY_FIELDS), lists)
        reader.read()
        referrals = self.read_referrals()
        if self.errors and reader.fatal:
            raise self.failure()
        aliases = self.collapse(extras.pop("variants"), lists, sms)
        questions = reader.build(aliases, sms)
        choices = {name: tuple(Choice(c.name, c.labels.get("en", ""), self.sms_label(sms, name, c.name)) for c in rows)
                   for name, rows in lists.items() if name not in aliases}
        languages = extras.pop("languages") or self.found_languages()
        instrument = Instrument(id=settings["id"], version=settings["version"], title=settings["title"],
                                languages=languages, questions=questions, choices=choices,
                                referrals=referrals, **extras)
        self.validate(instrument)
        if self.errors:
            raise self.failure()
        for table in self.tables:
            self.notes.extend(table.leftovers(_reason))
        for key, (title, _rows) in self.sheets.items():
            if key not in READ_SHEETS:
                self.note(Where(title), _("the {sheet} sheet is not supported; not imported", sheet=title)
                          if key in KNOWN_SHEETS else _("not an XLSForm sheet; not imported"))
        texts = self.catalog_texts(instrument)
        return ImportResult(instrument.with_hash(content_hash(instrument)), texts, tuple(self.in_order(self.notes)))

    @staticmethod
    def sms_label(sms: dict, list_name: str, choice: str) -> str | None:
        return sms.get((list_name, choice), (None, {}))[1].get("en")

    def found_languages(self) -> tuple[str, ...]:
        found = {"en"} | set(self.parts)
        for table in self.tables:
            found |= {c.language for c in table.columns if c.language and c.field in ("label", "sms_label")}
        return tuple(code for code in LANGUAGES if code in found)

    def catalog_texts(self, instrument: Instrument) -> dict[str, dict[str, str]]:
        texts: dict[str, dict[str, str]] = {}
        for language, parts in self.parts.items():
            if language == "en":
                continue
            if language not in instrument.languages:
                self.note(None, _("{language} text is not imported: the languages row of the rightsaware "
                                  "sheet does not list {code}", language=language_name(language),
                                  code=language))
                continue
            texts[language] = {context(instrument.id, *key): text for key, text in parts.items()}
            for missing in sorted(set(texts[language]) - set(source_texts(instrument))):
                del texts[language][missing]
                self.note(self.places.get(f"{missing.split(':', 1)[1]}::{language}"), _(
                    "{language} text with no English text beside it: left out (English is the source)",
                    language=language_name(language)))
        return texts

    # --- settings and rightsaware's own sheets -------------------------------------------

    def read_settings(self) -> dict[str, Any]:
        table = self.table(SETTINGS, (None, None), SETTINGS_FIELDS)
        row = table.rows[0] if table is not None and table.rows else None
        values: dict[str, Any] = {}
        for field in SETTINGS_FIELDS:
            column = table.find(field) if table is not None else None
            values[field] = table.text(row, column, strip=True) if row is not None and column else None
            if column is not None:
                key = {"form_id": "id", "form_title": "title"}.get(field, field)
                self.places[key] = table.where(row or table.header_row, column)
        default: tuple[str | None, str | None] = ("en", None)
        if values["default_language"]:
            try:
                default = parse_language(values["default_language"])
            except ValueError:
                self.error(self.places["default_language"], _(
                    "default_language '{value}' names no language rightsaware knows: write it like the "
                    "column headers, e.g. English (en), Cymraeg (cy) or Gàidhlig (gd)",
                    value=values["default_language"]))
        instrument_id = self.given_id or values["form_id"]
        if instrument_id is None:
            instrument_id = Path(self.file).stem
            self.note(Where(SETTINGS), _("no form_id on the settings sheet: the id is '{id}', from the file name",
                                         id=instrument_id))
        if not ID_PATTERN.match(instrument_id):
            suggestion = re.sub(r"[^a-z0-9\-_]+", "-", instrument_id.lower()).strip("-_") or "my-survey"
            where = None if self.given_id else self.places.get("id", Where(SETTINGS))
            self.error(where, _("'{id}' cannot be an instrument id: use lowercase letters, digits, - and _. "
                                "Import again with --id {suggestion} (or change form_id)",
                                id=instrument_id, suggestion=suggestion), "id")
        if values["version"] is None:
            self.note(Where(SETTINGS), _("no version on the settings sheet: the version is 1"))
        if values["form_title"] is None:
            self.note(Where(SETTINGS), _("no form_title on the settings sheet: the title is the id, '{id}'",
                                         id=instrument_id))
        return {"id": instrument_id, "version": values["version"] or "1",
                "title": values["form_title"] or instrument_id, "default": default}

    def read_extras(self, default: tuple) -> dict[str, Any]:
        extras: dict[str, Any] = {"languages": None, "variants": {}}
        table = self.table(EXTRA, (None, None), frozenset({"key", "value"}))
        if table is None:
            return extras
        key_column, value_column = table.find("key"), table.find("value")
        meta: dict[str, str] = {}
        seen: dict[str, Row] = {}
        for row in table.rows:
            key, value = table.text(row, key_column, strip=True), table.text(row, value_column)
            if key is None:
                continue
            where = table.where(row, value_column or key_column)
            if key in seen:
                self.error(table.where(row, key_column), _("'{key}' is given twice (rows {first} and {second})",
                                                           key=key, first=seen[key].number, second=row.number))
                continue
            seen[key] = row
            self.extra(key, value, where, extras, meta, default)
        if meta:
            extras["meta"] = meta
        return extras

    def extra(self, key: str, value: str | None, where: Where, extras: dict, meta: dict, default: tuple) -> None:
        base, _sep, suffix = key.partition("::")
        if key == "languages":
            self.places["languages"] = where
            codes = []
            for word in re.split(r"[\s,;]+", (value or "").strip()):
                try:
                    codes.append(normalize_language(word))
                except UnknownLanguage as exc:
                    self.error(where, exc.translated(current_messages()), "languages")
            extras["languages"] = tuple(dict.fromkeys(codes)) or None
        elif key == "jurisdiction":
            extras["jurisdiction"] = value.strip() if value else None
        elif key.startswith("meta.") and len(key) > 5:
            if value is not None:
                meta[key[5:].strip()] = value
        elif key.startswith("list.") and len(key) > 5 and value:
            extras["variants"][key[5:].strip()] = (value.strip(), where)
        elif base in ("title", "description"):
            try:
                language, other = parse_language(suffix) if suffix else default
            except ValueError:
                self.error(where, _("'{key}' has no language code after '::': write e.g. {base}::Cymraeg (cy)",
                                    key=key, base=base))
                return
            if other or value is None:
                return
            if base == "title" and language == "en":
                self.error(where, _("the English title is form_title on the settings sheet; remove this row"))
            elif base == "description" and language == "en":
                extras["description"] = value
                self.places["description"] = where
            else:
                self.translate(language, (base,), value)
                self.places[f"{base}::{language}"] = where
        else:
            self.error(where, _("unknown key '{key}' on the rightsaware sheet (known: languages, jurisdiction, "
                                "title::…, description, description::…, meta.NAME, list.NAME)", key=key))

    # --- choices ---------------------------------------------------------------------------

    def read_choices(self, default: tuple) -> dict[str, list[ChoiceRow]]:
        table = self.table(CHOICES, default, CHOICE_FIELDS)
        lists: dict[str, list[ChoiceRow]] = {}
        if table is None:
            return lists
        list_column, name_column = table.find("list_name"), table.find("name")
        labels = table.languages("label")
        if table.rows and (list_column is None or name_column is None):
            missing = "list_name" if list_column is None else "name"
            self.error(table.where(table.header_row), _("the choices sheet has no {column} column", column=missing))
            return lists
        for row in table.rows:
            list_name = table.text(row, list_column, strip=True)
            name = table.text(row, name_column, strip=True)
            texts = {code: text for code, column in labels.items() if (text := table.text(row, column)) is not None}
            if list_name is None and name is None and not texts:
                continue  # a row with other cells only: listed as not imported
            if list_name is None or name is None:
                column = list_column if list_name is None else name_column
                self.error(table.where(row, column), _("this choice has no {column}", column=column.header))
                continue
            rows = lists.setdefault(list_name, [])
            twin = next((c for c in rows if c.name == name), None)
            path = f"choices.{list_name}[{len(rows)}]"
            if twin is not None:
                self.error(table.where(row, name_column), _(
                    "choice '{name}' appears twice in list '{list_name}' (rows {first} and {second})",
                    name=name, list_name=list_name, first=twin.row.number, second=row.number), path + ".name")
            if not rows:
                self.places[f"choices.{list_name}"] = table.where(row, list_column)
            self.places[path] = table.where(row)
            self.places[path + ".name"] = table.where(row, name_column)
            self.places[path + ".label"] = table.where(row, labels.get("en"))
            rows.append(ChoiceRow(row, name, texts))
        return lists

    def read_choice_extras(self, default: tuple, lists: dict) -> dict[tuple[str, str], tuple[Row, dict]]:
        table = self.table(CHOICE_EXTRAS, default, frozenset({"list_name", "name", "sms_label"}))
        found: dict[tuple[str, str], tuple[Row, dict]] = {}
        if table is None:
            return found
        list_column, name_column = table.find("list_name"), table.find("name")
        columns = table.languages("sms_label")
        for row in table.rows:
            key = (table.text(row, list_column, strip=True), table.text(row, name_column, strip=True))
            if not any(c.name == key[1] for c in lists.get(key[0], ())):
                self.error(table.where(row, name_column), _("there is no choice '{name}' in list '{list_name}' "
                                                            "on the choices sheet", name=key[1], list_name=key[0]))
                continue
            found[key] = (row, {code: text for code, c in columns.items() if (text := table.text(row, c))})
        return found

    def collapse(self, variants: dict, lists: dict[str, list[ChoiceRow]], sms: dict) -> dict[str, str]:
        """Lists the exporter copied per question (``yes_no__heard``) back to their original."""
        aliases: dict[str, str] = {}
        for variant, (original, where) in variants.items():
            if variant not in lists or original not in lists:
                self.error(where, _("list.{variant} = {original}: both lists must be on the choices sheet",
                                    variant=variant, original=original))
                continue

            def english(name: str) -> list:
                return [(c.name, c.labels.get("en"), sms.get((name, c.name), (None, {}))[1].get("en"))
                        for c in lists[name]]

            if english(variant) != english(original):
                self.note(where, _("list '{variant}' is marked as a copy of '{original}' but their English "
                                   "differs: kept as a list of its own", variant=variant, original=original))
                continue
            aliases[variant] = original
        return aliases

    # --- referrals and checks --------------------------------------------------------------

    def read_referrals(self) -> tuple[ReferralRule, ...]:
        table = self.table(REFERRALS, (None, None), frozenset({"when", "topics", "note"}))
        rules: list[ReferralRule] = []
        if table is None:
            return ()
        when, topics, note = table.find("when"), table.find("topics"), table.find("note")
        for row in table.rows:
            path = f"referrals[{len(rules)}]"
            self.places[path] = table.where(row)
            self.places[path + ".when"] = table.where(row, when)
            self.places[path + ".topics"] = table.where(row, topics)
            text = table.text(row, when) or ""
            words = tuple(w for w in re.split(r"[\s,]+", table.text(row, topics) or "") if w)
            rules.append(ReferralRule(text, words, table.text(row, note)))
        return tuple(rules)

    def place(self, path: str) -> Where | None:
        candidate = path
        while candidate:
            if candidate in self.places:
                return self.places[candidate]
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return None

    def validate(self, instrument: Instrument) -> None:
        """The instrument file's own checks, each placed in the workbook."""
        def problem(path: str, message: str, **params: Any) -> Problem:
            return Problem(message, self.file, None, path, params)

        for found in validate_instrument(instrument, problem):
            if found.path in self.error_paths or found.path.split(".")[0] in self.error_paths:
                continue
            # its params may be errors (a bad relevant): translated too, like the message
            text = Message(found.message, **found.params).translated(current_messages())
            self.error(self.place(found.path), text)
