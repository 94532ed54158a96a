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


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_a_free_text_answer_with_script_is_escaped_in_the_review_queue(paper_runtime, sign_in_as, forms):
    import re

    import cv2
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    from rightsaware_paper.review import ReviewQueue

    client = TestClient(make_app(paper_runtime))
    sign_in_as(client, "morag")
    printed = forms.print("sample", "en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": "yes"}, texts={"age": "44", "comment": "Bws"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/paper?lang=en").text).group(1)
    ok, png = cv2.imencode(".png", image)
    assert ok
    client.post("/paper/scan", data={"csrf_token": token, "batch": "b"},
                files=[("files", ("scan.png", png.tobytes(), "image/png"))])
    (item,) = [i for i in ReviewQueue(forms.service).items() if i.question == "comment"]
    done = client.post(f"/paper/review/{item.id}", data={"csrf_token": token, "decision": "choose", "value": SCRIPT},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    assert ReviewQueue(forms.service).item(item.id).value == SCRIPT
    for url in (f"/paper/review/{item.id}", "/paper/review", "/paper/review?done=1"):
        page = client.get(url)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src" not in policy  # no inline scripts may run
    history = client.get(f"/paper/review/{item.id}").text
    assert "&lt;script&gt;alert(" in history and "&lt;img src=x onerror=alert(1)&gt;" in history
