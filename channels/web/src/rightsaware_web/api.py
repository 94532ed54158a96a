"""The JSON API for developers who embed surveys: instruments, responses and answers.

Reading an instrument is public; creating responses and giving answers needs an API key
(``Authorization: Bearer <key>``, keys from ``RIGHTSAWARE_API_KEYS``). Answers go through
:class:`rightsaware.interview.Interviewer` exactly as the web pages' do (numbers are
passed on as text, so both parse them the same way); errors are RFC 9457 problem
documents with the engine's messages in the response's language. The OpenAPI document
is served at ``/api/openapi.json`` (see :mod:`rightsaware_web.openapi`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
from typing import Any

from rightsaware.errors import CatalogError, NotFound
from rightsaware.events import InboundEvent
from rightsaware.flow import (
    MSG_CHOICE,
    MSG_CONSTRAINT,
    MSG_DATE,
    MSG_DECIMAL,
    MSG_INTEGER,
    MSG_NOT_A_QUESTION,
    MSG_ONE_ONLY,
    MSG_REQUIRED,
    MSG_TOO_LONG,
)
from rightsaware.response import STATUS_ABANDONED
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import events
from .openapi import openapi_document
from .problems import api_problem
from .questions import error_text
from .site import CHANNEL, Site

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")
ERROR_CODES = {
    MSG_REQUIRED: "required", MSG_CHOICE: "not_a_choice", MSG_ONE_ONLY: "one_choice_only",
    MSG_INTEGER: "not_a_whole_number", MSG_DECIMAL: "not_a_number", MSG_DATE: "not_a_date",
    MSG_CONSTRAINT: "not_allowed", MSG_NOT_A_QUESTION: "not_asked", MSG_TOO_LONG: "too_long",
}


class BadRequest(Exception):
    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.response = api_problem(status, title, detail, **extra)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


async def _json_body(request: Request) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise BadRequest(415, "Unsupported Media Type", "Send the body as JSON (Content-Type: application/json).")
    raw = await request.body()
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "Bad Request", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "Bad Request", "The body must be a JSON object.")
    return body


def _api_value(name: str, value: Any) -> Any:
    """A JSON answer as the raw text or choice codes the engine parses (as a web form sends)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise BadRequest(400, "Bad Request", f"The answer to '{name}' is true or false; send a choice code instead.")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise BadRequest(400, "Bad Request", f"The answer to '{name}' must be text, a number, a list of choice codes or null.")


