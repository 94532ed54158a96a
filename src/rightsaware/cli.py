"""The ``rightsaware`` command line (click); plugins add sub-commands through ``register_commands``.

Errors caused by input or settings are printed as one short message (never a traceback)
and exit with 1 (invalid input) or 2 (usage or configuration).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .cli_help import use_localized_help
from .errors import ConfigError, InstrumentError, RightsawareError

EXIT_INVALID = 1
EXIT_USAGE = 2


class Context:
    """What every command gets as ``ctx.obj``: the runtime and the UI language's messages."""

    def __init__(self, runtime, ui_language: str) -> None:  # noqa: ANN001
        self.runtime = runtime
        self.ui_language = ui_language

    @property
    def m(self):  # noqa: ANN201 - rightsaware.i18n.Messages
        return self.runtime.messages(self.ui_language)


def ui_language() -> str:
    """The CLI's own language: RIGHTSAWARE_UI_LANGUAGE, else LANGUAGE/LANG, else English."""
    from .i18n import normalize_language

    for variable in ("RIGHTSAWARE_UI_LANGUAGE", "LANGUAGE", "LC_ALL", "LANG"):
        value = os.environ.get(variable, "").split(":")[0].split(".")[0]
        if value and value not in ("C", "POSIX"):
            try:
                return normalize_language(value)
            except RightsawareError:
                continue
    return "en"


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="rightsaware")
def cli() -> None:
    """rightsaware: surveys on people's rights in Wales and Scotland, in English, Welsh and Gaelic.

    \b
    Common tasks:
      rightsaware instruments list          the surveys you can run
      rightsaware validate my-survey.toml   check an instrument file
      rightsaware take rights-wales --lang cy   answer a survey in the terminal
      rightsaware serve                     the web server on http://127.0.0.1:8000

    Settings come from rightsaware.toml and RIGHTSAWARE_* environment variables
    (see docs/configuration.md).
    """


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_ctx
def validate(obj: Context, files: tuple[Path, ...]) -> None:
    """Check instrument files; list every problem as file:line: field: message.

    Exits 0 when every file is valid and 1 when any is not.
    """
    from .loading import load_instrument

    m = obj.m
    failed = False
    for path in files:
        try:
            instrument = load_instrument(path)
        except InstrumentError as exc:
            failed = True
            click.echo(m.ngettext("{file}: {n} problem", "{file}: {n} problems", max(len(exc.problems), 1), file=str(path)), err=True)
            for problem in exc.problems:
                click.echo("  " + problem.format(m._), err=True)
            continue
        click.echo(m._("{file}: valid ({id} version {version}, {n} questions)", file=str(path), id=instrument.id,
                       version=instrument.version, n=len(instrument.questions)))
    if failed:
        sys.exit(EXIT_INVALID)


@cli.group()
def instruments() -> None:
    """List and show the instruments this deployment offers."""


