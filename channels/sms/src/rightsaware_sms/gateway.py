"""SMS gateways: the small protocol the channel sends through, Twilio, and the console.

This is the only module of the channel that imports the ``twilio`` SDK. A gateway sends one
body to one number (:meth:`Gateway.send`), finds messages it may already have sent when an
outcome is unknown (:meth:`Gateway.find_sent`), and classifies failures as
:class:`GatewayError` (permanent, transient, opted out, outcome unknown, configuration).
Another provider is added by a plugin with an object that has the same methods.

* :class:`TwilioGateway` uses the official SDK with ``SmartEncoded=false``, a status
  callback URL and a validity period. Its HTTP client never logs (the SDK's default client
  logs query strings, which hold phone numbers). :class:`RedirectingHttpClient` points it at
  a local mock (Prism, the test fake); :class:`CallableHttpClient` at an in-process fake.
* :class:`ConsoleGateway` sends nothing: it keeps a transcript per address, for the
  simulator and ``--dry-run``.

Webhook helpers live here too: :class:`SignatureChecker` (what the webhooks use),
:func:`signature_is_valid` and :func:`compute_signature` (the SDK's own validator), and
:func:`twiml`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlparse, urlsplit, urlunsplit

import requests
from attrs import field, frozen
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator, add_port, remove_port
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from rightsaware.errors import ConfigError

from .messages import _

_SILENT = logging.getLogger("rightsaware_sms.twilio_http")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

#: Twilio error codes and what they mean for a message (see briefs/sms-twilio.md §1.7).
OPTED_OUT = {21610}
PERMANENT = {21211, 21612, 21614, 21617, 21408, 21606, 21660, 30006}
CONFIGURATION = {20003, 20404, 21606, 21608, 21659}
TRANSIENT = {20429, 21611, 30001}


@frozen
class SendResult:
    """The provider accepted a message: its id, initial status and segments (if known)."""

    sid: str
    status: str = "queued"
    segments: int | None = None


@frozen
class SentMessage:
    """A message found at the provider while reconciling an unknown outcome."""

    sid: str
    body: str
    created: dt.datetime | None
    status: str = ""


class GatewayError(Exception):
    """A send failed. Exactly one of the flags says what to do, or none for a transient error.

    ``permanent``: never retry this message. ``opted_out``: the recipient texted STOP
    (21610). ``unknown``: the request may have reached the provider (a timeout after
    sending); reconcile before any resend. ``configuration``: credentials or settings are
    wrong; stop sending. ``code`` is the provider's error code as text.
    """

    def __init__(self, message: str, *, code: str | None = None, permanent: bool = False,
                 opted_out: bool = False, unknown: bool = False, configuration: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.opted_out = opted_out
        self.permanent = permanent or opted_out
        self.unknown = unknown
        self.configuration = configuration

    @property
    def transient(self) -> bool:
        return not (self.permanent or self.unknown or self.configuration)


@runtime_checkable
class Gateway(Protocol):
    """What the SMS channel needs from a provider."""

    name: str
    #: True when the provider itself answers and blocks on STOP/START/HELP (Twilio on long codes).
    handles_standard_keywords: bool

    def send(self, to: str, body: str, *, status_callback: str | None = None,
             validity_period: int | None = None) -> SendResult:
        """Send ``body`` to ``to`` (E.164); raise :class:`GatewayError` on failure."""

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[SentMessage]:
        """Messages to ``to`` with exactly ``body`` created at or after ``since``, oldest first."""


# --- HTTP clients for the SDK ---------------------------------------------------------------

class QuietHttpClient(TwilioHttpClient):
    """The SDK's client without request logging (its log lines would contain phone numbers)."""

    def __init__(self, timeout: float = 15.0, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, logger=_SILENT, **kwargs)

    def log_request(self, kwargs: dict[str, Any]) -> None:  # noqa: ARG002 - never log personal data
        return None

    def log_response(self, status_code: int, response: Any) -> None:  # noqa: ARG002
        return None


class RedirectingHttpClient(QuietHttpClient):
    """Sends every ``*.twilio.com`` request to ``base_url`` instead (Prism, a local fake).

    Requests to any other host are refused, and proxy variables are ignored.
    """

    def __init__(self, base_url: str, timeout: float = 15.0, extra_headers: Mapping[str, str] | None = None) -> None:
        super().__init__(timeout=timeout)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(_("The API base URL {url} is not an http(s) URL.", url=base_url))
        self.base = parts
        self.extra_headers = dict(extra_headers or {})
        if self.session is not None:
            self.session.trust_env = False

    def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None,  # noqa: ANN001
                timeout=None, allow_redirects=False) -> TwilioResponse:  # noqa: ANN001
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("twilio.com"):
            raise ConfigError(_("Refusing to send a Twilio request to {host}.", host=parts.hostname or "?"))
        local = urlunsplit((self.base.scheme, self.base.netloc, self.base.path.rstrip("/") + parts.path, parts.query, ""))
        headers = {**(headers or {}), **self.extra_headers}
        return super().request(method, local, params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)


