"""The interview engine, channel-neutral: next question, skip logic, parsing, validation.

:class:`Engine` works on frozen :class:`~rightsaware.response.Response` values and returns
new ones; it does no I/O, so SMS (one question at a time), the web (a page at a time) and
paper (every answer at once) all share the same rules. :mod:`rightsaware.interview` adds
the store and the hooks on top.

Answers are kept as language-neutral codes, so the respondent may switch language at any
point and carry on where they were.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
from attrs import frozen

from . import expressions
from .instrument import Choice, Instrument, Question, QuestionBase
from .response import STATUS_ACTIVE, STATUS_COMPLETED, Answer, AnswerValue, Response, utcnow
from .text import fold, nfc

#: (question, choice, language) -> label; supplied by the translator for Welsh and Gaelic.
ChoiceLabels = Callable[[Question, Choice, str], Iterable[str]]


def N_(message: str) -> str:
    """Mark a respondent-facing message for extraction; channels translate it when shown."""
    return message


MSG_REQUIRED = N_("Please answer this question.")
MSG_CHOICE = N_("Please choose one of the options: reply with a number from 1 to {count}.")
MSG_ONE_ONLY = N_("Please choose only one option.")
MSG_INTEGER = N_("Please enter a whole number, for example 42.")
MSG_DECIMAL = N_("Please enter a number, for example 3.5.")
MSG_DATE = N_("Please enter a date as day/month/year, for example 31/12/1990.")
MSG_CONSTRAINT = N_("That answer is not allowed here. Please check it and try again.")
MSG_NOT_A_QUESTION = N_("That question is not being asked now.")
MSG_TOO_LONG = N_("Please keep your answer under {limit} characters.")

MAX_TEXT = 2000


class ChoiceCode(str):
    """A choice code sent by a form (a web radio button, a paper mark): matched exactly.

    Typed replies are read as positions first ("2" is the second option shown), then codes
    and labels. A form sends the code itself, so a choice coded ``"1"`` listed fifth (a
    reverse-coded scale) must not be read as the first option.
    """

    __slots__ = ()


def as_choice_codes(question: QuestionBase, raw: Any) -> Any:  # noqa: ANN401
    """``raw`` from a form with its choice codes marked as :class:`ChoiceCode` (other kinds unchanged)."""
    if question.kind not in ("select_one", "select_multiple") or raw is None:
        return raw
    if isinstance(raw, str):
        return ChoiceCode(raw)
    if isinstance(raw, (list, tuple)):
        return tuple(ChoiceCode(item) if isinstance(item, str) else item for item in raw)
    return raw


@frozen
class AnswerError:
    """Why an answer was refused: an English message template with its parameters."""

    question: str
    message: str
    params: dict[str, Any] = attrs.field(factory=dict)
    custom: str | None = None  # the instrument's own constraint_message (translated by the instrument's catalog)

    def format(self, translate: Callable[..., str] | None = None) -> str:
        if translate is None:
            return self.message.format(**self.params)
        return translate(self.message, **self.params)


@frozen
class Outcome:
    """The result of giving an answer: the new response, or an error and the unchanged one."""

    response: Response
    error: AnswerError | None = None
    completed: bool = False


class Engine:
    """Skip logic, parsing and validation for one instrument."""

    def __init__(self, instrument: Instrument, choice_labels: ChoiceLabels | None = None) -> None:
        self.instrument = instrument
        self.questions = instrument.questions
        self._by_name = {q.name: q for q in instrument.questions}
        self._index = {q.name: i for i, q in enumerate(instrument.questions)}
        self._relevant = {q.name: expressions.parse(q.relevant) for q in self.questions if q.relevant}
        self._constraint = {q.name: expressions.parse(q.constraint) for q in self.questions if q.constraint}
        self._choice_lookup: dict[str, dict[str, str]] = {}
        for question in self.questions:
            choices = instrument.choices_for(question)
            if choices:
                self._choice_lookup[question.name] = self._build_lookup(question, choices, choice_labels)

    # --- building ------------------------------------------------------------------------

    def _build_lookup(self, question: Question, choices: tuple[Choice, ...], labels: ChoiceLabels | None) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for number, choice in enumerate(choices, start=1):
            lookup.setdefault(str(number), choice.name)
        for choice in choices:
            lookup.setdefault(fold(choice.name), choice.name)
            lookup.setdefault(fold(choice.name.replace("_", " ")), choice.name)
        for choice in choices:
            texts = [choice.label, choice.sms_label or ""]
            if labels is not None:
                for language in self.instrument.languages:
                    texts.extend(labels(question, choice, language))
            for text in texts:
                if text:
                    lookup.setdefault(fold(text), choice.name)
        return lookup

    # --- navigation ----------------------------------------------------------------------

    def question(self, name: str) -> Question:
        return self._by_name[name]

    def values(self, response: Response) -> dict[str, AnswerValue]:
        return {name: answer.value for name, answer in response.answers.items()}

    def is_relevant(self, question: Question, values: Mapping[str, AnswerValue]) -> bool:
        expr = self._relevant.get(question.name)
        return True if expr is None else expr.is_true(values)

    def relevant_questions(self, response: Response) -> list[Question]:
        values = self.values(response)
        return [q for q in self.questions if self.is_relevant(q, values)]

    def next_question(self, response: Response) -> Question | None:
        """The first relevant question still to answer, or ``None`` when the interview is done."""
        values = self.values(response)
        answers = response.answers
        for question in self.questions:
            if question.answerable and question.name not in answers and self.is_relevant(question, values):
                return question
        return None

    def pending_notes(self, response: Response, before: Question | None = None) -> list[Question]:
        """Relevant notes not yet shown that come before ``before`` (or the end)."""
        limit = self._index[before.name] if before is not None else len(self.questions)
        values = self.values(response)
        return [
            q for q in self.questions[:limit]
            if not q.answerable and q.name not in response.seen_notes and self.is_relevant(q, values)
        ]

    def progress(self, response: Response) -> tuple[int, int]:
        """(questions answered, relevant questions still to answer), as far as known now."""
        values = self.values(response)
        answered = sum(1 for q in self.questions if q.answerable and q.name in response.answers)
        remaining = sum(
            1 for q in self.questions
            if q.answerable and q.name not in response.answers and self.is_relevant(q, values)
        )
        return answered, remaining

    # --- parsing -------------------------------------------------------------------------

    def choices(self, question: Question) -> tuple[Choice, ...]:
        return self.instrument.choices_for(question)

    def parse(self, question: Question, raw: Any, locale: str = "en") -> AnswerValue | AnswerError:
        """Turn a reply (text, or an already typed value) into a stored value or an error."""
        if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == ():
            return None
        kind = question.kind
        if kind == "select_one":
            return self._parse_one(question, raw)
        if kind == "select_multiple":
            return self._parse_many(question, raw)
        if kind == "integer":
            return _parse_integer(question, raw)
        if kind == "decimal":
            return _parse_decimal(question, raw)
        if kind == "date":
            return _parse_date(question, raw)
        text = nfc(str(raw)).strip()
        if len(text) > MAX_TEXT:
            return AnswerError(question.name, MSG_TOO_LONG, {"limit": MAX_TEXT})
        return text

    def _match_choice(self, question: Question, text: str) -> str | None:
        if isinstance(text, ChoiceCode):
            return next((c.name for c in self.choices(question) if c.name == text), None)
        lookup = self._choice_lookup.get(question.name, {})
        key = fold(text).strip(" .!")
        code = lookup.get(key)
        if code is None:
            code = self._vocabulary_code(question, text)
        return code

    def _vocabulary_code(self, question: Question, text: str) -> str | None:
        """Yes/no/don't know typed as a word in any language (*ydw*, *chan eil*, *dunno*…)."""
        from .vocabulary import answer_code

        word = answer_code(text, None)
        if word is None:
            return None
        names = {c.name for c in self.choices(question)}
        if word in names:
            return word
        if word == "dont_know" and "not_sure" in names:
            return "not_sure"
        return None

    def _parse_one(self, question: Question, raw: Any) -> AnswerValue | AnswerError:
        if isinstance(raw, (list, tuple)):
            if len(raw) != 1:
                return AnswerError(question.name, MSG_ONE_ONLY)
            raw = raw[0]
        code = self._match_choice(question, raw if isinstance(raw, ChoiceCode) else str(raw))
        if code is None:
            return AnswerError(question.name, MSG_CHOICE, {"count": len(self.choices(question))})
        return code

    def _parse_many(self, question: Question, raw: Any) -> AnswerValue | AnswerError:
        if isinstance(raw, ChoiceCode):
            parts = [raw]
        elif isinstance(raw, str):
            whole = self._match_choice(question, raw)
            parts = [whole] if whole is not None else [p for p in re.split(r"[\s,;/+&]+", raw) if p and fold(p) not in _JOINERS]
        else:
            parts = [p if isinstance(p, ChoiceCode) else str(p) for p in raw]
        codes: list[str] = []
        for part in parts:
            code = self._match_choice(question, part)
            if code is None:
                return AnswerError(question.name, MSG_CHOICE, {"count": len(self.choices(question))})
            if code not in codes:
                codes.append(code)
        order = {c.name: i for i, c in enumerate(self.choices(question))}
        return tuple(sorted(codes, key=order.__getitem__))

    # --- validation ----------------------------------------------------------------------

    def validate(self, question: Question, value: AnswerValue, values: Mapping[str, AnswerValue]) -> AnswerError | None:
        """Required and constraint checks for a parsed value in the context of other answers."""
        if value is None:
            if question.required:
                return AnswerError(question.name, MSG_REQUIRED)
            return None
        expr = self._constraint.get(question.name)
        if expr is not None and not expr.is_true(values, current=value):
            return AnswerError(question.name, MSG_CONSTRAINT, custom=question.constraint_message)
        return None

    # --- changing a response -------------------------------------------------------------

    def answer(self, response: Response, name: str, raw: Any, *, locale: str | None = None, channel: str | None = None) -> Outcome:
        """Give (or change) the answer to question ``name``; skip logic decides what is next."""
        question = self._by_name.get(name)
        values = self.values(response)
        if question is None or not question.answerable or not self.is_relevant(question, values):
            return Outcome(response, AnswerError(name, MSG_NOT_A_QUESTION))
        value = self.parse(question, raw, locale or response.language)
        if isinstance(value, AnswerError):
            return Outcome(response, value)
        error = self.validate(question, value, values)
        if error is not None:
            return Outcome(response, error)
        answer = Answer(
            question=name,
            value=value,
            language=locale or response.language,
            channel=channel or response.channel,
            skipped=value is None,
        )
        answers = dict(response.answers)
        answers[name] = answer
        history = tuple(h for h in response.history if h != name) + (name,)
        notes = response.seen_notes + tuple(n.name for n in self.pending_notes(response, question))
        updated = attrs.evolve(response, answers=answers, history=history, seen_notes=notes, updated_at=utcnow())
        return self._settle(updated)

    def skip(self, response: Response, name: str) -> Outcome:
        """Skip an optional question (an error for a required one)."""
        return self.answer(response, name, None)

    def back(self, response: Response) -> Response:
        """Go back one question: the last answer is withdrawn so it is asked again."""
        if not response.history:
            return response
        last = response.history[-1]
        answers = {k: v for k, v in response.answers.items() if k != last}
        return attrs.evolve(response, answers=answers, history=response.history[:-1], status=STATUS_ACTIVE, completed_at=None)

    def switch_language(self, response: Response, language: str) -> Response:
        """Carry on in another language; answers are codes, so nothing else changes."""
        return attrs.evolve(response, language=language)

    def submit_all(self, response: Response, raw_answers: Mapping[str, Any], *, locale: str | None = None,
                   channel: str | None = None) -> tuple[Response, dict[str, AnswerError]]:
        """Apply a whole set of answers at once (paper, API) with the same validation.

        Questions are taken in instrument order so skip logic sees earlier answers.
        Answers to questions that are not relevant are ignored. Returns the response and
        the errors by question name; valid answers are kept even when others fail.
        """
        errors: dict[str, AnswerError] = {}
        current = response
        for question in self.questions:
            if not question.answerable or question.name not in raw_answers:
                continue
            if not self.is_relevant(question, self.values(current)):
                continue
            outcome = self.answer(current, question.name, raw_answers[question.name], locale=locale, channel=channel)
            if outcome.error is not None:
                errors[question.name] = outcome.error
            else:
                current = outcome.response
        for name in raw_answers:
            if name not in self._by_name:
                errors[name] = AnswerError(name, MSG_NOT_A_QUESTION)
        return current, errors

    def missing_required(self, response: Response) -> list[Question]:
        """Relevant required questions without an answer."""
        values = self.values(response)
        return [
            q for q in self.questions
            if q.answerable and q.required and q.name not in response.answers and self.is_relevant(q, values)
        ]

    def _settle(self, response: Response) -> Outcome:
        """Drop answers that skip logic no longer asks for; complete when nothing is left."""
        values = self.values(response)
        stale = [name for name in response.answers if not self.is_relevant(self._by_name[name], values)]
        while stale:
            answers = {k: v for k, v in response.answers.items() if k not in stale}
            response = attrs.evolve(response, answers=answers, history=tuple(h for h in response.history if h not in stale))
            values = self.values(response)
            stale = [name for name in response.answers if not self.is_relevant(self._by_name[name], values)]
        if self.next_question(response) is None:
            notes = response.seen_notes + tuple(n.name for n in self.pending_notes(response))
            now = utcnow()
            response = attrs.evolve(response, status=STATUS_COMPLETED, completed_at=now, updated_at=now, seen_notes=notes)
            return Outcome(response, completed=True)
        if response.status != STATUS_ACTIVE:
            response = attrs.evolve(response, status=STATUS_ACTIVE, completed_at=None)
        return Outcome(response)


