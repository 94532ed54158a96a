"""``rightsaware paper``: print forms, scan them back, review what is uncertain, list pages."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .reasons import explain, state_name
from .service import MAX_COPIES
from .texts import N_, PaperError, ngettext, paper_messages
from .texts import tr as _


@contextlib.contextmanager
def _session(obj: Any) -> Iterator[tuple[Any, Any]]:
    """The service, with messages in the user's language made active for errors."""
    from rightsaware.i18n import use_messages

    from .service import PaperService

    runtime = obj.runtime
    paper_messages(runtime, obj.ui_language)  # make sure the domain is loaded
    with use_messages(runtime.messages(obj.ui_language)):
        yield PaperService(runtime), paper_messages(runtime, obj.ui_language)


@click.group("paper")
def paper() -> None:
    """Paper forms: print them, scan them back, review what is uncertain.

    \b
    rightsaware paper print --instrument ID --lang cy+en --copies 50 --out forms.pdf
    rightsaware paper scan scans/ --batch "Llandrindod, 3 May"
    rightsaware paper review list             what waits for a person
    rightsaware paper review decide 12 choose yes --who "Siân"
    rightsaware paper pages --state rejected  pages and why they were not read
    """


@paper.command("print")
@click.option("--instrument", "instrument_id", required=True, help="The instrument (survey) id.")
@click.option("--lang", "language", default=None,
              help="One or two languages: cy+en, gd+en, en, cy or gd; order follows the bilingual_order setting. "
                   "Default: Welsh or Gaelic with English, as the survey has them.")
@click.option("--copies", default=1, show_default=True, type=click.IntRange(1, MAX_COPIES),
              help="How many copies; each gets its own sheet serial.")
@click.option("--large-print", is_flag=True, help="At least 16 pt text and larger circles, for people with low vision.")
@click.option("--stacked", is_flag=True, help="Two languages one above the other instead of side by side.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The PDF file to write.")
@click.pass_obj
def print_command(obj: Any, instrument_id: str, language: str | None, copies: int, large_print: bool,
                  stacked: bool, out: Path) -> None:
    """Write printable A4 forms (PDF) with markers and a QR code on every page."""
    with _session(obj) as (service, _m):
        language = language or service.default_languages(obj.runtime.instrument(instrument_id))
        forms = service.print_forms(instrument_id, language, copies=copies, large_print=large_print, stacked=stacked)
        try:
            out.write_bytes(forms.pdf)
        except OSError as exc:
            raise PaperError(N_("The file {path} cannot be written: {reason}"), path=str(out),
                             reason=exc.strerror or str(exc)) from None
        click.echo(_("Wrote {copies} copies of {pages} pages to {path} (layout {layout}).", copies=copies,
                     pages=forms.layout.page_count, path=str(out), layout=forms.layout.fingerprint))


@paper.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--batch", "batch_name", default="", help="A name for this batch (a place or a date).")
@click.option("--instrument", "instrument_id", default=None,
              help="Only accept pages of this survey; pages of other surveys are rejected.")
@click.option("--json", "as_json", is_flag=True, help="Print one record per input page, and the summary, as JSON.")
@click.pass_obj
def scan(obj: Any, paths: tuple[Path, ...], batch_name: str, instrument_id: str | None, as_json: bool) -> None:
    """Read scanned pages and photos (PNG, JPEG, TIFF, PDF; files or folders).

    Every page is kept and ends read, in review, rejected (with the reason) or done; the
    summary checks that every page is accounted for. Nothing uncertain is guessed.
    """
    from .scanning import Scanner

    with _session(obj) as (service, m):
        report = Scanner(service, expected_instrument=instrument_id).scan([str(p) for p in paths], batch_name)
        if as_json:
            click.echo(json.dumps({"pages": [r.to_dict() for r in report.records], "summary": report.summary()},
                                  ensure_ascii=False, indent=2))
        else:
            for record in report.records:
                line = f"{record.file} p.{record.page}: {state_name(record.state, m)}"
                if record.reason:
                    line += f" ({explain(record.reason, m)})"
                if record.outcome == "seen":
                    line += " " + _("[scanned before]")
                review = sum(1 for a in record.answers if a["state"] == "in_review")
                if review:
                    line += " " + ngettext("{n} answer to review", "{n} answers to review", review)
                click.echo(line)
            for path in report.skipped:
                click.echo(_("Skipped {path}: not an image or PDF file.", path=path), err=True)
            counts = report.counts
            click.echo(_("Pages in: {total}. Read: {read}, in review: {review}, rejected: {rejected}, done: {done}.",
                         total=len(report.records), read=counts.get("read", 0), review=counts.get("in_review", 0),
                         rejected=counts.get("rejected", 0), done=counts.get("done", 0)))
        if not report.reconciled:
            click.echo(_("Pages in and pages accounted for differ: please report this."), err=True)
            sys.exit(1)


@paper.command()
@click.option("--state", type=click.Choice(["read", "in_review", "rejected", "done"]), default=None,
              help="Only pages in this state.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def pages(obj: Any, state: str | None, as_json: bool) -> None:
    """Every page kept, with its state and the reason it was rejected or is in review."""
    from sqlalchemy import select

    from . import storage as db

    with _session(obj) as (service, m):
        query = select(db.pages).order_by(db.pages.c.created_at)
        if state:
            query = query.where(db.pages.c.state == state)
        with service.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(query).mappings()]
        if as_json:
            click.echo(json.dumps([{k: (str(v) if k.endswith("_at") else v) for k, v in r.items() if k != "result_json"}
                                   for r in rows], ensure_ascii=False, indent=2))
            return
        for row in rows:
            where = f"{row['instrument_id']} p{row['page_no']} {row['serial']}" if row["serial"] else "-"
            reason = f" ({explain(row['reason'], m)})" if row["reason"] else ""
            click.echo(f"{row['hash'][:12]}  {state_name(row['state'], m):<10} {where}  {row['source']}{reason}")
        if not rows:
            click.echo(_("No pages."))


from .review_cli import review  # noqa: E402 - attached to the group defined above

paper.add_command(review)
