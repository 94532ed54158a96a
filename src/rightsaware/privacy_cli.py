"""Commands for data protection: ``respondents``, ``purge``, ``users``, ``keys`` and ``audit``.

Attach them with :func:`register_privacy_commands`. None of them prints or logs a phone
number: the number given to ``--phone`` is only hashed (write ``--phone -`` to type it on
standard input, out of the shell's history). Each command records what it did in the
audit log as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import click

from . import audit
from .errors import RightsawareError
from .i18n import N_, use_messages

PURGE_KINDS = {
    "withdrawn": N_("answers of people who withdrew consent"),
    "answers": N_("responses past their retention period"),
    "contacts": N_("people whose contact details were due for deletion"),
    "messages": N_("messages"),
    "scans": N_("scanned images"),
    "exports": N_("export files"),
    "sessions": N_("expired staff sessions"),
}


def _with_messages(command: Any) -> Any:  # noqa: ANN401
    """Run the command with the CLI's language active for library messages."""

    @functools.wraps(command)
    def wrapper(obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        with use_messages(obj.m):
            return command(obj, *args, **kwargs)

    return wrapper


def _person(obj: Any, phone: str | None, respondent: str | None) -> list[str]:  # noqa: ANN401
    from .privacy import find_respondents

    m = obj.m
    if (phone is None) == (respondent is None):
        raise click.UsageError(m._("Give either --phone or --respondent (one of them)."))
    if phone == "-":
        phone = sys.stdin.readline().strip()
    return find_respondents(obj.runtime, phone=phone, respondent_id=respondent)


_phone_option = click.option("--phone", metavar="NUMBER", help="The person's phone number (- to read it from standard input).")
_respondent_option = click.option("--respondent", metavar="ID", help="The respondent id (64 hex characters).")


@click.group("respondents")
def respondents() -> None:
    """Answer people's requests: erase, export (subject access) or withdraw their data."""


@respondents.command("erase")
@_phone_option
@_respondent_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_with_messages
def erase_command(obj: Any, phone: str | None, respondent: str | None, yes: bool) -> None:  # noqa: ANN401
    """Erase a person: contact details, messages, free-text answers and every link to their answers.

    Answers stay only as anonymous answers (none at all if the person withdrew consent).
    Export files that named the person are deleted. Running it again changes nothing.
    """
    from .privacy import erase

    m = obj.m
    ids = _person(obj, phone, respondent)
    if not ids:
        click.echo(m._("Nothing is held about this person."))
        return
    if not yes:
        click.confirm(m._("Erase everything that links this person to their answers? This cannot be undone."),
                      abort=True)
    report = erase(obj.runtime, ids, actor=audit.cli_actor())
    click.echo(m.ngettext("Erased {n} respondent.", "Erased {n} respondents.", report.respondents))
    lines = (
        m.ngettext("{n} response kept, with no link to the person.",
                   "{n} responses kept, with no link to the person.", report.responses_anonymised),
        m.ngettext("{n} withdrawn response deleted.", "{n} withdrawn responses deleted.", report.responses_deleted),
        m.ngettext("{n} free-text answer deleted.", "{n} free-text answers deleted.", report.text_answers_deleted),
        m.ngettext("{n} message deleted.", "{n} messages deleted.", report.messages_deleted),
        m.ngettext("{n} export file deleted.", "{n} export files deleted.", report.export_files_deleted),
    )
    counts = (report.responses_anonymised, report.responses_deleted, report.text_answers_deleted,
              report.messages_deleted, report.export_files_deleted)
    for line, n in zip(lines, counts, strict=True):
        if n:
            click.echo("  " + line)


@respondents.command("export")
@_phone_option
@_respondent_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON file to write.")
@click.pass_obj
@_with_messages
def export_command(obj: Any, phone: str | None, respondent: str | None, out: Path) -> None:  # noqa: ANN401
    """Write everything held about a person to a readable JSON file (a subject access request)."""
    from .privacy_export import export_subject

    m = obj.m
    ids = _person(obj, phone, respondent)
    if not ids:
        click.echo(m._("Nothing is held about this person."))
        return
    count = export_subject(obj.runtime, ids, out, actor=audit.cli_actor())
    click.echo(m.ngettext("Wrote everything held about this person to {file} ({n} response).",
                          "Wrote everything held about this person to {file} ({n} responses).", count, file=str(out)))
    click.echo(m.ngettext("The file holds personal data: send it securely. It is deleted after {n} day.",
                          "The file holds personal data: send it securely. It is deleted after {n} days.",
                          obj.runtime.settings.retention_exports_days))


@respondents.command("withdraw")
@_phone_option
@_respondent_option
@click.option("--response", "response_id", metavar="ID", help="A response id (for example from a paper sheet).")
@click.option("--keep-contact", is_flag=True, help="Do not opt the person out of further messages.")
@click.pass_obj
@_with_messages
def withdraw_command(obj: Any, phone: str | None, respondent: str | None, response_id: str | None,  # noqa: ANN401
                     keep_contact: bool) -> None:
    """Record that a person withdrew consent: their answers leave every report and export."""
    from .privacy import withdraw

    m = obj.m
    if response_id is not None:
        if phone is not None or respondent is not None:
            raise click.UsageError(m._("Give either --phone, --respondent or --response (one of them)."))
        total = withdraw(obj.runtime, response_id=response_id, channel="cli", actor=audit.cli_actor(),
                         stop_contact=not keep_contact).responses
    else:
        ids = _person(obj, phone, respondent)
        if not ids:
            click.echo(m._("Nothing is held about this person."))
            return
        total = sum(withdraw(obj.runtime, respondent_id=rid, channel="cli", actor=audit.cli_actor(),
                             stop_contact=not keep_contact).responses for rid in ids)
    click.echo(m.ngettext("{n} response withdrawn: it is left out of every report and export from now on.",
                          "{n} responses withdrawn: they are left out of every report and export from now on.", total))


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed.")
@click.pass_obj
@_with_messages
def purge_command(obj: Any, dry_run: bool) -> None:  # noqa: ANN401
    """Delete what is older than the retention periods in the settings, and say what went."""
    from .retention import purge

    m = obj.m
    report = purge(obj.runtime, dry_run=dry_run, actor=audit.cli_actor())
    click.echo(m._("Would remove (dry run: nothing was changed):") if dry_run else m._("Removed:"))
    for item in report.items:
        what = m._(PURGE_KINDS[item.kind])
        if item.source != "store":
            what = m._("{what} (channel {channel})", what=what, channel=item.source)
        click.echo(f"  {what}: {m.format_number(item.count)}")


@click.group("users")
def users() -> None:
    """Staff accounts for the dashboard, review queue and exports (roles: viewer, reviewer, admin)."""


def _read_password(m: Any, from_stdin: bool) -> str:  # noqa: ANN401
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(m._("Password"), hide_input=True, confirmation_prompt=m._("Type the password again"))


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(("viewer", "reviewer", "admin")), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.pass_obj
@_with_messages
def users_add(obj: Any, username: str, role: str, password_stdin: bool) -> None:  # noqa: ANN401
    """Add a user (you are asked for their password twice)."""
    from .auth import Users

    m = obj.m
    password = _read_password(m, password_stdin)
    user = Users(obj.runtime.store).add(username, password, role)
    audit.record(obj.runtime.store, audit.cli_actor(), audit.USER_ADD, subject_kind="user", subject_id=str(user.id),
                 detail={"role": role})
    click.echo(m._("User {username} added with the role {role}.", username=user.username, role=user.role))


@users.command("list")
@click.pass_obj
@_with_messages
def users_list(obj: Any) -> None:  # noqa: ANN401
    """Users, their roles and when they last signed in."""
    from .auth import Users

    m = obj.m
    found = Users(obj.runtime.store).list()
    if not found:
        click.echo(m._("No users yet. Add one with: rightsaware users add NAME --role admin"))
        return
    for user in found:
        last = m.format_date(user.last_login_at, "medium") if user.last_login_at else m._("never signed in")
        click.echo(f"{user.username}  {user.role}  {last}")


@users.command("remove")
@click.argument("username")
@click.pass_obj
@_with_messages
def users_remove(obj: Any, username: str) -> None:  # noqa: ANN401
    """Remove a user and end their sessions."""
    from .auth import Users

    accounts = Users(obj.runtime.store)
    user = accounts.get(username)
    accounts.remove(username)
    audit.record(obj.runtime.store, audit.cli_actor(), audit.USER_REMOVE, subject_kind="user", subject_id=str(user.id))
    click.echo(obj.m._("User {username} removed.", username=user.username))


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(("viewer", "reviewer", "admin")))
@click.pass_obj
@_with_messages
def users_set_role(obj: Any, username: str, role: str) -> None:  # noqa: ANN401
    """Change what a user may do."""
    from .auth import Users

    user = Users(obj.runtime.store).set_role(username, role)
    audit.record(obj.runtime.store, audit.cli_actor(), audit.USER_SET_ROLE, subject_kind="user",
                 subject_id=str(user.id), detail={"role": role})
    click.echo(obj.m._("{username} now has the role {role}.", username=user.username, role=role))


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (for scripts).")
@click.pass_obj
@_with_messages
def users_password(obj: Any, username: str, password_stdin: bool) -> None:  # noqa: ANN401
    """Set a new password for a user; it also unlocks the account and ends their sessions."""
    from .auth import Users

    accounts = Users(obj.runtime.store)
    user = accounts.get(username)
    accounts.set_password(username, _read_password(obj.m, password_stdin))
    audit.record(obj.runtime.store, audit.cli_actor(), audit.USER_PASSWORD, subject_kind="user", subject_id=str(user.id))
    click.echo(obj.m._("Password changed for {username}; their sessions were ended.", username=user.username))


