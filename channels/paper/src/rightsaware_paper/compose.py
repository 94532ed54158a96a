"""Build the :class:`~rightsaware_paper.layout.Layout` of a printable form from an instrument.

Page furniture: four ArUco markers (ids 0 top-left, 1 top-right, 2 bottom-right, 3
bottom-left; 12 mm, 12 mm from the paper edge), a QR code at the top right, a header
(title, page number and the marking instructions in every chosen language) and the
printed code in the footer. Questions follow in instrument order, never split across
pages: bubbles for choices, boxes for numbers and dates, an area for free text, and the
skip instructions of :mod:`rightsaware_paper.skips`.

Two languages go side by side in parallel columns (first language on the left) or stacked
(first language on top); both get the same font, size and weight. Large print uses 16 pt
and larger bubbles and always stacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import segno
from attrs import frozen
from rightsaware.instrument import Instrument, Question

from . import skips
from .paginate import paginate
from .fonts import PT, text_width, wrap
from .identity import CHECK_LENGTH, PREFIX, SERIAL_LENGTH
from .layout import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Bubble,
    Field,
    Layout,
    Marker,
    QRSpot,
    QuestionSpot,
    Rect,
    TextLine,
)
from .texts import N_

MARKER_SIZE = 12.0
MARKER_INSET = 12.0
QR_MODULE = 0.9
NUMBER_X = 14.0
RIGHT = 195.0
BODY_BOTTOM = 268.0
FOOTER_BASELINE = 281.0


class FormText(Protocol):
    """One language's text for one instrument (see :mod:`rightsaware_paper.texts`)."""

    language: str

    def title(self) -> str: ...
    def label(self, question: Question) -> str: ...
    def hint(self, question: Question) -> str | None: ...
    def choice_label(self, question: Question, choice: Any) -> str: ...
    def _(self, message: str, **params: Any) -> str: ...


@frozen
class Style:
    body: float
    small: float
    title: float
    bubble_r: float
    row_min: float
    box_w: float
    box_h: float
    area_h: float
    gap: float
    grid_max: int


NORMAL = Style(body=10, small=8.5, title=13, bubble_r=2.5, row_min=8.0, box_w=7.0, box_h=9.0, area_h=24.0,
               gap=3.5, grid_max=5)
LARGE = Style(body=16, small=16, title=20, bubble_r=3.5, row_min=12.0, box_w=10.0, box_h=12.0, area_h=36.0,
              gap=5.0, grid_max=2)

MSG_TOO_LONG = N_("Question '{name}' is too long to fit on one printed page. Shorten its text or split its "
                  "choices into two questions.")
MSG_PAGE = N_("Page {page} of {pages}")
MSG_PEN = N_("Use a dark pen. Fill the circle completely, like this: ●")
MSG_CHANGE = N_("To change an answer, cross it out and fill the new circle.")
MSG_ONE = N_("Fill one circle only.")
MSG_MANY = N_("Fill every circle that applies.")
MSG_DIGITS = N_("Write one digit in each box.")
MSG_DECIMAL = N_("Write one digit in each box; the decimal point is printed.")
MSG_DATE = N_("Write the date as day, month and year, for example 31 12 1990.")
MSG_TEXT = N_("Write your answer in the box.")
MSG_ONLY_IF = N_("Answer this only if your answer to question {number} was {choices}.")
MSG_SKIP_IF = N_("Skip this question if your answer to question {number} was {choices}.")
MSG_GO_TO = N_("If your answer is {choice}, go to question {number}.")
MSG_GO_END = N_("If your answer is {choice}, you have finished: thank you.")
MSG_OR = N_("{first} or {second}")
MSG_QUOTED = N_("‘{text}’")
MSG_THANKS = N_("Thank you for taking part. Please return this form to the person who gave it to you.")


