"""Paper channel security: decompression-bomb scans are rejected quickly; free text is escaped in the review queue."""

from __future__ import annotations

import struct
import time
import zlib


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # One compressed row of zeros only: the file is a few hundred bytes but claims 2.5 gigapixels.
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
            + chunk(b"IEND", b""))


def test_a_png_declaring_50000_by_50000_pixels_is_rejected_quickly(forms):
    bomb = forms.folder / "bomb.png"
    bomb.write_bytes(_png_header_only(50000, 50000))
    assert bomb.stat().st_size < 10_000
    started = time.monotonic()
    report = forms.scan(bomb)
    elapsed = time.monotonic() - started
    reasons = {r.file.rsplit("/", 1)[-1]: (r.state, r.reason) for r in report.records}
    assert reasons == {"bomb.png": ("rejected", "unreadable")}
    assert elapsed < 1.0, f"rejecting the bomb took {elapsed:.2f}s"
    assert report.summary()["reconciled"]
