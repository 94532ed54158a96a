"""Conversion between Response/Answer objects and rows of the store's tables.

Answer values keep their Python type through a round trip: ``str``, ``int``,
``decimal.Decimal``, ``datetime.date``, ``tuple[str, ...]`` (multiple choice) and
``None``. ``value_text`` always holds the exact canonical text, so nothing depends on
floating point; ``value_num`` is a convenience for SQL arithmetic.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..response import Answer, AnswerValue, Response
from .tables import VALUE_TEXT_LIMIT

KIND_TEXT = "text"
KIND_INT = "int"
KIND_DECIMAL = "decimal"
KIND_DATE = "date"
KIND_CHOICES = "choices"
KIND_NONE = "none"
ANSWER_KINDS = (KIND_TEXT, KIND_INT, KIND_DECIMAL, KIND_DATE, KIND_CHOICES, KIND_NONE)


def encode_value(question: str, value: AnswerValue) -> tuple[str, str | None, float | None, str | None]:
    """``(value_kind, value_text, value_num, value_long)`` for one answer value."""
    if value is None:
        return KIND_NONE, None, None, None
    if isinstance(value, str):
        if len(value) > VALUE_TEXT_LIMIT:
            return KIND_TEXT, None, None, value
        return KIND_TEXT, value, None, None
    if isinstance(value, bool):
        raise TypeError(f"The answer to {question!r} is a bool; store a choice code instead.")
    if isinstance(value, int):
        return KIND_INT, str(value), float(value), None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"The answer to {question!r} is not a finite number.")
        return KIND_DECIMAL, str(value), float(value), None
    if isinstance(value, dt.datetime):
        raise TypeError(f"The answer to {question!r} is a datetime; answers hold dates only.")
    if isinstance(value, dt.date):
        return KIND_DATE, value.isoformat(), None, None
    if isinstance(value, tuple) and all(isinstance(code, str) for code in value):
        return KIND_CHOICES, json.dumps(list(value), ensure_ascii=False), None, None
    raise TypeError(f"The answer to {question!r} has a type the store cannot keep: {type(value).__name__}.")


def decode_value(kind: str, text: str | None, long_text: str | None) -> AnswerValue:
    """The Python value for a stored answer (inverse of :func:`encode_value`)."""
    if kind == KIND_TEXT:
        return long_text if text is None else text
    if kind == KIND_NONE:
        return None
    if kind == KIND_INT:
        return int(text)
    if kind == KIND_DECIMAL:
        return decimal.Decimal(text)
    if kind == KIND_DATE:
        return dt.date.fromisoformat(text)
    if kind == KIND_CHOICES:
        return tuple(json.loads(text))
    raise ValueError(f"Unknown stored answer kind {kind!r}.")


def answer_row(response_id: str, question: str, answer: Answer) -> dict[str, Any]:
    kind, text, number, long_text = encode_value(question, answer.value)
    return {
        "response_id": response_id,
        "question": question,
        "value_kind": kind,
        "value_text": text,
        "value_num": number,
        "value_long": long_text,
        "language": answer.language,
        "channel": answer.channel,
        "answered_at": answer.answered_at,
        "skipped": answer.skipped,
    }


def choice_rows(row: Mapping[str, Any], value: AnswerValue) -> list[dict[str, Any]]:
    """Rows of ``answer_choices`` for an answer row (one per distinct chosen code)."""
    if row["value_kind"] != KIND_CHOICES:
        return []
    seen: dict[str, None] = dict.fromkeys(value)
    return [{"response_id": row["response_id"], "question": row["question"], "choice": code} for code in seen]


def answer_from_row(row: Mapping[str, Any]) -> Answer:
    return Answer(
        question=row["question"],
        value=decode_value(row["value_kind"], row["value_text"], row["value_long"]),
        language=row["language"],
        channel=row["channel"],
        answered_at=row["answered_at"],
        skipped=bool(row["skipped"]),
    )


def response_values(response: Response) -> dict[str, Any]:
    """The ``responses`` columns of a response (answers excluded)."""
    return {
        "id": response.id,
        "instrument_id": response.instrument_id,
        "instrument_version": response.instrument_version,
        "instrument_hash": response.instrument_hash,
        "channel": response.channel,
        "language": response.language,
        "respondent_id": response.respondent_id,
        "status": response.status,
        "history": json.dumps(list(response.history), ensure_ascii=False),
        "seen_notes": json.dumps(list(response.seen_notes), ensure_ascii=False),
        "revision": response.revision,
        "started_at": response.started_at,
        "updated_at": response.updated_at,
        "completed_at": response.completed_at,
        "synthetic": response.synthetic,
    }


def response_from_row(row: Mapping[str, Any], answers: Iterable[Answer]) -> Response:
    return Response(
        id=row["id"],
        instrument_id=row["instrument_id"],
        instrument_version=row["instrument_version"],
        instrument_hash=row["instrument_hash"],
        channel=row["channel"],
        language=row["language"],
        respondent_id=row["respondent_id"],
        status=row["status"],
        answers={answer.question: answer for answer in answers},
        history=tuple(json.loads(row["history"])),
        seen_notes=tuple(json.loads(row["seen_notes"])),
        revision=row["revision"],
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
        synthetic=bool(row["synthetic"]),
    )


def answer_rows(response: Response) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for ``answers`` and ``answer_choices`` of every answer of ``response``."""
    rows: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    for question, answer in response.answers.items():
        row = answer_row(response.id, question, answer)
        rows.append(row)
        if row["value_kind"] == KIND_CHOICES:
            choices.extend(choice_rows(row, answer.value))
    return rows, choices
