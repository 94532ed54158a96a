"""``rightsaware report``, ``export`` and ``simulate``: click commands the root CLI adds.

Each takes the runtime from ``click.get_current_context().obj.runtime`` and prints its
messages in the CLI's language. Disclosure control is always on: no option turns it off,
and ``--threshold`` may raise or lower the smallest count shown but never below 3.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .errors import RightsawareError
from .i18n import N_, normalize_language

RESPONSES_EXPORT = "responses.export"  # audit action: respondent-level answers written to a file
STEP_LABELS = {  # aggregate.STEPS, as the progress bar names them
    "tally": N_("coding new answers"),
    "responses": N_("finding the responses"),
    "answers": N_("counting answers"),
    "disclosure": N_("hiding small counts"),
    "statistics": N_("working out medians and tests"),
}


def _obj() -> Any:
    return click.get_current_context().obj


def _by(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _progress(length: int, label: str, show: Callable[[Any], str | None] | None = None) -> Any:
    """A progress bar on standard error (drawn only on a terminal, so pipes and logs stay clean)."""
    return click.progressbar(length=length, label=label, file=sys.stderr, item_show_func=show)


def _results(runtime: Any, instrument_id: str, by: str, threshold: int | None, include_synthetic: bool,
             include_free_text: bool = False, version: str | None = None) -> Any:
    from .aggregate import STEPS, aggregate_results

    m = _obj().m

    def show(item: Any) -> str | None:  # a step's key, or (done, total) while new answers are coded
        if isinstance(item, tuple):
            return m._("coding new answers ({share})", share=m.format_percent(item[0] / max(item[1], 1)))
        return m._(STEP_LABELS[item]) if item else None

    with _progress(len(STEPS), m._("Working out the results"), show) as bar:
        return aggregate_results(runtime, instrument_id, by=_by(by), threshold=threshold,
                                 include_synthetic=include_synthetic, include_free_text=include_free_text,
                                 version=version, on_step=lambda key: bar.update(1, key),
                                 on_coding=lambda done, total: _redraw(bar, (done, total)))


def _redraw(bar: Any, item: Any) -> None:
    """Show a new item without moving the bar (``update(0, item)`` would not draw it)."""
    bar.current_item = item
    bar.render_progress()


@click.command("report")
@click.option("--instrument", "instrument_id", required=True, help="The survey's id (see: rightsaware instruments list).")
@click.option("--lang", "language", default=None, help="Language of the report: en, cy or gd [default: the CLI's].")
@click.option("--by", default="", help="Breakdowns, comma-separated: channel, language, nation, local_authority, "
              "age_band, rural_urban or a question's name.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file to write [default: report-<survey>-<lang>.html].")
@click.option("--include-synthetic", is_flag=True, help="Count synthetic (practice) responses too; the report says so.")
@click.option("--include-free-text", is_flag=True, help="Show written answers (never with a breakdown by small area).")
@click.option("--threshold", type=int, default=None, help="Smallest count shown [default: the setting, 10; never below 3].")
@click.option("--version", "instrument_version", default=None, help="Only responses to this version of the survey.")
@click.option("--no-charts", is_flag=True, help="Leave out the charts (a smaller file).")
def report(instrument_id: str, language: str | None, by: str, out: Path | None, include_synthetic: bool,
           include_free_text: bool, threshold: int | None, instrument_version: str | None, no_charts: bool) -> None:
    """Write a self-contained HTML report of a survey's results, with small counts hidden."""
    from .report import render_report

    obj = _obj()
    runtime, m = obj.runtime, obj.m
    language = normalize_language(language or obj.ui_language)
    instrument = runtime.instrument(instrument_id)
    results = _results(runtime, instrument_id, by, threshold, include_synthetic, include_free_text, instrument_version)
    html = render_report(runtime, results, instrument, language, charts=not no_charts)
    out = out or Path(f"report-{instrument_id}-{language}.html")
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise RightsawareError(m._("Cannot write {file}: {reason}", file=str(out), reason=exc.strerror or str(exc))) from None
    click.echo(m._("Report written to {file}", file=str(out)))
    if results.too_few:
        click.echo(m.ngettext("Fewer than {threshold} response so far: the report shows no figures yet.",
                              "Fewer than {threshold} responses so far: the report shows no figures yet.",
                              results.threshold, threshold=results.threshold), err=True)


