"""``rightsaware i18n``: extract, update, check and report the translation catalogs.

Attach with ``cli.add_command(i18n)``. The group works with or without a runtime in
``click.get_current_context().obj`` (an object with ``.runtime`` and ``.m``, or a runtime):
with one, channels' domains come from the ``register_message_catalogs`` hook, whose
``register`` may be given a third argument, the channel's source folder; without one, only
the core, the built-in instruments and ``--instrument`` files are handled.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import click

from . import i18n_check
from .errors import CatalogError
from .i18n import ENGLISH, _, ngettext, use_messages


def _runtime(obj: Any) -> Any:
    runtime = getattr(obj, "runtime", None)
    if runtime is None and hasattr(obj, "hook"):
        runtime = obj
    return runtime


def channel_catalogs(runtime: Any) -> list[tuple[str, Path, Path | None]]:
    """``(domain, locales_dir, source_dir)`` of every domain plugins register."""
    found: list[tuple[str, Path, Path | None]] = []
    if runtime is None or not hasattr(runtime, "hook"):
        return found

    def register(domain: str, locales_dir: Any, source_dir: Any = None, **_ignored: Any) -> None:
        found.append((domain, Path(str(locales_dir)), Path(str(source_dir)) if source_dir else None))

    runtime.hook.register_message_catalogs(register=register, runtime=runtime)
    return [entry for entry in found if entry[0] != i18n_check.CORE_DOMAIN]


def _installed(domain: i18n_check.Domain) -> bool:
    parts = set(Path(domain.locales_dir).resolve().parts)
    return bool(parts & {"site-packages", "dist-packages"})


def _messages(obj: Any) -> Any:
    """The UI language's messages; the core's alone when a domain cannot be loaded yet.

    A newly registered channel domain has no ``.po`` files until ``i18n update`` creates
    them, and the runtime's translator refuses to load it: the commands that bootstrap
    and repair catalogs must still run.
    """
    if obj is None:
        return ENGLISH
    try:
        return getattr(obj, "m", None) or ENGLISH
    except CatalogError:
        from .cli import ui_messages

        return ui_messages(None, getattr(obj, "ui_language", None) or "en")


@contextlib.contextmanager
def _session(instruments: tuple[Path, ...], names: tuple[str, ...]):
    obj = click.get_current_context().obj
    with use_messages(_messages(obj)):
        domains = i18n_check.discover(channel_catalogs(_runtime(obj)), instruments)
        if names:
            unknown = sorted(set(names) - {d.name for d in domains})
            if unknown:
                raise click.UsageError(_("Unknown domain: {names}. Known: {known}", names=", ".join(unknown),
                                         known=", ".join(d.name for d in domains)))
            domains = [d for d in domains if d.name in names]
        if not domains:
            click.echo(_("Nothing to do: no source checkout and no --instrument file."))
        yield domains


def _options(command: Any) -> Any:
    command = click.option("--domain", "names", multiple=True, metavar="NAME",
                           help="Only this domain (repeatable): rightsaware, a channel's or an instrument id.")(command)
    return click.option("--instrument", "instruments", multiple=True, metavar="FILE",
                        type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="Also handle this instrument file (repeatable).")(command)


@click.group("i18n")
def i18n() -> None:
    """Translations: extract messages, update catalogs, check them, show coverage.

    \b
    Catalogs: locales/{en,cy,gd}/LC_MESSAGES/rightsaware.po for the core; an instrument
    my-survey.toml keeps its own in my-survey/locales/. See docs/translating.md.
    """


@i18n.command()
@_options
def extract(instruments: tuple[Path, ...], names: tuple[str, ...]) -> None:
    """Write each domain's template (.pot) from its sources."""
    with _session(instruments, names) as domains:
        for domain in domains:
            if _installed(domain) or not domain.has_sources:
                click.echo(_("{domain}: skipped (an installed copy, not a source checkout)", domain=domain.name))
                continue
            changed = i18n_check.extract(domain)
            click.echo(_("{domain}: {path} updated", domain=domain.name, path=domain.pot_path) if changed
                       else _("{domain}: {path} already up to date", domain=domain.name, path=domain.pot_path))


@i18n.command()
@_options
def update(instruments: tuple[Path, ...], names: tuple[str, ...]) -> None:
    """Extract, then merge new messages into every language's .po (creating missing ones)."""
    with _session(instruments, names) as domains:
        for domain in domains:
            if _installed(domain) or not domain.has_sources:
                click.echo(_("{domain}: skipped (an installed copy, not a source checkout)", domain=domain.name))
                continue
            changed = i18n_check.update(domain)
            for path in changed:
                click.echo(_("{domain}: {path} updated", domain=domain.name, path=path))
            if not changed:
                click.echo(_("{domain}: catalogs already up to date", domain=domain.name))


@i18n.command()
@_options
def check(instruments: tuple[Path, ...], names: tuple[str, ...]) -> None:
    """Fail (exit 1) on any problem: stale template, fuzzy or untranslated entries, plural forms,
    placeholders, Plural-Forms headers, and whatever msgfmt --check rejects.
    """
    require_all = os.environ.get("RIGHTSAWARE_REQUIRE_ALL") == "1"
    with _session(instruments, names) as domains:
        problems: list[i18n_check.Problem] = []
        msgfmt = i18n_check.shutil.which("msgfmt") is not None
        if not msgfmt:
            message = _("msgfmt (Debian package gettext) is not installed: its checks were not run.")
            if require_all:
                problems.append(i18n_check.Problem("msgfmt", None, message))
            else:
                click.echo(message, err=True)
        for domain in domains:
            found = i18n_check.check_domain(domain, stale=not _installed(domain), msgfmt=msgfmt)
            problems += found
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems:
            click.echo(ngettext("{n} problem found.", "{n} problems found.", len(problems)), err=True)
            click.get_current_context().exit(1)
        click.echo(_("All catalogs are complete and valid."))


@i18n.command()
@_options
def status(instruments: tuple[Path, ...], names: tuple[str, ...]) -> None:
    """Show how much of each domain is translated into each language."""
    with _session(instruments, names) as domains:
        headings = (_("domain"), _("language"), _("translated"), _("fuzzy"), _("untranslated"),
                    _("total"), "%")
        rows = [headings]
        for domain in domains:
            for row in i18n_check.coverage(domain):
                rows.append((row.domain, row.language, str(row.translated), str(row.fuzzy),
                             str(row.untranslated), str(row.total), f"{row.percent:.0f}"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(headings))]
        for row in rows:
            click.echo("  ".join(cell.ljust(width) if i < 2 else cell.rjust(width)
                                 for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
