"""Read one page image: find it, identify it, check the registration and read every answer.

:meth:`Reader.read` is pure (no database, no files): the scanner gives it a way to look up
layouts and to tell whether a serial was printed here, and stores what it returns. The
outcome is one of ``read`` (every answer accepted), ``review`` (some answers, or the whole
page, need a person) or ``rejected`` (not a page of ours: blank, another form, an unknown
layout), always with a reason code.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np
from attrs import field, frozen

from .identity import BadCode, PageIdentity, parse_code
from .layout import Layout
from .marks import READER_VERSION, AnswerReading, K, PageTone, erode, normalise, read_page, registration_score
from .register import Registration, read_qr, register, warp
from .template import template_for

MIN_REGISTRATION_SCORE = 0.80
BLANK_INK_SHARE = 0.0015


@frozen
class PageResult:
    status: str  # read | review | rejected
    reason: str | None = None
    identity: PageIdentity | None = None
    code: str | None = None
    registration: Registration | None = None
    score: float | None = None
    answers: tuple[AnswerReading, ...] = field(default=(), converter=tuple)
    tone: PageTone | None = None
    seconds: float = 0.0
    reader: str = READER_VERSION

    def summary(self) -> dict:
        reg = self.registration
        return {
            "status": self.status, "reason": self.reason, "code": self.code, "reader": self.reader,
            "registration": None if reg is None else {
                "markers": list(reg.markers), "reprojection_mm": round(reg.reprojection_mm, 3),
                "rotation": reg.rotation, "homography": reg.homography.tolist(),
            },
            "score": None if self.score is None else round(self.score, 4),
            "tone": None if self.tone is None else self.tone.to_dict(),
            "answers": [a.to_dict() for a in self.answers],
            "seconds": round(self.seconds, 4),
        }


class Reader:
    """Reads pages against the layouts that printed them.

    :param key: the key for QR check values (:func:`rightsaware_paper.identity.qr_key`).
    :param layouts: fingerprint → :class:`Layout` or ``None``.
    :param known_serial: whether a serial was printed by this deployment (accepts codes
        whose check value was made with an older secret).
    """

    def __init__(self, key: bytes, layouts: Callable[[str], Layout | None],
                 known_serial: Callable[[str], bool] = lambda serial: False) -> None:
        self.key = key
        self.layouts = layouts
        self.known_serial = known_serial

    def read(self, grey: np.ndarray, *, identity: PageIdentity | None = None) -> PageResult:
        """Read a page; ``identity`` skips the QR code (a person typed the printed code)."""
        started = time.perf_counter()
        result = self._read(grey, identity)
        return _with_time(result, time.perf_counter() - started)

    def _read(self, grey: np.ndarray, given: PageIdentity | None) -> PageResult:
        registration = register(grey)
        code = None
        identity = given
        if identity is None:
            code = read_qr(grey, registration)
            if code is None:
                if registration is not None:
                    return PageResult("review", "unidentified", registration=registration)
                return PageResult("rejected", "blank" if _looks_blank(grey) else "not_a_form")
            try:
                identity, check_ok = parse_code(code, self.key)
            except BadCode as exc:
                if exc.reason == "malformed" and registration is not None:
                    return PageResult("review", "unidentified", code=code, registration=registration)
                return PageResult("rejected", "not_ours", code=code, registration=registration)
            if not check_ok and not self.known_serial(identity.serial):
                return PageResult("rejected", "bad_check", identity=identity, code=code, registration=registration)
        layout = self.layouts(identity.fingerprint)
        if layout is None:
            return PageResult("rejected", "unknown_layout", identity=identity, code=code, registration=registration)
        if (layout.instrument_id, layout.version, layout.page_count) != (identity.instrument_id, identity.version,
                                                                        identity.pages):
            return PageResult("rejected", "unknown_layout", identity=identity, code=code, registration=registration)
        if registration is None:
            return PageResult("review", "unregistered", identity=identity, code=code)
        page = layout.page(identity.page)
        canonical = warp(grey, registration.homography, K)
        template = template_for(layout, identity.page, identity.fingerprint)
        if canonical.shape != template.printed.shape:
            canonical = cv2.resize(canonical, (template.printed.shape[1], template.printed.shape[0]))
        norm = normalise(canonical)
        eroded = erode(norm)
        score = registration_score(norm, template.strokes, eroded)
        if score < MIN_REGISTRATION_SCORE:
            return PageResult("review", "unregistered", identity=identity, code=code, registration=registration,
                              score=score)
        reading = read_page(norm, template.printed, page, strokes=template.strokes, eroded=eroded)
        status = "read" if all(a.state == "accepted" for a in reading.answers) else "review"
        return PageResult(status, None, identity=identity, code=code, registration=registration, score=score,
                          answers=reading.answers, tone=reading.tone)


def _with_time(result: PageResult, seconds: float) -> PageResult:
    import attrs

    return attrs.evolve(result, seconds=seconds)


def _looks_blank(grey: np.ndarray) -> bool:
    small = cv2.resize(grey, (420, 594), interpolation=cv2.INTER_AREA)
    norm = normalise(small)
    return float(np.mean(norm < 160)) < BLANK_INK_SHARE
