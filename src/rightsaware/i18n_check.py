"""Catalog upkeep behind ``rightsaware i18n``: extract, update, check and coverage of every domain.

A *domain* is one gettext catalog family: the core (``rightsaware``, from ``src/rightsaware``
with the mapping in ``locales/babel.cfg``), each channel's (from its source directory) and
each instrument's (domain = instrument id, from its TOML file). Babel does the extraction
and merging; :func:`check_domain` adds what Babel misses (briefs/i18n.md §2.3): plural forms
left empty, ``{placeholder}`` mismatches, fuzzy entries, a ``Plural-Forms`` header that is
not CLDR's, a stale POT, and GNU ``msgfmt --check`` when it is installed.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
import os
import re
import shutil
import string
import subprocess
from collections.abc import Iterable
from pathlib import Path

from attrs import frozen
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po

from .extract import extract_instrument, read_instrument_data
from .cli_help import extract_python
from .i18n import (COMMENT_TAG, CORE_DOMAIN, KEYWORDS, LANGUAGES, SOURCE_LANGUAGE, _,
                   builtin_instruments_dir, catalog_path, instrument_locales_dir, normalize_language)

WIDTH = 76
_VOLATILE = re.compile(r'^"(POT-Creation-Date|Generated-By): .*\\n"$', re.M)
DEFAULT_MAPPING = "[python: **.py]\n[jinja2: **/templates/**.html]\n"


@frozen
class Domain:
    """One catalog family: where its sources, template and translations are."""

    name: str
    kind: str  # "python" or "instrument"
    locales_dir: Path
    languages: tuple[str, ...]
    source: Path | None  # a source directory, or the instrument file
    base: Path | None = None  # locations in the POT are relative to this
    mapping: str = DEFAULT_MAPPING
    version: str = "messages"

    @property
    def pot_path(self) -> Path:
        return self.locales_dir / f"{self.name}.pot"

    def po_path(self, language: str) -> Path:
        return catalog_path(self.locales_dir, self.name, language)

    @property
    def has_sources(self) -> bool:
        return self.source is not None and self.source.exists()


@frozen
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@frozen
class Coverage:
    domain: str
    language: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.translated / self.total


def source_root() -> Path | None:
    """The repository root when rightsaware runs from a source checkout, else None."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "locales").is_dir():
        return root
    return None


def core_domain(root: Path) -> Domain:
    mapping_file = root / "locales" / "babel.cfg"
    mapping = mapping_file.read_text(encoding="utf-8") if mapping_file.is_file() else DEFAULT_MAPPING
    return Domain(CORE_DOMAIN, "python", root / "locales", LANGUAGES, root / "src" / "rightsaware",
                  base=root, mapping=mapping)


def channel_domain(name: str, locales_dir: Path, source_dir: Path | None = None) -> Domain:
    """A channel's domain; ``source_dir`` defaults to ``src/`` (or the folder) beside ``locales``."""
    locales_dir = Path(locales_dir)
    if source_dir is None:
        guess = locales_dir.parent / "src"
        source_dir = guess if guess.is_dir() else locales_dir.parent
    source_dir = Path(source_dir)
    mapping_file = locales_dir / "babel.cfg"
    mapping = mapping_file.read_text(encoding="utf-8") if mapping_file.is_file() else DEFAULT_MAPPING
    return Domain(name, "python", locales_dir, LANGUAGES, source_dir, base=source_dir.parent, mapping=mapping)


def instrument_domain(path: Path, builtin: bool = False) -> Domain:
    """An instrument file's domain; its catalogs live in ``{stem}/locales`` beside it."""
    path = Path(path)
    data = read_instrument_data(path.read_text(encoding="utf-8"), str(path))
    languages = tuple(normalize_language(x) for x in data.get("languages", ["en"]))
    locales_dir = instrument_locales_dir(data["id"], None if builtin else path)
    return Domain(data["id"], "instrument", locales_dir, languages, path, base=path.parent,
                  version=str(data.get("version", "")))


def discover(channels: Iterable[tuple] = (), instruments: Iterable[Path] = ()) -> list[Domain]:
    """The core and built-in instruments (from a source checkout), channels, and ``instruments``."""
    domains: list[Domain] = []
    root = source_root()
    if root is not None:
        domains.append(core_domain(root))
        domains += [instrument_domain(p, builtin=True) for p in sorted(builtin_instruments_dir().glob("*.toml"))]
    domains += [channel_domain(*entry) for entry in channels]
    domains += [instrument_domain(Path(p)) for p in instruments]
    return domains


# --- extract and update ------------------------------------------------------------------

