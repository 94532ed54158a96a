"""One question as a web form, and a posted form back into the raw answer the engine parses.

The page never judges an answer itself: :func:`raw_answer` only collects what the form
sent (choice codes, the three parts of a date, the text typed), and the engine parses,
validates and applies skip logic. :func:`question_view` prepares what the template shows,
following the GOV.UK Design System: radios and checkboxes inside a fieldset whose legend
is the page heading, a hint, an error message tied to the field with
``aria-describedby``, and the error summary's link target.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from rightsaware.flow import AnswerError, ChoiceCode

CHOICE_KINDS = ("select_one", "select_multiple")
DATE_PARTS = ("day", "month", "year")


def field_id(question: Any) -> str:
    """The id of the first control of a question: what the error summary links to."""
    if question.kind == "date":
        return f"{question.name}-day"
    return question.name


def raw_answer(question: Any, form: Any) -> Any:
    """The raw answer a form sent for ``question``: ``None`` when left empty."""
    if question.kind == "select_multiple":
        values = tuple(ChoiceCode(v) for v in form.getlist("answer") if isinstance(v, str) and v.strip())
        return values or None
    if question.kind == "date":
        parts = [str(form.get(part, "") or "").strip() for part in DATE_PARTS]
        if not any(parts):
            return None
        return "/".join(parts)
    value = form.get("answer")
    if value is None or not isinstance(value, str):
        return None
    if not value.strip():
        return None
    return ChoiceCode(value) if question.kind == "select_one" else value


def shown_language(translated: str | None, source: str | None, language: str) -> str | None:
    """``"en"`` when a Welsh or Gaelic page shows the English source (no translation yet)."""
    if language != "en" and translated is not None and translated == source:
        return "en"
    return None


def submitted_values(question: Any, form: Any) -> dict[str, Any]:
    """What the respondent typed or chose, to show again with an error."""
    if question.kind == "select_multiple":
        return {"codes": tuple(str(v) for v in form.getlist("answer"))}
    if question.kind == "date":
        return {part: str(form.get(part, "") or "") for part in DATE_PARTS}
    if question.kind == "select_one":
        return {"codes": (str(form.get("answer", "") or ""),)}
    return {"text": str(form.get("answer", "") or "")}


def stored_values(question: Any, answer: Any) -> dict[str, Any]:
    """The stored answer, as the form fields show it."""
    value = None if answer is None else answer.value
    if value is None:
        return {"codes": (), "text": ""} if question.kind != "date" else dict.fromkeys(DATE_PARTS, "")
    if question.kind == "select_multiple":
        return {"codes": tuple(value)}
    if question.kind == "select_one":
        return {"codes": (str(value),)}
    if question.kind == "date" and isinstance(value, dt.date):
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    return {"text": str(value)}


def error_text(site_text: Any, core_messages: Any, instrument: Any, error: AnswerError) -> str:
    """The engine's error in the page's language (the author's own message when there is one)."""
    if error.custom:
        custom = site_text.constraint_message(instrument.question(error.question))
        if custom:
            return custom
    return error.format(core_messages._)


def question_texts(question: Any, instrument: Any, text: Any, language: str) -> dict[str, Any]:
    """What a question's page shows whatever the answer: its texts in ``language``, its options.

    The same for every respondent, so a caller may keep it (see :func:`question_view`).
    """
    label = text.label(question)
    hint = text.hint(question)
    options = []
    if question.kind in CHOICE_KINDS:
        for number, choice in enumerate(instrument.choices_for(question)):
            option_label = text.choice_label(question, choice)
            options.append({
                "id": question.name if number == 0 else f"{question.name}-{number + 1}",
                "code": choice.name,
                "label": option_label,
                "lang": shown_language(option_label, choice.label, language),
            })
    return {
        "name": question.name,
        "kind": question.kind,
        "required": question.required,
        "label": label,
        "label_lang": shown_language(label, question.label, language),
        "hint": hint,
        "hint_lang": shown_language(hint, question.hint, language),
        "field_id": field_id(question),
        "options": tuple(options),
    }


def question_view(question: Any, instrument: Any, text: Any, language: str, values: dict[str, Any],
                  error: str | None, texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the question template needs, already translated.

    ``texts``: the question's :func:`question_texts` in ``language``, when the caller kept them.
    """
    if texts is None:
        texts = question_texts(question, instrument, text, language)
    view = dict(texts, error=error, given=values)
    if texts["options"]:
        chosen = set(values.get("codes", ()))
        view["options"] = [dict(option, checked=option["code"] in chosen) for option in texts["options"]]
    else:
        view["options"] = []
    described = []
    if texts["hint"]:
        described.append(f"{question.name}-hint")
    if error:
        described.append(f"{question.name}-error")
    view["describedby"] = " ".join(described)
    return view


def note_view(note: Any, text: Any, language: str) -> dict[str, Any]:
    label = text.label(note)
    return {"text": label, "lang": shown_language(label, note.label, language)}


def display_answer(question: Any, answer: Any, instrument: Any, text: Any, messages: Any) -> dict[str, Any]:
    """An answer as "Check your answers" shows it: labels, formatted numbers and dates."""
    value = None if answer is None else answer.value
    if value is None:
        return {"lines": [messages._("Not answered")], "skipped": True}
    if question.kind == "select_one":
        return {"lines": [text.choice_label(question, value)]}
    if question.kind == "select_multiple":
        return {"lines": [text.choice_label(question, code) for code in value]}
    if question.kind == "integer":
        return {"lines": [messages.format_number(value)]}
    if question.kind == "decimal" and isinstance(value, decimal.Decimal):
        return {"lines": [messages.format_decimal(value)]}
    if question.kind == "date" and isinstance(value, dt.date):
        return {"lines": [messages.format_date(value, "long")]}
    return {"lines": [str(value)], "text": True}
