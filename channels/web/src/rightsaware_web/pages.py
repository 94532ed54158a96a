"""The respondent's pages: start, one question per page, check your answers, confirmation.

Every page is server-rendered and works without JavaScript. Every form carries the
session's CSRF token; every POST is answered with a redirect (post/redirect/get), so
reloading or pressing the browser's Back button never sends an answer twice. A form
sent twice (a double click) is recognised by its one-time ``form_id`` and applied once;
an answer sent again unchanged changes nothing. Answers go through
:class:`rightsaware.interview.Interviewer`, which parses, validates and applies skip logic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from rightsaware.errors import CatalogError, NotFound
from rightsaware.events import InboundEvent
from rightsaware.flow import MSG_NOT_A_QUESTION, AnswerError
from rightsaware.i18n import N_, normalize_language
from rightsaware.response import STATUS_ABANDONED, STATUS_ACTIVE
from starlette.requests import Request
from starlette.responses import Response

from . import events, flowpages
from .forms import read_form
from .landing import landing_page, survey_list
from .problems import problem_page
from .questions import (
    display_answer,
    error_text,
    note_view,
    question_texts,
    question_view,
    raw_answer,
    shown_language,
    stored_values,
    submitted_values,
)
from .referrals import referral_views
from .session import Session
from .site import CHANNEL, Site, is_embed, query_value

NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Pages:
    """Endpoints of the respondent pages (bound methods used as Starlette endpoints)."""

    def __init__(self, site: Site) -> None:
        self.site = site

    # -- endpoints ---------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return await self.site.run(survey_list, self.site, request)

    async def landing(self, request: Request) -> Response:
        return await self.site.run(self._landing, request)

    async def start(self, request: Request) -> Response:
        form = await read_form(request)
        return await self.site.run(self._start, request, form)

    async def question(self, request: Request) -> Response:
        form = await read_form(request) if request.method == "POST" else None
        return await self.site.run(self._question, request, form)

    async def check(self, request: Request) -> Response:
        form = await read_form(request) if request.method == "POST" else None
        return await self.site.run(self._check, request, form)

    async def done(self, request: Request) -> Response:
        return await self.site.run(self._done, request)

    async def save(self, request: Request) -> Response:
        return await self.site.run(self._save, request)

    # -- shared steps ------------------------------------------------------------------------
    def _open(self, request: Request, form: Any = None) -> tuple[Any, Session, Any, Response | None]:
        """(instrument, session, response, early response) for a page of one response."""
        site = self.site
        embed = is_embed(request)
        try:
            instrument = site.instrument(request.path_params["instrument_id"])
        except NotFound:
            return None, None, None, problem_page(site, request, "not_found", embed=embed)
        except CatalogError:
            return None, None, None, problem_page(site, request, "unavailable", embed=embed)
        session = Session.load(request, site.tokens, site.config)
        if form is not None and not session.check_csrf(form.get("csrf_token")):
            return instrument, session, None, problem_page(
                site, request, "session_expired", embed=embed, language=form.get("lang"),
                link=(site.survey_url(request, instrument.id, embed=embed), N_("Start again")))
        response_id = session.response_for(instrument.id)
        response = site.responses.load(response_id) if response_id else None
        if response is None or response.status == STATUS_ABANDONED or response.instrument_id != instrument.id:
            session.forget(instrument.id)
            return instrument, session, None, site.redirect(
                site.survey_url(request, instrument.id, embed=embed), session, request, embed)
        requested = site.requested_language(request, site.available(instrument))
        if requested and requested != response.language:
            response = site.responses.keep(site.interviewer.switch_language(response.id, requested).response)
        return instrument, session, response, None

    def _language(self, request: Request, instrument: Any, response: Any) -> str:
        return self.site.page_language(request, self.site.available(instrument), response.language)

    def _render(self, request: Request, template: str, instrument: Any, language: str, session: Session,
                **context: Any) -> Response:
        site = self.site
        text = site.text(instrument, language)
        context.setdefault("service_name", text.title())
        return site.render(request, template, language, embed=is_embed(request), session=session,
                           switcher_languages=site.available(instrument), csrf=session.csrf, **context)

    # -- landing and start -------------------------------------------------------------------
    def _landing(self, request: Request) -> Response:
        site = self.site
        embed = is_embed(request)
        try:
            instrument = site.instrument(request.path_params["instrument_id"])
        except NotFound:
            return problem_page(site, request, "not_found", embed=embed)
        except CatalogError:
            return problem_page(site, request, "unavailable", embed=embed)
        session = Session.load(request, site.tokens, site.config)
        current = None
        response_id = session.response_for(instrument.id)
        if response_id:
            response = site.responses.load(response_id)
            if response is not None and response.status != STATUS_ABANDONED:
                engine = site.interviewer.engine(instrument.id)
                current = {
                    "url": flowpages.next_page(site, request, engine, response, embed=embed),
                    "sent": events.is_submitted(site.runtime.store, response),
                }
        action = site.survey_url(request, instrument.id, embed=embed)
        return landing_page(site, request, instrument, session, action=action, current=current, embed=embed)

    def _start(self, request: Request, form: Any) -> Response:
        site = self.site
        embed = is_embed(request)
        try:
            instrument = site.instrument(request.path_params["instrument_id"])
        except NotFound:
            return problem_page(site, request, "not_found", embed=embed)
        except CatalogError:
            return problem_page(site, request, "unavailable", embed=embed)
        session = Session.load(request, site.tokens, site.config)
        if not session.check_csrf(form.get("csrf_token")):
            return problem_page(site, request, "session_expired", embed=embed, language=form.get("lang"),
                                link=(site.survey_url(request, instrument.id, embed=embed), N_("Start again")))
        language = self.chosen_language(request, instrument, form.get("language"))
        response = self.start_response(instrument, language, form.get("nonce"))
        if response is None:
            return problem_page(site, request, "unavailable", embed=embed)
        session.set_response(instrument.id, response.id)
        engine = site.interviewer.engine(instrument.id)
        return site.redirect(flowpages.next_page(site, request, engine, response, embed=embed), session, request, embed)

    def chosen_language(self, request: Request, instrument: Any, value: Any) -> str:
        available = self.site.available(instrument)
        try:
            code = normalize_language(value) if isinstance(value, str) and value else None
        except Exception:  # noqa: BLE001 - UnknownLanguage: fall back to the page's language
            code = None
        return code if code in available else self.site.page_language(request, available)

    def start_response(self, instrument: Any, language: str, nonce: Any, respondent_id: str | None = None) -> Any:
        """Start a response once per form (a double click starts one response, not two)."""
        site = self.site
        started = []

        def start() -> str:
            turn = site.interviewer.start(instrument.id, channel=CHANNEL, language=language,
                                          respondent_id=respondent_id)
            started.append(site.responses.keep(turn.response))
            return turn.response.id

        if not (isinstance(nonce, str) and NONCE.match(nonce)):
            start()
            return started[0]
        key = f"start:{nonce}"
        first, entry = site.once.claim(key)
        if not first:  # the same Start button pressed again: the response the first press made
            response_id = site.once.wait(entry)
            return site.responses.load(response_id) if response_id else None
        try:
            start()
        except BaseException:
            site.once.fail(key, entry)
            raise
        site.once.finish(key, entry, started[0].id)
        return started[0]

    # -- one question per page ---------------------------------------------------------------
    def _question(self, request: Request, form: Any) -> Response:
        site = self.site
        instrument, session, response, early = self._open(request, form)
        if early is not None:
            return early
        embed = is_embed(request)
        engine = site.interviewer.engine(instrument.id)
        if events.is_submitted(site.runtime.store, response):
            return site.redirect(site.survey_url(request, instrument.id, "done", embed=embed), session, request, embed)
        try:
            question = engine.question(request.path_params["name"])
        except KeyError:
            question = None
        if question is None or not question.answerable:
            return problem_page(site, request, "not_found", language=response.language, embed=embed)
        change = query_value(request, "change") == "1"
        if form is None:
            values = engine.values(response)
            current = engine.next_question(response) if response.status == STATUS_ACTIVE else None
            if not engine.is_relevant(question, values) or (
                question.name not in response.answers and (current is None or current.name != question.name)
            ):
                return site.redirect(flowpages.next_page(site, request, engine, response, embed=embed, change=change),
                                     session, request, embed)
            return self._question_page(request, instrument, session, response, question,
                                       stored_values(question, response.answers.get(question.name)))
        return self._answer(request, form, instrument, session, response, question, change)

    def _answer(self, request: Request, form: Any, instrument: Any, session: Session, response: Any,
                question: Any, change: bool) -> Response:
        site = self.site
        embed = is_embed(request)
        engine = site.interviewer.engine(instrument.id)
        raw = raw_answer(question, form)
        saving = form.get("action") == "save"
        if saving and raw is None and question.name not in response.answers:
            return site.redirect(site.survey_url(request, instrument.id, "save", embed=embed), session, request, embed)
        existing = response.answers.get(question.name)
        parsed = engine.parse(question, raw, response.language)
        if existing is not None and not isinstance(parsed, AnswerError) and existing.value == parsed:
            return self._after_answer(request, session, engine, response, question, saving, change)
        nonce = form.get("form_id")
        if not (isinstance(nonce, str) and NONCE.match(nonce)):
            nonce = site.nonce()
        digest = hashlib.sha256(json.dumps([response.id, question.name, raw], ensure_ascii=False).encode())
        key = f"form:{nonce}:{digest.hexdigest()[:24]}"
        first, entry = site.once.claim(key)
        if not first:  # the same form sent twice: wait for the first, then go where it went
            site.once.wait(entry)
            return self._after_answer(request, session, engine, site.responses.load(response.id),
                                      question, saving, change)
        try:
            self._announce(response, question, raw, key)
            turn = site.pages_interviewer.answer(response.id, question.name, raw, locale=response.language,
                                           channel=CHANNEL)
        except BaseException:
            site.once.fail(key, entry)
            raise
        site.responses.keep(turn.response)
        if turn.error is None:
            site.once.finish(key, entry, True)
            return self._after_answer(request, session, engine, turn.response, question, saving, change)
        site.once.fail(key, entry)
        if turn.error.message == MSG_NOT_A_QUESTION:  # a page left open while skip logic moved on
            return site.redirect(flowpages.next_page(site, request, engine, turn.response, embed=embed, change=change),
                                 session, request, embed)
        language = response.language
        message = error_text(site.text(instrument, language), site.core_messages(language), instrument, turn.error)
        return self._question_page(request, instrument, session, turn.response, question,
                                   submitted_values(question, form), error=message, status=422)

    def _after_answer(self, request: Request, session: Session, engine: Any, response: Any, question: Any,
                      saving: bool, change: bool) -> Response:
        site = self.site
        embed = is_embed(request)
        if saving:
            url = site.survey_url(request, response.instrument_id, "save", embed=embed)
        else:
            url = flowpages.next_page(site, request, engine, response, embed=embed, change=change, after=question,
                                      sent=False)  # an answer is only taken before the answers are sent
        return site.redirect(url, session, request, embed)

    def _announce(self, response: Any, question: Any, raw: Any, key: str) -> None:
        """``inbound_received``: the web channel decoded a form post (before it is applied)."""
        runtime = self.site.runtime
        channel = runtime.channels.get(CHANNEL) if CHANNEL in runtime.channels else None
        if channel is None:
            return
        value = list(raw) if isinstance(raw, tuple) else raw
        event = InboundEvent(channel=CHANNEL, idempotency_key=key, kind="reply", respondent_id=response.respondent_id,
                             response_id=response.id, answers={question.name: value}, language=response.language)
        runtime.hook.inbound_received(event=event, channel=channel, runtime=runtime)

    def _question_page(self, request: Request, instrument: Any, session: Session, response: Any, question: Any,
                       values: dict[str, Any], *, error: str | None = None, status: int = 200) -> Response:
        site = self.site
        embed = is_embed(request)
        change = query_value(request, "change") == "1"
        language = self._language(request, instrument, response)
        engine = site.interviewer.engine(instrument.id)
        text = site.text(instrument, language)
        messages = site.messages(language)
        position, total, left = flowpages.progress(engine, response, question)
        key = ("question", instrument.id, instrument.content_hash, question.name, language)
        texts = site.memo.get(key) or site.remember(key, question_texts(question, instrument, text, language))
        view = question_view(question, instrument, text, language, values, error, texts)
        return self._render(
            request, "question.html", instrument, language, session, status=status,
            page_title=view["label"], error_title=bool(error), question=view,
            notes=[note_view(n, text, language) for n in flowpages.notes_before(engine, response, question)],
            progress=messages._("Question {n} of {total}", n=position, total=total),
            left=messages.ngettext("{n} question left", "{n} questions left", left) if left else None,
            back_url=flowpages.previous_page(site, request, engine, response, question, embed=embed, change=change),
            action=site.survey_url(request, instrument.id, "q/" + question.name, embed=embed,
                                   change="1" if change else None),
            form_id=site.nonce(),
        )

    # -- check your answers, submit, confirmation, save --------------------------------------
    def _check(self, request: Request, form: Any) -> Response:
        site = self.site
        instrument, session, response, early = self._open(request, form)
        if early is not None:
            return early
        embed = is_embed(request)
        engine = site.interviewer.engine(instrument.id)
        store = site.runtime.store
        if events.is_submitted(store, response):
            return site.redirect(site.survey_url(request, instrument.id, "done", embed=embed), session, request, embed)
        if not flowpages.is_finished(engine, response):
            return site.redirect(flowpages.next_page(site, request, engine, response, embed=embed),
                                 session, request, embed)
        if form is not None:  # "Send my answers": complete (referrals and other plugins run now), once
            site.responses.keep(site.pages_interviewer.complete(response.id).response)
            events.mark_submitted(store, response.id)
            return site.redirect(site.survey_url(request, instrument.id, "done", embed=embed), session, request, embed)
        language = self._language(request, instrument, response)
        text = site.text(instrument, language)
        messages = site.messages(language)
        rows = []
        for q in flowpages.relevant_answerable(engine, response):
            label = text.label(q)
            rows.append({
                "label": label,
                "label_lang": shown_language(label, q.label, language),
                "answer": display_answer(q, response.answers.get(q.name), instrument, text, messages),
                "change_url": site.survey_url(request, instrument.id, "q/" + q.name, embed=embed, change="1"),
            })
        return self._render(
            request, "check.html", instrument, language, session, page_title=messages._("Check your answers"),
            rows=rows, action=site.survey_url(request, instrument.id, "check", embed=embed),
            back_url=flowpages.last_question_page(site, request, engine, response, embed=embed),
            save_url=site.survey_url(request, instrument.id, "save", embed=embed),
        )

    def _done(self, request: Request) -> Response:
        site = self.site
        instrument, session, response, early = self._open(request)
        if early is not None:
            return early
        embed = is_embed(request)
        engine = site.interviewer.engine(instrument.id)
        if not events.is_submitted(site.runtime.store, response):
            return site.redirect(flowpages.next_page(site, request, engine, response, embed=embed),
                                 session, request, embed)
        language = self._language(request, instrument, response)
        text = site.text(instrument, language)
        messages = site.messages(language)
        token, expires = site.withdrawal_token(response.id)
        until = dt.datetime.fromtimestamp(expires, dt.timezone.utc).date()
        return self._render(
            request, "done.html", instrument, language, session,
            page_title=messages._("Your answers have been sent"),
            reference=response.id[:8].upper(),
            withdraw_link=site.absolute(request, site.url(request, "/r/" + token, embed="1" if embed else None)),
            withdraw_until=messages.format_date(until, "long"),
            notes=[note_view(n, text, language) for n in flowpages.closing_notes(engine, response)],
            referrals=referral_views(site.runtime, response, language),
        )

    def _save(self, request: Request) -> Response:
        site = self.site
        instrument, session, response, early = self._open(request)
        if early is not None:
            return early
        embed = is_embed(request)
        engine = site.interviewer.engine(instrument.id)
        if events.is_submitted(site.runtime.store, response):
            return site.redirect(site.survey_url(request, instrument.id, "done", embed=embed), session, request, embed)
        language = self._language(request, instrument, response)
        messages = site.messages(language)
        token, expires = site.resume_token(response.id)
        link = site.absolute(request, site.url(request, "/r/" + token, embed="1" if embed else None))
        until = dt.datetime.fromtimestamp(expires, dt.timezone.utc).date()
        return self._render(
            request, "save.html", instrument, language, session, page_title=messages._("Your answers have been saved"),
            link=link, until=messages.format_date(until, "long"),
            continue_url=flowpages.next_page(site, request, engine, response, embed=embed),
        )
