"""Synthetic filled-in pages for the tests and ``benchmarks/omr_eval.py``.

Marks are drawn with anti-aliasing on the rasterised PDF, in page pixels, following the
recipe in the paper brief (§3.2): filled blobs, ticks, crosses, light pencil, partial
fills, erasures, crossed-out marks and stray dots, in black, blue or dark-grey ink. Pages
are then degraded like real captures: mild, skewed and poor scans, uneven light, phone
photos (perspective, shadow, a desk around the page) and upside-down pages.
Synthetic marks are not handwriting: thresholds must be confirmed on a real pilot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
from attrs import frozen

from .layout import Bubble, Layout, PageLayout, QuestionSpot

INKS = (22, 60, 70)  # near-black, blue pen (as grey), dark grey
SINGLE_MARKS = ("filled", "filled", "tick", "cross", "pencil", "partial")
CONDITIONS = ("clean", "mild", "skewed", "poor", "uneven", "phone", "upside_down")


@frozen
class Truth:
    """What a person meant on one question, and whether a reader must send it to review."""

    question: str
    value: object  # code, tuple of codes or None
    must_review: bool
    scenario: str
    marks: tuple[tuple[str, str], ...] = ()  # (choice, mark kind)


def rasterise(pdf: bytes, dpi: int) -> list[np.ndarray]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L"),
                           dtype=np.uint8).copy() for i in range(len(document))]
    finally:
        document.close()


def _blend(image: np.ndarray, alpha: np.ndarray, value: float | np.ndarray) -> None:
    mixed = image.astype(np.float32) * (1 - alpha) + np.asarray(value, dtype=np.float32) * alpha
    image[:] = np.clip(mixed, 0, 255).astype(np.uint8)


def _poly_alpha(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    layer = np.zeros(shape, np.uint8)
    cv2.fillPoly(layer, [np.round(points * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return layer.astype(np.float32) / 255.0


def _stroke_alpha(shape: tuple[int, int], p0, p1, width: float) -> np.ndarray:  # noqa: ANN001
    layer = np.zeros(shape, np.uint8)
    a = tuple(int(round(v * 16)) for v in p0)
    b = tuple(int(round(v * 16)) for v in p1)
    cv2.line(layer, a, b, 255, max(1, int(round(width))), cv2.LINE_AA, shift=4)
    return layer.astype(np.float32) / 255.0


def _blob(cx: float, cy: float, radius: float, rng: np.random.Generator, points: int = 24) -> np.ndarray:
    angles = np.linspace(0, 2 * math.pi, points, endpoint=False) + rng.uniform(0, 0.2)
    radii = radius * rng.uniform(0.88, 1.04, points)
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)


def draw_mark(image: np.ndarray, bubble: Bubble, dpi: float, kind: str, rng: np.random.Generator,
              ink: int | None = None) -> None:
    """Draw one kind of mark on ``bubble`` (layout mm) on a page image at ``dpi``."""
    k = dpi / 25.4
    r = bubble.r * k
    margin = int(2.3 * r) + 4  # work on a patch around the bubble: a whole page per stroke is slow
    x0, y0 = max(0, int(bubble.x * k) - margin), max(0, int(bubble.y * k) - margin)
    image = image[y0:int(bubble.y * k) + margin, x0:int(bubble.x * k) + margin]
    cx, cy = bubble.x * k - x0, bubble.y * k - y0
    ink = int(ink if ink is not None else rng.choice(INKS))
    width = rng.uniform(0.45, 0.7) * k
    shape = image.shape[:2]
    if kind == "filled":
        cover = math.sqrt(rng.uniform(0.8, 1.0))
        _blend(image, _poly_alpha(shape, _blob(cx, cy, r * cover, rng)), ink)
    elif kind == "partial":
        cover = math.sqrt(rng.uniform(0.3, 0.5))
        angle = rng.uniform(0, 2 * math.pi)
        shift = r * (1 - cover) * 0.9
        _blend(image, _poly_alpha(shape, _blob(cx + shift * math.cos(angle), cy + shift * math.sin(angle), r * cover, rng)), ink)
    elif kind == "pencil":
        alpha = _poly_alpha(shape, _blob(cx, cy, r * math.sqrt(rng.uniform(0.75, 1.0)), rng))
        grey = rng.uniform(140, 185) + rng.normal(0, 18, shape)
        _blend(image, alpha, np.minimum(grey, 250))
    elif kind == "erased":
        alpha = _poly_alpha(shape, _blob(cx, cy, r * rng.uniform(0.7, 0.95), rng)) * 0.9
        _blend(image, alpha, rng.uniform(200, 228))
    elif kind == "tick":
        p0 = (cx - 0.55 * r, cy + rng.uniform(-0.05, 0.1) * r)
        p1 = (cx - 0.1 * r, cy + 0.55 * r)
        p2 = (cx + 0.6 * r, cy - 0.6 * r)
        alpha = np.maximum(_stroke_alpha(shape, p0, p1, width), _stroke_alpha(shape, p1, p2, width))
        _blend(image, alpha, ink)
    elif kind == "cross":
        d = 0.62 * r
        alpha = np.maximum(_stroke_alpha(shape, (cx - d, cy - d), (cx + d, cy + d), width),
                           _stroke_alpha(shape, (cx - d, cy + d), (cx + d, cy - d), width))
        _blend(image, alpha, ink)
    elif kind == "crossed_out":
        cover = math.sqrt(rng.uniform(0.8, 1.0))
        _blend(image, _poly_alpha(shape, _blob(cx, cy, r * cover, rng)), ink)
        d = 1.9 * r / math.sqrt(2)
        thick = width * 1.6
        alpha = np.maximum(_stroke_alpha(shape, (cx - d, cy - d), (cx + d, cy + d), thick),
                           _stroke_alpha(shape, (cx - d, cy + d), (cx + d, cy - d), thick))
        _blend(image, alpha, ink)
    elif kind == "dot":
        radius = 0.4 * k
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.5) * r
        layer = np.zeros(shape, np.uint8)
        centre = (int(round((cx + dist * math.cos(angle)) * 16)), int(round((cy + dist * math.sin(angle)) * 16)))
        cv2.circle(layer, centre, int(round(radius * 16)), 255, -1, cv2.LINE_AA, shift=4)
        _blend(image, layer.astype(np.float32) / 255.0, ink)
    else:
        raise ValueError(f"unknown mark kind {kind!r}")


def plan_question(spot: QuestionSpot, rng: np.random.Generator) -> Truth:
    """Draw a scenario for a choice question (the deliberately hard mix of the brief, §3.2)."""
    choices = [b.choice for b in spot.bubbles]
    roll = rng.uniform()
    pick = list(rng.permutation(choices))
    if roll < 0.08:
        return Truth(spot.name, None, False, "blank")
    if roll < 0.63:
        kind = str(rng.choice(SINGLE_MARKS))
        value = pick[0] if spot.kind == "select_one" else (pick[0],)
        return Truth(spot.name, _ordered(spot, value), False, f"single_{kind}", ((pick[0], kind),))
    if roll < 0.73 and len(pick) > 1:
        value = pick[0] if spot.kind == "select_one" else (pick[0],)
        return Truth(spot.name, _ordered(spot, value), False, "mark_erased", ((pick[0], "filled"), (pick[1], "erased")))
    if roll < 0.83 and len(pick) > 1:
        value = pick[0] if spot.kind == "select_one" else (pick[0],)
        return Truth(spot.name, _ordered(spot, value), True, "mark_crossed_out",
                     ((pick[0], "filled"), (pick[1], "crossed_out")))
    if roll < 0.91 and len(pick) > 1:
        if spot.kind == "select_one":
            return Truth(spot.name, None, True, "two_marks", ((pick[0], "filled"), (pick[1], "filled")))
        return Truth(spot.name, _ordered(spot, (pick[0], pick[1])), False, "two_marks",
                     ((pick[0], "filled"), (pick[1], "filled")))
    return Truth(spot.name, None, False, "stray_dot", ((pick[0], "dot"),))


def _ordered(spot: QuestionSpot, value):  # noqa: ANN001, ANN202
    if isinstance(value, tuple):
        order = {b.choice: i for i, b in enumerate(spot.bubbles)}
        return tuple(sorted(value, key=order.__getitem__))
    return value


def apply_truths(image: np.ndarray, page: PageLayout, dpi: float, truths: Sequence[Truth], rng: np.random.Generator) -> None:
    """Draw the marks of ``truths`` on the page image."""
    for truth in truths:
        spot = page.question(truth.question)
        by_choice = {b.choice: b for b in spot.bubbles}
        ink = int(rng.choice(INKS))
        for choice, kind in truth.marks:
            draw_mark(image, by_choice[choice], dpi, kind, rng, ink)


def mark_choices(image: np.ndarray, page: PageLayout, dpi: float, values: dict[str, object], rng: np.random.Generator,
                 kind: str = "filled") -> None:
    """Fill clear marks for given answers: ``{question: code or tuple of codes}`` (tests)."""
    for name, value in values.items():
        spot = page.question(name)
        codes = value if isinstance(value, (tuple, list)) else (value,)
        for bubble in spot.bubbles:
            if bubble.choice in codes:
                draw_mark(image, bubble, dpi, kind, rng, INKS[0])


def write_text(image: np.ndarray, page: PageLayout, dpi: float, name: str, text: str) -> None:
    """Handwriting stand-in (Hershey script) in a question's boxes or area."""
    spot = page.question(name)
    assert spot.field is not None
    k = dpi / 25.4
    cells = spot.field.cells
    if spot.field.kind == "boxes":
        for cell, char in zip(cells, text):
            origin = (int((cell.x + 1.5) * k), int((cell.y + cell.h - 2.0) * k))
            cv2.putText(image, char, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cell.h * k / 40, 30, max(1, int(0.12 * k)), cv2.LINE_AA)
    else:
        cell = cells[0]
        origin = (int((cell.x + 4) * k), int((cell.y + 10) * k))
        cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 6 * k / 30, 30, max(1, int(0.12 * k)), cv2.LINE_AA)


