"""The SMS channel object the core talks to: ``render``, ``deliver``, ``parse_inbound``.

It also owns the gateways: Twilio when credentials are set (else the console), and always
a :class:`~rightsaware_sms.gateway.ConsoleGateway` for the simulator, whose addresses
(``sim:…``) can never reach Twilio. The outbox has two queues: ``sms`` for replies in a
conversation (sent at once, day or night: the respondent just texted) and
``sms-campaign`` for invitations and reminders (rate-limited, never in quiet hours).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from rightsaware.channel import ChannelInfo
from rightsaware.events import InboundEvent, Receipt, Rendered
from rightsaware.i18n import N_
from rightsaware.text import nfc

from .config import SmsSettings, load_sms_settings
from .segments import measure, prepare

if TYPE_CHECKING:  # the gateway module imports the Twilio SDK: loaded only when a text is sent
    from .gateway import ConsoleGateway, Gateway

NAME = "sms"
QUEUE_CONVERSATION = "sms"
QUEUE_CAMPAIGN = "sms-campaign"
QUEUES = (QUEUE_CONVERSATION, QUEUE_CAMPAIGN)
SIMULATOR_PREFIX = "sim:"
INBOUND_PATH = "/sms/inbound"
STATUS_PATH = "/sms/status"
VETO_OPTED_OUT = "opted out"
VETO_QUIET_HOURS = "quiet hours"
#: Outbox kinds sent to a number even though it opted out: they confirm what the person just asked for.
KIND_OPTED_OUT = "opt_out_confirmation"
KIND_WITHDRAWN = "withdrawal_confirmation"
CONFIRMATIONS = frozenset({KIND_OPTED_OUT, KIND_WITHDRAWN})


class SmsChannel:
    """Text messages through a :class:`~rightsaware_sms.gateway.Gateway` (Twilio, console)."""

    def __init__(self, settings: SmsSettings | None = None, gateway: Gateway | None = None,
                 console: ConsoleGateway | None = None) -> None:
        self.settings = settings or load_sms_settings()
        self.info = ChannelInfo(name=NAME, title=N_("Text messages (SMS)"), interactive=True, max_text_length=1600, free_text=True,
                                locales=("en", "cy", "gd"))
        self._console = console
        self._gateway = gateway
        self._lock = threading.Lock()
        self._stores: dict[int, Any] = {}
        self._services: dict[int, Any] = {}

    # --- gateways ------------------------------------------------------------------------------

    @property
    def console(self) -> ConsoleGateway:
        """The console gateway of the simulator (and of everything when no credentials are set)."""
        with self._lock:
            return self._console_unlocked()

    @property
    def gateway(self) -> Gateway:
        """Twilio when credentials are configured, otherwise the console (nothing is sent)."""
        with self._lock:
            if self._gateway is None:
                self._gateway = self._make_gateway()
            return self._gateway

    def use_gateway(self, gateway: Gateway) -> None:
        """Send through ``gateway`` from now on (a plugin's provider, a test fake)."""
        with self._lock:
            self._gateway = gateway

    def _make_gateway(self) -> Gateway:
        from .gateway import RedirectingHttpClient, TwilioGateway

        s = self.settings
        if not s.has_credentials:
            return self._console_unlocked()
        client = RedirectingHttpClient(s.api_base_url) if s.api_base_url else None
        return TwilioGateway(account_sid=s.account_sid, auth_token=s.auth_token or None, api_key=s.api_key or None,
                             api_secret=s.api_secret or None, from_number=s.from_number or None,
                             messaging_service_sid=s.messaging_service_sid or None, http_client=client)

    def _console_unlocked(self) -> ConsoleGateway:
        if self._console is None:
            from .gateway import ConsoleGateway

            self._console = ConsoleGateway()
        return self._console

    @property
    def live(self) -> bool:
        """True when texts really leave the machine."""
        return self.gateway is not self.console

    def gateway_for(self, address: str) -> Gateway:
        return self.console if is_simulated(address) else self.gateway

    @property
    def signing_key(self) -> str:
        """The secret Twilio signs webhooks with (the account's Auth Token)."""
        return self.settings.auth_token

    def status_callback_url(self, runtime: Any) -> str | None:
        base = (runtime.settings.public_url or "").rstrip("/")
        return base + STATUS_PATH if base else None

    # --- per-runtime helpers -------------------------------------------------------------------

    def sms_store(self, runtime: Any) -> Any:
        """The SMS tables on the runtime's store (created on first use)."""
        from .sms_store import SmsStore

        store = runtime.store
        with self._lock:
            found = self._stores.get(id(store))
            if found is None or found.store is not store:
                found = SmsStore(store)
                self._stores = {id(store): found}
            return found

    def service(self, runtime: Any) -> Any:
        """The runtime's :class:`~rightsaware_sms.service.SmsService` (one per runtime and store)."""
        from .service import SmsService

        with self._lock:
            found = self._services.get(id(runtime))
            if found is None or found.owner is not runtime or found.store is not runtime.store:
                found = None
        if found is None:
            found = SmsService(runtime, self)
            with self._lock:
                self._services[id(runtime)] = found
        return found

    def personal_data(self, respondent_id: str, response_ids: list[str], runtime: Any) -> dict[str, Any]:
        """For the subject access export: the person's texts and delivery records (see ``privacy``)."""
        from .privacy import personal_data

        return personal_data(runtime, self, respondent_id, response_ids)

    def purge_personal_data(self, kind: str, before: Any, runtime: Any, dry_run: bool) -> int:
        """Retention (``rightsaware purge``): old inbound texts and delivery records for ``messages``."""
        if kind != "messages":
            return 0  # contacts are erased through the respondent_erased hook; no scans or exports here
        from .privacy import purge_messages

        return purge_messages(runtime, self, before, dry_run)

    def texts(self, runtime: Any, instrument: Any, language: str) -> Any:
        from .texts import Texts

        return Texts(runtime, instrument, language, sender_name=self.settings.sender_name)

    # --- the channel protocol ------------------------------------------------------------------

    def render(self, question: Any, locale: str, runtime: Any) -> Rendered:
        """The question as texted (without progress numbers), with its encoding and segments."""
        instrument = _instrument_of(question, runtime)
        body = prepare(self.texts(runtime, instrument, locale).question(question))
        info = measure(body)
        return Rendered(channel=NAME, locale=locale, text=body,
                        data={"encoding": info.encoding, "characters": info.characters, "segments": info.segments})

    def deliver(self, invitation: Any, rendered: Any, runtime: Any) -> Receipt:
        """Send ``rendered.text`` now (vetoes through ``check_delivery``); never raises for a failed send."""
        address = invitation.address
        if not address and invitation.respondent_id:
            address = runtime.store.contact_address(invitation.respondent_id, NAME)
        if not address:
            return Receipt(ok=False, error_code="no_address", error="no phone number is known", permanent=True)
        veto = runtime.hook.check_delivery(invitation=invitation, channel=self, runtime=runtime)
        if veto:
            return Receipt(ok=False, error_code=str(veto), error=str(veto), permanent=veto == "opted out")
        from .gateway import GatewayError

        try:
            result = self.gateway_for(address).send(address, prepare(rendered.text),
                                                    status_callback=self.status_callback_url(runtime),
                                                    validity_period=self.settings.validity_period)
        except GatewayError as exc:
            if exc.opted_out and invitation.respondent_id:
                runtime.store.set_opted_out(invitation.respondent_id, NAME, True)
            return Receipt(ok=False, error_code=exc.code, error=exc.message, permanent=exc.permanent)
        return Receipt(ok=True, provider_id=result.sid)

    def parse_inbound(self, payload: Any, runtime: Any) -> InboundEvent | None:
        """A Twilio webhook's form parameters (already signature-checked) as an event, else ``None``.

        Inbound texts become ``reply`` (or ``opt_out``/``opt_in``) events; status callbacks
        ``status`` events. The respondent is looked up, never created.
        """
        if not isinstance(payload, dict):
            return None
        sid = payload.get("MessageSid") or payload.get("SmsSid")
        if not isinstance(sid, str) or not sid:
            return None
        if "MessageStatus" in payload or ("SmsStatus" in payload and "Body" not in payload):
            status = payload.get("MessageStatus") or payload.get("SmsStatus")
            return InboundEvent(channel=NAME, idempotency_key=f"{sid}:{status}", kind="status", text=str(status))
        sender, body = payload.get("From"), payload.get("Body")
        if not isinstance(sender, str) or not sender or not isinstance(body, str):
            return None
        from rightsaware.vocabulary import classify_reply

        text = nfc(body)
        intent = classify_reply(text)
        opt_out_type = str(payload.get("OptOutType", "")).upper()
        kind = "reply"
        if opt_out_type == "STOP" or (intent is not None and intent.kind == "stop"):
            kind = "opt_out"
        elif opt_out_type == "START" or (intent is not None and intent.kind == "start"):
            kind = "opt_in"
        respondent = runtime.store.find_respondent(NAME, sender)
        language = intent.language if intent is not None and intent.kind == "switch_language" else None
        return InboundEvent(channel=NAME, idempotency_key=sid, kind=kind, respondent_id=respondent, text=text,
                            language=language)


def is_simulated(address: str | None) -> bool:
    return bool(address) and str(address).startswith(SIMULATOR_PREFIX)


def _instrument_of(question: Any, runtime: Any) -> Any:
    from rightsaware.errors import NotFound

    current = getattr(runtime, "current_instrument", None)
    if current is not None and any(q is question for q in current.questions):
        try:
            return runtime.instrument(current.id)  # loads its catalogs into the translator
        except NotFound:
            return current
    for entry in runtime.instruments.entries():
        if any(q is question for q in entry.instrument.questions):
            return runtime.instrument(entry.instrument.id)
    for entry in runtime.instruments.entries():
        if any(q == question for q in entry.instrument.questions):
            return runtime.instrument(entry.instrument.id)
    if current is not None:
        return current
    raise NotFound(f"the question {getattr(question, 'name', '?')!r} belongs to no known instrument")
