"""``rightsaware sms``: send a campaign, run the worker, estimate the cost, see the queues."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rightsaware.errors import ConfigError, RightsawareError

from .channel import QUEUES
from .messages import _, bind_ui, ngettext
from .segments import measure, prepare

MAX_SEGMENTS = 3


def _setup(obj: Any) -> tuple[Any, Any]:
    from .plugin import sms_channel

    runtime = obj.runtime
    bind_ui(runtime, obj.ui_language)
    channel = sms_channel(runtime)
    if channel is None:
        raise ConfigError(_("The SMS channel is not registered (is RIGHTSAWARE_DISABLE_PLUGINS set?)."))
    return runtime, channel


def _mask(address: str) -> str:
    """A phone number with all but the last three digits hidden, for the user's own screen."""
    return "•" * max(0, len(address) - 3) + address[-3:]


@click.group("sms")
def sms() -> None:
    """SMS campaigns and conversations through Twilio (or the console without credentials).

    \b
    rightsaware sms cost --instrument ID         segments per question and language
    rightsaware sms send --instrument ID --contacts people.csv
    rightsaware sms worker                       send what is queued, at the configured rate
    rightsaware sms status                       what is queued, sent and failed
    """


@sms.command()
@click.option("--instrument", "instrument_id", required=True, help="The instrument (survey) id.")
@click.option("--lang", "languages", multiple=True, help="Only this language (en, cy, gd); repeatable.")
@click.pass_obj
def cost(obj: Any, instrument_id: str, languages: tuple[str, ...]) -> None:
    """Encoding, characters and segments of every text, per question and language.

    Welsh letters such as ŵ, ŷ and â (and capital À…Ù in Gaelic) need UCS-2, which holds
    70 characters per text instead of 160. Letters are never changed to save money.
    """
    from rightsaware.i18n import normalize_language

    from .campaigns import sample_invitation

    runtime, channel = _setup(obj)
    instrument = runtime.instrument(instrument_id)
    wanted = [normalize_language(code) for code in languages] or list(instrument.languages)
    for language in wanted:
        if language not in instrument.languages:
            raise RightsawareError(_("The survey {id} is not available in {language}.", id=instrument.id,
                                     language=language))
    warnings = []
    answerable = [q for q in instrument.questions if q.answerable]
    header = (_("Text"), _("Language"), _("Encoding"), _("Characters"), _("Segments"))
    click.echo(f"{header[0]:<24} {header[1]:<9} {header[2]:<9} {header[3]:>10} {header[4]:>9}")
    for language in wanted:
        texts = channel.texts(runtime, instrument, language)
        rows = [(_("invitation"), sample_invitation(runtime, channel, instrument, language)[0])]
        rows += [(q.name, prepare(texts.question(q, number=i, total=len(answerable))))
                 for i, q in enumerate(answerable, start=1)]
        rows.append((_("thanks"), prepare(texts.closing([], max_segments=channel.settings.max_closing_segments))))
        total = 0
        for name, body in rows:
            info = measure(body)
            total += info.segments
            why = f"  ({' '.join(info.forcing[:8])})" if info.forcing else ""
            click.echo(f"{name[:24]:<24} {language:<9} {info.encoding:<9} {info.characters:>10} {info.segments:>9}{why}")
            if info.segments > MAX_SEGMENTS:
                warnings.append(_("Warning: '{text}' in {language} needs {n} segments (more than {max}). "
                                  "Ask for a shorter SMS wording (sms_label) rather than removing accents.",
                                  text=name, language=language, n=info.segments, max=MAX_SEGMENTS))
        click.echo(_("{language}: a full interview is at most {n} segments per person.", language=language, n=total))
    for warning in warnings:
        click.echo(warning, err=True)


@sms.command()
@click.option("--instrument", "instrument_id", required=True, help="The instrument (survey) id.")
@click.option("--contacts", "contacts_path", required=True, type=click.Path(path_type=Path),
              help="CSV file with a 'phone' column (and optionally a language column).")
