"""Find a page in an image: corner markers, the homography onto the page, and the QR code.

The four ArUco markers have distinct ids (0 top-left, 1 top-right, 2 bottom-right, 3
bottom-left), so a RANSAC homography from their 16 corners to their printed positions
undoes rotation (upside-down or sideways pages), scale and the perspective of a phone
photo in one step; three markers are enough. The QR code is then read from a sharp,
upright crop of where it is printed, which is faster and more reliable than searching
the whole image; the whole image is searched only when the markers cannot be found.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
from attrs import frozen

from .compose import MARKER_INSET, MARKER_SIZE
from .layout import PAGE_HEIGHT, PAGE_WIDTH, Marker

MIN_MARKERS = 3
MAX_REPROJECTION_MM = 0.8
DETECT_SIDES = (1400, 2600)  # try a small copy first (fast), then a larger one
QR_REGION = (112.0, 6.0, 76.0, 58.0)  # x, y, w, h in mm: holds any QR version the composer prints
QR_PX_PER_MM = 9.0

_FAR_X = PAGE_WIDTH - MARKER_INSET - MARKER_SIZE
_FAR_Y = PAGE_HEIGHT - MARKER_INSET - MARKER_SIZE
STANDARD_MARKERS = (Marker(0, MARKER_INSET, MARKER_INSET, MARKER_SIZE), Marker(1, _FAR_X, MARKER_INSET, MARKER_SIZE),
                    Marker(2, _FAR_X, _FAR_Y, MARKER_SIZE), Marker(3, MARKER_INSET, _FAR_Y, MARKER_SIZE))


@frozen
class Registration:
    """Where the page is in the image: ``homography`` maps image pixels to page millimetres."""

    homography: np.ndarray
    markers: tuple[int, ...]
    reprojection_mm: float
    rotation: int  # 0, 90, 180 or 270: how far the page is turned in the image
    scale_px_per_mm: float


@functools.cache
def _detector(thorough: bool) -> cv2.aruco.ArucoDetector:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    if thorough:  # more threshold windows: slower, finds markers in blurred or unevenly lit images
        params.adaptiveThreshWinSizeMin = 5
        params.adaptiveThreshWinSizeMax = 45
        params.adaptiveThreshWinSizeStep = 8
    return cv2.aruco.ArucoDetector(dictionary, params)


def _detect(grey: np.ndarray, side: int, thorough: bool) -> list[tuple[int, np.ndarray]]:
    scale = min(1.0, side / max(grey.shape))
    image = grey if scale == 1.0 else cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    corners, ids, _rejected = _detector(thorough).detectMarkers(image)
    found = []
    if ids is not None:
        for marker_id, quad in zip(ids.flatten(), corners):
            if 0 <= int(marker_id) <= 3:
                found.append((int(marker_id), quad.reshape(4, 2).astype(np.float64) / scale))
    if found and scale < 1.0:  # sharpen the corners on the full image
        points = np.concatenate([quad for _, quad in found]).astype(np.float32).reshape(-1, 1, 2)
        window = max(2, int(round(1.5 / scale)))
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.05)
        refined = cv2.cornerSubPix(grey, points, (window, window), (-1, -1), criteria).reshape(-1, 4, 2)
        found = [(marker_id, quad.astype(np.float64)) for (marker_id, _), quad in zip(found, refined)]
    return found


def detect_markers(grey: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(id, 4×2 corners in image pixels) for every marker with id 0–3 found.

    A small copy of the image is searched first; when it shows fewer than four distinct
    markers, a larger copy is searched with more thresholds.
    """
    found = _detect(grey, DETECT_SIDES[0], False)
    if len({marker_id for marker_id, _ in found}) >= 4:
        return found
    thorough = _detect(grey, DETECT_SIDES[1], True)
    return thorough if len({m for m, _ in thorough}) >= len({m for m, _ in found}) else found


