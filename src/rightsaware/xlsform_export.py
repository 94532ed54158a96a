"""Export an instrument and its translations as an XLSForm workbook that pyxform converts cleanly.

Columns are ``label::English (en)``, ``label::Cymraeg (cy)``, ``label::Gàidhlig (gd)`` (and
``hint``, ``constraint_message``); ``default_language`` is English. What XLSForm has no
place for goes where pyxform does not look (it ignores unknown survey columns and sheets):
``sms_label::…`` and ``meta.NAME`` survey columns, and the ``rightsaware``,
``rightsaware_choices`` and ``rightsaware_referrals`` sheets (see docs/xlsform.md).

rightsaware translates choice labels per question (Welsh answers echo the verb: *Ydw* or
*Oes*), XLSForm per list. When the questions sharing a list need different translations,
the list is written once per translation (``yes_no``, ``yes_no__heard``) and each copy is
recorded as ``list.yes_no__heard = yes_no`` on the rightsaware sheet, so that the importer
folds the copies back into one list.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from attrs import frozen

from .extract import context
from .i18n import _
from .instrument import Instrument, Question
from .xlsform import (CHOICE_EXTRAS, CHOICES, EXTRA, LANGUAGE_COLUMNS, REFERRALS, SETTINGS, SURVEY,
                      Finding, XLSFormError)
from .xlsform_catalogs import read_translations


@frozen
class ExportResult:
    path: Path
    notes: tuple[Finding, ...]


def _merged_order(sequences: list[list[str]]) -> list[str]:
    """One order of keys that keeps each sequence's own order where they agree."""
    order: list[str] = []
    for sequence in sequences:
        for position, key in enumerate(sequence):
            if key in order:
                continue
            before = sequence[position - 1] if position else None
            after = next((k for k in sequence[position + 1:] if k in order), None)
            if before is not None and before in order:
                order.insert(order.index(before) + 1, key)
            elif after is not None:
                order.insert(order.index(after), key)
            else:
                order.append(key)
    return order


class _Plan:
    """Which choice list each question uses in the workbook, copies of lists included."""

    def __init__(self, instrument: Instrument, translations: dict[str, dict[str, str]]) -> None:
        self.instrument = instrument
        self.translations = translations
        self.by_question: dict[str, str] = {}
        self.written: list[tuple[str, str, Question | None]] = []  # (name, original, representative)
        taken = set(instrument.choices)
        for original, choices in instrument.choices.items():
            users = [q for q in instrument.questions if getattr(q, "list_name", None) == original]
            groups: dict[tuple, list[Question]] = {}
            for question in users:
                groups.setdefault(self.signature(question, choices), []).append(question)
            self.written.append((original, original, users[0] if users else None))
            for index, members in enumerate(groups.values()):
                name = original
                if index:
                    name, number = f"{original}__{members[0].name}", 2
                    while name in taken:
                        name, number = f"{original}__{members[0].name}_{number}", number + 1
                    taken.add(name)
                    self.written.append((name, original, members[0]))
                for question in members:
                    self.by_question[question.name] = name

    def text(self, language: str, question: Question | None, *parts: str) -> str | None:
        if question is None:
            return None
        return self.translations.get(language, {}).get(context(self.instrument.id, question.name, *parts))

    def signature(self, question: Question, choices: tuple) -> tuple:
        return tuple(self.text(language, question, choice.name, field)
                     for language in sorted(self.translations) for choice in choices
                     for field in ("label", "sms_label"))

    @property
    def copies(self) -> list[tuple[str, str]]:
        return [(name, original) for name, original, _q in self.written if name != original]