def build_template(domain: Domain) -> Catalog:
    """Extract ``domain``'s messages from its sources into a new template catalog."""
    catalog = Catalog(project=domain.name, version=domain.version, fuzzy=True,
                      copyright_holder="rightsaware contributors", msgid_bugs_address="")
    keywords = parse_keywords(KEYWORDS)
    if domain.kind == "instrument":
        results = [(domain.source.name, *r) for r in extract_from_file(
            extract_instrument, str(domain.source), keywords=keywords, comment_tags=(COMMENT_TAG,))]
        include_lines = True
    else:
        method_map, options_map = parse_mapping_cfg(io.StringIO(domain.mapping))
        # Python sources: the usual calls, plus the help texts of Click commands and options
        method_map = [(pattern, extract_python if method == "python" else method) for pattern, method in method_map]
        results = [(os.path.relpath(domain.source / f, domain.base), *r) for f, *r in extract_from_dir(
            str(domain.source), method_map, options_map, keywords=keywords,
            comment_tags=(COMMENT_TAG,), strip_comment_tags=True)]
        include_lines = False
    for filename, lineno, message, comments, context in results:
        catalog.add(message, None, [(Path(filename).as_posix(), lineno if include_lines else 0)],
                    auto_comments=comments, context=context)
    return catalog


def render(catalog: Catalog, lines: bool) -> str:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_lineno=lines, include_previous=False)
    return buffer.getvalue().decode("utf-8")


def _same(old: str, new: str) -> bool:
    return _VOLATILE.sub("", old) == _VOLATILE.sub("", new)


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and _same(path.read_text(encoding="utf-8"), text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def extract(domain: Domain) -> bool:
    """Write the domain's POT; True if it changed (dates alone are not a change)."""
    return _write_if_changed(domain.pot_path, render(build_template(domain), domain.kind == "instrument"))


def update(domain: Domain) -> list[Path]:
    """Extract, then merge the POT into every language's ``.po`` (created if missing)."""
    extract(domain)
    template = read_po(domain.pot_path.open("rb"))
    changed = []
    for language in domain.languages:
        path = domain.po_path(language)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language, domain=domain.name)
            catalog.update(template, no_fuzzy_matching=False)
        else:  # what `pybabel init` does
            catalog = read_po(domain.pot_path.open("rb"), locale=language, domain=domain.name)
            catalog.locale = normalize_language(language)
            catalog.revision_date = dt.datetime.now(dt.timezone.utc)
            catalog.fuzzy = False
        if _write_if_changed(path, render(catalog, domain.kind == "instrument")):
            changed.append(path)
    return changed


# --- checks ------------------------------------------------------------------------------

def _fields(text: str) -> set[str] | None:
    try:
        return {name.split(".")[0].split("[")[0] for _lit, name, _spec, _conv in string.Formatter().parse(text)
                if name is not None}
    except ValueError:
        return None


def plural_examples(language: str, upto: int = 200) -> dict[int, list[int]]:
    """For each plural slot of ``language``, the numbers n (0..upto) that use it."""
    rule = get_plural(language)
    function = _gettext.c2py(rule.plural_expr)
    slots: dict[int, list[int]] = {i: [] for i in range(rule.num_plurals)}
    for n in range(upto + 1):
        slots[function(n)].append(n)
    return slots


def _header(text: str) -> tuple[dict[str, tuple[str, int]], bool]:
    """The raw header fields of a ``.po`` file with their line numbers, and its fuzzy flag."""
    lines = text.splitlines()
    fuzzy, fields, index = False, {}, 0
    while index < len(lines) and not lines[index].startswith("msgid"):
        fuzzy = fuzzy or (lines[index].startswith("#,") and "fuzzy" in lines[index])
        index += 1
    if index >= len(lines) or lines[index].strip() != 'msgid ""':
        return fields, fuzzy
    while index < len(lines) and not lines[index].startswith("msgstr"):
        index += 1
    buffer, start = "", index + 1
    for number in range(index, len(lines)):
        match = re.match(r'^(?:msgstr\s+)?"(.*)"\s*$', lines[number])
        if not match:
            break
        if not buffer:
            start = number + 1
        buffer += match.group(1)
        while "\\n" in buffer:
            entry, buffer = buffer.split("\\n", 1)
            if ":" in entry:
                key, value = entry.split(":", 1)
                fields[key.strip()] = (value.strip(), start)
            start = number + 1
    return fields, fuzzy


def _check_messages(domain: Domain, language: str, catalog: Catalog, path: str) -> list[Problem]:
    problems = []
    slots = plural_examples(language)
    for message in list(catalog)[1:]:
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        label = f"'{ids[0][:60]}'" + (f" [{message.context}]" if message.context else "")
        if language != SOURCE_LANGUAGE:
            if message.fuzzy:
                problems.append(Problem(path, message.lineno, _("fuzzy (needs review): {msg}", msg=label)))
            empty = [i for i, form in enumerate(forms) if not form]
            if len(ids) > 1 and len(forms) < len(slots):
                empty += list(range(len(forms), len(slots)))
            if empty and len(empty) == len(forms):
                problems.append(Problem(path, message.lineno, _("not translated: {msg}", msg=label)))
            elif empty:
                detail = "; ".join(f"msgstr[{i}] (n = {', '.join(map(str, slots.get(i, [])[:4]))}…)" for i in empty)
                problems.append(Problem(path, message.lineno, _("plural forms missing for {msg}: {forms}",
                                                                msg=label, forms=detail)))
        expected = set().union(*(_fields(x) or set() for x in ids))
        for index, form in enumerate(forms):
            if not form:
                continue
            found = _fields(form)
            if found is None:
                problems.append(Problem(path, message.lineno, _("broken {{braces}} in the translation of {msg}",
                                                                msg=label)))
                continue
            unknown = found - expected
            missing = expected - found
            if len(ids) > 1 and len(slots.get(index, [])) == 1:
                missing = set()  # a form used for one number only may leave the number out
            if unknown or missing:
                problems.append(Problem(path, message.lineno, _(
                    "placeholders differ in {msg}: the translation has {found}, the English has {expected}",
                    msg=label, found=sorted(found) or "none", expected=sorted(expected) or "none")))
    return problems


