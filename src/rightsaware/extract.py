"""Instrument text in gettext catalogs: the ``msgctxt`` scheme, the Babel extractor, the lookup.

Every translatable field of an instrument file becomes one catalog entry whose msgid is the
English text and whose ``msgctxt`` names the field, so that the same English ("Yes") can
have a different translation for every question — Welsh and Gaelic answer with the verb of
the question (*Ydw*, *Oes*, *Do*; *Tha*, *Bha*)::

    {id}:title                      {id}:description
    {id}:{question}:{field}         field: label, hint, sms_label, constraint_message
    {id}:{question}:{choice}:label  {id}:{question}:{choice}:sms_label

Choice labels are extracted once per question that uses the list. The extracted comment
(``#.``) says what the string is, the question it belongs to, the question's ``meta``
(e.g. the law it asks about) and any length limit.

:func:`extract_instrument` follows Babel's extractor protocol and is registered as the
``rightsaware`` method under ``babel.extractors``, so both ``pybabel extract`` (mapping
``[rightsaware: **.toml]``) and ``rightsaware i18n extract`` use it. Line numbers point into
the TOML file. :class:`LocalizedText` looks the same contexts up at run time.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterator
from typing import Any, NamedTuple

from .errors import CatalogError
from .i18n import _

QUESTION_FIELDS = ("label", "hint", "sms_label", "constraint_message")
CHOICE_FIELDS = ("label", "sms_label")
SMS_NOTE = ("SMS: keep short. 160 plain characters fit one text message; a single ŵ, ŷ, â, ê, "
            "î, ô, û or capital accented letter cuts that to 70.")
VERB_ECHO_NOTE = ("Welsh and Gaelic: answer with the verb of this question (e.g. Ydw / Nac ydw, "
                  "Oes / Nac oes, Do / Naddo; Tha / Chan eil, Bha / Cha robh).")
_ECHO_CHOICES = {"yes", "no"}


def context(instrument_id: str, *parts: str) -> str:
    """The ``msgctxt`` of an instrument field: ``"{id}:{question}:{field}"`` and so on."""
    return ":".join((instrument_id, *parts))


class InstrumentMessage(NamedTuple):
    lineno: int
    context: str
    msgid: str
    comments: list[str]


# --- where keys are in a TOML file (tomllib gives no line numbers) -----------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class _TomlLines:
    """Record the line of every key and array element of a valid TOML document by path."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.lines: dict[tuple, int] = {}
        self.counts: dict[tuple, int] = {}

    def line(self) -> int:
        return bisect.bisect_right(self.starts, self.pos)

    def skip(self, newlines: bool = True) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def string(self) -> None:
        text = self.text
        for quote in ('"""', "'''", '"', "'"):
            if text.startswith(quote, self.pos):
                break
        self.pos += len(quote)
        while self.pos < len(text):
            if quote[0] == '"' and text[self.pos] == "\\":
                self.pos += 2
            elif text.startswith(quote, self.pos):
                self.pos += len(quote)
                while len(quote) == 3 and text.startswith(quote[0], self.pos):
                    self.pos += 1  # up to two quotes may end a multi-line string's content
                return
            else:
                self.pos += 1

    def key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self.skip(newlines=False)
            if self.text[self.pos] in "\"'":
                start = self.pos
                self.string()
                parts.append(tomllib.loads(f"k = {self.text[start:self.pos]}")["k"])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                parts.append(match.group())
                self.pos = match.end()
            self.skip(newlines=False)
            if self.text[self.pos] != ".":
                return tuple(parts)
            self.pos += 1

    def resolve(self, keys: tuple[str, ...]) -> tuple:
        path: tuple = ()
        for key in keys:
            path += (key,)
            if path in self.counts:
                path += (self.counts[path] - 1,)
        return path

    def value(self, path: tuple) -> None:
        char = self.text[self.pos]
        if char in "\"'":
            self.string()
        elif char in "[{":
            closing = "]" if char == "[" else "}"
            self.pos += 1
            index = 0
            while True:
                self.skip()
                if self.text[self.pos] == closing:
                    self.pos += 1
                    return
                if char == "[":
                    self.lines[path + (index,)] = self.line()
                    self.value(path + (index,))
                    index += 1
                else:
                    self.assignment(path)
                self.skip()
                if self.text[self.pos] == ",":
                    self.pos += 1
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            self.pos = len(self.text) if match is None else match.start()

    def assignment(self, table: tuple) -> None:
        line = self.line()
        path = table + self.key()
        self.lines[path] = line
        self.skip(newlines=False)
        self.pos += 1  # "="
        self.skip(newlines=False)
        self.value(path)

    def scan(self) -> dict[tuple, int]:
        table: tuple = ()
        while True:
            self.skip()
            if self.pos >= len(self.text):
                return self.lines
            if self.text.startswith("[[", self.pos):
                self.pos += 2
                keys = self.key()
                array = self.resolve(keys[:-1]) + keys[-1:]
                index = self.counts.get(array, 0)
                self.counts[array] = index + 1
                table = array + (index,)
                self.lines[table] = self.line()
                self.pos += 2
            elif self.text[self.pos] == "[":
                self.pos += 1
                table = self.resolve(self.key())
                self.lines[table] = self.line()
                self.pos += 1
            else:
                self.assignment(table)


