"""A fake of Twilio's Messages API for tests and benchmarks: behaviour Prism cannot model.

:class:`FakeTwilio` keeps messages with unique SIDs, answers ``create``, ``fetch`` and
``list`` (filtered by ``To``, newest first) with bodies shaped like the OpenAPI examples,
refuses opted-out numbers with 21610 and invalid ones with 21211, checks Basic auth and the
account, and injects faults on demand: ``429`` (20429), ``503``, ``lost`` (the message is
stored, then the response is lost: a timeout) and ``timeout`` (nothing stored). It can
produce signed status callbacks for any message.

Reach it in-process with :meth:`FakeTwilio.gateway` (the real SDK through a
:class:`~rightsaware_sms.gateway.CallableHttpClient`) or over HTTP with :meth:`serve`
(for a worker in another process, pointed there with ``RIGHTSAWARE_SMS_API_BASE_URL``).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from attrs import define, field

from .gateway import E164, CallableHttpClient, TwilioGateway, compute_signature
from .segments import measure

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "fake-auth-token-0123456789abcdef"
FROM = "+447700900001"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages(?:/(?P<sid>\w+))?\.json$")


@define
class FakeMessage:
    sid: str
    to: str
    from_: str
    body: str
    status: str
    created: dt.datetime
    form: dict[str, str] = field(factory=dict)
    monotonic: float = 0.0
    num_segments: int = 1

    def as_json(self, account: str) -> dict[str, Any]:
        date = email.utils.format_datetime(self.created)
        return {
            "account_sid": account, "api_version": "2010-04-01", "body": self.body, "date_created": date,
            "date_sent": date if self.status not in ("accepted", "queued") else None, "date_updated": date,
            "direction": "outbound-api", "error_code": None, "error_message": None, "from": self.from_,
            "messaging_service_sid": self.form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(self.num_segments), "price": None, "price_unit": None, "sid": self.sid,
            "status": self.status, "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}/Media.json"},
            "to": self.to, "uri": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}.json",
        }


class FakeTwilio:
    """In-memory Twilio Messages API with fault injection (thread-safe)."""

    def __init__(self, account_sid: str = ACCOUNT, auth_token: str = TOKEN, *, delay: float = 0.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delay = delay
        self.messages: dict[str, FakeMessage] = {}
        self.opted_out: set[str] = set()
        self.invalid: set[str] = set()
        self.faults: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.on_create: Callable[[FakeMessage], None] | None = None
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    # --- inspection ----------------------------------------------------------------------------

    def sent(self) -> list[FakeMessage]:
        with self._lock:
            return sorted(self.messages.values(), key=lambda m: m.monotonic)

    def bodies_to(self, to: str) -> list[str]:
        return [m.body for m in self.sent() if m.to == to]

    def fail_next(self, *faults: str) -> None:
        """Queue faults for the next creates: ``429``, ``503``, ``lost``, ``timeout``, ``21611``."""
        with self._lock:
            self.faults.extend(faults)

    # --- the API -------------------------------------------------------------------------------

    def handle(self, method: str, url: str, params: Mapping[str, Any], data: Mapping[str, Any],
               headers: Mapping[str, str], auth: Any) -> tuple[int, str]:
        path = urlsplit(url).path
        with self._lock:
            self.requests.append((method, path))
        match = _MESSAGES.match(path)
        if match is None:
            return _error(404, 20404, "The requested resource was not found")
        if not self._authorised(auth, headers) or match.group("account") != self.account_sid:
            return _error(401, 20003, "Authenticate")
        if self.delay:
            time.sleep(self.delay)
        if method == "POST" and match.group("sid") is None:
            return self._create({k: str(v) for k, v in data.items()})
        if method == "GET" and match.group("sid"):
            with self._lock:
                message = self.messages.get(match.group("sid"))
            if message is None:
                return _error(404, 20404, "The requested resource was not found")
            return 200, json.dumps(message.as_json(self.account_sid))
        if method == "GET":
            return self._list(params)
        return _error(405, 20004, "Method not allowed")

    def _authorised(self, auth: Any, headers: Mapping[str, str]) -> bool:
        if auth:
            user, password = auth
        else:
            header = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            if not header.startswith("Basic "):
                return False
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == self.account_sid and password == self.auth_token

    def _create(self, form: dict[str, str]) -> tuple[int, str]:
        to, body = form.get("To", ""), form.get("Body", "")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        if not body:
            return _error(400, 21602, "Message body is required")
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault == "429":
            return _error(429, 20429, "Too Many Requests")
        if fault == "503":
            return _error(503, 20500, "Service unavailable")
        if fault == "21611":
            return _error(400, 21611, "This 'From' number has exceeded the maximum number of queued messages")
        if fault == "timeout":
            raise requests.ConnectionError("connection reset before the request was sent")
        if not E164.match(to) or to in self.invalid:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        message = FakeMessage(
            sid="SM" + secrets.token_hex(16), to=to, from_=form.get("From") or FROM, body=body, status="queued",
            created=dt.datetime.now(dt.timezone.utc).replace(microsecond=0), form=form,
            monotonic=time.monotonic() + next(self._counter) * 1e-9, num_segments=max(1, measure(body).segments),
        )
        with self._lock:
            self.messages[message.sid] = message
        if self.on_create is not None:
            self.on_create(message)
        if fault == "lost":
            raise requests.ReadTimeout("the message was accepted but the response was lost")
        return 201, json.dumps(message.as_json(self.account_sid))

    def _list(self, params: Mapping[str, Any]) -> tuple[int, str]:
        to = params.get("To")
        size = int(params.get("PageSize") or 50)
        found = [m for m in self.sent() if to is None or m.to == to]
        found.sort(key=lambda m: m.monotonic, reverse=True)
        page = {"end": min(size, len(found)) - 1, "first_page_uri": "", "next_page_uri": None, "page": 0,
                "page_size": size, "previous_page_uri": None, "start": 0, "uri": "",
                "messages": [m.as_json(self.account_sid) for m in found[:size]]}
        return 200, json.dumps(page)

    # --- for tests -----------------------------------------------------------------------------

    def gateway(self, **options: Any) -> TwilioGateway:
        """A real :class:`TwilioGateway` (the real SDK) whose HTTP goes to this fake."""
        options.setdefault("from_number", FROM)
        return TwilioGateway(account_sid=self.account_sid, auth_token=self.auth_token,
                             http_client=CallableHttpClient(self.handle), **options)

    def status_callback(self, sid: str, status: str, error_code: str | None = None) -> tuple[str, dict[str, str], str]:
        """``(url, form, X-Twilio-Signature)`` of the status callback Twilio would send."""
        message = self.messages[sid]
        url = message.form.get("StatusCallback", "")
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                "AccountSid": self.account_sid, "From": message.from_, "To": message.to, "ApiVersion": "2010-04-01"}
        if error_code:
            form["ErrorCode"] = error_code
        return url, form, compute_signature(self.auth_token, url, form)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
        """Serve the API over HTTP in a daemon thread; ``(server, base URL)``. Call ``server.shutdown()``."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                try:
                    status, text = fake.handle(method, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                                               dict(parse_qsl(raw, keep_blank_values=True)), dict(self.headers), None)
                except requests.RequestException:
                    self.close_connection = True  # the client sees the connection drop: outcome unknown
                    return
                payload = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def log_message(self, *args: Any) -> None:  # noqa: ARG002 - never log (phone numbers)
                return None

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://{host}:{server.server_address[1]}"


def inbound_form(sender: str, body: str, sid: str, *, to: str = FROM, **extra: str) -> dict[str, str]:
    """The form of Twilio's inbound-message webhook (with the blank fields Twilio sends)."""
    form = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT, "From": sender,
            "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
            "ApiVersion": "2010-04-01", "FromCity": "", "FromState": "", "FromZip": "", "FromCountry": "GB"}
    form.update(extra)
    return form


def signed_post(form: Mapping[str, str], url: str, *, token: str = TOKEN) -> dict[str, Any]:
    """Keyword arguments for an HTTP client's ``post``: the form and its ``X-Twilio-Signature``."""
    return {"data": dict(form), "headers": {"X-Twilio-Signature": compute_signature(token, url, form)}}


def _error(status: int, code: int, message: str) -> tuple[int, str]:
    return status, json.dumps({"code": code, "message": message,
                               "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})
