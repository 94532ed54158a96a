"""Measure the ink in each bubble, box and text area of a registered page, and decide.

Work is done on the upright page at 150 dpi after dividing by an estimate of the paper
(so uneven light, shadows and grey scans look alike). Per bubble: the share of dark
pixels in the inner disc (72% of the radius), the share of visibly toned pixels there
(the "faint" check: a light pencil mark and an erasure look alike), ink in a ring outside
the bubble (a crossing-out or a stray stroke) and whether the printed outline is dark
where the layout says it is. Printed text and lines (from a blank rendering of the same
layout) are never counted as ink.

Decisions are deliberately biased to review: a question is accepted only when every
bubble is clearly blank or clearly filled, nothing is outside, and a single-choice
question has at most one filled bubble. One exception, for a changed answer: a faint
bubble next to a clearly marked one is read as a rubbed-out mark (state ``erased``) when
its toned pixels are much lighter than anything the brief calls a light pencil mark,
measured against the page's own contrast (paper of its blank bubbles, black of its
printed strokes), and much lighter than the chosen mark (:func:`is_erasure`).
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import cv2
import numpy as np
from attrs import field, frozen

from .layout import Bubble, PageLayout, QuestionSpot, Rect

CANON_DPI = 150
K = CANON_DPI / 25.4  # pixels per millimetre on the upright page


@frozen
class Thresholds:
    """Cut-offs, fixed per reader version (recorded with every result)."""

    dark: int = 175  # a pixel darker than this (after paper normalisation) is ink
    tone: int = 222  # a pixel darker than this is visibly toned
    blank: float = 0.08  # inner-disc ink share below this: blank ...
    marked: float = 0.22  # ... at or above this: marked; in between: unclear
    faint: float = 0.30  # toned share that makes a "blank" bubble faint
    outside: float = 0.04  # ink share in the ring outside the bubble
    ring: float = 0.55  # share of the printed outline found dark; below: misaligned
    cell_ink: float = 0.03  # ink share inside a digit box
    cell_tone: float = 0.15
    area_ink: float = 0.002  # ink share inside a free-text area
    area_tone: float = 0.02
    # A faint bubble beside a marked one is an erasure when its toned pixels are at most this dark,
    # as a share of the page's paper-to-print contrast: the brief's erasures (grey 200-228) measure
    # up to ~0.20-0.22 and its lightest pencil (185) from ~0.26 on every capture; real residues are lighter.
    residue: float = 0.23
    residue_ratio: float = 0.5  # ... and at most this share of the darkness of the mark(s) chosen
    min_contrast: float = 60.0  # paper-to-print contrast below which erasures are not told apart
    min_blank: int = 3  # blank bubbles needed on a page to know its paper level


THRESHOLDS = Thresholds()
READER_VERSION = "omr-2"


@frozen
class BubbleReading:
    choice: str
    ink: float
    tone: float
    outside: float
    outside_sides: int
    ring: float
    state: str  # blank | marked | unclear | faint | erased (faint, read as a rubbed-out mark)
    level: float = 255.0  # median grey of the inner disc (0 black, 255 paper)
    tone_level: float = 255.0  # median grey of its toned pixels: how dark a faint tone is
    ink_level: float = 255.0  # median grey of its ink pixels: how dark a mark is


@frozen
class PageTone:
    """How white the paper and how black the print are on one page, after normalisation."""

    paper: float  # median level of the page's blank bubbles (255 when too few)
    black: float  # printed strokes: 25th percentile after a 3x3 minimum filter
    blank_bubbles: int = 0

    @property
    def contrast(self) -> float:
        return self.paper - self.black

    def to_dict(self) -> dict[str, Any]:
        return {"paper": round(self.paper, 1), "black": round(self.black, 1), "blank_bubbles": self.blank_bubbles}


@frozen
class AnswerReading:
    """One question on one page: accepted with a value, or to review with reasons."""

    question: str
    kind: str
    state: str  # accepted | review
    value: Any = None  # choice code, tuple of codes or None (blank); None when in review
    reasons: tuple[str, ...] = field(default=(), converter=tuple)
    marked: tuple[str, ...] = field(default=(), converter=tuple)  # choices that look filled (a hint for review)
    bubbles: tuple[BubbleReading, ...] = field(default=(), converter=tuple)
    ink: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "kind": self.kind, "state": self.state,
            "value": list(self.value) if isinstance(self.value, tuple) else self.value,
            "reasons": list(self.reasons), "marked": list(self.marked), "ink": round(self.ink, 4),
            "bubbles": [{"choice": b.choice, "ink": round(b.ink, 4), "tone": round(b.tone, 4),
                         "outside": round(b.outside, 4), "outside_sides": b.outside_sides,
                         "ring": round(b.ring, 3), "state": b.state, "level": round(b.level, 1),
                         "tone_level": round(b.tone_level, 1), "ink_level": round(b.ink_level, 1)}
                        for b in self.bubbles],
        }


@frozen
class PageReading:
    """Every question of a page in printed order, and the page tone the decisions used."""

    answers: tuple[AnswerReading, ...] = field(converter=tuple)
    tone: PageTone | None = None


def normalise(grey: np.ndarray) -> np.ndarray:
    """Divide by a smooth estimate of the paper so that paper is white everywhere."""
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (11, 11)))
    paper = cv2.GaussianBlur(paper, (0, 0), 3)
    paper = cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper, 40)
    return cv2.divide(grey, paper, scale=255)


@functools.cache
def _bubble_masks(r_px10: int) -> dict[str, np.ndarray]:
    r = r_px10 / 10.0
    half = int(np.ceil(2.0 * r)) + 1
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
    dist = np.hypot(xx, yy)
    outer = (dist >= 1.3 * r) & (dist <= 1.9 * r)
    sides = [outer & (xx >= 0) & (yy < 0), outer & (xx < 0) & (yy < 0), outer & (xx < 0) & (yy >= 0),
             outer & (xx >= 0) & (yy >= 0)]
    return {"half": half, "inner": dist <= 0.72 * r, "ring": (dist >= 0.8 * r) & (dist <= 1.2 * r),
            "outer": outer, "sides": sides}


def _patch(image: np.ndarray, cx: int, cy: int, half: int) -> np.ndarray | None:
    y0, x0 = cy - half, cx - half
    if y0 < 0 or x0 < 0 or cy + half + 1 > image.shape[0] or cx + half + 1 > image.shape[1]:
        return None
    return image[y0:cy + half + 1, x0:cx + half + 1]


def read_bubble(norm: np.ndarray, eroded: np.ndarray, printed: np.ndarray, bubble: Bubble,
                t: Thresholds = THRESHOLDS) -> BubbleReading:
    masks = _bubble_masks(int(round(bubble.r * K * 10)))
    half = masks["half"]
    cx, cy = int(round(bubble.x * K)), int(round(bubble.y * K))
    patch = _patch(norm, cx, cy, half)
    if patch is None:
        return BubbleReading(bubble.choice, 0.0, 0.0, 0.0, 0, 0.0, "unclear")
    printed_patch = _patch(printed, cx, cy, half)
    eroded_patch = _patch(eroded, cx, cy, half)
    inner = patch[masks["inner"]]
    inked, toned = inner < t.dark, inner < t.tone
    ink = float(np.mean(inked))
    tone = float(np.mean(toned))
    level = float(np.median(inner))
    tone_level = float(np.median(inner[toned])) if toned.any() else 255.0
    ink_level = float(np.median(inner[inked])) if inked.any() else 255.0
    free = masks["outer"] & ~printed_patch
    dark = patch < t.dark
    outside = float(np.mean(dark[free])) if free.any() else 0.0
    sides = 0
    for side in masks["sides"]:
        region = side & ~printed_patch
        if region.any() and float(np.mean(dark[region])) >= t.outside:
            sides += 1
    ring_printed = masks["ring"] & printed_patch
    ring = float(np.mean(eroded_patch[ring_printed] < 200)) if ring_printed.any() else 1.0
    if ink >= t.marked:
        state = "marked"
    elif ink >= t.blank:
        state = "unclear"
    elif tone >= t.faint:
        state = "faint"
    else:
        state = "blank"
    return BubbleReading(bubble.choice, ink, tone, outside, sides, ring, state, level, tone_level, ink_level)


def page_tone(readings: list[BubbleReading], eroded: np.ndarray, strokes: np.ndarray | None,
              t: Thresholds = THRESHOLDS) -> PageTone | None:
    """The page's paper and print levels, or ``None`` when the print cannot be measured."""
    if strokes is None or not strokes.any():
        return None
    blanks = [b.level for b in readings if b.state == "blank"]
    paper = float(np.median(blanks)) if len(blanks) >= t.min_blank else 255.0
    values = eroded[strokes]
    black = float(np.partition(values, len(values) // 4)[len(values) // 4])
    return PageTone(paper, black, len(blanks))


def is_erasure(faint: BubbleReading, chosen: list[BubbleReading], tone: PageTone | None,
               t: Thresholds = THRESHOLDS) -> bool:
    """Whether a faint bubble is what a rubbed-out mark leaves beside the marks ``chosen``.

    Its toned pixels must be far lighter than a light pencil mark, against this page's own
    contrast (so a grey, low-contrast scan where light pencil looks faint is not fooled), and
    far lighter than the weakest chosen mark. Without a clear mark, a page contrast, or on a
    page too grey to tell, the faint bubble stays doubtful.
    """
    if faint.state != "faint" or not chosen or tone is None or tone.contrast < t.min_contrast:
        return False
    depth = tone.paper - faint.tone_level
    mark_depth = min(tone.paper - b.ink_level for b in chosen)
    if mark_depth <= 0:
        return False
    return depth <= t.residue * tone.contrast and depth <= t.residue_ratio * mark_depth


def decide_choice(spot: QuestionSpot, readings: list[BubbleReading], t: Thresholds = THRESHOLDS,
                  tone: PageTone | None = None) -> AnswerReading:
    """Accept or send to review one choice question from its bubbles (``tone``: see :func:`is_erasure`)."""
    reasons: list[str] = []
    chosen = [b for b in readings if b.state == "marked"]
    if not (spot.kind == "select_one" and len(chosen) > 1):
        readings = [attrs.evolve(b, state="erased") if is_erasure(b, chosen, tone, t) else b for b in readings]
    marked = tuple(b.choice for b in readings if b.state == "marked")
    if any(b.ring < t.ring for b in readings):
        reasons.append("misaligned")
    if any(b.outside_sides >= 3 and b.state == "marked" for b in readings):
        reasons.append("crossed_out")
    elif any(b.outside >= t.outside for b in readings):
        reasons.append("ink_outside")
    if spot.kind == "select_one" and len(marked) > 1:
        reasons.append("multi_mark")
    if any(b.state == "unclear" for b in readings):
        reasons.append("unclear")
    if any(b.state == "faint" for b in readings):
        reasons.append("faint")
    if reasons:
        return AnswerReading(spot.name, spot.kind, "review", None, reasons, marked, readings)
    if spot.kind == "select_one":
        value = marked[0] if marked else None
    else:
        value = marked or None
    return AnswerReading(spot.name, spot.kind, "accepted", value, (), marked, readings)


def _region(image: np.ndarray, rect: Rect, inset: float) -> tuple[slice, slice]:
    x0 = max(0, int(round((rect.x + inset) * K)))
    y0 = max(0, int(round((rect.y + inset) * K)))
    x1 = min(image.shape[1], int(round((rect.x + rect.w - inset) * K)))
    y1 = min(image.shape[0], int(round((rect.y + rect.h - inset) * K)))
    return slice(y0, max(y0 + 1, y1)), slice(x0, max(x0 + 1, x1))


def read_field(norm: np.ndarray, printed: np.ndarray, spot: QuestionSpot, t: Thresholds = THRESHOLDS) -> AnswerReading:
    """Boxes and areas are transcribed by a person when anything is written; blank ones are accepted."""
    assert spot.field is not None
    area = spot.field.kind == "area"
    inset = 1.5 if area else 1.0
    ink_cut, tone_cut = (t.area_ink, t.area_tone) if area else (t.cell_ink, t.cell_tone)
    best_ink = best_tone = 0.0
    for cell in spot.field.cells:
        rows, cols = _region(norm, cell, inset)
        values = norm[rows, cols]
        free = ~printed[rows, cols]
        if not free.any():
            continue
        best_ink = max(best_ink, float(np.mean(values[free] < t.dark)))
        best_tone = max(best_tone, float(np.mean(values[free] < t.tone)))
    if best_ink >= ink_cut:
        return AnswerReading(spot.name, spot.kind, "review", None, ("transcribe",), ink=best_ink)
    if best_tone >= tone_cut:
        return AnswerReading(spot.name, spot.kind, "review", None, ("transcribe", "faint"), ink=best_ink)
    return AnswerReading(spot.name, spot.kind, "accepted", None, (), ink=best_ink)


def erode(norm: np.ndarray) -> np.ndarray:
    """A 3x3 minimum filter: thin printed strokes at their darkest."""
    return cv2.erode(norm, np.ones((3, 3), np.uint8))


def read_page(norm: np.ndarray, printed: np.ndarray, page: PageLayout, t: Thresholds = THRESHOLDS,
              strokes: np.ndarray | None = None, eroded: np.ndarray | None = None) -> PageReading:
    """Every question on the page, in printed order.

    ``strokes`` (printed ink that is the same on every copy) gives the page's black level,
    needed to tell an erasure from light pencil; without it faint bubbles always go to review.
    """
    eroded = erode(norm) if eroded is None else eroded
    measured = {spot.name: [read_bubble(norm, eroded, printed, b, t) for b in spot.bubbles]
                for spot in page.questions if spot.bubbles}
    tone = page_tone([b for readings in measured.values() for b in readings], eroded, strokes, t)
    out = []
    for spot in page.questions:
        if spot.bubbles:
            out.append(decide_choice(spot, measured[spot.name], t, tone))
        elif spot.field is not None:
            out.append(read_field(norm, printed, spot, t))
    return PageReading(out, tone)


def registration_score(norm: np.ndarray, template_dark: np.ndarray, eroded: np.ndarray | None = None) -> float:
    """Share of the printed (non-changing) strokes found dark where the layout puts them."""
    eroded = erode(norm) if eroded is None else eroded
    if not template_dark.any():
        return 1.0
    return float(np.mean(eroded[template_dark] < 200))