def toml_lines(text: str) -> dict[tuple, int]:
    """Line numbers (1-based) by key path, e.g. ``("questions", 2, "label")``; valid TOML only."""
    scanner = _TomlLines(text)
    try:
        return scanner.scan()
    except (IndexError, AttributeError, tomllib.TOMLDecodeError):
        return scanner.lines  # what was found before something unexpected; lines are a nicety


# --- what an instrument file offers for translation --------------------------------------

def _list_name(question: dict) -> str | None:
    parts = str(question.get("type", "")).split()
    if len(parts) == 2 and parts[0] in ("select_one", "select_multiple"):
        return parts[1]
    return None


def _meta_lines(meta: Any) -> list[str]:
    if not isinstance(meta, dict):
        return []
    return [f"{key}: {value}" for key, value in meta.items() if isinstance(value, (str, int, float))]


def instrument_messages(data: dict, lines: dict[tuple, int] | None = None) -> Iterator[InstrumentMessage]:
    """The translatable fields of a parsed instrument file, in file order."""
    lines = lines or {}
    instrument_id = data.get("id")
    if not isinstance(instrument_id, str) or not instrument_id:
        raise CatalogError(_("The instrument file has no id, so its texts cannot be extracted."))

    def at(*path: Any) -> int:
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return 1

    if isinstance(data.get("title"), str):
        yield InstrumentMessage(at("title"), context(instrument_id, "title"), data["title"],
                                [f"Title of the survey '{instrument_id}'."])
    if isinstance(data.get("description"), str):
        yield InstrumentMessage(at("description"), context(instrument_id, "description"),
                                data["description"],
                                [f"Introduction to the survey '{instrument_id}', shown before the first question."])
    choices = data.get("choices") if isinstance(data.get("choices"), dict) else {}
    questions = data.get("questions") if isinstance(data.get("questions"), list) else []
    for index, question in enumerate(questions):
        if not isinstance(question, dict) or not isinstance(question.get("name"), str):
            continue
        name, label = question["name"], question.get("label")
        kind = str(question.get("type", "")).split(" ")[0]
        meta = _meta_lines(question.get("meta"))
        describe = {
            "label": ("Information shown to the respondent (not a question): '{name}'."
                      if kind == "note" else "Question '{name}' ({type})."),
            "hint": "Hint shown with question '{name}': {label}",
            "sms_label": "SMS version of question '{name}': {label}",
            "constraint_message": "Error shown when an answer to question '{name}' is not accepted: {label}",
        }
        for field in QUESTION_FIELDS:
            text = question.get(field)
            if not isinstance(text, str):
                continue
            comments = [describe[field].format(name=name, type=question.get("type", ""), label=label)]
            comments += meta
            if field == "sms_label":
                comments.append(SMS_NOTE)
            yield InstrumentMessage(at("questions", index, field), context(instrument_id, name, field),
                                    text, comments)
        list_name = _list_name(question)
        options = choices.get(list_name) if list_name else None
        if not isinstance(options, list):
            continue
        for position, choice in enumerate(options):
            if not isinstance(choice, dict) or not isinstance(choice.get("name"), str):
                continue
            code = choice["name"]
            for field in CHOICE_FIELDS:
                text = choice.get(field)
                if not isinstance(text, str):
                    continue
                comments = [f"Answer option '{code}' for the question: {label}"]
                if code in _ECHO_CHOICES:
                    comments.append(VERB_ECHO_NOTE)
                comments += meta
                if field == "sms_label":
                    comments.append(SMS_NOTE)
                yield InstrumentMessage(at("choices", list_name, position, field),
                                        context(instrument_id, name, code, field), text, comments)