#: (method, url, params, data, headers, auth) -> (status code, JSON text); may raise requests errors.
Handler = Callable[[str, str, Mapping[str, Any], Mapping[str, Any], Mapping[str, str], Any], tuple[int, str]]


class CallableHttpClient(HttpClient):
    """An SDK HTTP client that calls a Python function instead of the network (in-process fakes)."""

    def __init__(self, handler: Handler) -> None:
        super().__init__(_SILENT, False, None)
        self.handler = handler

    def request(self, method: str, url: str, params=None, data=None, headers=None, auth=None,  # noqa: ANN001
                timeout=None, allow_redirects=False) -> TwilioResponse:  # noqa: ANN001, ARG002
        status, text = self.handler(method.upper(), url, dict(params or {}), dict(data or {}), dict(headers or {}), auth)
        self._test_only_last_response = TwilioResponse(status, text, {"Content-Type": "application/json"})
        return self._test_only_last_response


# --- Twilio ---------------------------------------------------------------------------------

def classify(exc: Exception) -> GatewayError:
    """Turn an SDK or transport exception into a :class:`GatewayError`."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, (TwilioRestException, TwilioServiceException)):
        status = int(getattr(exc, "status", 0) or 0)
        try:
            code = int(getattr(exc, "code", 0) or 0)
        except (TypeError, ValueError):
            code = 0
        text = str(code or status)
        message = _("Twilio refused the message (error {code}).", code=text)
        if code in OPTED_OUT:
            return GatewayError(message, code=text, opted_out=True)
        if code in CONFIGURATION or status in (401, 403):
            return GatewayError(message, code=text, configuration=True)
        if code in TRANSIENT or status == 429 or status >= 500:
            return GatewayError(message, code=text)
        if code in PERMANENT or 400 <= status < 500:
            return GatewayError(message, code=text, permanent=True)
        return GatewayError(message, code=text)
    if isinstance(exc, (requests.ConnectTimeout,)):
        return GatewayError(_("Could not connect to Twilio."), code="connect")
    if isinstance(exc, requests.RequestException):
        return GatewayError(_("No answer from Twilio: the message may or may not have been accepted."),
                            code="unknown", unknown=True)
    return GatewayError(_("Sending failed unexpectedly ({kind}).", kind=type(exc).__name__), code="unknown",
                        unknown=True)


class TwilioGateway:
    """Twilio Programmable Messaging through the official SDK."""

    name = "twilio"
    handles_standard_keywords = True

    def __init__(self, *, account_sid: str, auth_token: str | None = None, api_key: str | None = None,
                 api_secret: str | None = None, from_number: str | None = None,
                 messaging_service_sid: str | None = None, http_client: HttpClient | None = None,
                 timeout: float = 15.0) -> None:
        if not ACCOUNT_SID.match(account_sid or ""):
            raise ConfigError(_("TWILIO_ACCOUNT_SID must look like AC followed by 32 letters and digits."))
        if not from_number and not messaging_service_sid:
            raise ConfigError(_(
                "Set RIGHTSAWARE_SMS_FROM to the Twilio number texts come from (for example +447700900123), "
                "or RIGHTSAWARE_SMS_MESSAGING_SERVICE_SID to a Messaging Service."
            ))
        if from_number and not E164.match(from_number):
            raise ConfigError(_(
                "RIGHTSAWARE_SMS_FROM must be a phone number in international form such as +447700900123, "
                "not a name: people must be able to reply to survey texts."
            ))
        if messaging_service_sid and not SERVICE_SID.match(messaging_service_sid):
            raise ConfigError(_("RIGHTSAWARE_SMS_MESSAGING_SERVICE_SID must look like MG followed by 32 letters and digits."))
        if api_key and api_secret:
            username, password = api_key, api_secret
        elif auth_token:
            username, password = account_sid, auth_token
        else:
            raise ConfigError(_("Set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)."))
        self.account_sid = account_sid
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.http_client = http_client or QuietHttpClient(timeout=timeout)
        self.client = Client(username, password, account_sid=account_sid, http_client=self.http_client,
                             environment={})

    def send(self, to: str, body: str, *, status_callback: str | None = None,
             validity_period: int | None = None) -> SendResult:
        if not E164.match(to or ""):
            raise GatewayError(_("The number is not a valid international phone number."), code="21211", permanent=True)
        if not body:
            raise GatewayError(_("A text message needs a body."), code="21602", permanent=True)
        options: dict[str, Any] = {"to": to, "body": body, "smart_encoded": False}
        if self.from_number:
            options["from_"] = self.from_number
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        if status_callback:
            options["status_callback"] = status_callback
        if validity_period:
            options["validity_period"] = int(validity_period)
        try:
            message = self.client.messages.create(**options)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a classified GatewayError
            raise classify(exc) from None
        segments = None
        try:
            segments = int(message.num_segments) if message.num_segments not in (None, "") else None
        except (TypeError, ValueError):
            segments = None
        return SendResult(sid=message.sid, status=str(message.status or "queued"), segments=segments)

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[SentMessage]:
        try:
            found = self.client.messages.list(to=to, limit=100, page_size=100)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc) from None
        matches = []
        for message in found:
            created = message.date_created
            if message.body != body or str(message.direction or "").startswith("inbound"):
                continue
            if created is not None and created < since:
                continue
            matches.append(SentMessage(sid=message.sid, body=message.body, created=created, status=str(message.status)))
        return sorted(matches, key=lambda m: (m.created or since, m.sid))


# --- Console --------------------------------------------------------------------------------

@frozen
class ConsoleEntry:
    """One line of a console transcript: a text out (``direction="out"``) or in."""

    direction: str
    address: str
    body: str
    sid: str
    at: dt.datetime = field(factory=lambda: dt.datetime.now(dt.timezone.utc))


class ConsoleGateway:
    """Sends nothing: keeps a transcript per address (the simulator, ``--dry-run``).

    ``echo`` is called with each outgoing entry (``--dry-run`` prints them).
    """

    name = "console"
    handles_standard_keywords = False

    def __init__(self, echo: Callable[[ConsoleEntry], None] | None = None, keep: int = 200) -> None:
        self.echo = echo
        self.keep = keep
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._transcripts: dict[str, list[ConsoleEntry]] = {}

    def _add(self, entry: ConsoleEntry) -> None:
        with self._lock:
            lines = self._transcripts.setdefault(entry.address, [])
            lines.append(entry)
            del lines[: max(0, len(lines) - self.keep)]

    def send(self, to: str, body: str, *, status_callback: str | None = None,  # noqa: ARG002
             validity_period: int | None = None) -> SendResult:  # noqa: ARG002
        sid = f"SMconsole{next(self._counter):025d}"
        entry = ConsoleEntry("out", to, body, sid)
        self._add(entry)
        if self.echo is not None:
            self.echo(entry)
        return SendResult(sid=sid, status="delivered")

    def record_inbound(self, address: str, body: str, sid: str) -> None:
        """Remember a text typed into the simulator, for its transcript."""
        self._add(ConsoleEntry("in", address, body, sid))

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[SentMessage]:
        with self._lock:
            entries = list(self._transcripts.get(to, ()))
        return [SentMessage(sid=e.sid, body=e.body, created=e.at, status="delivered")
                for e in entries if e.direction == "out" and e.body == body and e.at >= since]

    def transcript(self, address: str) -> list[ConsoleEntry]:
        with self._lock:
            return list(self._transcripts.get(address, ()))

    def forget(self, address: str) -> None:
        with self._lock:
            self._transcripts.pop(address, None)


# --- Webhooks -------------------------------------------------------------------------------

class SignatureChecker:
    """Checks ``X-Twilio-Signature`` for one URL exactly as ``RequestValidator.validate`` does.

    Same string to sign (the URL, then every parameter name and value sorted, repeated
    values deduplicated), same HMAC-SHA1, and the URL tried with and without its default
    port; but the keyed HMAC state for the URL is prepared once and the parameters are taken
    as parsed ``(name, value)`` pairs, which is several times faster under load.
    """

    def __init__(self, auth_token: str, url: str) -> None:
        parsed = urlparse(url)
        variants = dict.fromkeys([remove_port(parsed), add_port(parsed)])
        self._macs = [hmac.new(auth_token.encode("utf-8"), variant.encode("utf-8"), hashlib.sha1)
                      for variant in variants]

    def valid(self, pairs: list[tuple[str, str]], signature: str | None) -> bool:
        if not signature:
            return False
        grouped: dict[str, set[str]] = {}
        for name, value in pairs:
            grouped.setdefault(name, set()).add(value)
        tail = "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name])).encode("utf-8")
        expected = signature.strip().encode("utf-8", "replace")
        matches = False
        for keyed in self._macs:
            mac = keyed.copy()
            mac.update(tail)
            matches |= hmac.compare_digest(base64.b64encode(mac.digest()), expected)
        return matches


def signature_is_valid(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """Whether ``signature`` (``X-Twilio-Signature``) signs ``url`` and the POST ``params``."""
    if not signature or not auth_token:
        return False
    values = params if hasattr(params, "getlist") else dict(params)  # keep repeated names
    return bool(RequestValidator(auth_token).validate(url, values, signature))


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send (for the simulator, tests and benchmarks)."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


def twiml(*bodies: str) -> str:
    """A TwiML messaging response; with no body, the empty ``<Response />`` acknowledgement."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)
