"""The layout model shared by the PDF writer and the scan reader.

Everything is in millimetres from the top-left corner of an A4 page. A :class:`Layout`
is built once per instrument, version, language choice and print size (see
:mod:`rightsaware_paper.compose`); the PDF writer draws it and the reader measures marks
against exactly the same geometry. Its JSON (``to_json``) is stored with the forms printed
from it, and its :attr:`Layout.fingerprint` (8 hex digits of a SHA-256 of that JSON) is
printed in every page's QR code, so a scan is always read against the layout that
printed it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs
from attrs import field, frozen

PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
LAYOUT_FORMAT = 1  # bump when the meaning of the JSON changes


@frozen
class Marker:
    """An ArUco marker (DICT_4X4_50) with its top-left corner and side, in mm."""

    id: int
    x: float
    y: float
    size: float

    def corners(self) -> list[tuple[float, float]]:
        """Top-left, top-right, bottom-right, bottom-left: the order OpenCV reports them."""
        s = self.size
        return [(self.x, self.y), (self.x + s, self.y), (self.x + s, self.y + s), (self.x, self.y + s)]


@frozen
class QRSpot:
    """Where the page's QR code goes: the square including its quiet zone, and module size."""

    x: float
    y: float
    size: float
    module: float
    version: int


@frozen
class TextLine:
    """One line of text; ``y`` is the baseline. ``role`` says what it is for (tests, PDF tags)."""

    x: float
    y: float
    size: float
    text: str
    language: str = ""
    bold: bool = False
    role: str = "text"  # title, instruction, label, hint, choice, skip, note, id, page
    grey: bool = False


@frozen
class Rect:
    x: float
    y: float
    w: float
    h: float

    def grow(self, margin: float) -> Rect:
        return Rect(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)


@frozen
class Bubble:
    """A circle to fill for one choice; centre and radius in mm."""

    choice: str
    x: float
    y: float
    r: float


@frozen
class Field:
    """Where a number, date or free text is written: boxes (one digit each) or an area."""

    kind: str  # "boxes" or "area"
    cells: tuple[Rect, ...] = field(converter=tuple)
    separators: tuple[tuple[float, float, str], ...] = field(default=(), converter=tuple)  # printed "." or "/"


@frozen
class QuestionSpot:
    """One question on one page: its kind, its bubbles or field and the block to crop for review."""

    name: str
    number: int
    kind: str
    block: Rect
    bubbles: tuple[Bubble, ...] = field(default=(), converter=tuple)
    field: Field | None = None


@frozen
class PageLayout:
    number: int
    markers: tuple[Marker, ...] = field(converter=tuple)
    qr: QRSpot
    questions: tuple[QuestionSpot, ...] = field(default=(), converter=tuple)
    texts: tuple[TextLine, ...] = field(default=(), converter=tuple)
    rules: tuple[Rect, ...] = field(default=(), converter=tuple)  # thin separators (h == 0)

    def question_names(self) -> set[str]:
        """Names of the questions printed on this page."""
        return {spot.name for spot in self.questions}

    def question(self, name: str) -> QuestionSpot:
        for spot in self.questions:
            if spot.name == name:
                return spot
        raise KeyError(name)


@frozen
class Layout:
    """Every page of one printable form."""

    instrument_id: str
    version: str
    instrument_hash: str
    languages: tuple[str, ...] = field(converter=tuple)
    large_print: bool
    arrangement: str  # "side_by_side", "stacked" or "single"
    pages: tuple[PageLayout, ...] = field(converter=tuple)
    width: float = PAGE_WIDTH
    height: float = PAGE_HEIGHT
    format: int = LAYOUT_FORMAT

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.to_json())

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> PageLayout:
        if not 1 <= number <= len(self.pages):
            raise KeyError(number)
        return self.pages[number - 1]

    def to_dict(self) -> dict[str, Any]:
        return _unstructure(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Layout:
        return layout_from_dict(json.loads(text))

    def question_pages(self) -> dict[str, int]:
        """Which page each answerable question is printed on."""
        return {spot.name: page.number for page in self.pages for spot in page.questions}


def fingerprint_of(layout_json: str) -> str:
    return hashlib.sha256(layout_json.encode("utf-8")).hexdigest()[:8]


def _unstructure(value: Any) -> Any:
    if attrs.has(type(value)):
        return {a.name: _unstructure(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, (tuple, list)):
        return [_unstructure(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


def _rect(d: dict) -> Rect:
    return Rect(**d)


def _question(d: dict) -> QuestionSpot:
    fld = d.get("field")
    return QuestionSpot(
        name=d["name"], number=d["number"], kind=d["kind"], block=_rect(d["block"]),
        bubbles=[Bubble(**b) for b in d.get("bubbles", [])],
        field=None if fld is None else Field(
            kind=fld["kind"], cells=[_rect(c) for c in fld["cells"]],
            separators=[tuple(s) for s in fld.get("separators", [])],
        ),
    )


def layout_from_dict(d: dict[str, Any]) -> Layout:
    """The inverse of :meth:`Layout.to_dict` (layouts stored with printed forms)."""
    pages = []
    for p in d["pages"]:
        pages.append(PageLayout(
            number=p["number"],
            markers=[Marker(**m) for m in p["markers"]],
            qr=QRSpot(**p["qr"]),
            questions=[_question(q) for q in p["questions"]],
            texts=[TextLine(**t) for t in p["texts"]],
            rules=[_rect(r) for r in p["rules"]],
        ))
    return Layout(
        instrument_id=d["instrument_id"], version=d["version"], instrument_hash=d["instrument_hash"],
        languages=d["languages"], large_print=d["large_print"], arrangement=d["arrangement"],
        pages=pages, width=d["width"], height=d["height"], format=d["format"],
    )
