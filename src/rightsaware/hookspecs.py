"""Hook specifications: the contract between the core and its plugins.

Every hook receives ``runtime`` and may take only the arguments it needs (pluggy passes
arguments by name). Startup hooks are named ``register_*``, veto hooks ``check_*``,
override hooks ``render_*`` and events are in the past tense. The documentation of the
hooks is generated from these docstrings; a test fails when one is missing or untested.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("rightsaware")


@hookspec
def register_channels(register, runtime):
    """Declare the channels a plugin provides.

    Called once when the runtime starts. Call ``register(channel)`` for each channel
    object (see :class:`rightsaware.channel.Channel`); two channels with the same
    ``info.name`` are an error. Return values are ignored.

    :param register: callable taking one channel object.
    :param runtime: the :class:`~rightsaware.runtime.Runtime` being started.
    """


@hookspec
def register_routes(register, runtime):
    """Add routes to the ASGI app that ``rightsaware serve`` runs.

    Called once when the server app is built. Call ``register(route)`` with Starlette
    ``Route``/``Mount`` objects (web forms, SMS webhooks, scan upload, dashboard). Pass
    ``title=`` (an English message id) and ``domain=`` (your gettext domain) to link the
    route from the home page, translated into the reader's language. Return values are
    ignored.

    :param register: callable taking one Starlette route, and optionally ``title`` and ``domain``.
    :param runtime: the runtime whose store, translator and settings the routes use.
    """


@hookspec
def register_commands(cli, runtime):
    """Add sub-commands to the ``rightsaware`` command line.

    Called once when the CLI starts. Use ``cli.add_command(group)`` with a click command
    or group (for example ``rightsaware sms``). Return values are ignored.

    :param cli: the root click group.
    :param runtime: the runtime, or ``None`` when the CLI only lists help.
    """


@hookspec
def register_message_catalogs(register, runtime):
    """Add a gettext domain with its catalogs in English, Welsh and Gaelic.

    Called once when the runtime starts, before any message is translated. Call
    ``register(domain, locales_dir)`` where ``locales_dir`` holds
    ``{en,cy,gd}/LC_MESSAGES/{domain}.po``. Return values are ignored.

    :param register: callable taking a domain name and a folder path.
    :param runtime: the runtime being started.
    """


@hookspec(firstresult=True)
def check_delivery(invitation, channel, runtime):
    """Veto a delivery before a channel sends anything.

    Called before each outbound message or invitation. Return a short reason (a string
    such as ``"opted out"`` or ``"quiet hours"``) to refuse, or ``None`` to allow. The first
    plugin that returns a reason wins (``firstresult``).

    :param invitation: the :class:`~rightsaware.events.Invitation` to deliver.
    :param channel: the channel object that would deliver it.
    :param runtime: the runtime.
    :return: a reason to refuse, or ``None``.
    """


@hookspec(firstresult=True)
def render_question(question, locale, channel, runtime):
    """Produce what a respondent sees for one question.

    The core's default implementation (``trylast``) calls ``channel.render``; a plugin
    may return its own :class:`~rightsaware.events.Rendered` to override it for a
    deployment. The first non-``None`` result is used (``firstresult``).

    :param question: the question to render.
    :param locale: ``"en"``, ``"cy"`` or ``"gd"``.
    :param channel: the channel object that will show it.
    :param runtime: the runtime.
    :return: a :class:`~rightsaware.events.Rendered`, or ``None`` to let others decide.
    """


@hookspec
def inbound_received(event, channel, runtime):
    """A channel decoded an inbound payload (SMS reply, form post, scanned page).

    Called after the channel verified and decoded the payload and before the core applies
    it. Useful for logging and metrics; return values are ignored.

    :param event: the :class:`~rightsaware.events.InboundEvent`.
    :param channel: the channel that received it.
    :param runtime: the runtime.
    """


@hookspec
def answer_recorded(response, question, answer, runtime):
    """A validated answer has been stored.

    Called once per stored answer (including a changed answer). Return values are ignored.

    :param response: the :class:`~rightsaware.response.Response` after the answer.
    :param question: the question answered.
    :param answer: the stored :class:`~rightsaware.response.Answer`.
    :param runtime: the runtime.
    """


@hookspec
def response_completed(response, instrument, runtime):
    """A respondent answered the last question of ``instrument``.

    Called once per response, after the final answer is stored and the response is
    closed. The referral engine is a default plugin on this hook. Return values are
    ignored.

    :param response: the completed :class:`~rightsaware.response.Response`.
    :param instrument: the :class:`~rightsaware.instrument.Instrument` it answers.
    :param runtime: the runtime.
    """


@hookspec
def response_abandoned(response, instrument, reason, runtime):
    """A response ended without being completed: timed out, opted out or withdrawn.

    Called once per response so plugins do not act on partial data. Return values are
    ignored.

    :param response: the abandoned :class:`~rightsaware.response.Response`.
    :param instrument: the instrument it answers.
    :param reason: ``"expired"``, ``"opted_out"``, ``"withdrawn"`` or another short code.
    :param runtime: the runtime.
    """


@hookspec
def respondent_erased(respondent_id, response_ids, runtime):
    """A respondent is being erased: delete every piece of their personal data you keep.

    Called by ``rightsaware respondents erase`` (and by ``rightsaware purge`` when contact
    details reach the end of their retention period) *before* the core erases its own
    records, so the respondent's rows can still be found. Delete, for example, the raw
    inbound messages of that sender (SMS) or the scanned images of the person's sheets
    (paper), identified by ``response_ids``. Must be idempotent: the command can be run
    again after a failure. Raise to stop the erasure (nothing in the core is changed then);
    never log the person's contact details. Return values are ignored.

    :param respondent_id: the respondent's keyed-hash id (as stored in ``responses.respondent_id``).
    :param response_ids: ids of every response of the respondent, withdrawn ones included
        (after erasure no response points to the person any more).
    :param runtime: the runtime.
    """