@instruments.command("list")
@click.option("--ids", is_flag=True, help="Print only the ids, one per line (for scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def instruments_list(obj: Context, ids: bool, as_json: bool) -> None:
    """The built-in instruments and those in the configured instruments folder."""
    library = obj.runtime.instruments
    entries = library.entries()
    if ids:
        for entry in entries:
            click.echo(entry.instrument.id)
        return
    if as_json:
        click.echo(json.dumps([
            {"id": e.instrument.id, "version": e.instrument.version, "title": e.instrument.title,
             "languages": list(e.instrument.languages), "questions": len(e.instrument.questions),
             "builtin": e.builtin, "path": str(e.path)}
            for e in entries
        ], ensure_ascii=False, indent=2))
        return
    m = obj.m
    if not entries:
        click.echo(m._("No instruments found."))
    for entry in entries:
        inst = entry.instrument
        click.echo(f"{inst.id}  v{inst.version}  [{', '.join(inst.languages)}]  {inst.title}")
    for problem in library.problems:
        click.echo(m._("Skipped a broken instrument file: {error}", error=problem.display(m)), err=True)


@instruments.command("show")
@click.argument("instrument_id")
@click.option("--lang", "language", default="en", show_default=True, help="Language: en, cy or gd.")
@pass_ctx
def instruments_show(obj: Context, instrument_id: str, language: str) -> None:
    """Print an instrument's questions and choices in one language."""
    from .i18n import localize, normalize_language

    language = normalize_language(language)
    instrument = obj.runtime.instrument(instrument_id)
    text = localize(instrument, obj.runtime.messages(language))
    m = obj.runtime.messages(language)
    click.echo(text.title())
    click.echo(m._("Version {version} · {n} questions", version=instrument.version, n=len(instrument.questions)))
    for number, question in enumerate(instrument.questions, start=1):
        click.echo(f"\n{number}. [{question.name}] {text.label(question)}  ({question.type})")
        hint = text.hint(question)
        if hint:
            click.echo(f"   {hint}")
        if question.relevant:
            click.echo("   " + m._("Asked when: {expression}", expression=question.relevant))
        for index, choice in enumerate(instrument.choices_for(question), start=1):
            click.echo(f"   {index}) {text.choice_label(question, choice)}  [{choice.name}]")


@cli.command()
@click.argument("instrument_id")
@click.option("--lang", "language", default=None, help="Language to start in: en, cy or gd.")
@pass_ctx
def take(obj: Context, instrument_id: str, language: str | None) -> None:
    """Answer an instrument in the terminal, one question at a time, through the engine.

    Type a number or an option; CYMRAEG, GÀIDHLIG or ENGLISH switches language;
    BACK goes back; SKIP skips an optional question.
    """
    from .i18n import normalize_language
    from .terminal import run_terminal_interview

    language = normalize_language(language or obj.ui_language)
    run_terminal_interview(obj.runtime, instrument_id, language)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def plugins(obj: Context, as_json: bool) -> None:
    """Installed plugins, their distributions, versions and hooks."""
    from .plugins import describe_plugins

    rows = describe_plugins(obj.runtime.pm)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}  ({row['distribution']} {row['version']})")
        click.echo("    " + (", ".join(row["hooks"]) or "-"))
    click.echo(obj.m._("Channels: {names}", names=", ".join(obj.runtime.channels.names()) or "-"))


@cli.group()
def db() -> None:
    """The database: apply migrations, show the schema revision."""


@db.command("upgrade")
@click.option("--db", "url", default=None, help="Database URL [default: the configured one].")
@pass_ctx
def db_upgrade(obj: Context, url: str | None) -> None:
    """Bring the database schema up to date (safe to run again; data is kept)."""
    from .store import Store

    store = Store.open(url or obj.runtime.settings.database, obj.runtime.keyring, migrate=True)
    try:
        click.echo(obj.m._("The database is up to date (schema revision {revision}).", revision=store.schema_revision()))
    finally:
        store.close()


@db.command("current")
@click.option("--db", "url", default=None, help="Database URL [default: the configured one].")
@pass_ctx
def db_current(obj: Context, url: str | None) -> None:
    """Print the database's schema revision without changing anything."""
    from .store import Store

    store = Store.open(url or obj.runtime.settings.database, obj.runtime.keyring, migrate=False)
    try:
        click.echo(store.schema_revision() or obj.m._("(no schema yet: run rightsaware db upgrade)"))
    finally:
        store.close()


@cli.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default: 8000].")
@click.option("--db", default=None, help="Database URL [default: sqlite in the data folder].")
@pass_ctx
def serve(obj: Context, host: str | None, port: int | None, db: str | None) -> None:
    """Run the web server: surveys, channels' pages, results."""
    import uvicorn

    from .server import make_app

    runtime = obj.runtime
    if db:
        runtime.settings = runtime.settings.with_overrides(database_url=db)
    host = host or runtime.settings.host
    port = port or runtime.settings.port
    from .heap import freeze_startup_heap
    from .logsafety import configure
    from .retention import start_scheduled_purge

    configure(runtime.settings.log_level)  # stderr at the log_level setting, personal data redacted
    runtime.store  # noqa: B018 - open and migrate before accepting requests
    app = make_app(runtime)
    freeze_startup_heap()  # full collections of the start-up heap would pause requests (see rightsaware.heap)
    purger = start_scheduled_purge(runtime)  # retention periods applied daily (purge_interval_hours)
    click.echo(obj.m._("rightsaware is running on http://{host}:{port} (press Ctrl+C to stop)", host=host, port=port))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        if purger is not None:
            purger.stop()


