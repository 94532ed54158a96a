"""Hook implementations of the sms channel (entry point ``sms`` in group ``rightsaware``).

* the channel itself, its webhooks and simulator, the ``rightsaware sms`` commands and the
  ``rightsaware_sms`` catalogs;
* ``check_delivery``: no text to a number that opted out (except the one confirming the
  opt-out or a withdrawal of consent), no invitation or reminder in quiet hours;
* ``respondent_erased``: the person's raw texts, outbox items, delivery records and lease
  are deleted (:mod:`rightsaware_sms.privacy`);
* ``response_completed`` (``trylast``, after the referral engine): thanks and the chosen
  referrals, in the respondent's language, fitted to SMS length.
"""

from __future__ import annotations

from typing import Any

from rightsaware.plugins import hookimpl

from .channel import CONFIRMATIONS, NAME, VETO_OPTED_OUT, VETO_QUIET_HOURS, SmsChannel
from .messages import DOMAIN, LOCALES_DIR

CAMPAIGN_KINDS = ("invitation", "reminder")


def sms_channel(runtime: Any) -> SmsChannel | None:
    if NAME not in runtime.channels:
        return None
    channel = runtime.channels.get(NAME)
    return channel if isinstance(channel, SmsChannel) else None


@hookimpl
def register_channels(register: Any, runtime: Any) -> None:  # noqa: ARG001
    register(SmsChannel())


@hookimpl
def register_message_catalogs(register: Any, runtime: Any) -> None:  # noqa: ARG001
    register(DOMAIN, LOCALES_DIR)


@hookimpl
def register_routes(register: Any, runtime: Any) -> None:
    channel = sms_channel(runtime)
    if channel is None:
        return
    from .simulator import make_simulator_routes
    from .webhooks import make_routes

    service = channel.service(runtime)
    for route in make_routes(service):
        register(route)
    routes = make_simulator_routes(service)
    register(routes[0], title="SMS simulator", domain="rightsaware_sms")  # msgid from the templates
    for route in routes[1:]:
        register(route)


@hookimpl
def register_commands(cli: Any, runtime: Any) -> None:  # noqa: ARG001
    from .commands import sms

    if "sms" not in getattr(cli, "commands", {}):
        cli.add_command(sms)


@hookimpl
def check_delivery(invitation: Any, channel: Any, runtime: Any) -> str | None:
    if getattr(getattr(channel, "info", None), "name", None) != NAME:
        return None
    if invitation.respondent_id and invitation.kind not in CONFIRMATIONS:
        record = runtime.store.respondent(invitation.respondent_id)
        if record is not None and NAME in record.opted_out_channels:
            return VETO_OPTED_OUT
    settings = getattr(channel, "settings", None)
    quiet = getattr(settings, "quiet_hours", None)
    if invitation.kind in CAMPAIGN_KINDS and quiet is not None:
        from rightsaware.response import utcnow

        if quiet.contains(utcnow()):
            return VETO_QUIET_HOURS
    return None


@hookimpl
def respondent_erased(respondent_id: str, response_ids: list[str], runtime: Any) -> None:
    channel = sms_channel(runtime)
    if channel is None:
        return
    from .privacy import erase_respondent

    erase_respondent(runtime, channel, respondent_id, response_ids)


@hookimpl(trylast=True)
def response_completed(response: Any, instrument: Any, runtime: Any) -> None:
    if response.channel != NAME or not response.respondent_id:
        return
    channel = sms_channel(runtime)
    if channel is None:
        return
    from .conversation import Conversations
    from .referrals import referral_lines

    texts = channel.texts(runtime, instrument, response.language)
    body = texts.closing(referral_lines(runtime, response, instrument, response.language),
                         max_segments=channel.settings.max_closing_segments)
    Conversations(runtime, channel).enqueue(response.respondent_id, body, kind="referral", key=f"end:{response.id}",
                                            response_id=response.id, instrument_id=instrument.id,
                                            language=response.language)
