"""The command line's ``--help`` in the reader's language.

Help texts stay English in the source (command docstrings, ``help=`` of options).
:func:`extract_python` finds them for the catalogs, next to the usual ``_()`` calls, so a
command's help lives in the domain of the package that defines it (the core's, or a
channel's). When help or usage is about to be shown, :class:`LocalizedContext` puts every
command's and option's help into the active language (from the English kept aside, so
the same command objects can be shown in another language later), and
:class:`LocalizedFormatter` translates what Click adds itself ("Usage:", "Options",
"[default: …]", "Show this message and exit.").
"""

from __future__ import annotations

import ast
import inspect
import io
import re
from collections.abc import Iterator
from typing import Any

import click
from babel.messages.extract import extract_python as babel_extract_python

from .errors import RightsawareError
from .i18n import CORE_DOMAIN, N_, current_messages

HELP_COMMENT = "Command-line help (rightsaware --help). Keep option names such as --by as they are."
CLICK_TEXTS = (N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."),
               N_("default"), N_("required"), N_("Show the version and exit."))
_CLICK_CALLS = {"command", "group", "option", "argument", "password_option", "confirmation_option"}
_SUFFIX = re.compile(r"((?:^|\s\s)\[)([^\[\]]*)(\])$")
_ENGLISH = "_rightsaware_english_help"


def clean(text: str) -> str:
    """A help text as Click shows it (and as the catalogs hold it)."""
    return inspect.cleandoc(text).partition("\f")[0]


# --- extraction ----------------------------------------------------------------------------

def extract_python(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Babel's Python extractor, plus the help texts of Click commands and options."""
    data = fileobj.read()
    yield from babel_extract_python(io.BytesIO(data), keywords, comment_tags, options)
    yield from _help_texts(data)


def _click_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _help_texts(data: bytes) -> Iterator[tuple]:
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _click_name(node.func) in _CLICK_CALLS:
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg in ("help", "short_help", "epilog") and isinstance(value, ast.Constant) \
                        and isinstance(value.value, str) and value.value.strip():
                    yield value.lineno, None, clean(value.value), [HELP_COMMENT]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decorated = any(isinstance(d, ast.Call) and _click_name(d.func) in ("command", "group")
                            for d in node.decorator_list)
            text = ast.get_docstring(node, clean=True) if decorated else None
            if text:
                yield node.lineno, None, clean(text), [HELP_COMMENT]


# --- showing --------------------------------------------------------------------------------

def _translator(messages: Any, command: click.Command) -> Any:
    """The messages of the package that defines ``command`` (a channel's domain, or the core's)."""
    package = (getattr(command.callback, "__module__", None) or "").split(".")[0]
    if package and package != CORE_DOMAIN:
        try:
            return messages.domain(package)
        except (RightsawareError, AttributeError):
            return messages
    return messages


def _translate(messages: Any, text: str | None) -> str | None:
    if not text:
        return text
    english = clean(text)
    translated = messages._(english)
    return text if translated == english else translated


def localize(command: click.Command, messages: Any) -> None:
    """Put the help of ``command``, its options and its sub-commands into ``messages``' language."""
    m = _translator(messages, command)
    english = command.__dict__.setdefault(_ENGLISH, (command.help, command.short_help, command.epilog))
    command.help, command.short_help, command.epilog = (_translate(m, text) for text in english)
    for param in command.params:
        if isinstance(param, click.Option):
            original = param.__dict__.setdefault(_ENGLISH, param.help)
            param.help = _translate(m, original)
    for sub in getattr(command, "commands", {}).values():
        localize(sub, messages)


class LocalizedFormatter(click.HelpFormatter):
    """Click's formatter with Click's own words translated into the active language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = current_messages()._("Usage:") + " "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(current_messages()._(heading))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _row_help(text)) for term, text in rows], col_max, col_spacing)


def _row_help(text: str) -> str:
    m = current_messages()
    text = m._(text) if text in CLICK_TEXTS else text
    match = _SUFFIX.search(text)
    if match is None:
        return text
    extra = re.sub(r"\b(default|required)\b", lambda word: m._(word.group(1)), match.group(2))
    return text[: match.start()] + match.group(1) + extra + match.group(3)


class LocalizedContext(click.Context):
    """A context whose help and usage are in the active language."""

    formatter_class = LocalizedFormatter

    def make_formatter(self) -> click.HelpFormatter:
        localize(self.find_root().command, current_messages())
        return super().make_formatter()


def use_localized_help(command: click.Command) -> None:
    """Make ``command`` and every sub-command show their help through :class:`LocalizedContext`."""
    command.context_class = LocalizedContext
    for sub in getattr(command, "commands", {}).values():
        use_localized_help(sub)