def register(grey: np.ndarray, markers: tuple[Marker, ...] = STANDARD_MARKERS) -> Registration | None:
    """The page's homography, or ``None`` when fewer than three markers agree."""
    found = detect_markers(grey)
    by_id = {m.id: m for m in markers}
    image_points: list = []
    page_points: list = []
    point_ids: list[int] = []
    for marker_id, quad in found:
        if marker_id not in by_id:
            continue
        image_points.extend(quad.tolist())
        page_points.extend(by_id[marker_id].corners())
        point_ids.extend([marker_id] * 4)
    if len(set(point_ids)) < MIN_MARKERS:
        return None
    src = np.array(image_points, dtype=np.float64)
    dst = np.array(page_points, dtype=np.float64)
    matrix, mask = cv2.findHomography(src, dst, cv2.RANSAC, 1.0)
    if matrix is None:
        return None
    inliers = mask.ravel().astype(bool)
    if inliers.sum() < 4 * MIN_MARKERS:
        return None
    projected = cv2.perspectiveTransform(src[inliers].reshape(-1, 1, 2), matrix).reshape(-1, 2)
    error = float(np.mean(np.linalg.norm(projected - dst[inliers], axis=1)))
    if error > MAX_REPROJECTION_MM:
        return None
    good_ids = tuple(sorted({marker_id for marker_id, keep in zip(point_ids, inliers) if keep}))
    if len(good_ids) < MIN_MARKERS:
        return None
    inverse = np.linalg.inv(matrix)
    origin, right = cv2.perspectiveTransform(np.array([[[100.0, 150.0]], [[150.0, 150.0]]]), inverse).reshape(2, 2)
    angle = math.degrees(math.atan2(right[1] - origin[1], right[0] - origin[0])) % 360
    rotation = int(round(angle / 90.0)) % 4 * 90
    scale = float(np.linalg.norm(right - origin) / 50.0)
    return Registration(matrix, good_ids, error, rotation, scale)


def warp(grey: np.ndarray, homography: np.ndarray, px_per_mm: float, region: tuple[float, float, float, float] | None = None,
         interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """The page (or a region of it, in mm) upright at ``px_per_mm``, white outside the image."""
    x, y, w, h = region if region is not None else (0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)
    to_pixels = np.array([[px_per_mm, 0, -x * px_per_mm], [0, px_per_mm, -y * px_per_mm], [0, 0, 1]], dtype=np.float64)
    size = (max(1, int(round(w * px_per_mm))), max(1, int(round(h * px_per_mm))))
    return cv2.warpPerspective(grey, to_pixels @ homography, size, flags=interpolation,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=255)


@functools.cache
def _qr_detector() -> cv2.QRCodeDetector:
    return cv2.QRCodeDetector()


@functools.cache
def _qr_aruco_detector() -> cv2.QRCodeDetectorAruco:
    return cv2.QRCodeDetectorAruco()


def _decode(image: np.ndarray) -> str | None:
    for detector in (_qr_detector(), _qr_aruco_detector()):
        try:
            text, _points, _straight = detector.detectAndDecode(image)
        except cv2.error:
            continue
        if text:
            return text
    return None


_LAST_VERSION = [0]  # the version read last: tried first


@functools.cache
def _qr_corners() -> tuple[tuple[int, np.ndarray], ...]:
    """(version, corners in the QR crop) of every QR version the composer can print, smallest first.

    The composer puts the symbol's top-right corner at a fixed place (see ``Composer._qr_spot``);
    only its size depends on the version.
    """
    from .compose import MARKER_INSET, MARKER_SIZE, QR_MODULE
    from .layout import PAGE_WIDTH

    right = PAGE_WIDTH - MARKER_INSET - MARKER_SIZE - 4.0 - 4 * QR_MODULE
    top = MARKER_INSET + 4 * QR_MODULE
    x0, y0, w, h = QR_REGION
    found = []
    for version in range(1, 41):
        side = (17 + 4 * version) * QR_MODULE
        if right - side < x0 or top + side > y0 + h:
            break
        corners = np.array([[right - side, top], [right, top], [right, top + side], [right - side, top + side]],
                           dtype=np.float32)
        found.append((version, ((corners - np.array([x0, y0], dtype=np.float32)) * QR_PX_PER_MM).reshape(1, 4, 2)))
    return tuple(found)


def _decode_in_place(crop: np.ndarray) -> str | None:
    """Decode the code where the composer printed it, without searching for it (fast path).

    Reed–Solomon error correction makes a wrong grid give no text rather than wrong text;
    the page's check (HMAC) is verified afterwards either way.
    """
    detector = _qr_detector()
    candidates = sorted(_qr_corners(), key=lambda vc: vc[0] != _LAST_VERSION[0])  # a batch is mostly one form
    for version, corners in candidates:
        try:
            text, _straight = detector.decode(crop, corners)
        except cv2.error:
            continue
        if text:
            _LAST_VERSION[0] = version
            return text
    return None


def read_qr(grey: np.ndarray, registration: Registration | None) -> str | None:
    """The text of the page's QR code, or ``None`` when no code can be read."""
    if registration is not None:
        crop = warp(grey, registration.homography, QR_PX_PER_MM, QR_REGION)
        text = _decode_in_place(crop) or _decode(crop)
        if text:
            return text
        _, binary = cv2.threshold(cv2.GaussianBlur(crop, (3, 3), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        text = _decode(binary)
        if text:
            return text
    image = grey
    longest = max(grey.shape)
    if longest > 2000:
        scale = 2000 / longest
        image = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return _decode(image)