def _sheet(workbook: Any, title: str, rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils.exceptions import IllegalCharacterError

    sheet = workbook.create_sheet(title)
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is None:
                continue
            try:
                cell = sheet.cell(row_number, column_number, value)
            except IllegalCharacterError:
                raise XLSFormError(_("{sheet} sheet, row {row}: the text contains a control character that a "
                                     "workbook cannot hold: {text}", sheet=title, row=row_number,
                                     text=repr(value)[:60])) from None
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column_cells in sheet.columns:
        longest = max(len(str(c.value)) if c.value is not None else 0 for c in column_cells)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(max(longest, 8) + 2, 60)


def build_workbook(instrument: Instrument, translations: dict[str, dict[str, str]]) -> tuple[Any, list[Finding]]:
    """An openpyxl workbook for ``instrument``; notes say which lists were copied per question."""
    import openpyxl

    others = [code for code in instrument.languages if code != "en"]
    languages = ["en", *others]
    plan = _Plan(instrument, {code: translations.get(code, {}) for code in others})
    questions = instrument.questions

    def columns(field: str) -> list[str]:
        return [f"{field}::{LANGUAGE_COLUMNS[code]}" for code in languages]

    def texts(question: Question, field: str) -> list[str | None]:
        return [getattr(question, field)] + [plan.text(code, question, field) if getattr(question, field)
                                             else None for code in others]

    fields = ["label"] + [f for f in ("hint",) if any(q.hint for q in questions)]
    late = [f for f in ("constraint_message", "sms_label") if any(getattr(q, f) for q in questions)]
    meta_keys = _merged_order([list(q.meta) for q in questions])
    header = ["type", "name", *(c for f in fields for c in columns(f)), "required", "relevant", "constraint",
              *(c for f in late for c in columns(f)), *(f"meta.{key}" for key in meta_keys)]
    survey = [header]
    for question in questions:
        kind = question.type
        if question.kind in ("select_one", "select_multiple"):
            kind = f"{question.kind} {plan.by_question[question.name]}"
        row = [kind, question.name, *(t for f in fields for t in texts(question, f)),
               "yes" if question.required else None, question.relevant, question.constraint,
               *(t for f in late for t in texts(question, f)), *(question.meta.get(key) for key in meta_keys)]
        survey.append(row)

    choices = [["list_name", "name", *columns("label")]]
    extras = [["list_name", "name", *columns("sms_label")]]
    for name, original, representative in plan.written:
        for choice in instrument.choices[original]:
            choices.append([name, choice.name, choice.label,
                            *(plan.text(code, representative, choice.name, "label") for code in others)])
            if choice.sms_label is not None:
                extras.append([name, choice.name, choice.sms_label,
                               *(plan.text(code, representative, choice.name, "sms_label") for code in others)])

    def top(code: str, field: str) -> str | None:
        return translations.get(code, {}).get(context(instrument.id, field))

    rightsaware = [["key", "value"], ["languages", " ".join(instrument.languages)]]
    if instrument.jurisdiction is not None:
        rightsaware.append(["jurisdiction", instrument.jurisdiction])
    rightsaware += [[f"title::{LANGUAGE_COLUMNS[code]}", top(code, "title")] for code in others if top(code, "title")]
    if instrument.description is not None:
        rightsaware.append([f"description::{LANGUAGE_COLUMNS['en']}", instrument.description])
        rightsaware += [[f"description::{LANGUAGE_COLUMNS[code]}", top(code, "description")]
                        for code in others if top(code, "description")]
    rightsaware += [[f"meta.{key}", value] for key, value in instrument.meta.items()]
    rightsaware += [[f"list.{name}", original] for name, original in plan.copies]

    referrals = [["when", "topics", "note"]]
    for rule in instrument.referrals:
        bad = [topic for topic in rule.topics if not topic or any(ch.isspace() or ch == "," for ch in topic)]
        if bad:
            raise XLSFormError(_("referral topic '{topic}' contains a space or a comma, which the topics column "
                                 "cannot hold", topic=bad[0]))
        referrals.append([rule.when, " ".join(rule.topics), rule.note])

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, SURVEY, survey)
    _sheet(workbook, CHOICES, choices)
    _sheet(workbook, SETTINGS, [["form_title", "form_id", "version", "default_language"],
                                [instrument.title, instrument.id, instrument.version, LANGUAGE_COLUMNS["en"]]])
    _sheet(workbook, EXTRA, rightsaware)
    if len(extras) > 1:
        _sheet(workbook, CHOICE_EXTRAS, extras)
    if len(referrals) > 1:
        _sheet(workbook, REFERRALS, referrals)
    notes = []
    for original in dict.fromkeys(original for _name, original in plan.copies):
        names = [name for name, source, _q in plan.written if source == original]
        notes.append(Finding(None, _("choice list '{list_name}' has different Welsh or Gaelic labels for different "
                                     "questions: written as the lists {names}", list_name=original,
                                     names=", ".join(names))))
    return workbook, notes


def export_xlsform(instrument: Instrument, locales_dir: Path | None, path: str | Path, *,
                   force: bool = False) -> ExportResult:
    """Write ``instrument`` (with the catalogs in ``locales_dir``) as an XLSForm at ``path``."""
    path = Path(path)
    if path.is_dir():
        raise XLSFormError(_("{path} is a folder; --out needs a file name such as form.xlsx", path=str(path)))
    if path.exists() and not force:
        raise XLSFormError(_("{path} already exists; nothing was written. Use --force to replace it",
                             path=str(path)))
    if path.suffix.lower() != ".xlsx":
        raise XLSFormError(_("{path}: the file name must end in .xlsx", path=str(path)))
    translations, notes = read_translations(instrument, locales_dir)
    workbook, plan_notes = build_workbook(instrument, translations)
    if not path.parent.is_dir():
        raise XLSFormError(_("the folder {path} does not exist", path=str(path.parent)))
    partial = path.with_name(path.name + ".partial")
    try:
        workbook.save(partial)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise XLSFormError(_("{path} cannot be written ({reason})", path=str(path),
                             reason=exc.strerror or str(exc))) from None
    return ExportResult(path, tuple(notes + plan_notes))
