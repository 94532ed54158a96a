"""Interviews with a store and hooks: what channels call to start, answer and finish responses.

:class:`Interviewer` loads a response, lets the :class:`~rightsaware.flow.Engine` apply a
reply, saves it with optimistic concurrency (retrying when another process saved first)
and fires ``answer_recorded``, ``response_completed`` and ``response_abandoned``.
Free-typed replies (SMS, terminal) may also be commands: switch language, back, skip, help.

By default a response is completed as soon as nothing is left to ask. A channel that
lets the respondent check their answers before sending them (the web) creates its
interviewer with ``defer_completion=True``: the response then stays active with every
question answered (the turn has no next question) until the channel calls
:meth:`Interviewer.complete`, which completes it and fires ``response_completed``.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import frozen

from .errors import ConcurrentUpdate, NotFound
from .i18n import N_
from .flow import MSG_REQUIRED, AnswerError, Engine
from .instrument import Instrument, Question
from .response import STATUS_ABANDONED, STATUS_ACTIVE, STATUS_COMPLETED, Response, utcnow

MAX_RETRIES = 20


@frozen
class Turn:
    """What a channel shows after a reply: notes, the next question or the end, any error."""

    response: Response
    question: Question | None
    notes: tuple[Question, ...] = ()
    error: AnswerError | None = None
    completed: bool = False
    intent: str | None = None  # "language", "back", "skip", "help" when the reply was a command


class Interviewer:
    """Start, answer, go back, switch language and finish responses, stored and with hooks."""

    def __init__(self, runtime: Any, *, defer_completion: bool = False) -> None:
        self.runtime = runtime
        self.defer_completion = defer_completion

    @property
    def store(self):  # noqa: ANN201
        return self.runtime.store

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one interviewer per runtime, instruments are few
    def engine(self, instrument_id: str) -> Engine:
        instrument = self.runtime.instrument(instrument_id)
        return Engine(instrument, choice_labels=self._choice_labels(instrument))

    def _choice_labels(self, instrument: Instrument):  # noqa: ANN202
        from .i18n import localize

        translator = self.runtime.translator
        texts = {language: localize(instrument, translator.messages(language)) for language in instrument.languages}

        def labels(question: Question, choice: Any, language: str) -> list[str]:
            text = texts[language]
            return [text.choice_label(question, choice), text.choice_sms_label(question, choice)]

        return labels

    # --- starting ------------------------------------------------------------------------

    def start(self, instrument_id: str, *, channel: str, language: str = "en", respondent_id: str | None = None,
              synthetic: bool = False) -> Turn:
        engine = self.engine(instrument_id)
        instrument = engine.instrument
        self.store.record_instrument(instrument.id, instrument.version, instrument.content_hash)
        if respondent_id is not None:
            record = self.store.respondent(respondent_id)
            if record is not None and record.language:
                language = record.language
        response = Response(
            id=secrets.token_urlsafe(16),
            instrument_id=instrument.id,
            instrument_version=instrument.version,
            instrument_hash=instrument.content_hash,
            channel=channel,
            language=language,
            respondent_id=respondent_id,
            synthetic=synthetic,
        )
        self.store.create_response(response)
        return self._turn(engine, response)

    def load(self, response_id: str) -> Response:
        response = self.store.load_response(response_id)
        if response is None:
            raise NotFound(N_("no response with id '{id}'"), params={"id": response_id})
        return response

    def current(self, response_id: str) -> Turn:
        response = self.load(response_id)
        return self._turn(self.engine(response.instrument_id), response)

    # --- changing ------------------------------------------------------------------------

    def answer(self, response_id: str, question: str, raw: Any, *, locale: str | None = None,
               channel: str | None = None) -> Turn:
        """Answer (or change the answer to) a named question, as a web page or the API does."""

        def change(engine: Engine, response: Response):  # noqa: ANN202
            outcome = engine.answer(response, question, raw, locale=locale, channel=channel)
            return outcome.response, outcome.error, question

        return self._apply(response_id, change)

    def reply(self, response_id: str, text: str, *, channel: str | None = None) -> Turn:
        """A free-typed reply to the current question (SMS, terminal): an answer or a command."""
        from .vocabulary import classify_reply

        intent = classify_reply(text)
        if intent is not None:
            kind = intent.kind
            if kind == "switch_language":
                return self.switch_language(response_id, intent.language)
            if kind == "back":
                return self.back(response_id)
            if kind == "help":
                turn = self.current(response_id)
                return attrs.evolve(turn, intent="help")
            if kind == "skip":
                turn = self.current(response_id)
                if turn.question is None:
                    return attrs.evolve(turn, intent="skip")
                if turn.question.required:  # never stored as the answer "SKIP"
                    return attrs.evolve(turn, error=AnswerError(turn.question.name, MSG_REQUIRED), intent="skip")
                result = self.answer(response_id, turn.question.name, None, channel=channel)
                return attrs.evolve(result, intent="skip")

        def change(engine: Engine, response: Response):  # noqa: ANN202
            question = engine.next_question(response)
            if question is None:
                return response, None, None
            outcome = engine.answer(response, question.name, text, channel=channel)
            return outcome.response, outcome.error, question.name

        return self._apply(response_id, change)

    def submit_all(self, response_id: str, raw_answers: Mapping[str, Any], *, locale: str | None = None,
                   channel: str | None = None) -> tuple[Turn, dict[str, AnswerError]]:
        """Apply a whole set of answers (paper, API) through the same validation."""
        errors_out: dict[str, AnswerError] = {}

        def change(engine: Engine, response: Response):  # noqa: ANN202
            updated, errors = engine.submit_all(response, raw_answers, locale=locale, channel=channel)
            errors_out.clear()
            errors_out.update(errors)
            return updated, None, None

        turn = self._apply(response_id, change)
        return turn, dict(errors_out)

    def back(self, response_id: str) -> Turn:
        turn = self._apply(response_id, lambda engine, response: (engine.back(response), None, None))
        return attrs.evolve(turn, intent="back")

    def switch_language(self, response_id: str, language: str) -> Turn:
        def change(engine: Engine, response: Response):  # noqa: ANN202
            return engine.switch_language(response, language), None, None

        turn = self._apply(response_id, change)
        if turn.response.respondent_id:
            self.store.set_language(turn.response.respondent_id, language)
        return attrs.evolve(turn, intent="language")

    def finish(self, response_id: str) -> Turn:
        """Close a response that cannot be asked again (a paper sheet with blanks) as completed.

        Questions left unanswered stay unanswered; referral and other plugins run on what
        was given. A response that is already completed is returned unchanged.
        """

        def change(engine: Engine, response: Response):  # noqa: ANN202
            if response.status != STATUS_ACTIVE:
                return response, None, None
            now = utcnow()
            return attrs.evolve(response, status=STATUS_COMPLETED, completed_at=now, updated_at=now), None, None

        return self._apply(response_id, change, completing=True)

    def complete(self, response_id: str) -> Turn:
        """Complete a response whose every relevant question is answered ("Send my answers").

        With ``defer_completion`` this is the only way a response is completed. A response
        with questions still to answer is returned unchanged (its turn names the next one);
        a completed one too, so sending twice completes it (and fires the hook) once.
        """

        def change(engine: Engine, response: Response):  # noqa: ANN202
            if response.status != STATUS_ACTIVE or engine.next_question(response) is not None:
                return response, None, None
            notes = response.seen_notes + tuple(n.name for n in engine.pending_notes(response))
            now = utcnow()
            return attrs.evolve(response, status=STATUS_COMPLETED, completed_at=now, updated_at=now,
                                seen_notes=notes), None, None

        return self._apply(response_id, change, completing=True)

    def abandon(self, response_id: str, reason: str) -> Response:
        """End a response without completing it (expired, opted out, withdrawn)."""

        def change(engine: Engine, response: Response):  # noqa: ANN202
            if response.status != STATUS_ACTIVE:
                return response, None, None
            return attrs.evolve(response, status=STATUS_ABANDONED, updated_at=utcnow()), None, None

        before = self.load(response_id)
        turn = self._apply(response_id, change)
        if before.status == STATUS_ACTIVE and turn.response.status == STATUS_ABANDONED:
            self.runtime.hook.response_abandoned(
                response=turn.response, instrument=self.engine(turn.response.instrument_id).instrument,
                reason=reason, runtime=self.runtime,
            )
        return turn.response

    # --- the shared path -----------------------------------------------------------------

    def _apply(self, response_id: str, change, *, completing: bool = False) -> Turn:  # noqa: ANN001
        for _attempt in range(MAX_RETRIES):
            response = self.load(response_id)
            engine = self.engine(response.instrument_id)
            updated, error, _question = change(engine, response)
            if (self.defer_completion and not completing and updated.status == STATUS_COMPLETED
                    and response.status != STATUS_COMPLETED):
                updated = attrs.evolve(updated, status=STATUS_ACTIVE, completed_at=None)  # until complete()
            if error is not None or updated is response:
                return self._turn(engine, response, error)
            try:
                saved = self.store.save_response(updated, expected_revision=response.revision, previous=response)
            except ConcurrentUpdate:
                continue
            self._fire(engine, response, saved)
            return self._turn(engine, saved)
        raise ConcurrentUpdate(N_("response {id} is being changed by many processes at once; try again"),
                               params={"id": response_id})

    def _fire(self, engine: Engine, before: Response, after: Response) -> None:
        hook = self.runtime.hook
        for name, answer in after.answers.items():
            if before.answers.get(name) != answer:
                hook.answer_recorded(response=after, question=engine.question(name), answer=answer, runtime=self.runtime)
        if after.status == "completed" and before.status != "completed":
            hook.response_completed(response=after, instrument=engine.instrument, runtime=self.runtime)

    def _turn(self, engine: Engine, response: Response, error: AnswerError | None = None) -> Turn:
        question = engine.next_question(response) if response.status == STATUS_ACTIVE else None
        notes = tuple(engine.pending_notes(response, question))
        return Turn(response, question, notes, error, completed=response.status == "completed")
