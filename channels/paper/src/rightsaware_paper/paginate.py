"""Pages from blocks: questions never split, grids split between rows with their header again.

:func:`paginate` walks the instrument in order, placing each question (or each row of a
grid, see :mod:`rightsaware_paper.matrix`) below the last and starting a new page when the
next one would pass the bottom of the body.
"""

from __future__ import annotations

from typing import Any

from .layout import PageLayout, QuestionSpot, Rect, TextLine
from . import matrix
from .texts import PaperError


class _Page:
    def __init__(self, composer: Any, number: int, pages_guess: int) -> None:
        self.composer = composer
        self.number = number
        self.texts: list[TextLine]
        self.texts, self.top = composer._header(number, pages_guess)
        self.y = self.top
        self.spots: list[QuestionSpot] = []
        self.rules: list[Rect] = []

    @property
    def empty(self) -> bool:
        return self.y == self.top

    def rule(self, y: float) -> None:
        from .compose import NUMBER_X, RIGHT

        self.rules.append(Rect(NUMBER_X, y, RIGHT - NUMBER_X, 0.0))

    def finish(self) -> PageLayout:
        from .compose import BODY_BOTTOM

        rules = [r for r in self.rules if r.y < BODY_BOTTOM - 0.5 and r.y > self.top + 0.5 and r.y < self.y - 0.5]
        return PageLayout(number=self.number, markers=self.composer._markers(), qr=self.composer.qr,
                          questions=self.spots, texts=self.texts, rules=rules)


def units(composer: Any) -> list[tuple[str, list[Any]]]:
    """("single", [question]) and ("grid", [questions…]) in instrument order, then ("thanks", [None])."""
    found: list[tuple[str, list[Any]]] = []
    for question in composer.instrument.questions:
        if matrix.joinable(composer, question):
            last = found[-1] if found else None
            if last and last[0] == "grid" and last[1][-1].list_name == question.list_name:
                last[1].append(question)
                continue
            found.append(("grid", [question]))
        else:
            found.append(("single", [question]))
    flat: list[tuple[str, list[Any]]] = []
    for kind, questions in found:
        if kind == "grid" and len(questions) < matrix.MIN_QUESTIONS:
            flat += [("single", [q]) for q in questions]
        else:
            flat.append((kind, questions))
    return flat + [("thanks", [None])]


def paginate(composer: Any, pages_guess: int) -> list[PageLayout]:
    from .compose import BODY_BOTTOM, MSG_TOO_LONG

    gap = composer.style.gap
    pages: list[PageLayout] = []
    page = _Page(composer, 1, pages_guess)

    def next_page() -> _Page:
        pages.append(page.finish())
        return _Page(composer, len(pages) + 1, pages_guess)

    for kind, questions in units(composer):
        if kind != "grid":
            block = composer._block(questions[0], page.y)
            if block.bottom > BODY_BOTTOM and not page.empty:
                page = next_page()
                block = composer._block(questions[0], page.y)
            if block.bottom > BODY_BOTTOM:
                raise PaperError(MSG_TOO_LONG, name=questions[0].name if questions[0] is not None else "thanks")
            page.texts += block.texts
            if block.spot is not None:
                page.spots.append(block.spot)
            page.y = block.bottom
            page.rule(block.bottom - gap / 2)
            continue
        index = 0
        while index < len(questions):
            head, head_bottom = matrix.header(composer, questions[0], page.y)
            _texts, _spot, first_bottom = matrix.row(composer, questions[index], head_bottom)
            if first_bottom > BODY_BOTTOM:
                if page.empty:
                    raise PaperError(MSG_TOO_LONG, name=questions[index].name)
                page = next_page()
                continue
            page.texts += head
            page.rule(head_bottom)
            page.y = head_bottom
            while index < len(questions):
                texts, spot, bottom = matrix.row(composer, questions[index], page.y)
                if bottom > BODY_BOTTOM:
                    break
                page.texts += texts
                page.spots.append(spot)
                page.y = bottom
                page.rule(bottom)
                index += 1
            if index < len(questions):
                page = next_page()
        page.y += gap
        page.rule(page.y - gap / 2)
    pages.append(page.finish())
    return pages
