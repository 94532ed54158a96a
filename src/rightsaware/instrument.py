"""Survey instruments as frozen attrs classes.

An instrument is written once and delivered over every channel. Its shape mirrors
XLSForm's columns (``name``, ``type``, ``label``, ``hint``, ``required``, ``relevant``,
``constraint``, ``constraint_message``) so that people who know KoboToolbox or ODK feel at
home. Text here is the English source; Welsh and Gaelic come from gettext catalogs.

This module holds data only: no I/O, no cattrs, no Babel.
"""

from __future__ import annotations

import re
from typing import Union

import attrs
from attrs import field, frozen

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHOICE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9\-_]*$")
LANGUAGES = ("en", "cy", "gd")


@frozen
class Choice:
    """One answer option of a choice list; stored by its ``name`` code, never its label."""

    name: str
    label: str
    sms_label: str | None = None


@frozen
class ReferralRule:
    """When ``when`` is true for a completed response, refer to organisations on ``topics``."""

    when: str
    topics: tuple[str, ...] = field(converter=tuple)
    note: str | None = None


@frozen(kw_only=True)
class QuestionBase:
    """Fields every question kind shares (XLSForm's survey sheet columns)."""

    name: str
    label: str
    hint: str | None = None
    sms_label: str | None = None
    required: bool = True
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: str | None = None
    meta: dict[str, str] = field(factory=dict, hash=False)

    kind = "question"

    @property
    def type(self) -> str:
        """The XLSForm ``type`` column for this question."""
        return self.kind

    @property
    def answerable(self) -> bool:
        return True


@frozen(kw_only=True)
class SelectOne(QuestionBase):
    list_name: str
    kind = "select_one"

    @property
    def type(self) -> str:
        return f"select_one {self.list_name}"


@frozen(kw_only=True)
class SelectMultiple(QuestionBase):
    list_name: str
    kind = "select_multiple"

    @property
    def type(self) -> str:
        return f"select_multiple {self.list_name}"


@frozen(kw_only=True)
class Integer(QuestionBase):
    kind = "integer"


@frozen(kw_only=True)
class Decimal(QuestionBase):
    kind = "decimal"


@frozen(kw_only=True)
class Text(QuestionBase):
    kind = "text"


@frozen(kw_only=True)
class Date(QuestionBase):
    kind = "date"


@frozen(kw_only=True)
class Note(QuestionBase):
    """Text shown to the respondent; never answered."""

    required: bool = False
    kind = "note"

    @property
    def answerable(self) -> bool:
        return False


Question = Union[SelectOne, SelectMultiple, Integer, Decimal, Text, Date, Note]
QUESTION_KINDS: dict[str, type] = {
    cls.kind: cls for cls in (SelectOne, SelectMultiple, Integer, Decimal, Text, Date, Note)
}
CHOICE_KINDS = ("select_one", "select_multiple")


@frozen(kw_only=True)
class Instrument:
    """A survey instrument: questions, choice lists and referral rules.

    ``content_hash`` is not part of the file; :func:`rightsaware.loading.content_hash`
    computes it, and every response records id, version and hash.
    """

    id: str
    version: str
    title: str
    languages: tuple[str, ...] = field(default=("en",), converter=tuple)
    description: str | None = None
    jurisdiction: str | None = None
    questions: tuple[Question, ...] = field(factory=tuple, converter=tuple)
    choices: dict[str, tuple[Choice, ...]] = field(factory=dict, hash=False)
    referrals: tuple[ReferralRule, ...] = field(factory=tuple, converter=tuple)
    meta: dict[str, str] = field(factory=dict, hash=False)
    content_hash: str = field(default="", eq=False)

    def question(self, name: str) -> Question:
        """The question called ``name``; ``KeyError`` if there is none."""
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)

    def choices_for(self, question: Question) -> tuple[Choice, ...]:
        """The choices of a select question (empty for other kinds)."""
        list_name = getattr(question, "list_name", None)
        if list_name is None:
            return ()
        return self.choices.get(list_name, ())

    @property
    def answerable(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.answerable)

    def with_hash(self, content_hash: str) -> Instrument:
        return attrs.evolve(self, content_hash=content_hash)
