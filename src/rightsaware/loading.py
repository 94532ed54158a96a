"""Read and write instrument files (TOML), with errors a survey author can act on.

Every problem names the file, the line where it can be found and the path of the field
(``questions[3].choices[0].label``). Structural checks come from the converter; checks
that span objects (unique names, known choice lists, expressions that refer to questions
that exist) live in :func:`validate_instrument`. Bad input never produces a traceback:
it raises :class:`~rightsaware.errors.InstrumentError` listing every problem found.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import IterableValidationNote
import tomli_w
from attrs import frozen

from . import expressions
from .converter import UnknownQuestionType, make_converter
from .errors import ExpressionError, InstrumentError
from .i18n import N_, Nn_
from .instrument import (
    CHOICE_NAME_PATTERN,
    ID_PATTERN,
    LANGUAGES,
    NAME_PATTERN,
    Instrument,
)

MAX_FILE_BYTES = 2_000_000


@frozen
class Problem:
    """One thing wrong with an instrument file: where it is and what to do.

    ``message`` is an English template marked with ``N_``; ``format(m._)`` translates it
    when it is shown (``rightsaware validate`` passes the UI language's ``Messages._``).
    """

    message: str
    file: str = "<string>"
    line: int | None = None
    path: str = ""
    params: dict[str, Any] = attrs.field(factory=dict, eq=False)

    def format(self, translate=None) -> str:  # noqa: ANN001 - a Messages._ callable
        if translate is not None:
            params = dict(self.params)
            if "what" in params:
                params["what"] = _what(translate, params["what"])
            for key, value in params.items():
                if isinstance(value, ExpressionError):  # e.g. a bad relevant: shown in this language
                    params[key] = value.translated(_Translate(translate))
            text = translate(self.message, **params)
        else:
            text = self.message.format(**self.params) if self.params else self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {text}" if self.path else f"{where}: {text}"

    def __str__(self) -> str:
        return self.format()


class _Translate:
    """A ``Messages``-like object made of a ``Messages._`` callable (what errors translate with).

    Its ``ngettext`` is that of the ``Messages`` the callable belongs to, if any, so plural
    messages still take the language's plural forms.
    """

    def __init__(self, translate) -> None:  # noqa: ANN001
        self._ = translate
        self.ngettext = getattr(getattr(translate, "__self__", None), "ngettext", None)


# --- locating fields in the TOML text ----------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"']+)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def _line_map(text: str) -> dict[str, int]:
    """Map field paths (``questions[2].label``) to 1-based line numbers, by a light scan."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    section = ""
    array_key = ""
    array_items = 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            bracket, name = header.group(1), header.group(2)
            array_key = ""
            if bracket == "[[":
                counters[name] = counters.get(name, -1) + 1
                section = f"{name}[{counters[name]}]"
            elif "." in name and name.split(".")[0] in counters:
                head, rest = name.split(".", 1)
                section = f"{head}[{counters[head]}].{rest}"
            else:
                section = name
            lines.setdefault(section, number)
            continue
        key = _KEY.match(line)
        if key:
            name = key.group(1).strip('"')
            path = f"{section}.{name}" if section else name
            lines.setdefault(path, number)
            array_key, array_items = (path, 0) if "[" in line.split("=", 1)[1] else ("", 0)
            remainder = line.split("=", 1)[1]
        else:
            remainder = line
        if array_key:
            for _ in range(remainder.count("{")):
                lines.setdefault(f"{array_key}[{array_items}]", number)
                array_items += 1
    return lines


def _find_line(line_map: dict[str, int], path: str) -> int | None:
    candidate = path
    while candidate:
        if candidate in line_map:
            return line_map[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    return None


def _cattrs_path(path: str) -> str:
    """``$.choices['yn'][0].name`` becomes ``choices.yn[0].name``."""
    path = path.removeprefix("$").removeprefix(".")
    return re.sub(r"\['([^']*)'\]", r".\1", path)


# The converter's messages (English), as translatable templates: (pattern, template).
_WHAT = {"text": N_("text"), "true or false": N_("true or false"), "a whole number": N_("a whole number"),
         "a list": N_("a list"), "a table": N_("a table")}
_CONVERTER_MESSAGES = (
    (r"type must be text such as 'integer' or 'select_one yes_no'",
     N_("type must be text such as 'integer' or 'select_one yes_no'")),
    (r"unknown question type (?P<kind>'.*') \(known: (?P<known>.*)\)",
     N_("unknown question type {kind} (known: {known})")),
    (r"(?P<kind>\S+) needs the name of a choice list, e\.g\. '\S+ yes_no'",
     N_("{kind} needs the name of a choice list, e.g. '{kind} yes_no'")),
    (r"(?P<kind>\S+) takes no list name \(got (?P<got>.*)\)",
     N_("{kind} takes no list name (got {got})")),
    (r"expected (?P<what>text|true or false|a whole number|a list|a table), got (?P<type>\w+) (?P<value>.*)",
     N_("expected {what}, got {type} {value}")),
    (r"each question must be a table with name, type and label",
     N_("each question must be a table with name, type and label")),
    (r"required field 'type' is missing", N_("required field 'type' is missing")),
)


def _describe(exc: BaseException, type_: Any) -> tuple[str, dict[str, Any]]:
    """A translatable template and its parameters for one structuring error."""
    if isinstance(exc, KeyError):
        return N_("required field missing"), {}
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        keys = ", ".join(sorted(exc.extra_fields))
        return N_("unknown field(s) {keys} — check the spelling"), {"keys": keys}
    if isinstance(exc, (UnknownQuestionType, TypeError, ValueError)):
        text = str(exc)
        for pattern, template in _CONVERTER_MESSAGES:
            match = re.fullmatch(pattern, text)
            if match:
                return template, dict(match.groupdict())
        text = text if len(text) <= 160 else text[:157] + "…"
        return "{error}", {"error": text}
    return N_("invalid value ({error})"), {"error": str(exc)}


def _what(translate, what: str) -> str:  # noqa: ANN001
    return translate(_WHAT[what]) if translate is not None and what in _WHAT else what


# --- reading --------------------------------------------------------------------------


def read_instrument_data(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a TOML instrument file into a dict and its text; ``InstrumentError`` on failure."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InstrumentError(N_("{file}: no such file"), [Problem(N_("no such file"), file)],
                              params={"file": file}) from None
    except IsADirectoryError:
        raise InstrumentError(N_("{file}: is a folder, not an instrument file"), [Problem(N_("is a folder"), file)],
                              params={"file": file}) from None
    except OSError as exc:
        raise InstrumentError(N_("{file}: cannot be read ({reason})"), [Problem(N_("cannot be read"), file)],
                              params={"file": file, "reason": exc.strerror}) from None
    return _parse_toml(raw, file), raw.decode("utf-8", errors="replace")


def _parse_toml(raw: bytes, file: str) -> dict[str, Any]:
    def fail(message: str, line: int | None = None, **params: Any) -> InstrumentError:
        return _failure(file, [Problem(message, file, line, params=params)])

    if len(raw) > MAX_FILE_BYTES:
        raise fail(N_("the file is larger than {size} MB; an instrument is a small text file"),
                   size=MAX_FILE_BYTES // 1_000_000)
    if not raw.strip():
        raise fail(N_("the file is empty; an instrument needs at least id, version, title and questions"))
    if b"\x00" in raw:
        raise fail(N_("this is a binary file, not a TOML text file"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(N_("the file is not UTF-8 text; save it as UTF-8"), line) from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise fail(N_("not valid TOML: {error}"), line, error=message) from None
    return data


def loads_instrument(text: str, file: str = "<string>") -> Instrument:
    """Parse and validate instrument TOML text."""
    data = _parse_toml(text.encode("utf-8"), file)
    return instrument_from_data(data, file=file, text=text)


def load_instrument(path: str | Path) -> Instrument:
    """Read, parse and validate an instrument file; ``InstrumentError`` lists every problem."""
    data, text = read_instrument_data(path)
    return instrument_from_data(data, file=str(path), text=text)


def instrument_from_data(data: Any, *, file: str = "<string>", text: str = "") -> Instrument:
    """Structure a dict into a validated :class:`Instrument` with its content hash."""
    line_map = _line_map(text)

    def problem(path: str, message: str, **params: Any) -> Problem:
        return Problem(message, file, _find_line(line_map, path), path, params)

    if not isinstance(data, dict):
        raise InstrumentError(N_("{file}: not an instrument"), [problem("", N_("not an instrument"))],
                              params={"file": file})
    missing = [key for key in ("id", "version", "title", "questions") if key not in data]
    if "content_hash" in data:
        problems = [problem("content_hash", N_("content_hash is computed, not written in the file; remove it"))]
        raise _failure(file, problems)
    if missing and not any(k in data for k in ("questions", "title")):
        problems = [problem("", N_("this TOML file is not an instrument: it has no id, version, title or questions"))]
        raise _failure(file, problems)
    try:
        instrument = make_converter().structure(data, Instrument)
    except (cattrs.ClassValidationError, cattrs.IterableValidationError) as exc:
        problems = [
            problem(_cattrs_path(path), message, **params)
            for (message, params), path in _walk_errors(exc)
        ]
        raise _failure(file, problems) from None
    problems = validate_instrument(instrument, problem)
    if problems:
        raise _failure(file, problems)
    return instrument.with_hash(content_hash(instrument))


def _walk_errors(exc: BaseException, path: str = "$"):
    """Yield (message, path) for every leaf error of a cattrs validation error tree."""
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        with_notes, _without = exc.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, IterableValidationNote):
                sub = f"{path}[{note.index!r}]" if isinstance(note.index, str) else f"{path}[{note.index}]"
            else:
                sub = f"{path}.{note.name}"
            yield from _walk_errors(inner, sub)
        for inner in _without:
            yield from _walk_errors(inner, path)
        return
    yield _describe(exc, None), path


def _failure(file: str, problems: list[Problem]) -> InstrumentError:
    singular, plural = Nn_("{file}: {n} problem found", "{file}: {n} problems found")
    return InstrumentError(singular, problems, plural=plural, params={"file": file, "n": len(problems)})


def validate_instrument(instrument: Instrument, problem) -> list[Problem]:  # noqa: ANN001
    """Checks that span objects: names, languages, choice lists and expressions."""
    problems: list[Problem] = []
    add = problems.append
    if not ID_PATTERN.match(instrument.id):
        add(problem("id", N_("id {id!r} must use lowercase letters, digits and hyphens (e.g. 'my-survey')"), id=instrument.id))
    if not instrument.version.strip():
        add(problem("version", N_("version must not be empty")))
    if not instrument.title.strip():
        add(problem("title", N_("title must not be empty")))
    for index, language in enumerate(instrument.languages):
        if language not in LANGUAGES:
            add(problem(f"languages[{index}]", N_("unknown language {language!r}; use en, cy or gd"), language=language))
    if not instrument.questions:
        add(problem("questions", N_("an instrument needs at least one question")))

    for list_name, choices in instrument.choices.items():
        if not NAME_PATTERN.match(list_name):
            add(problem(f"choices.{list_name}", N_("invalid list name {name!r}"), name=list_name))
        if not choices:
            add(problem(f"choices.{list_name}", N_("choice list {name!r} is empty"), name=list_name))
        seen_choices: set[str] = set()
        for index, choice in enumerate(choices):
            where = f"choices.{list_name}[{index}]"
            if not CHOICE_NAME_PATTERN.match(choice.name):
                add(problem(f"{where}.name", N_("invalid choice name {name!r}: use letters, digits and _ (no spaces)"), name=choice.name))
            if choice.name in seen_choices:
                add(problem(f"{where}.name", N_("duplicate choice name {name!r} in list {list_name!r}"), name=choice.name, list_name=list_name))
            seen_choices.add(choice.name)
            if not choice.label.strip():
                add(problem(f"{where}.label", N_("a choice needs a label")))

    names = [q.name for q in instrument.questions]
    known = set(names)
    seen: set[str] = set()
    for index, question in enumerate(instrument.questions):
        where = f"questions[{index}]"
        if not NAME_PATTERN.match(question.name):
            add(problem(f"{where}.name", N_("invalid question name {name!r}: start with a letter, then letters, digits or _"), name=question.name))
        if question.name in seen:
            add(problem(f"{where}.name", N_("duplicate question name {name!r}"), name=question.name))
        seen.add(question.name)
        if not question.label.strip():
            add(problem(f"{where}.label", N_("a question needs a label")))
        list_name = getattr(question, "list_name", None)
        if list_name is not None and list_name not in instrument.choices:
            add(problem(f"{where}.type", N_("unknown choice list {list_name!r}; define it under [choices]"), list_name=list_name))
        if not question.answerable and question.constraint:
            add(problem(f"{where}.constraint", N_("a note cannot have a constraint")))
        for field_name in ("relevant", "constraint"):
            source = getattr(question, field_name)
            if source is None:
                continue
            parsed = _check_expression(source, known, problem, f"{where}.{field_name}", add)
            if parsed is None:
                continue
            if field_name == "relevant" and question.name in parsed.references:
                add(problem(f"{where}.relevant", N_("relevant cannot refer to the question itself (${{{name}}})"), name=question.name))
            if field_name == "relevant" and parsed.uses_dot:
                add(problem(f"{where}.relevant", N_("'.' (this answer) can only be used in a constraint")))
    for index, rule in enumerate(instrument.referrals):
        where = f"referrals[{index}]"
        parsed = _check_expression(rule.when, known, problem, f"{where}.when", add)
        if parsed is not None and parsed.uses_dot:
            add(problem(f"{where}.when", N_("'.' (this answer) can only be used in a constraint")))
        if not rule.topics:
            add(problem(f"{where}.topics", N_("a referral rule needs at least one topic")))
    return problems


def _check_expression(source, known, problem, path, add):  # noqa: ANN001
    try:
        parsed = expressions.parse(source)
        expressions.check_references(parsed, known)
    except ExpressionError as exc:
        add(problem(path, "{error}", error=exc))
        return None
    return parsed


# --- writing ---------------------------------------------------------------------------


def instrument_data(instrument: Instrument) -> dict[str, Any]:
    """The plain-data form of an instrument, as written to its file."""
    return make_converter().unstructure(instrument)


def content_hash(instrument: Instrument) -> str:
    """A SHA-256 of the instrument's canonical content (independent of formatting)."""
    canonical = json.dumps(instrument_data(instrument), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def dumps_instrument(instrument: Instrument) -> str:
    """TOML text for an instrument; loading it gives the same instrument back."""
    return tomli_w.dumps(instrument_data(instrument), multiline_strings=True)


def write_instrument(instrument: Instrument, path: str | Path) -> None:
    Path(path).write_text(dumps_instrument(instrument), encoding="utf-8")
