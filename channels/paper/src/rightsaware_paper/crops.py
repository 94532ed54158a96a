"""Images for people: a question's crop for review, or a preview of a whole page.

Crops are cut upright from the kept page image with the page's homography, so a reviewer
sees the bubbles the way they were printed even when the photo was taken at an angle.
They can be made again at any time from the kept page (:func:`crop_from_page`).
"""

from __future__ import annotations

import io
from typing import Any

import cv2
import numpy as np

from .layout import Rect
from .register import Registration, warp
from .storage import Files

CROP_PX_PER_MM = 8.0
PREVIEW_PX_PER_MM = 6.0
PREVIEW_MAX_SIDE = 1400


def crop_png(grey: np.ndarray, registration: Registration | None, rect: Rect | None) -> bytes | None:
    if rect is not None:
        if registration is None:
            return None
        grown = rect.grow(2.0)
        image = warp(grey, registration.homography, CROP_PX_PER_MM, (grown.x, grown.y, grown.w, grown.h),
                     interpolation=cv2.INTER_AREA)
    elif registration is not None:
        image = warp(grey, registration.homography, PREVIEW_PX_PER_MM, interpolation=cv2.INTER_AREA)
    else:
        scale = min(1.0, PREVIEW_MAX_SIDE / max(grey.shape))
        image = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    ok, encoded = cv2.imencode(".png", image)
    return encoded.tobytes() if ok else None


def keep_crop(files: Files, page_hash: str, name: str, grey: np.ndarray, registration: Registration | None,
              rect: Rect | None) -> str | None:
    png = crop_png(grey, registration, rect)
    return None if png is None else files.keep_crop(page_hash, name, png)


def decode_kept(data: bytes) -> np.ndarray:
    """A kept page image as the reader saw it (EXIF-upright grey, scaled like at ingest)."""
    from PIL import Image

    from .ingest import _grey_from_pil

    return _grey_from_pil(Image.open(io.BytesIO(data)))


def registration_from_summary(summary: dict[str, Any]) -> Registration | None:
    reg = (summary or {}).get("registration")
    if not reg:
        return None
    return Registration(np.array(reg["homography"], dtype=np.float64), tuple(reg["markers"]),
                        reg["reprojection_mm"], reg["rotation"], 0.0)


def crop_from_page(files: Files, page: dict, rect: Rect | None, name: str) -> str | None:
    """Make (or find) a crop from a kept page; ``None`` when the page image is not kept."""
    from .storage import loads

    if not page.get("image_path"):
        return None
    grey = decode_kept(files.read(page["image_path"]))
    registration = registration_from_summary(loads(page.get("result_json")) or {})
    return keep_crop(files, page["hash"], name, grey, registration, rect)
