"""The SMS simulator at ``/sms/simulator``: text a survey from a phone-like page, for free.

Each visitor gets a made-up address (``sim:`` and random hex, kept in a cookie) that only the
console gateway can deliver to, so nothing ever reaches Twilio. Texts typed on the page go
through exactly the same code as Twilio's webhook (:meth:`Conversations.receive`), and the
replies are sent through the outbox by the same sender; the page shows the transcript with
each text's encoding and segment count. Responses made here are marked synthetic, so they
never count in results. Works without JavaScript; forms post and redirect.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from rightsaware.errors import RightsawareError

from .channel import NAME, SIMULATOR_PREFIX
from .messages import sms_messages
from .segments import measure

PATH = "/sms/simulator"
COOKIE = "sms_simulator"
TEMPLATES = Path(__file__).parent / "templates"
MAX_TEXT = 1600


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html"]))


def _language(request: Request, runtime: Any) -> str:
    from rightsaware.server import request_language

    return request_language(request, runtime)


def _address(request: Request) -> str | None:
    token = request.cookies.get(COOKIE, "")
    if len(token) == 32 and all(c in "0123456789abcdef" for c in token):
        return SIMULATOR_PREFIX + token
    return None


def make_simulator_routes(service: Any) -> list[Route]:
    """The page (``GET /sms/simulator``) and its three form actions."""
    from rightsaware.server import SECURITY_HEADERS

    runtime, channel = service.runtime, service.channel
    env = _environment()

    def page(request: Request, error: str | None = None) -> HTMLResponse:
        language = _language(request, runtime)
        m = sms_messages(runtime, language)
        address = _address(request)
        transcript = []
        if address:
            for entry in channel.console.transcript(address):
                info = measure(entry.body)
                transcript.append({"direction": entry.direction, "body": entry.body, "encoding": info.encoding,
                                   "segments": info.segments, "characters": info.characters})
        instruments = []
        for entry in runtime.instruments.entries():
            instrument = entry.instrument
            instruments.append({"id": instrument.id, "title": instrument.title, "languages": instrument.languages})
        html = env.get_template("simulator.html").render(
            _=m._, ngettext=m.ngettext, lang=language, transcript=transcript, active=address is not None,
            instruments=instruments, languages=runtime.settings.languages, error=error,
            language_names={code: m.language_name(code) for code in runtime.settings.languages},
            live=channel.live, path=PATH,
        )
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    async def show(request: Request) -> Response:
        return await run_in_threadpool(page, request)

    async def start(request: Request) -> Response:
        form = await request.form()
        instrument_id = str(form.get("instrument", ""))
        language = str(form.get("language", ""))
        token = secrets.token_hex(16)
        address = SIMULATOR_PREFIX + token

        def begin() -> None:
            instrument = runtime.instrument(instrument_id)
            chosen = language if language in instrument.languages else instrument.languages[0]
            respondent_id = runtime.store.ensure_respondent(NAME, address, language=chosen)
            service.conversations.start(respondent_id, instrument_id, chosen, key=f"simulator:{token}",
                                        synthetic=True)
            service.send_now(respondent_id)

        try:
            await run_in_threadpool(begin)
        except RightsawareError as exc:
            return await run_in_threadpool(page, request, str(exc))
        response = RedirectResponse(PATH, status_code=303)
        response.set_cookie(COOKIE, token, max_age=24 * 3600, httponly=True, samesite="strict", path="/sms")
        return response

    async def send(request: Request) -> Response:
        address = _address(request)
        if address is None:
            return RedirectResponse(PATH, status_code=303)
        form = await request.form()
        text = str(form.get("text", ""))[:MAX_TEXT]
        if not text.strip():
            return RedirectResponse(PATH, status_code=303)
        sid = "SMsim" + secrets.token_hex(15)

        def deliver() -> None:
            channel.console.record_inbound(address, text, sid)
            sender_key = service.conversations.receive({"MessageSid": sid, "From": address, "Body": text},
                                                       apply=False)
            if sender_key is not None:
                service.apply_and_send(sender_key)

        await run_in_threadpool(deliver)
        return RedirectResponse(PATH + "#latest", status_code=303)

    async def reset(request: Request) -> Response:
        address = _address(request)
        if address is not None:
            channel.console.forget(address)
        response = RedirectResponse(PATH, status_code=303)
        response.delete_cookie(COOKIE, path="/sms")
        return response

    return [
        Route(PATH, show, methods=["GET"]),
        Route(PATH + "/start", start, methods=["POST"]),
        Route(PATH + "/send", send, methods=["POST"]),
        Route(PATH + "/reset", reset, methods=["POST"]),
    ]
