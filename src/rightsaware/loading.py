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
    """One thing wrong with an instrument file: where it is and what to do."""

    message: str
    file: str = "<string>"
    line: int | None = None
    path: str = ""
    params: dict[str, Any] = attrs.field(factory=dict, eq=False)

    def format(self, translate=None) -> str:  # noqa: ANN001 - a Messages._ callable
        if translate is not None:
            text = translate(self.message, **self.params)
        else:
            text = self.message.format(**self.params) if self.params else self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {text}" if self.path else f"{where}: {text}"

    def __str__(self) -> str:
        return self.format()


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


def _describe(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        keys = ", ".join(sorted(exc.extra_fields))
        return f"unknown field(s) {keys} — check the spelling"
    if isinstance(exc, (UnknownQuestionType, TypeError, ValueError)):
        text = str(exc)
        return text if len(text) <= 160 else text[:157] + "…"
    return f"invalid value ({exc})"


# --- reading --------------------------------------------------------------------------


def read_instrument_data(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a TOML instrument file into a dict and its text; ``InstrumentError`` on failure."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InstrumentError(f"{file}: no such file", [Problem("no such file", file)]) from None
    except IsADirectoryError:
        raise InstrumentError(f"{file}: is a folder, not an instrument file", [Problem("is a folder", file)]) from None
    except OSError as exc:
        raise InstrumentError(f"{file}: cannot be read ({exc.strerror})", [Problem("cannot be read", file)]) from None
    return _parse_toml(raw, file), raw.decode("utf-8", errors="replace")


def _parse_toml(raw: bytes, file: str) -> dict[str, Any]:
    def fail(message: str, line: int | None = None) -> InstrumentError:
        return InstrumentError(f"{file}: {message}", [Problem(message, file, line)])

    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB; an instrument is a small text file")
    if not raw.strip():
        raise fail("the file is empty; an instrument needs at least id, version, title and questions")
    if b"\x00" in raw:
        raise fail("this is a binary file, not a TOML text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail("the file is not UTF-8 text; save it as UTF-8", line) from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise fail(f"not valid TOML: {message}", line) from None
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
        raise InstrumentError(f"{file}: not an instrument", [problem("", "not an instrument")])
    missing = [key for key in ("id", "version", "title", "questions") if key not in data]
    if "content_hash" in data:
        problems = [problem("content_hash", "content_hash is computed, not written in the file; remove it")]
        raise InstrumentError(_summary(file, problems), problems)
    if missing and not any(k in data for k in ("questions", "title")):
        problems = [problem("", "this TOML file is not an instrument: it has no id, version, title or questions")]
        raise InstrumentError(_summary(file, problems), problems)
    try:
        instrument = make_converter().structure(data, Instrument)
    except (cattrs.ClassValidationError, cattrs.IterableValidationError) as exc:
        problems = [
            problem(_cattrs_path(path), message)
            for message, path in _walk_errors(exc)
        ]
        raise InstrumentError(_summary(file, problems), problems) from None
    problems = validate_instrument(instrument, problem)
    if problems:
        raise InstrumentError(_summary(file, problems), problems)
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


def _summary(file: str, problems: list[Problem]) -> str:
    count = len(problems)
    return f"{file}: {count} problem{'s' if count != 1 else ''} found"


def validate_instrument(instrument: Instrument, problem) -> list[Problem]:  # noqa: ANN001
    """Checks that span objects: names, languages, choice lists and expressions."""
    problems: list[Problem] = []
    add = problems.append
    if not ID_PATTERN.match(instrument.id):
        add(problem("id", "id {id!r} must use lowercase letters, digits and hyphens (e.g. 'my-survey')", id=instrument.id))
    if not instrument.version.strip():
        add(problem("version", "version must not be empty"))
    if not instrument.title.strip():
        add(problem("title", "title must not be empty"))
    for index, language in enumerate(instrument.languages):
        if language not in LANGUAGES:
            add(problem(f"languages[{index}]", "unknown language {language!r}; use en, cy or gd", language=language))
    if not instrument.questions:
        add(problem("questions", "an instrument needs at least one question"))

    for list_name, choices in instrument.choices.items():
        if not NAME_PATTERN.match(list_name):
            add(problem(f"choices.{list_name}", "invalid list name {name!r}", name=list_name))
        if not choices:
            add(problem(f"choices.{list_name}", "choice list {name!r} is empty", name=list_name))
        seen_choices: set[str] = set()
        for index, choice in enumerate(choices):
            where = f"choices.{list_name}[{index}]"
            if not CHOICE_NAME_PATTERN.match(choice.name):
                add(problem(f"{where}.name", "invalid choice name {name!r}: use letters, digits and _ (no spaces)", name=choice.name))
            if choice.name in seen_choices:
                add(problem(f"{where}.name", "duplicate choice name {name!r} in list {list_name!r}", name=choice.name, list_name=list_name))
            seen_choices.add(choice.name)
            if not choice.label.strip():
                add(problem(f"{where}.label", "a choice needs a label"))

    names = [q.name for q in instrument.questions]
    known = set(names)
    seen: set[str] = set()
    for index, question in enumerate(instrument.questions):
        where = f"questions[{index}]"
        if not NAME_PATTERN.match(question.name):
            add(problem(f"{where}.name", "invalid question name {name!r}: start with a letter, then letters, digits or _", name=question.name))
        if question.name in seen:
            add(problem(f"{where}.name", "duplicate question name {name!r}", name=question.name))
        seen.add(question.name)
        if not question.label.strip():
            add(problem(f"{where}.label", "a question needs a label"))
        list_name = getattr(question, "list_name", None)
        if list_name is not None and list_name not in instrument.choices:
            add(problem(f"{where}.type", "unknown choice list {list_name!r}; define it under [choices]", list_name=list_name))
        if not question.answerable and question.constraint:
            add(problem(f"{where}.constraint", "a note cannot have a constraint"))
        for field_name in ("relevant", "constraint"):
            source = getattr(question, field_name)
            if source is None:
                continue
            parsed = _check_expression(source, known, problem, f"{where}.{field_name}", add)
            if parsed is None:
                continue
            if field_name == "relevant" and question.name in parsed.references:
                add(problem(f"{where}.relevant", "relevant cannot refer to the question itself (${{{name}}})", name=question.name))
            if field_name == "relevant" and parsed.uses_dot:
                add(problem(f"{where}.relevant", "'.' (this answer) can only be used in a constraint"))
    for index, rule in enumerate(instrument.referrals):
        where = f"referrals[{index}]"
        parsed = _check_expression(rule.when, known, problem, f"{where}.when", add)
        if parsed is not None and parsed.uses_dot:
            add(problem(f"{where}.when", "'.' (this answer) can only be used in a constraint"))
        if not rule.topics:
            add(problem(f"{where}.topics", "a referral rule needs at least one topic"))
    return problems


def _check_expression(source, known, problem, path, add):  # noqa: ANN001
    try:
        parsed = expressions.parse(source)
        expressions.check_references(parsed, known)
    except ExpressionError as exc:
        add(problem(path, "{error}", error=str(exc)))
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
