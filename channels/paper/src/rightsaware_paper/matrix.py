"""Grids for runs of single-choice questions sharing one choice list (a Likert battery, say).

Such questions are printed as a table: one header row naming the choices (every language,
one under another) and one row per question with a circle under each choice. It takes a
third of the paper of separate questions, and a battery that goes over a page break gets
its header again. Only questions that need nothing else printed around them (no hint, no
skip instruction) join a grid; large print never uses grids.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from rightsaware.instrument import Question

from .fonts import PT, text_width, wrap
from .layout import Bubble, QuestionSpot, Rect, TextLine
from .texts import N_

MSG_EACH_ROW = N_("Fill one circle in each row.")
MIN_QUESTIONS = 2
MAX_CHOICES = 6
MAX_COLUMN = 26.0
MIN_LABEL = 50.0
LANGUAGE_GAP = 0.3  # extra space between languages, in lines


@frozen
class Columns:
    width: float
    left: float  # where the first column starts

    def centre(self, index: int) -> float:
        return self.left + (index + 0.5) * self.width


def columns(composer: Any, question: Question) -> Columns | None:
    """Column geometry for a grid of ``question``'s choice list, or None when it cannot fit."""
    from .compose import RIGHT

    s = composer.style
    choices = composer.instrument.choices_for(question)
    if not 2 <= len(choices) <= MAX_CHOICES or composer.large_print:
        return None
    widest = max(text_width(word, s.small) for choice in choices for lang in composer.languages
                 for word in composer.texts[lang].choice_label(question, choice).split())
    width = max(2 * 1.9 * s.bubble_r + 1.0, widest + 2.0)
    left = RIGHT - len(choices) * width
    if width > MAX_COLUMN or left - 2.0 - composer.text_x < MIN_LABEL:
        return None
    return Columns(width, left)


def joinable(composer: Any, question: Question) -> bool:
    """A single-choice question with nothing printed around it."""
    if not question.answerable or question.kind != "select_one":
        return False
    if question.name in composer.conditions or question.name in composer.go_tos:
        return False
    if any(composer.texts[lang].hint(question) for lang in composer.languages):
        return False
    return columns(composer, question) is not None


def header(composer: Any, first: Question, top: float) -> tuple[list[TextLine], float]:
    """The choice names over their columns, and the instruction at the left; returns lines and bottom."""
    s = composer.style
    cols = columns(composer, first)
    lh = s.small * PT * 1.25
    ascent = s.small * PT * 0.85
    texts: list[TextLine] = []
    y = top + 1.0
    for n, lang in enumerate(composer.languages):
        y += LANGUAGE_GAP * lh if n else 0.0
        for line in wrap(composer.texts[lang]._(MSG_EACH_ROW), cols.left - 2.0 - composer.text_x, s.small):
            texts.append(TextLine(x=composer.text_x, y=y + ascent, size=s.small, text=line, language=lang,
                                  role="instruction"))
            y += lh
    bottom = y
    for index, choice in enumerate(composer.instrument.choices_for(first)):
        y = top + 1.0
        for n, lang in enumerate(composer.languages):
            y += LANGUAGE_GAP * lh if n else 0.0
            label = composer.texts[lang].choice_label(first, choice)
            for line in wrap(label, cols.width - 1.5, s.small):
                x = cols.centre(index) - text_width(line, s.small) / 2
                texts.append(TextLine(x=x, y=y + ascent, size=s.small, text=line, language=lang, role="choice"))
                y += lh
        bottom = max(bottom, y)
    return texts, bottom + 1.5


def row(composer: Any, question: Question, top: float) -> tuple[list[TextLine], QuestionSpot, float]:
    """One question of the grid: number, label in every language, a circle under each choice."""
    from .compose import NUMBER_X, RIGHT

    s = composer.style
    cols = columns(composer, question)
    lh = s.body * PT * 1.25
    width = cols.left - 2.0 - composer.text_x
    lines: list[tuple[str, str, float]] = []  # language, text, offset from the first baseline
    offset = 0.0
    for n, lang in enumerate(composer.languages):
        offset += LANGUAGE_GAP * lh if n else 0.0
        for line in wrap(composer.texts[lang].label(question), width, s.body):
            lines.append((lang, line, offset))
            offset += lh
    text_height = offset
    height = max(2 * 1.9 * s.bubble_r + 1.0, text_height + 2.5)
    first = top + (height - text_height) / 2 + s.body * PT * 0.85
    texts = [TextLine(x=composer.text_x, y=first + at, size=s.body, text=text, language=lang, role="label")
             for lang, text, at in lines]
    texts.append(TextLine(x=NUMBER_X, y=first, size=s.body, text=f"{composer.numbers[question.name]}.", bold=True,
                          role="number"))
    centre = top + height / 2
    bubbles = [Bubble(choice.name, cols.centre(i), centre, s.bubble_r)
               for i, choice in enumerate(composer.instrument.choices_for(question))]
    spot = QuestionSpot(name=question.name, number=composer.numbers[question.name], kind=question.kind,
                        block=Rect(NUMBER_X - 1.0, top, RIGHT - NUMBER_X + 2.0, height), bubbles=bubbles)
    return texts, spot, top + height
