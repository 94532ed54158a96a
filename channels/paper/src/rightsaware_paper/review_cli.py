"""``rightsaware paper review``: the review queue from the command line (for scripts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .reasons import explain
from .review import ACTIONS, ReviewQueue
from .texts import ngettext
from .texts import tr as _


def _queue(obj: Any):  # noqa: ANN202
    from .commands import _session

    return _session(obj)


@click.group("review")
def review() -> None:
    """The review queue: doubtful marks, handwriting, pages that could not be read.

    \b
    rightsaware paper review list
    rightsaware paper review show 12 --image crop.png
    rightsaware paper review decide 12 choose yes --who "Siân"
    rightsaware paper review decide 13 choose time transport --who "Siân"   (several choices)
    rightsaware paper review decide 14 choose "Bus times are bad" --who "Siân"
    rightsaware paper review decide 15 blank --who "Siân"        nothing was meant
    rightsaware paper review decide 16 unreadable --who "Siân"   no answer is recorded
    rightsaware paper review decide 17 keyed heard=yes age=67 --who "Siân"   (a page typed in)
    rightsaware paper review decide 18 identify "RA1|…" --who "Siân"     (the code printed on the page)
    rightsaware paper review withdraw 19 --who "Siân"    the page says the person withdraws consent
    rightsaware paper review withdraw --sheet K7QX2M --who "Siân"
    """


def _row(item: Any, m: Any) -> dict:
    return {"id": item.id, "kind": item.kind, "state": item.state, "question": item.question,
            "reasons": list(item.reasons), "explanations": [explain(r, m) for r in item.reasons],
            "instrument": item.instrument_id, "page": item.page.get("page_no"), "serial": item.page.get("serial"),
            "file": item.page.get("source"), "proposal": item.proposal, "value": item.value,
            "decided_by": item.decided_by, "decided_at": str(item.decided_at) if item.decided_at else None,
            "actions": list(ACTIONS[item.kind])}


@review.command("list")
@click.option("--all", "show_all", is_flag=True, help="Decided items too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_items(obj: Any, show_all: bool, as_json: bool) -> None:
    """Items waiting for a person (oldest first)."""
    with _queue(obj) as (service, m):
        queue = ReviewQueue(service)
        items = queue.items(state="" if show_all else "open", limit=10000)
        if as_json:
            click.echo(json.dumps([_row(i, m) for i in items], ensure_ascii=False, indent=2))
            return
        for item in items:
            what = item.question or _("whole page")
            reasons = "; ".join(explain(r, m) for r in item.reasons)
            click.echo(f"{item.id:>5}  {item.kind:<10} {item.state:<8} {what}: {reasons}")
        click.echo(ngettext("{n} item waiting.", "{n} items waiting.", queue.count("open")))


@review.command()
@click.argument("item_id", type=int)
@click.option("--image", type=click.Path(dir_okay=False, path_type=Path), help="Write the item's image (PNG) here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(obj: Any, item_id: int, image: Path | None, as_json: bool) -> None:
    """One item: why it is here, what the reader saw, what may be decided, and its history."""
    with _queue(obj) as (service, m):
        queue = ReviewQueue(service)
        item = queue.item(item_id)
        row = _row(item, m)
        row["decisions"] = [{k: (str(v) if k == "at" else v) for k, v in d.items() if not k.endswith("_json")}
                            for d in queue.decisions(item_id)]
        if image is not None:
            data = queue.crop(item)
            if data is not None:
                from rightsaware.audit import cli_actor

                from .privacy import audit_scan_view

                image.write_bytes(data)
                audit_scan_view(service, item, actor=cli_actor())
                row["image"] = str(image)
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False, indent=2, default=str))
            return
        for key in ("id", "kind", "state", "question", "instrument", "page", "serial", "file", "value", "decided_by"):
            if row.get(key) is not None:
                click.echo(f"{key}: {row[key]}")
        for text in row["explanations"]:
            click.echo(f"- {text}")
        if item.proposal.get("marked"):
            click.echo(_("Circles that look filled: {choices}", choices=", ".join(item.proposal["marked"])))
        click.echo(_("Decisions: {actions}", actions=", ".join(row["actions"])))


@review.command()
@click.argument("item_id", type=int)
@click.argument("action")
@click.argument("values", nargs=-1)
@click.option("--who", required=True, help="Your name, recorded with the decision.")
@click.pass_obj
def decide(obj: Any, item_id: int, action: str, values: tuple[str, ...], who: str) -> None:
    """Decide an item (see ``review --help`` for the actions)."""
    with _queue(obj) as (service, _m):
        queue = ReviewQueue(service)
        item = queue.item(item_id)
        value: Any = None
        if action == "keyed":
            value = {}
            for pair in values:
                name, sep, raw = pair.partition("=")
                if not sep:
                    raise click.UsageError(_("Give typed answers as question=answer, for example age=67."))
                value[name.strip()] = raw
        elif action in ("choose", "identify"):
            if not values:
                raise click.UsageError(_("Give the answer after '{action}'.", action=action))
            multiple = item.question and item.page.get("instrument_id") and _is_multiple(service, item)
            value = list(values) if multiple else " ".join(values)
        decided = queue.decide(item_id, action, value, who=who)
        click.echo(_("Item {id} decided by {who}.", id=decided.id, who=decided.decided_by))
        click.echo(ngettext("{n} item waiting.", "{n} items waiting.", queue.count("open")))


@review.command()
@click.argument("item_id", type=int, required=False)
@click.option("--sheet", "serial", help="The sheet's code (its serial) instead of a review item.")
@click.option("--who", required=True, help="Your name, recorded with the decision.")
@click.pass_obj
def withdraw(obj: Any, item_id: int | None, serial: str | None, who: str) -> None:
    """The person wrote on the form that they withdraw consent: leave the sheet's answers out.

    Their answers leave every later report and export at once (through the core's withdrawal,
    as ``rightsaware respondents withdraw`` does) and the sheet's open items are closed.
    """
    from rightsaware.audit import cli_actor

    from .privacy import sheet_by_serial, sheet_of_item, withdraw_sheet

    if (item_id is None) == (serial is None):
        raise click.UsageError(_("Give a review item's number or --sheet with the sheet's code, not both."))
    if not who.strip():
        raise click.UsageError(_("Give your name so that the decision can be recorded."))
    with _queue(obj) as (service, _m):
        queue = ReviewQueue(service)
        sheet = sheet_by_serial(service, serial) if serial else sheet_of_item(service, queue.item(item_id))
        withdraw_sheet(service, sheet, who=who.strip(), actor=f"{cli_actor()}")
        click.echo(_("Sheet {serial} is withdrawn: its answers are left out of every report and export.",
                     serial=sheet["sheet_key"]))
        click.echo(ngettext("{n} item waiting.", "{n} items waiting.", queue.count("open")))


def _is_multiple(service: Any, item: Any) -> bool:
    instrument = service.runtime.instrument(item.page["instrument_id"])
    try:
        return instrument.question(item.question).kind == "select_multiple"
    except KeyError:
        return False
