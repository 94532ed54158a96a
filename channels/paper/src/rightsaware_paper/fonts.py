"""The bundled font (DejaVu Sans, regular and bold) registered with ReportLab.

The PDF standard fonts cannot show Welsh ŵ ŷ Ŵ Ŷ (ReportLab silently prints a black box
instead), so every form embeds this TrueType font; its licence is ``fonts/LICENSE``.
Text widths for line wrapping come from the same font, so the layout and the PDF agree.
"""

from __future__ import annotations

import functools
from pathlib import Path

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "RightsawareSans"
BOLD = "RightsawareSans-Bold"
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
LICENSE_FILE = FONT_DIR / "LICENSE"
PT = 25.4 / 72  # millimetres per point


@functools.cache
def register_fonts() -> tuple[str, str]:
    """Register both faces with ReportLab once per process; returns (regular, bold) names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def font_name(bold: bool) -> str:
    register_fonts()
    return BOLD if bold else REGULAR


def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` in millimetres at ``size_pt``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font_name(bold), size_pt) * PT


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` the bundled font cannot draw (used to refuse, never to print boxes)."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    face = pdfmetrics.getFont(REGULAR).face
    return {ch for ch in set(text) if ch.isprintable() and not ch.isspace() and ord(ch) not in face.charToGlyph}


def wrap(text: str, width_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width_mm``; a word longer than a line is broken by characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size_pt, bold) <= width_mm:
                current = candidate
                continue
            if current:
                lines.append(current)
            while text_width(word, size_pt, bold) > width_mm and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and text_width(word[:cut], size_pt, bold) > width_mm:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return [line for line in lines if line] or [""]