_JOINERS = {"and", "a", "ac", "agus", "is", "or", "neu", "no"}


def _number_text(raw: Any) -> str:
    text = nfc(str(raw)).strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return text.replace(",", "")
    if text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


def _parse_integer(question: QuestionBase, raw: Any) -> AnswerValue | AnswerError:
    if isinstance(raw, bool):
        return AnswerError(question.name, MSG_INTEGER)
    if isinstance(raw, int):
        return raw if abs(raw) < 10**15 else AnswerError(question.name, MSG_INTEGER)
    text = _number_text(raw)
    if not re.fullmatch(r"[-+]?\d{1,15}", text):
        return AnswerError(question.name, MSG_INTEGER)
    return int(text)


def _parse_decimal(question: QuestionBase, raw: Any) -> AnswerValue | AnswerError:
    if isinstance(raw, bool):
        return AnswerError(question.name, MSG_DECIMAL)
    if isinstance(raw, (int, decimal.Decimal)):
        return decimal.Decimal(raw)
    text = _number_text(raw)
    if not re.fullmatch(r"[-+]?(\d{1,15}(\.\d{0,10})?|\.\d{1,10})", text):
        return AnswerError(question.name, MSG_DECIMAL)
    return decimal.Decimal(text)


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")


def _parse_date(question: QuestionBase, raw: Any) -> AnswerValue | AnswerError:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = nfc(str(raw)).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        match = _DMY.fullmatch(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            if year < 100:  # two-digit years: the most recent century that is not in the future
                this_year = dt.date.today().year
                year += 2000 if 2000 + year <= this_year else 1900
            return dt.date(year, month, day)
    except ValueError:
        pass
    return AnswerError(question.name, MSG_DATE)