@click.group("keys")
def keys() -> None:
    """The secret key that encrypts contact details and makes respondent ids."""


@keys.command("rotate")
@click.option("--generate", is_flag=True, help="Make a new secret in the key file (when the key was generated there).")
@click.pass_obj
@_with_messages
def keys_rotate(obj: Any, generate: bool) -> None:  # noqa: ANN401
    """Re-encrypt everything and re-key respondent ids with the new (first) secret.

    \b
    With a key in the settings or environment: put the new secret in RIGHTSAWARE_SECRET_KEY
    and the old one in RIGHTSAWARE_PREVIOUS_SECRET_KEYS, then run this. With the generated
    key file: run `rightsaware keys rotate --generate`. Stop the server and workers first.
    """
    from .crypto import Keyring
    from .key_rotation import rotate
    from .settings import PREVIOUS_KEY_SUFFIX, ensure_secret_key, secret_key_file, secret_keys, write_secret_file

    m = obj.m
    settings = obj.runtime.settings
    key_file = secret_key_file(settings)
    previous_file = key_file.with_name(key_file.name + PREVIOUS_KEY_SUFFIX)
    if generate:
        if settings.secret_key:
            raise RightsawareError(m._("The secret key comes from the settings or the environment, so a new one cannot "
                                       "be made here. Put the new secret in RIGHTSAWARE_SECRET_KEY and the old one in "
                                       "RIGHTSAWARE_PREVIOUS_SECRET_KEYS, then run: rightsaware keys rotate"))
        if previous_file.exists():
            raise RightsawareError(m._("A rotation is unfinished. Run `rightsaware keys rotate` (without --generate) "
                                       "to finish it."))
        write_secret_file(previous_file, ensure_secret_key(settings))
        write_secret_file(key_file, Keyring.generate_secret())
    secrets_list = secret_keys(settings)
    if len(secrets_list) < 2:
        click.echo(m._("Only one secret key is configured, so there is nothing to rotate. Put the new secret in "
                       "RIGHTSAWARE_SECRET_KEY and the old one in RIGHTSAWARE_PREVIOUS_SECRET_KEYS, or run "
                       "`rightsaware keys rotate --generate` if the key was generated in a file."))
        return
    report = rotate(obj.runtime, Keyring.from_secrets(secrets_list), actor=audit.cli_actor())
    previous_file.unlink(missing_ok=True)
    click.echo(m.ngettext("{n} respondent id re-keyed.", "{n} respondent ids re-keyed.", report.respondents_rekeyed))
    click.echo(m.ngettext("{n} contact detail re-encrypted.", "{n} contact details re-encrypted.",
                          report.contacts_reencrypted))
    click.echo(m.ngettext("{n} message re-encrypted.", "{n} messages re-encrypted.", report.messages_reencrypted))
    if report.channel_items_reencrypted:
        click.echo(m.ngettext("{n} item kept by channels re-encrypted.", "{n} items kept by channels re-encrypted.",
                              report.channel_items_reencrypted))
    if report.kept_without_address:
        click.echo(m.ngettext(
            "{n} opted-out person without an address keeps the old id: they are recognised only while the old "
            "secret stays in RIGHTSAWARE_PREVIOUS_SECRET_KEYS.",
            "{n} opted-out people without an address keep the old id: they are recognised only while the old "
            "secret stays in RIGHTSAWARE_PREVIOUS_SECRET_KEYS.", report.kept_without_address))
    click.echo(m._("All data now uses the new secret."))
    if settings.previous_secret_keys:
        click.echo(m._("You can now remove the old secret from RIGHTSAWARE_PREVIOUS_SECRET_KEYS."))


@click.group("audit")
def audit_group() -> None:
    """The audit log of access to personal data."""


@audit_group.command("list")
@click.option("--action", help="Only this action (or a prefix ending in a dot, such as respondent.).")
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True, help="How many entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_obj
@_with_messages
def audit_list(obj: Any, action: str | None, limit: int, as_json: bool) -> None:  # noqa: ANN401
    """The newest entries first: when, who, what, about which id, with counts."""
    for entry in audit.entries(obj.runtime.store, action=action, limit=limit):
        if as_json:
            click.echo(json.dumps({"at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
                                   "subject_kind": entry.subject_kind, "subject_id": entry.subject_id,
                                   "detail": entry.detail}, ensure_ascii=False))
            continue
        subject = f"{entry.subject_kind}:{entry.subject_id}" if entry.subject_id else "-"
        detail = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""
        click.echo(f"{entry.at.isoformat(timespec='seconds')}  {entry.actor}  {entry.action}  {subject}  {detail}")



def register_privacy_commands(cli: click.Group) -> None:
    """Add ``respondents``, ``purge``, ``users``, ``keys`` and ``audit`` to the root group."""
    for command in (respondents, purge_command, users, keys, audit_group):
        if command.name not in cli.commands:
            cli.add_command(command)
