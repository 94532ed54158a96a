"""Skip instructions for paper, worked out from each question's ``relevant`` expression.

On paper the respondent does the skip logic, so a form says "If ‘No’, go to question 7"
under a choice question, and "Answer this only if you answered ‘Yes’ to question 3" above a
conditional question. Only what can be said truthfully is printed: the condition must
depend on one earlier choice question, and its truth must follow from which options are
chosen (checked by evaluating the expression on every answer, or every combination of up
to :data:`MAX_COMBINATION_CHOICES` options for a multiple-choice question). Anything else
is left to the engine, which ignores answers to questions that were not meant to be asked.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from attrs import frozen
from rightsaware import expressions
from rightsaware.errors import ExpressionError
from rightsaware.instrument import Instrument, Question

MAX_COMBINATION_CHOICES = 8


@frozen
class Condition:
    """``question`` is asked only when ``source`` has one of ``when`` (or lacks all of ``unless``)."""

    question: str
    source: str
    choices: tuple[str, ...]  # the options that matter
    asked_when_chosen: bool  # True: "answer only if ...", False: "skip this if ..."


@frozen
class GoTo:
    """Under ``source``: "If <choice>, go to question <target>" (``target`` None: the end)."""

    source: str
    choice: str
    target: str | None


def _condition(instrument: Instrument, question: Question) -> Condition | None:
    if not question.relevant:
        return None
    try:
        expr = expressions.parse(question.relevant)
    except ExpressionError:
        return None
    if len(expr.references) != 1:
        return None
    (source_name,) = expr.references
    try:
        source = instrument.question(source_name)
    except KeyError:
        return None
    choices = [c.name for c in instrument.choices_for(source)]
    if source.kind not in ("select_one", "select_multiple") or not choices:
        return None
    if source.kind == "select_one":
        truth = {c: expr.is_true({source_name: c}) for c in choices}
        blank = expr.is_true({})
        chosen = tuple(c for c in choices if truth[c])
        unchosen = tuple(c for c in choices if not truth[c])
        if not chosen or not unchosen:
            return None
        if not blank:
            return Condition(question.name, source_name, chosen, True)
        return Condition(question.name, source_name, unchosen, False)
    if len(choices) > MAX_COMBINATION_CHOICES:
        return None
    single = {c: expr.is_true({source_name: (c,)}) for c in choices}
    chosen = tuple(c for c in choices if single[c])
    if not chosen or len(chosen) == len(choices) or expr.is_true({}):
        return None
    for size in range(2, len(choices) + 1):
        for combo in itertools.combinations(choices, size):
            if expr.is_true({source_name: combo}) != any(c in chosen for c in combo):
                return None
    return Condition(question.name, source_name, chosen, True)


def conditions(instrument: Instrument) -> dict[str, Condition]:
    """The printable condition of every question that has one, by question name."""
    found = {}
    order = {q.name: i for i, q in enumerate(instrument.questions)}
    for question in instrument.questions:
        condition = _condition(instrument, question)
        if condition is not None and order[condition.source] < order[question.name]:
            found[question.name] = condition
    return found


def _skipped_by(condition: Condition | None, source: str, choice: str) -> bool:
    """True when choosing only ``choice`` at ``source`` means the question is not asked."""
    if condition is None or condition.source != source:
        return False
    if condition.asked_when_chosen:
        return choice not in condition.choices
    return choice in condition.choices


def go_tos(instrument: Instrument, numbers: dict[str, int]) -> dict[str, list[GoTo]]:
    """For each single-choice question, the choices that skip the questions right after it."""
    found: dict[str, list[GoTo]] = {}
    conds = conditions(instrument)
    questions: Sequence[Question] = instrument.questions
    for index, source in enumerate(questions):
        if source.kind != "select_one":
            continue
        for choice in instrument.choices_for(source):
            position = index + 1
            skipped = 0
            while position < len(questions) and _skipped_by(conds.get(questions[position].name), source.name, choice.name):
                if questions[position].answerable:
                    skipped += 1
                position += 1
            if not skipped:
                continue
            target = next((q.name for q in questions[position:] if q.answerable and q.name in numbers), None)
            found.setdefault(source.name, []).append(GoTo(source.name, choice.name, target))
    return found