def build_cli(runtime) -> click.Group:  # noqa: ANN001
    """The root group with plugins' sub-commands added."""
    from .i18n_cli import i18n
    from .privacy_cli import register_privacy_commands
    from .referral_cli import referrals
    from .report_cli import export, report, simulate
    from .xlsform_cli import xlsform

    for group in (i18n, referrals, xlsform, report, export, simulate):
        if group.name not in cli.commands:
            cli.add_command(group)
    register_privacy_commands(cli)
    runtime.hook.register_commands(cli=cli, runtime=runtime)
    use_localized_help(cli)
    return cli


def ui_messages(runtime=None, language: str | None = None):  # noqa: ANN001, ANN201 - i18n.Messages
    """Messages in the UI language for printing errors; never raises.

    Uses the runtime's translator when it loads; otherwise (broken settings, a channel
    domain without catalogs yet) the core catalogs alone, and English as a last resort.
    """
    from .i18n import ENGLISH, LANGUAGES, Translator

    language = language or ui_language()
    if language == "en":
        return ENGLISH
    if runtime is not None:
        try:
            return runtime.messages(language)
        except RightsawareError:
            pass
    try:
        return Translator.with_core(LANGUAGES).messages(language)
    except RightsawareError:
        return ENGLISH


class _LazyMessages:
    """``ui_messages(runtime, language)``, loaded when first used (``--help`` stays fast)."""

    def __init__(self, runtime, language: str) -> None:  # noqa: ANN001
        self._runtime = runtime
        self._language = language
        self._messages = None

    def __getattr__(self, name: str):  # noqa: ANN204
        if self._messages is None:
            self._messages = ui_messages(self._runtime, self._language)
        return getattr(self._messages, name)


def _show_error(exc: RightsawareError, messages) -> None:  # noqa: ANN001
    try:
        text = exc.display(messages)
    except Exception:  # noqa: BLE001 - a broken translation must not hide the error
        text = str(exc)
    click.echo(messages._("Error: {message}", message=text), err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: build the runtime, run the CLI, turn user errors into short messages.

    Errors are shown in the UI language (see :func:`ui_language`): their messages are
    English templates translated here, and the module-level ``_`` is bound to that
    language while a command runs.
    """
    from .i18n import use_messages

    debug = bool(os.environ.get("RIGHTSAWARE_DEBUG"))
    language = ui_language()
    messages = _LazyMessages(None, language)
    try:
        from .runtime import Runtime

        runtime = Runtime()
        messages = _LazyMessages(runtime, language)
        group = build_cli(runtime)
        obj = Context(runtime, language)
        try:
            with use_messages(messages):
                code = group.main(args=argv, prog_name="rightsaware", obj=obj, standalone_mode=False)
        finally:
            runtime.close()
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo(messages._("Aborted."), err=True)
        sys.exit(EXIT_INVALID)
    except click.ClickException as exc:
        from .cli_errors import show_click_error

        with use_messages(messages):  # the usage line is translated too
            show_click_error(exc, messages)
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except RightsawareError as exc:
        if debug:
            raise
        _show_error(exc, messages)
        sys.exit(EXIT_USAGE if isinstance(exc, ConfigError) else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last resort: no traceback for users
        if debug:
            raise
        click.echo(messages._("Unexpected error ({kind}). Run again with RIGHTSAWARE_DEBUG=1 for details.",
                              kind=type(exc).__name__), err=True)
        sys.exit(EXIT_INVALID)
