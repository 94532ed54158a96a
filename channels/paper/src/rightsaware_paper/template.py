"""What a blank page of a layout looks like at the reader's resolution (cached per page).

The reader never counts printed strokes (outlines, text, rules) as ink, and it checks that
those strokes are dark where the layout puts them to know that registration worked. Both
come from rendering the layout's own PDF, without marks, with pypdfium2.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import cv2
import numpy as np
from attrs import frozen

from .compose import FOOTER_BASELINE
from .layout import Layout
from .marks import CANON_DPI, K
from .pdf import render_forms
from .register import QR_REGION

_CACHE: OrderedDict[tuple[str, int], Template] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 48


@frozen
class Template:
    printed: np.ndarray  # bool: printed ink (slightly grown), never counted as marks
    strokes: np.ndarray  # bool: printed ink that is the same on every copy (for the registration check)


def _render(layout: Layout) -> list[np.ndarray]:
    import pypdfium2 as pdfium

    forms = render_forms(layout, key=b"template", serials=["0" * 10])
    document = pdfium.PdfDocument(forms.pdf)
    try:
        pages = []
        for index in range(len(document)):
            bitmap = document[index].render(scale=CANON_DPI / 72, grayscale=True)
            pages.append(np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy())
        return pages
    finally:
        document.close()


def template_for(layout: Layout, page: int, fingerprint: str | None = None) -> Template:
    """The blank page ``page`` of ``layout`` (pass its ``fingerprint`` when known: it is slow to compute)."""
    fingerprint = fingerprint or layout.fingerprint
    key = (fingerprint, page)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    images = _render(layout)
    made = {}
    for number, grey in enumerate(images, start=1):
        dark = grey < 200
        printed = cv2.dilate(dark.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        strokes = grey < 128
        x, y, w, h = QR_REGION
        strokes[int(y * K):int((y + h) * K), int(x * K):int((x + w) * K)] = False
        strokes[int((FOOTER_BASELINE - 6) * K):int((FOOTER_BASELINE + 3) * K), int(24 * K):int(186 * K)] = False
        made[(fingerprint, number)] = Template(printed, strokes)
    with _LOCK:
        for made_key, template in made.items():
            _CACHE[made_key] = template
            _CACHE.move_to_end(made_key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        return made[key]
