"""Click's own error messages (a missing option, a mistyped command) in the reader's language.

Click words these in English. :func:`show_click_error` prints them as Click does (usage,
a hint, the error), with the usage translated by :mod:`rightsaware.cli_help` and the
message matched against the templates Click uses, so that a Welsh or Gaelic reader sees
"Gwall: Mae'r opsiwn '--instrument' ar goll." A message Click words in a way not listed
here is shown as Click wrote it.
"""

from __future__ import annotations

import re
from typing import Any

import click

from .i18n import N_

_VALUE_PROBLEMS = (
    (re.compile(r"'(?P<value>.*)' is not a valid integer\."), N_("'{value}' is not a whole number.")),
    (re.compile(r"'(?P<value>.*)' is not a valid float\."), N_("'{value}' is not a number.")),
    (re.compile(r"'(?P<value>.*)' is not one of (?P<choices>.*)\."), N_("'{value}' is not one of {choices}.")),
    (re.compile(r"(?P<value>\S+) is not in the range (?P<range>.*)\."), N_("{value} is not in the range {range}.")),
)

_MESSAGES = (
    (re.compile(r"Missing option '(?P<name>[^']+)'\."), N_("Missing option '{name}'.")),
    (re.compile(r"Missing argument '(?P<name>[^']+)'\."), N_("Missing argument '{name}'.")),
    (re.compile(r"Option '(?P<name>[^']+)' requires an argument\."), N_("Option '{name}' requires an argument.")),
    (re.compile(r"No such option '(?P<name>[^']+)'\. Did you mean '(?P<suggestion>[^']+)'\?"),
     N_("No such option '{name}'. Did you mean '{suggestion}'?")),
    (re.compile(r"No such option '(?P<name>[^']+)'\."), N_("No such option '{name}'.")),
    (re.compile(r"No such option: (?P<name>\S+)"), N_("No such option '{name}'.")),
    (re.compile(r"No such command '(?P<name>[^']+)'\. \(Did you mean(?: one of:)? (?P<suggestion>.+)\?\)"),
     N_("No such command '{name}'. Did you mean {suggestion}?")),
    (re.compile(r"No such command '(?P<name>[^']+)'\."), N_("No such command '{name}'.")),
    (re.compile(r"Got unexpected extra arguments? \((?P<extra>.*)\)"), N_("Unexpected extra words: {extra}")),
)

_INVALID = re.compile(r"Invalid value for '(?P<name>[^']+)': (?P<problem>.*)", re.DOTALL)


def translate_click_message(text: str, messages: Any) -> str:
    """``text``, one of Click's error messages, in the language of ``messages``."""
    invalid = _INVALID.fullmatch(text)
    if invalid is not None:
        problem = invalid.group("problem")
        for pattern, template in _VALUE_PROBLEMS:
            match = pattern.fullmatch(problem)
            if match is not None:
                problem = messages._(template, **match.groupdict())
                break
        return messages._("Invalid value for '{name}': {problem}", name=invalid.group("name"), problem=problem)
    for pattern, template in _MESSAGES:
        match = pattern.fullmatch(text)
        if match is not None:
            return messages._(template, **match.groupdict())
    return text


def show_click_error(exc: click.ClickException, messages: Any) -> None:
    """Print ``exc`` as Click would, in the language of ``messages``."""
    context = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and context is not None:
        click.echo(context.get_usage(), err=True)
        if context.command.get_help_option(context) is not None:
            click.echo(messages._("Try '{command} --help' for help.", command=context.command_path), err=True)
        click.echo("", err=True)
    text = translate_click_message(exc.format_message(), messages)
    click.echo(messages._("Error: {message}", message=text), err=True)
