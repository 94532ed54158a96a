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
question has at most one filled bubble.
"""

from __future__ import annotations

import functools
from typing import Any

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


THRESHOLDS = Thresholds()
READER_VERSION = "omr-1"


@frozen
class BubbleReading:
    choice: str
    ink: float
    tone: float
    outside: float
    outside_sides: int
    ring: float
    state: str  # blank | marked | unclear | faint


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
                         "ring": round(b.ring, 3), "state": b.state} for b in self.bubbles],
        }


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
    ink = float(np.mean(inner < t.dark))
    tone = float(np.mean(inner < t.tone))
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
    return BubbleReading(bubble.choice, ink, tone, outside, sides, ring, state)


def decide_choice(spot: QuestionSpot, readings: list[BubbleReading], t: Thresholds = THRESHOLDS) -> AnswerReading:
    reasons: list[str] = []
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


def read_page(norm: np.ndarray, printed: np.ndarray, page: PageLayout, t: Thresholds = THRESHOLDS) -> list[AnswerReading]:
    """Every question on the page, in printed order."""
    eroded = cv2.erode(norm, np.ones((3, 3), np.uint8))
    out = []
    for spot in page.questions:
        if spot.bubbles:
            out.append(decide_choice(spot, [read_bubble(norm, eroded, printed, b, t) for b in spot.bubbles], t))
        elif spot.field is not None:
            out.append(read_field(norm, printed, spot, t))
    return out


def registration_score(norm: np.ndarray, template_dark: np.ndarray) -> float:
    """Share of the printed (non-changing) strokes found dark where the layout puts them."""
    eroded = cv2.erode(norm, np.ones((3, 3), np.uint8))
    if not template_dark.any():
        return 1.0
    return float(np.mean(eroded[template_dark] < 200))
