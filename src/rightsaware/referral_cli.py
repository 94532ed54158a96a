"""``rightsaware referrals``: list the directory, export consented referrals for an organisation.

The export is the only place contact details are decrypted for an organisation; each
export is logged without the personal data itself.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import click
from sqlalchemy import select

from . import audit
from .privacy import record_export
from .referral import JURISDICTIONS, directory_for

log = logging.getLogger(__name__)


@click.group()
def referrals() -> None:
    """The referral directory and the referrals made."""


@referrals.command("list")
@click.option("--jurisdiction", type=click.Choice(JURISDICTIONS), help="Only organisations working there (UK-wide ones included).")
@click.option("--topic", help="Only organisations on this topic (see topics.toml).")
@click.option("--lang", "language", default="en", show_default=True, help="Language of names and descriptions.")
@click.pass_obj
def list_organisations(obj, jurisdiction: str | None, topic: str | None, language: str) -> None:  # noqa: ANN001
    """Organisations in the directory, in your language."""
    from .i18n import normalize_language

    language = normalize_language(language)
    directory = directory_for(obj.runtime)
    if topic is not None and topic not in directory.topics:
        raise click.BadParameter(obj.m._("unknown topic {topic}; known topics: {known}", topic=topic,
                                         known=", ".join(sorted(directory.topics))), param_hint="--topic")
    found = directory.find(topic=topic, jurisdiction=jurisdiction)
    for org in found:
        click.echo(f"{org.id}  [{org.jurisdiction}]  {org.name(language)}")
        click.echo(f"    {org.help_text(language)}")
        if org.website_for(language):
            click.echo(f"    {org.website_for(language)}")
    click.echo(obj.m.ngettext("{n} organisation", "{n} organisations", len(found)))


@referrals.command("export")
@click.option("--organisation", "organisation_id", required=True, help="The organisation's id in the directory.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV file to write.")
@click.pass_obj
def export(obj, organisation_id: str, out: Path) -> None:  # noqa: ANN001
    """Write the referrals to one organisation whose respondents agreed to be contacted.

    Only referrals with the respondent's explicit consent to share their contact details
    are exported; contact details are decrypted here and nowhere else.
    """
    from . import store as store_module

    runtime = obj.runtime
    organisation = directory_for(runtime).get(organisation_id)
    store = runtime.store
    tables = store_module.tables
    query = (
        select(tables.referrals.c.response_id, tables.referrals.c.topic, tables.referrals.c.channel,
               tables.referrals.c.language, tables.referrals.c.created_at, tables.responses.c.respondent_id,
               tables.responses.c.instrument_id)
        .join(tables.responses, tables.responses.c.id == tables.referrals.c.response_id)
        .where(tables.referrals.c.organisation_id == organisation.id, tables.referrals.c.share_contact.is_(True))
        .order_by(tables.referrals.c.created_at)
    )
    rows, respondent_ids = [], []
    with store.engine.connect() as connection:
        for row in connection.execute(query):
            contact = store.contact_address(row.respondent_id, row.channel) if row.respondent_id else None
            if not contact:
                continue  # erased, or a channel without contact details (paper, anonymous web)
            respondent_ids.append(row.respondent_id)
            rows.append([row.created_at.date().isoformat(), row.instrument_id, row.topic, row.language, row.channel,
                         neutralise(contact)])
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "survey", "topic", "language", "channel", "contact"])
        writer.writerows(rows)
    # Remembered so erasure and retention can find the file; each person's export is audited.
    record_export(runtime, out, "referrals", respondent_ids, actor=audit.cli_actor(), action=audit.REFERRALS_EXPORT,
                  detail={"organisation": organisation.id})
    log.info("referral export for organisation %s: %d referrals", organisation.id, len(rows))
    click.echo(obj.m.ngettext("{n} consented referral written to {file}", "{n} consented referrals written to {file}",
                              len(rows), file=str(out)))


def neutralise(value: str) -> str:
    """Stop spreadsheets reading a cell as a formula (CSV injection): prefix ``'`` to risky starts."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