class Composer:
    """Lays out one instrument in one or two languages; call :meth:`build`."""

    def __init__(self, instrument: Instrument, texts: Mapping[str, FormText], languages: Sequence[str], *,
                 large_print: bool = False, stacked: bool = False) -> None:
        self.instrument = instrument
        self.texts = texts
        self.languages = tuple(languages)
        self.large_print = large_print
        self.style = LARGE if large_print else NORMAL
        if len(self.languages) == 1:
            self.arrangement = "single"
        else:
            self.arrangement = "stacked" if (stacked or large_print) else "side_by_side"
        s = self.style
        self.bubble_x = 25.0 + s.bubble_r
        self.text_x = self.bubble_x + s.bubble_r + 3.5
        self.numbers = {q.name: i for i, q in enumerate(instrument.answerable, start=1)}
        self.conditions = skips.conditions(instrument)
        self.go_tos = skips.go_tos(instrument, self.numbers)
        self.qr = self._qr_spot()

    # --- public ---------------------------------------------------------------------------

    def build(self) -> Layout:
        pages_guess = 1
        for _attempt in range(4):
            pages = paginate(self, pages_guess)
            if len(pages) == pages_guess:
                break
            pages_guess = len(pages)
        return Layout(
            instrument_id=self.instrument.id, version=self.instrument.version,
            instrument_hash=self.instrument.content_hash, languages=self.languages,
            large_print=self.large_print, arrangement=self.arrangement, pages=pages,
        )

    # --- pages ----------------------------------------------------------------------------

    def _qr_spot(self) -> QRSpot:
        dummy = "|".join([PREFIX, self.instrument.id, self.instrument.version, "0" * 8, "99/99",
                          "Z" * SERIAL_LENGTH, "Z" * CHECK_LENGTH])
        version = segno.make(dummy, error="m", micro=False, boost_error=False).version
        modules = 17 + 4 * version + 8  # symbol plus a 4-module quiet zone on each side
        size = modules * QR_MODULE
        x = PAGE_WIDTH - MARKER_INSET - MARKER_SIZE - 4.0 - size
        return QRSpot(x=round(x, 3), y=MARKER_INSET, size=round(size, 3), module=QR_MODULE, version=version)

    def _markers(self) -> list[Marker]:
        far_x = PAGE_WIDTH - MARKER_INSET - MARKER_SIZE
        far_y = PAGE_HEIGHT - MARKER_INSET - MARKER_SIZE
        return [Marker(0, MARKER_INSET, MARKER_INSET, MARKER_SIZE), Marker(1, far_x, MARKER_INSET, MARKER_SIZE),
                Marker(2, far_x, far_y, MARKER_SIZE), Marker(3, MARKER_INSET, far_y, MARKER_SIZE)]

    def _header(self, page: int, pages: int) -> tuple[list[TextLine], float]:
        s = self.style
        left, right = MARKER_INSET + MARKER_SIZE + 4.0, self.qr.x - 3.0
        items = {}
        for lang in self.languages:
            t = self.texts[lang]
            items[lang] = [_Item(t.title(), s.title, True, "title"),
                           _Item(t._(MSG_PAGE, page=page, pages=pages), s.small, False, "page", 1.0)]
            if page == 1 or not self.large_print:  # large print: the instructions once, on page 1
                items[lang] += [_Item(t._(MSG_PEN), s.small, False, "instruction", 0.5),
                                _Item(t._(MSG_CHANGE), s.small, False, "instruction", 0.5)]
        lines, y, _ = self._stack(items, MARKER_INSET, left, right)
        return lines, max(y, self.qr.y + self.qr.size) + 3.0

    # --- text placement ----------------------------------------------------------------------

    def _columns(self, left: float, right: float) -> list[tuple[float, float]]:
        if self.arrangement != "side_by_side":
            return [(left, right)]
        gap = 5.0
        width = (right - left - gap) / 2
        return [(left, left + width), (left + width + gap, right)]

    def _place(self, pieces: list[tuple[str, str]], top: float, size: float, bold: bool, role: str,
               left: float, right: float, first_baseline: float | None = None) -> tuple[list[TextLine], float]:
        """Put one text per language in columns (side by side) or one under another; returns lines and bottom."""
        pieces = [(lang, text) for lang, text in pieces if text]
        if not pieces:
            return [], top
        lh = size * PT * 1.25
        ascent = size * PT * 0.85
        columns = self._columns(left, right)
        out: list[TextLine] = []
        bottom = top
        y_stack = top
        for i, (lang, text) in enumerate(pieces):
            x0, x1 = columns[i] if len(columns) > 1 else columns[0]
            y_start = top if len(columns) > 1 else y_stack
            base = (first_baseline if (first_baseline is not None and (len(columns) > 1 or i == 0))
                    else y_start + ascent)
            wrapped = wrap(text, x1 - x0, size, bold)
            for n, line in enumerate(wrapped):
                out.append(TextLine(x=x0, y=base + n * lh, size=size, text=line, language=lang, bold=bold, role=role))
            end = base + (len(wrapped) - 1) * lh + size * PT * 0.3
            bottom = max(bottom, end)
            y_stack = end + lh * 0.35
        return out, bottom

    def _stack(self, items: Mapping[str, list[_Item]], top: float, left: float,
               right: float) -> tuple[list[TextLine], float, dict[str, float]]:
        """Each language's items one under another: in its own column (side by side) or in turn.

        Returns the lines, the bottom and the first baseline of each role (of the first language).
        """
        columns = self._columns(left, right)
        out: list[TextLine] = []
        firsts: dict[str, float] = {}
        bottom = top
        y = top
        for i, lang in enumerate(self.languages):
            x0, x1 = columns[i] if len(columns) > 1 else columns[0]
            if len(columns) > 1:
                y = top
            elif i:
                y += 0.8 * self.style.body * PT
            for item in items.get(lang, []):
                if not item.text:
                    continue
                lh = item.size * PT * 1.25
                y += item.before
                base = y + item.size * PT * 0.85
                firsts.setdefault(item.role, base)
                wrapped = wrap(item.text, x1 - x0, item.size, item.bold)
                for n, line in enumerate(wrapped):
                    out.append(TextLine(x=x0, y=base + n * lh, size=item.size, text=line, language=lang,
                                        bold=item.bold, role=item.role))
                y = base + (len(wrapped) - 1) * lh + item.size * PT * 0.4
            bottom = max(bottom, y)
        return out, bottom, firsts

    def _quoted_choices(self, lang: str, question: Question, codes: Sequence[str]) -> str:
        t = self.texts[lang]
        by_name = {c.name: c for c in self.instrument.choices_for(question)}
        parts = [t._(MSG_QUOTED, text=t.choice_label(question, by_name[code])) for code in codes]
        text = parts[0]
        for part in parts[1:]:
            text = t._(MSG_OR, first=text, second=part)
        return text

    # --- blocks ---------------------------------------------------------------------------

    def _block(self, question: Question | None, y0: float) -> _Block:
        s = self.style
        left, right = self.text_x, RIGHT
        if question is None or not question.answerable:
            items = {lang: [_Item(self.texts[lang]._(MSG_THANKS), s.body, True, "note") if question is None
                            else _Item(self.texts[lang].label(question), s.body, False, "note")]
                     for lang in self.languages}
            texts, y, _ = self._stack(items, y0 + 1.0, NUMBER_X, right)
            return _Block(texts, None, y + s.gap)
        condition = self.conditions.get(question.name)
        kind = question.kind
        instruction = {"select_one": MSG_ONE, "select_multiple": MSG_MANY, "integer": MSG_DIGITS,
                       "decimal": MSG_DECIMAL, "date": MSG_DATE, "text": MSG_TEXT}[kind]
        items: dict[str, list[_Item]] = {}
        for lang in self.languages:
            t = self.texts[lang]
            entries = []
            if condition is not None:
                source = self.instrument.question(condition.source)
                message = MSG_ONLY_IF if condition.asked_when_chosen else MSG_SKIP_IF
                entries.append(_Item(t._(message, number=self.numbers[condition.source],
                                         choices=self._quoted_choices(lang, source, condition.choices)),
                                     s.small, False, "skip", 0.0))
            entries.append(_Item(t.label(question), s.body, True, "label", 1.0 if condition else 0.0))
            entries.append(_Item(t.hint(question) or "", s.small, False, "hint", 0.6))
            entries.append(_Item(t._(instruction), s.small, False, "instruction", 0.6))
            items[lang] = entries
        texts, y, firsts = self._stack(items, y0 + 1.0, left, right)
        texts.append(TextLine(x=NUMBER_X, y=firsts["label"], size=s.body,
                              text=f"{self.numbers[question.name]}.", bold=True, role="number"))
        y += 3.0
        bubbles: tuple[Bubble, ...] = ()
        field = None
        if kind in ("select_one", "select_multiple"):
            more, bubbles, y = self._choices(question, y)
            texts += more
            y += 1.0
            gotos = self.go_tos.get(question.name, [])
            if gotos:
                items = {}
                for lang in self.languages:
                    t = self.texts[lang]
                    items[lang] = []
                    for goto in gotos:
                        choice = self._quoted_choices(lang, question, [goto.choice])
                        text = (t._(MSG_GO_END, choice=choice) if goto.target is None
                                else t._(MSG_GO_TO, choice=choice, number=self.numbers[goto.target]))
                        items[lang].append(_Item(text, s.small, True, "skip", 0.3))
                more, y, _ = self._stack(items, y, left, right)
                texts += more
        elif kind == "text":
            field = Field("area", [Rect(left, y, right - left, s.area_h)])
            y += s.area_h
        else:
            field = self._boxes(question, left, y)
            y += s.box_h
        bottom = y + s.gap
        spot = QuestionSpot(name=question.name, number=self.numbers[question.name], kind=kind,
                            block=Rect(NUMBER_X - 1.0, y0, RIGHT - NUMBER_X + 2.0, y - y0 + 1.5),
                            bubbles=bubbles, field=field)
        return _Block(texts, spot, bottom)

    def _choices(self, question: Question, top: float) -> tuple[list[TextLine], tuple[Bubble, ...], float]:
        """Choices in a grid (up to ``grid_max`` a row, labels wrapped under each other) when every
        word fits; otherwise one choice a row with the languages in their columns."""
        s = self.style
        choices = self.instrument.choices_for(question)
        labels = {c.name: [(lang, self.texts[lang].choice_label(question, c)) for lang in self.languages] for c in choices}
        lh = s.body * PT * 1.25
        per_row = min(len(choices), s.grid_max)
        cell = (RIGHT - (self.bubble_x - s.bubble_r)) / per_row
        label_width = cell - (2 * s.bubble_r + 3.5) - 3.0
        wrapped = {name: [(lang, wrap(text, label_width, s.body)) for lang, text in pieces]
                   for name, pieces in labels.items()}
        words_fit = all(text_width(word, s.body) <= label_width
                        for pieces in labels.values() for _, text in pieces for word in text.split())
        texts: list[TextLine] = []
        bubbles: list[Bubble] = []
        grid_height = sum(max(s.row_min, max(sum(len(lines) for _, lines in wrapped[c.name])
                                             for c in choices[i:i + per_row]) * lh + 1.5)
                          for i in range(0, len(choices), per_row))
        row_width = RIGHT - self.text_x
        if self.arrangement == "side_by_side":
            row_width = (row_width - 5.0) / 2
        rows_height = sum(max(s.row_min, max(len(wrap(text, row_width, s.body)) for _, text in labels[c.name])
                              * (1 if self.arrangement == "side_by_side" else len(self.languages)) * lh + 2.0)
                          for c in choices)
        if words_fit and grid_height <= rows_height:
            y = top
            for start in range(0, len(choices), per_row):
                row = choices[start:start + per_row]
                heights = []
                cy = y + s.row_min / 2
                for i, choice in enumerate(row):
                    bx = self.bubble_x + i * cell
                    bubbles.append(Bubble(choice.name, bx, cy, s.bubble_r))
                    pieces = wrapped[choice.name]
                    count = sum(len(lines) for _, lines in pieces)
                    base = (cy + s.body * PT * 0.35 if count == 1
                            else cy - (min(count, 2) * lh) / 2 + s.body * PT * 0.85)
                    n = 0
                    for lang, lines in pieces:
                        for line in lines:
                            texts.append(TextLine(x=bx + s.bubble_r + 3.5, y=base + n * lh, size=s.body, text=line,
                                                  language=lang, role="choice"))
                            n += 1
                    heights.append(base + (n - 1) * lh + s.body * PT * 0.4 - y)
                y += max(s.row_min, max(heights) + 1.5)
            return texts, tuple(bubbles), y
        y = top
        for choice in choices:
            cy = y + s.row_min / 2
            baseline = cy + s.body * PT * 0.35
            more, bottom = self._place(labels[choice.name], y, s.body, False, "choice", self.text_x, RIGHT,
                                       first_baseline=baseline)
            texts += more
            bubbles.append(Bubble(choice.name, self.bubble_x, cy, s.bubble_r))
            y = max(y + s.row_min, bottom + 2.0)
        return texts, tuple(bubbles), y

    def _boxes(self, question: Question, left: float, top: float) -> Field:
        s = self.style
        groups: list[int]
        separator = ""
        if question.kind == "date":
            groups, separator = [2, 2, 4], "/"
        elif question.kind == "decimal":
            groups, separator = [_digits(question, 5), 2], "."
        else:
            groups = [_digits(question, 4)]
        cells: list[Rect] = []
        separators: list[tuple[float, float, str]] = []
        x = left
        for g, count in enumerate(groups):
            if g:
                separators.append((round(x + 1.2, 3), round(top + s.box_h * 0.75, 3), separator))
                x += 4.0
            for _ in range(count):
                cells.append(Rect(x, top, s.box_w, s.box_h))
                x += s.box_w + 1.0
        return Field("boxes", cells, separators)


@frozen
class _Item:
    text: str
    size: float
    bold: bool
    role: str
    before: float = 0.0


@frozen
class _Block:
    texts: list[TextLine]
    spot: QuestionSpot | None
    bottom: float


def _digits(question: Question, default: int) -> int:
    """Boxes for a number: ``meta.paper_digits``, else the largest number in the constraint, else ``default``."""
    meta = question.meta.get("paper_digits") if question.meta else None
    if meta and str(meta).isdigit():
        return max(1, min(12, int(meta)))
    numbers = [abs(float(n)) for n in re.findall(r"\d+(?:\.\d+)?", question.constraint or "")]
    if numbers:
        return max(1, min(12, len(str(int(max(numbers))))))
    return default