@click.command("export")
@click.option("--instrument", "instrument_id", required=True, help="The survey's id (see: rightsaware instruments list).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--by", default="", help="Breakdowns for the tables, comma-separated (as for report).")
@click.option("--labels", default="codes", show_default=True,
              help="Answers as codes, or labelled in a language: codes, en, cy or gd.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write [default: standard output; required for xlsx].")
@click.option("--respondents", is_flag=True,
              help="Export one row per response instead of tables (personal data: never contact details).")
@click.option("--include-synthetic", is_flag=True, help="Include synthetic (practice) responses.")
@click.option("--include-free-text", is_flag=True, help="Include written answers (respondent-level only).")
@click.option("--bom", is_flag=True, help="Start a CSV file with a byte-order mark so that Excel reads ŵ, ŷ, à correctly.")
@click.option("--threshold", type=int, default=None, help="Smallest count shown in tables [default: the setting].")
def export(instrument_id: str, fmt: str, by: str, labels: str, out: Path | None, respondents: bool,
           include_synthetic: bool, include_free_text: bool, bom: bool, threshold: int | None) -> None:
    """Export a survey's tables (small counts hidden), or its responses with --respondents."""
    from . import audit
    from .exports import write_respondents, write_tables
    from .results_labels import CODES, Labels

    obj = _obj()
    runtime, m = obj.runtime, obj.m
    language = CODES if labels.strip().lower() == CODES else normalize_language(labels)
    instrument = runtime.instrument(instrument_id)
    namer = Labels(runtime, instrument, language)
    if respondents:
        if by:
            raise RightsawareError(m._("--by is for tables; leave it out with --respondents."))
        count = write_respondents(runtime.store, instrument, namer, fmt, out, include_synthetic=include_synthetic,
                                  include_free_text=include_free_text, bom=bom)
        audit.record(runtime.store, audit.cli_actor(), RESPONSES_EXPORT, subject_kind="instrument",
                     subject_id=instrument_id, detail={"responses": count, "format": fmt,
                                                       "free_text": include_free_text})
        message = m.ngettext("{n} response exported.", "{n} responses exported.", count)
    else:
        if include_free_text:
            raise RightsawareError(m._("Written answers are exported only with --respondents."))
        results = _results(runtime, instrument_id, by, threshold, include_synthetic)
        count = write_tables(results, namer.know(results), fmt, out, bom=bom)
        message = m.ngettext("{n} figure exported (small counts hidden).", "{n} figures exported (small counts hidden).",
                             count)
    if out is not None:
        click.echo(message + " " + m._("File: {file}", file=str(out)))
    else:
        click.echo(message, err=True)


@click.command("simulate")
@click.option("--instrument", "instrument_id", required=True, help="The survey's id (see: rightsaware instruments list).")
@click.option("--respondents", type=click.IntRange(min=1), required=True, help="How many synthetic responses to add.")
@click.option("--db", default=None, help="Database URL [default: the configured one].")
@click.option("--seed", type=int, default=None, help="Random seed, to get the same responses again.")
@click.option("--channels", default="web,sms,paper", show_default=True, help="Channels to spread responses across.")
def simulate(instrument_id: str, respondents: int, db: str | None, seed: int | None, channels: str) -> None:
    """Add synthetic (practice) responses, marked as such and left out of reports unless asked for."""
    from .simulate import simulate as run

    obj = _obj()
    runtime, m = obj.runtime, obj.m
    instrument = runtime.instrument(instrument_id)
    with _progress(respondents, m._("Adding synthetic responses")) as bar:

        def advance(stored_so_far: int) -> None:  # simulate reports how many are stored so far
            bar.update(stored_so_far - bar.pos)

        if db:
            from .store import Store

            with Store.open(db, runtime.keyring) as store:
                stored = run(store, instrument, respondents, seed=seed, channels=_by(channels), progress=advance)
        else:
            stored = run(runtime.store, instrument, respondents, seed=seed, channels=_by(channels), progress=advance)
    click.echo(m.ngettext("{n} synthetic response added to {survey}.", "{n} synthetic responses added to {survey}.",
                          stored, survey=instrument_id))
    click.echo(m._("Reports leave them out unless you add --include-synthetic."))