# --- degradations ---------------------------------------------------------------------------


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def _rotate(image: np.ndarray, degrees: float, scale: float = 1.0, shift: tuple[float, float] = (0, 0)) -> np.ndarray:
    h, w = image.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    matrix[:, 2] += shift
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image.astype(np.float32) + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def _gradient(shape: tuple[int, int], low: float, rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    gx = np.linspace(1.0, rng.uniform(low, 1.0), w, dtype=np.float32)[None, :]
    gy = np.linspace(rng.uniform(low, 1.0), 1.0, h, dtype=np.float32)[:, None]
    if rng.uniform() < 0.5:
        gx = gx[:, ::-1]
    return np.maximum(gx * gy, low)


def degrade(image: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    """One capture condition of :data:`CONDITIONS` applied to a page image."""
    img = image.copy()
    if condition == "clean":
        return img
    if condition == "mild":
        img = _rotate(img, rng.uniform(-1, 1))
        img = cv2.GaussianBlur(img, (0, 0), 0.5)
        return _jpeg(_noise(img, 3, rng), 70)
    if condition == "skewed":
        h, w = img.shape
        angle = rng.choice([-1, 1]) * rng.uniform(3, 5)
        img = _rotate(img, angle, rng.uniform(0.97, 1.0), (rng.uniform(-30, 30) * w / 1654, rng.uniform(-30, 30) * h / 2339))
        return _jpeg(img, 50)
    if condition == "poor":
        img = _rotate(img, rng.uniform(-2, 2))
        img = cv2.GaussianBlur(img, (0, 0), 1.2)
        img = np.clip(img.astype(np.float32) * 0.5 + 70, 0, 255).astype(np.uint8)
        salt = rng.uniform(size=img.shape)
        img[salt < 0.0015] = 0
        img[salt > 0.9985] = 255
        return _jpeg(img, 30)
    if condition == "uneven":
        img = _rotate(img, rng.uniform(-1, 1))
        img = (img.astype(np.float32) * _gradient(img.shape, 0.6, rng)).astype(np.uint8)
        return _jpeg(_noise(img, 3, rng), 60)
    if condition == "upside_down":
        return _jpeg(_rotate(img, 180 + rng.uniform(-1, 1)), 70)
    if condition == "phone":
        return _phone(img, rng)
    raise ValueError(f"unknown condition {condition!r}")


def _phone(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = page.shape
    big_w, big_h = int(w * 1.25), int(h * 1.25)
    desk = np.clip(rng.normal(70, 12, (big_h // 8 + 1, big_w // 8 + 1)), 20, 120).astype(np.uint8)
    desk = cv2.resize(desk, (big_w, big_h), interpolation=cv2.INTER_LINEAR)
    ox, oy = (big_w - w) / 2, (big_h - h) / 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.07, 0.07, (4, 2)) * np.float32([w, h])
    dst = (src + np.float32([ox, oy]) + jitter).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(page, matrix, (big_w, big_h), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpPerspective(np.full_like(page, 255), matrix, (big_w, big_h), flags=cv2.INTER_LINEAR, borderValue=0)
    alpha = mask.astype(np.float32) / 255.0
    img = warped.astype(np.float32) * alpha + desk.astype(np.float32) * (1 - alpha)
    img *= _gradient(img.shape, 0.6, rng)
    shadow = np.zeros(img.shape, np.uint8)
    cx, cy = rng.uniform(0.2, 0.8) * big_w, rng.uniform(0.2, 0.8) * big_h
    points = _blob(cx, cy, rng.uniform(0.15, 0.3) * big_w, rng, 7).astype(np.int32)
    cv2.fillPoly(shadow, [points], 255)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 25).astype(np.float32) / 255.0
    img *= 1 - shadow * rng.uniform(0.35, 0.5)
    img = cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (0, 0), rng.uniform(0.6, 1.2))
    return _jpeg(_noise(img, 4, rng), int(rng.integers(50, 71)))


def page_truths(layout: Layout, page_number: int, rng: np.random.Generator) -> list[Truth]:
    """A scenario for every choice question on a page."""
    page = layout.page(page_number)
    return [plan_question(spot, rng) for spot in page.questions if spot.bubbles]