@click.option("--language-column", default="language", show_default=True, help="Column with en, cy or gd.")
@click.option("--dry-run", is_flag=True, help="Check and estimate, show the texts; queue nothing.")
@click.option("--skip-invalid", is_flag=True, help="Queue the valid rows even when some rows have errors.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def send(obj: Any, instrument_id: str, contacts_path: Path, language_column: str, dry_run: bool,
         skip_invalid: bool, assume_yes: bool) -> None:
    """Check a contact list, show the cost, and queue one invitation per person.

    Nothing is queued while any row has an error, unless --skip-invalid. Running the same
    command again queues nobody twice, and numbers that texted STOP are never invited.
    """
    from .campaigns import plan_campaign, queue_campaign
    from .contacts import describe_problems, read_contacts
    from .gateway import ConsoleGateway

    runtime, channel = _setup(obj)
    instrument = runtime.instrument(instrument_id)
    explicit = click.get_current_context().get_parameter_source("language_column").name != "DEFAULT"
    default_language = runtime.settings.default_language
    if default_language not in instrument.languages:
        default_language = instrument.languages[0]
    contacts = read_contacts(contacts_path, languages=instrument.languages, default_language=default_language,
                             language_column=language_column, language_column_required=explicit)
    translate = lambda message, **params: _(message, **params)  # noqa: E731
    for line in describe_problems(contacts.duplicates, translate):
        click.echo(_("Note: {problem}", problem=line), err=True)
    if contacts.errors:
        click.echo(ngettext("{n} row has an error:", "{n} rows have errors:", len(contacts.errors)), err=True)
        for line in describe_problems(contacts.errors, translate):
            click.echo("  " + line, err=True)
        if not skip_invalid and not dry_run:
            raise RightsawareError(_("Nothing was queued. Correct the rows above, or run again with --skip-invalid "
                                     "to invite only the valid ones."))
    plan = plan_campaign(runtime, channel, instrument.id, contacts)
    click.echo(ngettext("{n} person to invite", "{n} people to invite", len(plan.new)))
    if plan.already:
        click.echo(ngettext("{n} person was invited before and is skipped", "{n} people were invited before and are skipped",
                            plan.already))
    if plan.opted_out:
        click.echo(ngettext("{n} person opted out and is skipped", "{n} people opted out and are skipped",
                            plan.opted_out))
    for estimate in plan.estimates:
        click.echo(_("{language}: {recipients} × {segments} segment(s) ({encoding}) = {total} segments for the "
                     "invitations; up to {more} more segments per person who answers everything.",
                     language=estimate.language, recipients=estimate.recipients,
                     segments=estimate.invitation.segments, encoding=estimate.invitation.encoding,
                     total=estimate.invitation_segments, more=estimate.interview_segments))
    click.echo(_("Total for the invitations: {n} segments.", n=plan.total_segments))
    if dry_run:
        console = ConsoleGateway(echo=lambda entry: click.echo(f"\n--> {_mask(entry.address)}\n{entry.body}"))
        shown = set()
        for contact in plan.new:
            if contact.language not in shown:
                shown.add(contact.language)
                console.send(contact.address, plan.samples[contact.language])
        click.echo("\n" + _("Dry run: nothing was queued or sent."))
        return
    if not plan.new:
        click.echo(_("Nothing to queue."))
        return
    if not channel.live:
        click.echo(_("No Twilio credentials are set: the invitations will wait in the queue until "
                     "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set and the worker runs."), err=True)
    if not assume_yes and not click.confirm(_("Queue these invitations?"), default=False):
        click.echo(_("Nothing was queued."))
        return
    with click.progressbar(length=len(plan.new), label=_("Queuing"), file=sys.stderr) as bar:
        queued = queue_campaign(runtime, channel, instrument.id, plan, on_progress=bar.update)
    click.echo(ngettext("Queued {n} invitation. Run `rightsaware sms worker` to send it.",
                        "Queued {n} invitations. Run `rightsaware sms worker` to send them.", queued))


@sms.command()
@click.option("--rate", type=float, default=None, help="Messages per second [default: RIGHTSAWARE_SMS_RATE or 5].")
@click.option("--exit-when-done", is_flag=True, help="Stop once nothing is left to send.")
@click.pass_obj
def worker(obj: Any, rate: float | None, exit_when_done: bool) -> None:
    """Send queued texts at the configured rate, retrying and reconciling; stop with Ctrl+C."""
    from .worker import Worker

    runtime, channel = _setup(obj)
    if rate is not None and not 0.01 <= rate <= 1000:
        raise click.BadParameter(_("the rate must be between 0.01 and 1000 messages per second"), param_hint="--rate")
    if not channel.live:
        raise ConfigError(_("No Twilio credentials are set, so nothing can be sent. Set TWILIO_ACCOUNT_SID, "
                            "TWILIO_AUTH_TOKEN and RIGHTSAWARE_SMS_FROM. To try a survey for free, use the "
                            "simulator: rightsaware serve, then open /sms/simulator."))
    runner = Worker(runtime, channel, rate=rate)
    click.echo(_("Sending at up to {rate} messages per second. Press Ctrl+C to stop.", rate=runner.rate), err=True)
    pending = runner.pending()
    bar = click.progressbar(length=max(pending, 1), label=_("Sending"), file=sys.stderr, show_pos=True)
    done = [0]

    def on_item(_outcome: str) -> None:
        done[0] += 1
        if done[0] > bar.length:
            bar.length = done[0] + runner.pending()
        bar.update(1)

    try:
        with bar:
            progress = runner.run(exit_when_done=exit_when_done, on_item=on_item)
    except KeyboardInterrupt:
        progress = runner.progress
    summary = ", ".join(f"{name}: {count}" for name, count in sorted(progress.counts.items())) or "-"
    click.echo(_("Done: {summary}", summary=summary), err=True)


@sms.command()
@click.pass_obj
def status(obj: Any) -> None:
    """How many texts are queued, being sent, sent and failed, and their delivery status."""
    runtime, channel = _setup(obj)
    sms_store = channel.sms_store(runtime)
    counts = sms_store.outbox_counts(QUEUES)
    for name in ("queued", "sending", "unknown", "sent", "failed"):
        click.echo(f"{name:<10} {counts.get(name, 0):>8}")
    delivery = sms_store.delivery_counts()
    if delivery:
        click.echo(_("Delivery reported by Twilio:"))
        for name, count in sorted(delivery.items()):
            click.echo(f"  {name:<14} {count:>8}")
