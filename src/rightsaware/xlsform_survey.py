"""The survey sheet of an XLSForm: questions, groups, repeats, calculations and expressions.

:class:`SurveyReader` reads the rows (for :mod:`rightsaware.xlsform_import`): groups are
flattened, their ``relevant`` added to every question inside; repeats, calculations beyond
the expression subset and question types rightsaware does not have are left out and listed.
A ``calculate`` row whose formula is in the subset is written into the expressions that use
it, as ``string(formula)`` (XForms keeps calculated values as text). ``relevant`` and
``constraint`` are checked with :mod:`rightsaware.expressions`; a broken one is an error
at its cell.
"""

from __future__ import annotations

import difflib
from typing import Any

from attrs import define, field

from . import expressions
from .errors import ExpressionError
from .i18n import _, current_messages, language_name
from .instrument import QUESTION_KINDS, Question
from .xlsform import (CALCULATE_TYPES, CHOICES, GROUP_WORDS, IMPORTED_TYPES, NO, SELECT_WORDS,
                      TRANSLATED_FIELDS, YES, Where, classify_type)
from .xlsform_sheets import Row, Table, cell_text

SURVEY_FIELDS = frozenset({"type", "name", "required", "relevant", "constraint", "calculation",
                           *TRANSLATED_FIELDS})
KNOWN_TYPES = sorted({*IMPORTED_TYPES, *SELECT_WORDS, *GROUP_WORDS, *CALCULATE_TYPES})


@define
class QuestionRow:
    row: Row
    name: str
    kind: str
    list_name: str | None
    texts: dict[str, dict[str, str]]
    required: bool
    relevant: list[tuple[str, Where]]
    constraint: tuple[str, Where] | None
    meta: dict[str, str]


@define
class Block:
    """An open group or repeat."""

    kind: str  # "group" or "repeat"
    name: str
    row: Row
    relevant: list[tuple[str, Where]] = field(factory=list)
    names: list[str] = field(factory=list)