def read_instrument_data(text: str, filename: str = "<instrument>") -> dict:
    """Parse instrument TOML for extraction; CatalogError with file and line if it is invalid."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(_("{file}: this is not a valid instrument file (TOML): {problem}",
                             file=filename, problem=str(exc))) from None


def extract_instrument(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Babel extractor for instrument files: ``(lineno, "pgettext", (msgctxt, msgid), comments)``."""
    raw = fileobj.read()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    data = read_instrument_data(text, getattr(fileobj, "name", "<instrument>"))
    lines = toml_lines(text.removeprefix("\ufeff"))
    for message in instrument_messages(data, lines):
        yield message.lineno, "pgettext", (message.context, message.msgid), message.comments


class LocalizedText:
    """An instrument's text in one locale; untranslated fields fall back to the English.

    ``question`` arguments take a question or its name; ``choice`` a Choice or its name.
    """

    def __init__(self, instrument: Any, messages: Any) -> None:
        self.instrument = instrument
        self.messages = messages

    @property
    def locale(self) -> str:
        return self.messages.locale

    def _question(self, question: Any) -> Any:
        return self.instrument.question(question) if isinstance(question, str) else question

    def _choice(self, question: Any, choice: Any) -> Any:
        if not isinstance(choice, str):
            return choice
        for option in self.instrument.choices_for(question):
            if option.name == choice:
                return option
        raise KeyError(choice)

    def _text(self, text: str | None, *parts: str) -> str | None:
        if text is None:
            return None
        return self.messages.pgettext(context(self.instrument.id, *parts), text)

    def title(self) -> str:
        return self._text(self.instrument.title, "title")

    def description(self) -> str | None:
        return self._text(self.instrument.description, "description")

    def label(self, question: Any) -> str:
        q = self._question(question)
        return self._text(q.label, q.name, "label")

    def hint(self, question: Any) -> str | None:
        q = self._question(question)
        return self._text(q.hint, q.name, "hint")

    def sms_label(self, question: Any) -> str:
        """The short SMS wording, or the full label when the author wrote none."""
        q = self._question(question)
        if q.sms_label is None:
            return self.label(q)
        return self._text(q.sms_label, q.name, "sms_label")

    def constraint_message(self, question: Any) -> str | None:
        q = self._question(question)
        return self._text(q.constraint_message, q.name, "constraint_message")

    def choice_label(self, question: Any, choice: Any) -> str:
        q = self._question(question)
        option = self._choice(q, choice)
        return self._text(option.label, q.name, option.name, "label")

    def choice_sms_label(self, question: Any, choice: Any) -> str:
        q = self._question(question)
        option = self._choice(q, choice)
        if option.sms_label is None:
            return self.choice_label(q, option)
        return self._text(option.sms_label, q.name, option.name, "sms_label")

    def choices(self, question: Any) -> list[tuple[str, str]]:
        """``(code, label)`` for every option of a select question, in the author's order."""
        q = self._question(question)
        return [(option.name, self.choice_label(q, option)) for option in self.instrument.choices_for(q)]
