"""Turn the paths given to ``paper scan`` into pages: PNG, JPEG, TIFF (multi-page) and PDF.

Folders are walked (sorted, hidden files skipped). Every page gets a content hash: the
SHA-256 of the file for a single image, or of the file's hash and the page number for a
page of a PDF or multi-page TIFF, so scanning the same file again finds the same pages.
A file that cannot be read becomes one page with ``error`` set: it is reported, kept and
counted, never fatal to the batch. Photos are turned upright from their EXIF orientation
and very large images are scaled down for speed.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from attrs import frozen

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
PDF_DPI = 200
MAX_SIDE = 4000
MAX_PAGES_PER_FILE = 2000


@frozen
class InputPage:
    """One page of one input file, decoded to 8-bit grey, or the reason it could not be."""

    source: str
    index: int  # 0-based page number in the file
    content_hash: str
    data: bytes  # what is kept on disk: the original bytes of a single image, else a PNG of the page
    suffix: str
    grey: np.ndarray | None = None
    error: str | None = None  # unreadable | unsupported | empty
    detail: str = ""


@frozen
class Skipped:
    """A file in a folder that is not an image or PDF (listed, not a page)."""

    source: str


def expand(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in child.relative_to(path).parts) or not child.is_file():
                    continue
                if child.suffix.lower() in IMAGE_SUFFIXES:
                    yield child
                else:
                    yield Skipped(str(child))
        else:
            yield path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _grey_from_pil(image) -> np.ndarray:  # noqa: ANN001 - PIL.Image.Image
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image)
        image = background
    grey = image.convert("L")
    longest = max(grey.size)
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
        grey = grey.resize((max(1, round(grey.size[0] * scale)), max(1, round(grey.size[1] * scale))))
    return np.asarray(grey, dtype=np.uint8).copy()


def _png(grey: np.ndarray) -> bytes:
    import cv2

    ok, encoded = cv2.imencode(".png", grey)
    return encoded.tobytes() if ok else b""


def read_file(path: Path) -> Iterator[InputPage]:
    """The pages of one file (at least one: an unreadable file is one page with ``error``)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield InputPage(source, 0, _sha(source.encode("utf-8")), b"", path.suffix.lower(), error="unreadable",
                        detail=exc.strerror or str(exc))
        return
    file_hash = _sha(data)
    suffix = path.suffix.lower()
    if not data:
        yield InputPage(source, 0, file_hash, data, suffix, error="empty", detail="the file is empty")
        return
    if data[:5] == b"%PDF-":
        yield from _pdf_pages(source, data, file_hash)
        return
    yield from _image_pages(source, data, file_hash, suffix)


def _image_pages(source: str, data: bytes, file_hash: str, suffix: str) -> Iterator[InputPage]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames <= 1:
            grey = _grey_from_pil(image)
            yield InputPage(source, 0, file_hash, data, suffix or ".img", grey=grey)
            return
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= MAX_PAGES_PER_FILE:
                break
            grey = _grey_from_pil(frame.copy())
            content = _sha(f"{file_hash}#page{index + 1}".encode())
            yield InputPage(source, index, content, _png(grey), ".png", grey=grey)
    except UnidentifiedImageError:
        known = suffix in IMAGE_SUFFIXES
        yield InputPage(source, 0, file_hash, data, suffix, error="unreadable" if known else "unsupported",
                        detail="the image data is damaged" if known else "not a PNG, JPEG, TIFF or PDF file")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        yield InputPage(source, 0, file_hash, data, suffix, error="unreadable", detail=str(exc)[:200])


def _pdf_pages(source: str, data: bytes, file_hash: str) -> Iterator[InputPage]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        yield InputPage(source, 0, file_hash, data, ".pdf", error="unreadable", detail=str(exc)[:200])
        return
    try:
        count = len(document)
        if count == 0:
            yield InputPage(source, 0, file_hash, data, ".pdf", error="empty", detail="the PDF has no pages")
            return
        for index in range(min(count, MAX_PAGES_PER_FILE)):
            content = _sha(f"{file_hash}#page{index + 1}".encode())
            try:
                page = document[index]
                bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
                grey = np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy()
            except (pdfium.PdfiumError, ValueError, OSError) as exc:
                yield InputPage(source, index, content, b"", ".png", error="unreadable", detail=str(exc)[:200])
                continue
            yield InputPage(source, index, content, _png(grey), ".png", grey=grey)
    finally:
        document.close()