def run_msgfmt(path: Path) -> list[Problem] | None:
    """GNU ``msgfmt --check`` errors for a ``.po`` file; None when msgfmt is not installed."""
    program = shutil.which("msgfmt")
    if program is None:
        return None
    result = subprocess.run([program, "--check", "-o", os.devnull, str(path)],
                            capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    problems = []
    for line in result.stderr.splitlines():
        match = re.match(r"^(.*?):(\d+): (.*)$", line)
        if match:
            problems.append(Problem(match.group(1), int(match.group(2)), "msgfmt: " + match.group(3)))
        elif line.strip():
            problems.append(Problem(str(path), None, line.strip()))
    return problems


def check_domain(domain: Domain, *, stale: bool = True, msgfmt: bool = True) -> list[Problem]:
    """Every problem in ``domain``'s template and catalogs; an empty list means all is well.

    ``stale=False`` skips comparing the template with a fresh extraction; ``msgfmt=False``
    skips GNU msgfmt.
    """
    problems: list[Problem] = []
    pot = domain.pot_path
    template = None
    if not pot.is_file():
        problems.append(Problem(str(pot), None, _("the template is missing: run rightsaware i18n extract")))
    else:
        template = read_po(pot.open("rb"))
        if len(template) == 0:
            problems.append(Problem(str(pot), None, _("the template has no messages (is the mapping right?)")))
        if stale and domain.has_sources:
            fresh = render(build_template(domain), domain.kind == "instrument")
            if not _same(pot.read_text(encoding="utf-8"), fresh):
                problems.append(Problem(str(pot), None, _("the template is out of date: run rightsaware i18n update")))
    for language in domain.languages:
        path = domain.po_path(language)
        if not path.is_file():
            if language != SOURCE_LANGUAGE:
                problems.append(Problem(str(path), None, _("missing: run rightsaware i18n update")))
            continue
        text = path.read_text(encoding="utf-8")
        fields, fuzzy_header = _header(text)
        expected = str(get_plural(language))
        found, line = fields.get("Plural-Forms", (None, None))
        if found != expected:
            problems.append(Problem(str(path), line, _(
                "Plural-Forms is '{found}'; CLDR (Babel 2.19) says '{expected}'",
                found=found or "missing", expected=expected)))
        if fuzzy_header:
            problems.append(Problem(str(path), 1, _("the whole file is marked fuzzy; remove '#, fuzzy' "
                                                    "from the header once it is reviewed")))
        try:
            catalog = read_po(io.BytesIO(text.encode("utf-8")), locale=language, domain=domain.name,
                              abort_invalid=True)
        except PoFileError as exc:
            problems.append(Problem(str(path), exc.lineno + 1, str(exc).rsplit(" on ", 1)[0]))
            continue
        problems += _check_messages(domain, language, catalog, str(path))
        if template is not None:
            known = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in list(template)[1:]}
            have = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in list(catalog)[1:]}
            if known != have:
                problems.append(Problem(str(path), None, _(
                    "{missing} messages of the template are missing and {extra} are not in it: "
                    "run rightsaware i18n update", missing=len(known - have), extra=len(have - known))))
        if msgfmt:
            problems += run_msgfmt(path) or []
    return problems


def coverage(domain: Domain) -> list[Coverage]:
    """How much of each language is translated (fuzzy and partial plurals do not count)."""
    rows = []
    for language in domain.languages:
        path = domain.po_path(language)
        if not path.is_file():
            rows.append(Coverage(domain.name, language, 0, 0, 0, 0))
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=domain.name)
        messages = list(catalog)[1:]
        fuzzy = sum(1 for m in messages if m.fuzzy)
        forms = [m.string if isinstance(m.string, (list, tuple)) else (m.string,) for m in messages]
        done = sum(1 for m, f in zip(messages, forms) if not m.fuzzy and all(f))
        if language == SOURCE_LANGUAGE:  # the msgids are the English text
            done, fuzzy = len(messages), 0
        rows.append(Coverage(domain.name, language, len(messages), done, fuzzy, len(messages) - done - fuzzy))
    return rows
