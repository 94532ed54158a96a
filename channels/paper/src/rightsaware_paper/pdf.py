"""Draw a :class:`~rightsaware_paper.layout.Layout` as an A4 PDF with ReportLab.

Markers and QR modules are drawn as vector squares at exact sizes, text uses the bundled
font (embedded and subset), and each copy gets its own random sheet serial, printed in
the QR code and as text in the footer for typing in by hand.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

import segno
from attrs import frozen

from .compose import FOOTER_BASELINE, MARKER_INSET, MARKER_SIZE
from .fonts import font_name, missing_glyphs
from .identity import PageIdentity, new_serial
from .layout import Layout, Marker, PageLayout, QRSpot
from .texts import N_, PaperError

MSG_GLYPHS = N_("The form's text uses characters the bundled font cannot print: {chars}. Replace them in the "
                "instrument or its translations.")
MM = 72 / 25.4  # points per millimetre
LINE = 0.6  # outline width in points (bubbles, boxes)


@frozen
class PrintedForms:
    """The PDF bytes and the serial of every copy in it, in order."""

    pdf: bytes
    serials: tuple[str, ...]
    layout: Layout


@functools.cache
def marker_cells(marker_id: int) -> tuple[tuple[int, int], ...]:
    """Black cells (row, column) of an ArUco DICT_4X4_50 marker on its 6×6 grid, border included."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6)
    return tuple((r, c) for r in range(6) for c in range(6) if image[r, c] < 128)


def check_glyphs(layout: Layout) -> None:
    """Refuse to print text the bundled font cannot draw, instead of printing empty boxes."""
    missing: set[str] = set()
    for page in layout.pages:
        for line in page.texts:
            missing |= missing_glyphs(line.text)
    if missing:
        chars = " ".join(sorted(missing))
        raise PaperError(MSG_GLYPHS, chars=chars)


def render_forms(layout: Layout, key: bytes, copies: int = 1, serials: Sequence[str] | None = None,
                 title: str = "") -> PrintedForms:
    """The PDF with ``copies`` copies of every page; each copy gets a new serial."""
    from reportlab.pdfgen import canvas

    check_glyphs(layout)
    serials = list(serials) if serials is not None else [new_serial() for _ in range(copies)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(layout.width * MM, layout.height * MM), pageCompression=1)
    pdf.setTitle(title or layout.instrument_id)
    pdf.setAuthor("rightsaware")
    pdf.setSubject(f"{layout.instrument_id} {layout.version} ({'+'.join(layout.languages)})")
    pdf.setCreator("rightsaware-paper")
    for serial in serials:
        for page in layout.pages:
            identity = PageIdentity(layout.instrument_id, layout.version, layout.fingerprint, page.number,
                                    layout.page_count, serial)
            _draw_page(pdf, layout, page, identity.payload(key))
            pdf.showPage()
    pdf.save()
    return PrintedForms(buffer.getvalue(), tuple(serials), layout)


def _draw_page(pdf, layout: Layout, page: PageLayout, payload: str) -> None:  # noqa: ANN001 - reportlab Canvas
    height = layout.height

    def rect(x: float, y: float, w: float, h: float, *, fill: bool, stroke: bool) -> None:
        pdf.rect(x * MM, (height - y - h) * MM, w * MM, h * MM, stroke=int(stroke), fill=int(fill))

    pdf.setFillGray(0)
    pdf.setStrokeGray(0)
    for marker in page.markers:
        _draw_marker(rect, marker)
    _draw_qr(rect, page.qr, payload)
    pdf.setLineWidth(0.3)
    pdf.setStrokeGray(0.6)
    for rule in page.rules:
        pdf.line(rule.x * MM, (height - rule.y) * MM, (rule.x + rule.w) * MM, (height - rule.y) * MM)
    pdf.setStrokeGray(0)
    pdf.setLineWidth(LINE * (1.35 if layout.large_print else 1.0))
    for spot in page.questions:
        for bubble in spot.bubbles:
            pdf.circle(bubble.x * MM, (height - bubble.y) * MM, bubble.r * MM, stroke=1, fill=0)
        if spot.field is not None:
            for cell in spot.field.cells:
                rect(cell.x, cell.y, cell.w, cell.h, fill=False, stroke=True)
            for x, y, char in spot.field.separators:
                pdf.setFont(font_name(True), 14 if layout.large_print else 11)
                pdf.drawString(x * MM, (height - y) * MM, char)
    for line in page.texts:
        pdf.setFont(font_name(line.bold), line.size)
        pdf.setFillGray(0.35 if line.grey else 0)
        pdf.drawString(line.x * MM, (height - line.y) * MM, line.text)
    pdf.setFillGray(0)
    pdf.setFont(font_name(False), 7)
    pdf.drawString((MARKER_INSET + MARKER_SIZE + 4.0) * MM, (height - FOOTER_BASELINE) * MM, payload)


def _draw_marker(rect, marker: Marker) -> None:  # noqa: ANN001
    cell = marker.size / 6
    for r, c in marker_cells(marker.id):
        rect(marker.x + c * cell, marker.y + r * cell, cell, cell, fill=True, stroke=False)


def _draw_qr(rect, spot: QRSpot, payload: str) -> None:  # noqa: ANN001
    code = segno.make(payload, error="m", version=spot.version, micro=False, boost_error=False)
    origin_x = spot.x + 4 * spot.module
    origin_y = spot.y + 4 * spot.module
    for r, row in enumerate(code.matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # a hair of overlap so that no white seam shows between neighbouring modules
            rect(origin_x + start * spot.module, origin_y + r * spot.module, (c - start) * spot.module + 0.02,
                 spot.module + 0.02, fill=True, stroke=False)