def json_value(value: Any) -> Any:
    """A stored answer value as JSON: codes, lists of codes, numbers, ISO dates, text."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Api:
    """Endpoints of ``/api``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    # -- helpers ----------------------------------------------------------------------------
    def _authorised(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else request.headers.get("x-api-key")
        if not self.site.config.accepts_api_key(key):
            detail = ("Send a valid API key as 'Authorization: Bearer <key>'." if self.site.config.api_key_digests
                      else "This server accepts no API keys yet: set RIGHTSAWARE_API_KEYS to enable writing.")
            raise BadRequest(401, "Unauthorized", detail)

    def _language(self, value: Any, offered: tuple[str, ...], field: str) -> str | None:
        if value is None:
            return None
        if value not in offered:
            raise BadRequest(400, "Bad Request", f"'{field}' must be one of: {', '.join(offered)}.")
        return value

    def _instrument(self, instrument_id: Any) -> Any:
        if not isinstance(instrument_id, str):
            raise BadRequest(400, "Bad Request", "'instrument_id' must be the id of an instrument (text).")
        try:
            return self.site.instrument(instrument_id)
        except NotFound:
            raise BadRequest(404, "Not Found", f"There is no instrument with id '{instrument_id[:80]}'.") from None
        except CatalogError:
            raise BadRequest(503, "Service Unavailable", "This instrument's translations are missing.") from None

    def question_json(self, question: Any, instrument: Any, text: Any) -> dict[str, Any]:
        return {
            "name": question.name, "kind": question.kind, "type": question.type, "label": text.label(question),
            "hint": text.hint(question), "required": question.required, "relevant": question.relevant,
            "constraint": question.constraint, "constraint_message": text.constraint_message(question),
            "choices": [{"code": code, "label": label} for code, label in text.choices(question)],
        }

    def state(self, response: Any, turn: Any = None) -> dict[str, Any]:
        site = self.site
        instrument = site.instrument(response.instrument_id)
        engine = site.interviewer.engine(instrument.id)
        text = site.text(instrument, response.language)
        turn = turn or site.interviewer.current(response.id)
        answered, remaining = engine.progress(response)
        return {
            "id": response.id, "instrument_id": response.instrument_id,
            "instrument_version": response.instrument_version, "language": response.language,
            "status": response.status, "completed": response.status == "completed",
            "answers": {name: json_value(answer.value) for name, answer in response.answers.items()},
            "next_question": self.question_json(turn.question, instrument, text) if turn.question else None,
            "notes": [self.question_json(note, instrument, text) for note in turn.notes],
            "progress": {"answered": answered, "remaining": remaining},
        }

    async def _run(self, function: Any, *args: Any) -> Response:
        try:
            return await self.site.run(function, *args)
        except BadRequest as exc:
            return exc.response

    # -- endpoints --------------------------------------------------------------------------
    async def openapi(self, request: Request) -> Response:
        root = (request.scope.get("root_path") or "").rstrip("/")
        return JSONResponse(openapi_document(self.site, root))

    async def instruments(self, request: Request) -> Response:
        def run() -> Response:
            items = []
            for instrument_id in self.site.runtime.instruments.ids():
                try:
                    instrument = self.site.instrument(instrument_id)
                except (NotFound, CatalogError):
                    continue
                items.append({"id": instrument.id, "version": instrument.version, "title": instrument.title,
                              "languages": list(self.site.available(instrument))})
            return JSONResponse({"instruments": items})

        return await self._run(run)

    async def instrument(self, request: Request) -> Response:
        def run() -> Response:
            instrument = self._instrument(request.path_params["instrument_id"])
            offered = self.site.available(instrument)
            language = self._language(request.query_params.get("lang"), offered, "lang") or (
                self.site.runtime.settings.default_language
                if self.site.runtime.settings.default_language in offered else offered[0])
            text = self.site.text(instrument, language)
            return JSONResponse({
                "id": instrument.id, "version": instrument.version, "title": text.title(),
                "description": text.description(), "language": language, "languages": list(offered),
                "questions": [self.question_json(q, instrument, text) for q in instrument.questions],
            })

        return await self._run(run)

    async def create_response(self, request: Request) -> Response:
        try:
            self._authorised(request)
            body = await _json_body(request)
        except BadRequest as exc:
            return exc.response

        def run() -> Response:
            unknown = sorted(set(body) - {"instrument_id", "language"})
            if unknown:
                raise BadRequest(400, "Bad Request", f"Unknown field(s): {', '.join(unknown)[:200]}.")
            instrument = self._instrument(body.get("instrument_id"))
            offered = self.site.available(instrument)
            default = self.site.runtime.settings.default_language
            if "language" in body and body["language"] is None:  # leave it out for the default
                raise BadRequest(400, "Bad Request", f"'language' must be one of: {', '.join(offered)}.")
            language = self._language(body.get("language"), offered, "language") or (
                default if default in offered else offered[0])
            idempotency = request.headers.get("idempotency-key")
            if idempotency is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency):
                raise BadRequest(400, "Bad Request",
                                 "Idempotency-Key must be 1 to 200 visible ASCII characters, without spaces.")

            def start() -> str:
                return self.site.interviewer.start(instrument.id, channel=CHANNEL, language=language).response.id

            if idempotency:
                nonce = hashlib.sha256(("api\0" + instrument.id + "\0" + idempotency).encode()).hexdigest()[:40]
                response_id, created = events.start_once(self.site.runtime.store, nonce, start)
                if not response_id:
                    raise BadRequest(409, "Conflict", "A request with this Idempotency-Key failed; use a new key.")
            else:
                response_id, created = start(), True
            response = self.site.responses.load(response_id)
            location = self.site.url(request, "/api/responses/" + response_id)
            return JSONResponse(self.state(response), status_code=201 if created else 200,
                                headers={"location": location})

        return await self._run(run)

    def _load(self, response_id: str) -> Any:
        response = self.site.responses.load(response_id)
        if response is None:
            raise BadRequest(404, "Not Found", "There is no response with this id.")
        return response

    async def get_response(self, request: Request) -> Response:
        try:
            self._authorised(request)
        except BadRequest as exc:
            return exc.response
        return await self._run(lambda: JSONResponse(self.state(self._load(request.path_params["response_id"]))))

    async def answers(self, request: Request) -> Response:
        try:
            self._authorised(request)
            body = await _json_body(request)
        except BadRequest as exc:
            return exc.response

        def run() -> Response:
            site = self.site
            response = self._load(request.path_params["response_id"])
            if response.status == STATUS_ABANDONED or events.is_submitted(site.runtime.store, response):
                raise BadRequest(409, "Conflict", "This response is closed: its answers can no longer change.")
            unknown = sorted(set(body) - {"answers"})
            answers = body.get("answers")
            if unknown or not isinstance(answers, dict) or not answers:
                raise BadRequest(400, "Bad Request", "Send {\"answers\": {\"<question name>\": <answer>, ...}}.")
            raw = {str(name): _api_value(str(name), value) for name, value in answers.items()}
            instrument = site.instrument(response.instrument_id)
            language = self._language(request.query_params.get("lang"), site.available(instrument), "lang") \
                or response.language
            channel = site.runtime.channels.get(CHANNEL) if CHANNEL in site.runtime.channels else None
            if channel is not None:
                key = hashlib.sha256(json.dumps([response.id, response.revision, answers], sort_keys=True,
                                                default=str).encode()).hexdigest()
                site.runtime.hook.inbound_received(
                    event=InboundEvent(channel=CHANNEL, idempotency_key=key, kind="reply", response_id=response.id,
                                       respondent_id=response.respondent_id, answers=dict(answers),
                                       language=response.language),
                    channel=channel, runtime=site.runtime)
            turn, errors = site.interviewer.submit_all(response.id, raw, locale=response.language, channel=CHANNEL)
            site.responses.keep(turn.response)
            state = self.state(turn.response)
            ignored = sorted(name for name in raw if name not in errors and name not in turn.response.answers)
            if ignored:
                state["ignored"] = ignored
            if not errors:
                return JSONResponse(state)
            text = site.text(instrument, language)
            core = site.core_messages(language)
            problems = [
                {"question": name, "code": ERROR_CODES.get(error.message, "invalid"),
                 "message": error_text(text, core, instrument, error)}
                for name, error in errors.items()
            ]
            return api_problem(422, "Unprocessable Content", "Some answers were not accepted; the others were kept.",
                               errors=problems, response=state)

        return await self._run(run)
