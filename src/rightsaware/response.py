"""Responses and answers as frozen attrs classes.

Answers are stored as language-neutral values: choice ``name`` codes (a tuple of codes
for multiple choice), ``int``, ``decimal.Decimal``, ``str`` and ``datetime.date``. A
response records the instrument's id, version and content hash.

This module holds data only: no I/O, no cattrs.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Union

from attrs import field, frozen

AnswerValue = Union[str, int, decimal.Decimal, dt.date, tuple[str, ...], None]

STATUS_ACTIVE = "active"
STATUS_COMPLETED = "completed"
STATUS_ABANDONED = "abandoned"
RESPONSE_STATUSES = (STATUS_ACTIVE, STATUS_COMPLETED, STATUS_ABANDONED)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@frozen
class Answer:
    """One validated answer, as a code or typed value, with where and how it was given."""

    question: str
    value: AnswerValue
    language: str = "en"
    channel: str = ""
    answered_at: dt.datetime = field(factory=utcnow)
    skipped: bool = False


@frozen(kw_only=True)
class Response:
    """One person's answers to one instrument, from start to completion.

    ``answers`` maps question name to :class:`Answer`; ``history`` is the order in which
    questions were answered (for "back"); ``seen_notes`` are notes already shown.
    """

    id: str
    instrument_id: str
    instrument_version: str
    instrument_hash: str
    channel: str
    language: str = "en"
    respondent_id: str | None = None
    status: str = STATUS_ACTIVE
    answers: dict[str, Answer] = field(factory=dict, hash=False)
    history: tuple[str, ...] = field(default=(), converter=tuple)
    seen_notes: tuple[str, ...] = field(default=(), converter=tuple)
    revision: int = 0
    started_at: dt.datetime = field(factory=utcnow)
    updated_at: dt.datetime = field(factory=utcnow)
    completed_at: dt.datetime | None = None
    synthetic: bool = False

    def values(self) -> dict[str, AnswerValue]:
        """Answer values by question name (skipped questions map to ``None``)."""
        return {name: answer.value for name, answer in self.answers.items()}