class SurveyReader:
    def __init__(self, importer: Any, table: Table, lists: dict) -> None:
        self.imp = importer
        self.table = table
        self.lists = lists
        self.rows: list[QuestionRow] = []
        self.calcs: dict[str, tuple[str, Where]] = {}
        self.used_calcs: dict[str, set[str]] = {}
        self.skipped: dict[str, str] = {}
        self.seen: dict[str, Row] = {}
        self.fatal = False
        self.columns = {name: table.find(name) for name in ("type", "name", "required", "relevant",
                                                             "constraint", "calculation")}
        self.texts = {name: table.languages(name) for name in TRANSLATED_FIELDS}
        self.meta = [c for c in table.columns if c.field.startswith("meta.")]
        importer.places["questions"] = Where(table.sheet)

    def where(self, row: Row | None, name: str) -> Where:
        return self.table.where(row, self.columns.get(name))

    # --- reading the rows ------------------------------------------------------------------

    def read(self) -> None:
        table = self.table
        for name in ("type", "name"):
            if self.columns[name] is None:
                self.fatal = True
                self.imp.error(Where(self.table.sheet, table.header_row), _("the survey sheet has no {column} column",
                                                                  column=name))
        if "en" not in self.texts["label"]:
            self.fatal = True
            self.imp.error(Where(self.table.sheet, table.header_row), _(
                "the survey sheet has no English label column: add one named label::English (en), or "
                "set default_language on the settings sheet to the language of the label column"))
        if self.fatal:
            return
        stack: list[Block] = []
        for row in table.rows:
            type_text = table.text(row, self.columns["type"], strip=True)
            if type_text is None:
                if table.has_content(row, ("name", "label")):
                    self.imp.error(self.where(row, "type"), _("this row has a name or label but no type"))
                continue
            kind = classify_type(type_text)
            name = table.text(row, self.columns["name"], strip=True)
            if any(block.kind == "repeat" for block in stack) and kind.role not in GROUP_WORDS.values():
                table.skipped.add(row.number)
                if name:
                    stack[-1].names.append(name)
                    self.skipped[name] = _("it is inside a repeat")
            elif kind.role in GROUP_WORDS.values():
                self.block(kind.role, row, name or "", stack)
            elif kind.role == "question":
                self.question(row, name, kind, stack)
            elif kind.role == "calculate":
                self.calculation(row, name)
            elif kind.role == "unsupported":
                table.skipped.add(row.number)
                if name:
                    self.skipped[name] = _("row {row} has type '{type}'", row=row.number, type=type_text)
                self.imp.note(self.where(row, "type"), _("type '{type}' is not supported: '{name}' was left out",
                                                         type=type_text, name=name or "-"))
            elif type_text.lower() in SELECT_WORDS:
                self.imp.error(self.where(row, "type"), _(
                    "{type} needs the name of a choice list, e.g. '{type} yes_no'", type=type_text))
            else:
                close = difflib.get_close_matches(type_text.split(" ")[0].lower(), KNOWN_TYPES, n=1)
                self.imp.error(self.where(row, "type"), _(
                    "unknown type '{type}'. Did you mean '{word}'? rightsaware imports text, integer, decimal, "
                    "date, note, select_one LIST and select_multiple LIST", type=type_text, word=close[0])
                    if close else _("unknown type '{type}'. rightsaware imports text, integer, decimal, date, note, "
                                    "select_one LIST and select_multiple LIST", type=type_text))
        for block in stack:
            self.imp.error(Where(self.table.sheet, block.row.number), _(
                "'{name}' (begin_{kind}) is never closed: add an end_{kind} row", name=block.name, kind=block.kind))

    def block(self, role: str, row: Row, name: str, stack: list[Block]) -> None:
        table = self.table
        kind = role.split("_")[1]
        if role.startswith("begin"):
            block = Block(kind, name, row)
            inside_repeat = any(b.kind == "repeat" for b in stack)
            if kind == "group" and not inside_repeat:
                relevant = table.text(row, self.columns["relevant"])
                if relevant is not None:
                    block.relevant.append((relevant, self.where(row, "relevant")))
                for column in self.texts["label"].values():
                    table.text(row, column)
            else:
                table.skipped.add(row.number)
            stack.append(block)
            return
        if not stack or stack[-1].kind != kind:
            opened = (_("it would close '{name}' (begin_{kind}, row {row})", name=stack[-1].name,
                        kind=stack[-1].kind, row=stack[-1].row.number) if stack else _("nothing is open"))
            self.imp.error(self.where(row, "type"), _("end_{kind} does not match: {detail}", kind=kind, detail=opened))
            return
        block = stack.pop()
        rows = f"{block.row.number}–{row.number}"
        if any(b.kind == "repeat" for b in stack):  # inside a repeat: left out with it
            table.skipped.add(row.number)
            stack[-1].names.extend(block.names)
            return
        if kind == "repeat":
            table.skipped.add(row.number)
            self.imp.note(Where(self.table.sheet, block.row.number), _(
                "repeat '{name}' (rows {rows}) is not supported: rightsaware has no repeats; left out: "
                "{names}", name=block.name, rows=rows, names=", ".join(block.names) or "-"))
            return
        self.imp.note(Where(self.table.sheet, block.row.number), _(
            "group '{name}' (rows {rows}) was flattened: rightsaware has no groups, so its label is not "
            "shown; its relevant was added to each question in it", name=block.name, rows=rows)
            if block.relevant else _("group '{name}' (rows {rows}) was flattened: rightsaware has no groups, so "
                                     "its label is not shown", name=block.name, rows=rows))

    def question(self, row: Row, name: str | None, kind: Any, stack: list[Block]) -> None:
        table = self.table
        if name is None:
            self.imp.error(self.where(row, "name"), _("this question has no name"))
            return
        index = len(self.rows)
        path = f"questions[{index}]"
        if name in self.seen:
            self.imp.error(self.where(row, "name"), _("the name '{name}' is used twice (rows {first} and {second})",
                                                      name=name, first=self.seen[name].number, second=row.number),
                           path + ".name")
        self.seen.setdefault(name, row)
        if kind.or_other:
            self.imp.note(self.where(row, "type"), _("'or_other' is not supported: the 'Other' choice and its text "
                                                     "box were left out"))
        texts: dict[str, dict[str, str]] = {}
        for field_name, columns in self.texts.items():
            texts[field_name] = {code: text for code, column in columns.items()
                                 if (text := table.text(row, column)) is not None}
            self.imp.places[f"{path}.{field_name}"] = table.where(row, columns.get("en"))
            english = texts[field_name].get("en")
            for code, text in texts[field_name].items():
                if code != "en" and english is None and field_name != "label":
                    self.imp.note(table.where(row, columns[code]), _(
                        "{language} text with no English text beside it: left out (English is the source)",
                        language=language_name(code)))
            if english and "${" in english:
                self.imp.note(table.where(row, columns["en"]), _(
                    "the text uses {reference}: rightsaware shows text as written, without answers filled in",
                    reference="${…}"))
        relevant = [part for block in stack for part in block.relevant]
        own = table.text(row, self.columns["relevant"])
        if own is not None:
            relevant.append((own, self.where(row, "relevant")))
        constraint = table.text(row, self.columns["constraint"])
        meta = {c.field[5:]: text for c in self.meta if (text := table.text(row, c)) is not None}
        for field_name in ("name", "type", "relevant", "constraint", "required"):
            self.imp.places[f"{path}.{field_name}"] = self.where(row, field_name)
        self.imp.places[path] = Where(self.table.sheet, row.number)
        constraint_part = (constraint, self.where(row, "constraint")) if constraint is not None else None
        self.rows.append(QuestionRow(row, name, kind.kind, kind.list_name, texts, self.required(row),
                                     relevant, constraint_part, meta))

    def required(self, row: Row) -> bool:
        raw = self.table.value(row, self.columns["required"])
        text = cell_text(raw)
        if text is None:
            return False
        if isinstance(raw, bool):
            return raw
        if text.strip().lower() in YES | NO:
            return text.strip().lower() in YES
        where = self.where(row, "required")
        try:
            expressions.parse(text)
        except ExpressionError:
            self.imp.error(where, _("required must be yes or no; found '{value}'", value=text.strip()))
            return False
        self.imp.note(where, _("required only when '{expression}' is true is not supported: the question is "
                               "optional", expression=text.strip()))
        return False

    def calculation(self, row: Row, name: str | None) -> None:
        text = self.table.text(row, self.columns["calculation"])
        if name is None:
            self.imp.error(self.where(row, "name"), _("this calculation has no name"))
            return
        if name in self.seen:
            self.imp.error(self.where(row, "name"), _("the name '{name}' is used twice (rows {first} and {second})",
                                                      name=name, first=self.seen[name].number, second=row.number))
        self.seen.setdefault(name, row)
        where = self.where(row, "calculation")
        try:
            expressions.parse(text or "")
        except ExpressionError as exc:
            self.skipped[name] = _("row {row} is a calculation rightsaware cannot import", row=row.number)
            self.imp.note(where, _("calculation '{name}' uses what rightsaware's expressions do not support "
                                   "({error}): left out", name=name, error=exc.translated(current_messages())))
            return
        self.calcs[name] = (text, where)

    # --- building questions ----------------------------------------------------------------

    def build(self, aliases: dict[str, str], sms: dict) -> tuple[Question, ...]:
        names = {q.name for q in self.rows}
        questions = []
        for index, q in enumerate(self.rows):
            path = f"questions[{index}]"
            relevant = self.expression(q.relevant, names, path + ".relevant", q.name)
            constraint = self.expression([q.constraint] if q.constraint else [], names, path + ".constraint", q.name)
            english = {field_name: texts.get("en") for field_name, texts in q.texts.items()}
            kwargs: dict[str, Any] = dict(name=q.name, label=english["label"] or "", hint=english["hint"],
                                          sms_label=english["sms_label"],
                                          constraint_message=english["constraint_message"], required=q.required,
                                          relevant=relevant, constraint=constraint, meta=q.meta)
            if q.list_name is not None:
                kwargs["list_name"] = aliases.get(q.list_name, q.list_name)
                if q.list_name not in self.lists:
                    self.imp.error(self.where(q.row, "type"), _(
                        "there is no list '{list_name}' on the choices sheet", list_name=q.list_name), path + ".type")
            questions.append(QUESTION_KINDS[q.kind](**kwargs))
            for field_name, texts in q.texts.items():
                for code, text in texts.items():
                    if code != "en" and english[field_name] is not None:
                        self.imp.translate(code, (q.name, field_name), text)
            for choice in self.lists.get(q.list_name, ()) if q.list_name else ():
                for code, text in choice.labels.items():
                    if code != "en" and choice.labels.get("en") is not None:
                        self.imp.translate(code, (q.name, choice.name, "label"), text)
                _row, sms_texts = sms.get((q.list_name, choice.name), (None, {}))
                for code, text in sms_texts.items():
                    if code != "en" and sms_texts.get("en") is not None:
                        self.imp.translate(code, (q.name, choice.name, "sms_label"), text)
        self.report_lists({q.list_name for q in self.rows})
        for name, (_text, where) in self.calcs.items():
            users = sorted(self.used_calcs.get(name, ()))
            self.imp.note(where, _(
                "calculation '{name}' is not a question in rightsaware: its formula was written into the "
                "expressions that use it ({users})", name=name, users=", ".join(users)) if users else _(
                "calculation '{name}' is used by no expression that was imported: left out", name=name))
        return tuple(questions)

    def report_lists(self, used: set) -> None:
        for list_name, choices in self.lists.items():
            translated = any(code != "en" for choice in choices for code in choice.labels)
            if list_name not in used and translated:
                self.imp.note(Where(CHOICES, choices[0].row.number),
                              _("list '{list_name}' is used by no question: its Welsh and Gaelic labels are not kept "
                                "(rightsaware translates choice labels per question)", list_name=list_name))

    def expression(self, parts: list[tuple[str, Where]], names: set[str], path: str, user: str) -> str | None:
        """The parts (group relevants, then the row's own) checked, calculations written in, joined by and."""
        done: list[str] = []
        for text, where in parts:
            inlined = self.inline(text, where, (), user)
            if inlined is None:
                done.append(text)
                continue
            done.append(inlined)
            try:
                parsed = expressions.parse(inlined)
                for reference in sorted(parsed.references - names):
                    if reference in self.skipped:
                        raise ExpressionError(_("${{{name}}} was not imported: {why}", name=reference,
                                                why=self.skipped[reference]))
                expressions.check_references(parsed, names)
            except ExpressionError as exc:
                self.imp.error(where, exc.translated(current_messages()), path)
        if not done:
            return None
        return done[0] if len(done) == 1 else " and ".join(f"({part})" for part in done)

    def inline(self, text: str, where: Where, seen: tuple[str, ...], user: str) -> str | None:
        """``text`` with every ``${calculation}`` replaced by ``string(its formula)``."""
        out, i = [], 0
        while i < len(text):
            char = text[i]
            if char in "'\"":
                end = text.find(char, i + 1)
                end = len(text) - 1 if end < 0 else end
                out.append(text[i:end + 1])
                i = end + 1
                continue
            if text.startswith("${", i) and (end := text.find("}", i)) > 0:
                name = text[i + 2:end].strip()
                if name in self.calcs:
                    if name in seen:
                        self.imp.error(where, _("calculation '{name}' uses itself (through {chain})",
                                                name=name, chain=" → ".join(seen + (name,))))
                        return None
                    formula, formula_where = self.calcs[name]
                    inner = self.inline(formula, formula_where, seen + (name,), user)
                    if inner is None:
                        return None
                    self.used_calcs.setdefault(name, set()).add(user)
                    out.append(f"string({inner})")
                    i = end + 1
                    continue
            out.append(char)
            i += 1
        return "".join(out)
