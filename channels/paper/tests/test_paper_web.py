"""The pages under /paper in ``rightsaware serve``: print, upload, review — for signed-in reviewers,
CSRF-protected, with every scan image shown written to the audit log."""

from __future__ import annotations

import re

import cv2
import pytest


@pytest.fixture
def anonymous(paper_runtime):
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    return TestClient(make_app(paper_runtime))


@pytest.fixture
def client(paper_runtime, sign_in_as):
    """Signed in as the reviewer "morag"."""
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    client = TestClient(make_app(paper_runtime))
    sign_in_as(client, "morag")
    return client


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _upload(client, token, *images):  # noqa: ANN001, ANN202
    files = []
    for index, image in enumerate(images):
        ok, png = cv2.imencode(".png", image)
        files.append(("files", (f"scan {index}.png", png.tobytes(), "image/png")))
    return client.post("/paper/scan", data={"csrf_token": token, "batch": "Stornoway"}, files=files)


def test_home_print_and_upload(client, forms):
    home = client.get("/paper?lang=gd")
    assert home.status_code == 200 and 'lang="gd"' in home.text and "Foirmean pàipeir" in home.text
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    token = _token(home.text)
    pdf = client.post("/paper/print", data={"csrf_token": token, "instrument": "sample", "languages": "gd+en",
                                            "copies": "2", "large_print": "1"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    refused = client.post("/paper/print", data={"csrf_token": "forged", "instrument": "sample", "languages": "en"})
    assert refused.status_code == 403 and "role=\"alert\"" in refused.text
    wrong = client.post("/paper/print", data={"csrf_token": token, "instrument": "omr-test", "languages": "gd"})
    assert wrong.status_code == 400 and "Chan eil an t-suirbhidh omr-test ri fhaighinn" in wrong.text
    printed = forms.print("omr-test", "en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"q1": "a", "q2": "d", "q3": "n"})
    result = _upload(client, token, image)
    assert result.status_code == 200 and "air a leughadh" in result.text
    assert "Chaidh gach duilleag a chunntadh" in result.text
    assert forms.values(printed.serials[0]) == {"q1": "a", "q2": "d", "q3": "n"}
    nothing = client.post("/paper/scan", data={"csrf_token": token})
    assert nothing.status_code == 400


def test_review_with_one_click_and_who_and_when(client, forms):
    from rightsaware_paper.review import ReviewQueue

    printed = forms.print("sample", "cy+en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": ("yes", "no")}, texts={"age": "44"})
    token = _token(client.get("/paper?lang=en").text)
    _upload(client, token, image)
    queue = client.get("/paper/review")
    ids = sorted(set(int(i) for i in re.findall(r'href="/paper/review/(\d+)"', queue.text)))
    assert len(ids) == 2
    page = client.get(f"/paper/review/{ids[0]}")
    html = page.text
    # the question in the respondent's language (Welsh first on a cy+en form) and the reviewer's
    assert '<span lang="cy">Ydych chi wedi clywed am gydgynhyrchu?</span>' in html
    assert '<span lang="en">Have you heard of co-production?</span>' in html
    assert 'data-key="1"' in html and 'data-key="0"' in html and 'data-key="x"' in html
    assert '<script src="/paper/static/review.js" defer></script>' in html
    assert re.search(r'<img class="crop" src="/paper/review/\d+/image" alt="[^"]+">', html)
    assert "More than one circle is filled" in html
    assert client.get(f"/paper/review/{ids[0]}/image").content[:4] == b"\x89PNG"
    assert "keydown" in client.get("/paper/static/review.js").text
    assert "Deciding as morag." in html
    forged = client.post(f"/paper/review/{ids[0]}", data={"csrf_token": "x", "decision": "choose:yes"})
    assert forged.status_code == 403
    done = client.post(f"/paper/review/{ids[0]}", data={"csrf_token": token, "decision": "choose:yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/paper/review/{ids[1]}"
    invalid = client.post(f"/paper/review/{ids[1]}", data={"csrf_token": token, "decision": "choose", "value": "300"})
    assert invalid.status_code == 400 and "16 and 120" in invalid.text
    last = client.post(f"/paper/review/{ids[1]}", data={"csrf_token": token, "decision": "choose", "value": "44"},
                       follow_redirects=False)
    assert last.headers["location"] == "/paper/review?done=1"
    assert "Nothing waits for review." in client.get("/paper/review").text
    item = ReviewQueue(forms.service).item(ids[0])
    assert item.decided_by == "morag" and item.decided_at is not None
    history = client.get(f"/paper/review/{ids[0]}").text
    assert "morag" in history and "chosen" in history
    assert forms.values(printed.serials[0])["age"] == 44
    assert client.get("/paper/review/9999").status_code == 404


def test_review_pages_are_translated(client, forms):
    printed = forms.print("omr-test", "en")
    image = forms.pages(printed)[0].copy()
    image = forms.mark(image, printed, 1, {"q1": ("a", "d")})
    token = _token(client.get("/paper").text)
    _upload(client, token, image)
    queue = client.get("/paper/review?lang=cy").text
    assert "Ciw adolygu" in queue and "Mae mwy nag un cylch wedi’i lenwi" in queue
    item_id = re.search(r'href="/paper/review/(\d+)"', queue).group(1)
    page = client.get(f"/paper/review/{item_id}").text
    assert "Pam mae angen person" in page and "Methu dweud" in page


PROTECTED = [("GET", "/paper"), ("POST", "/paper/print"), ("POST", "/paper/scan"), ("GET", "/paper/review"),
             ("POST", "/paper/review/1/withdraw"),
             ("GET", "/paper/review/1"), ("POST", "/paper/review/1"), ("GET", "/paper/review/1/image")]


def test_every_page_needs_a_reviewer(paper_runtime, anonymous, sign_in_as, forms):
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    printed = forms.print("omr-test", "en")
    forms.scan(forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": ("a", "d")})))
    for method, path in PROTECTED:
        response = anonymous.request(method, path, data={"csrf_token": "x"}, follow_redirects=False)
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/login?next=")
    viewer = TestClient(make_app(paper_runtime))
    sign_in_as(viewer, "iolo")
    for method, path in PROTECTED:
        response = viewer.request(method, path, data={"csrf_token": "x"}, follow_redirects=False)
        assert response.status_code == 403 and "reviewer" in response.text, (method, path)
    assert viewer.get("/paper/review/1/image").content[:4] != b"\x89PNG"
    admin = TestClient(make_app(paper_runtime))
    sign_in_as(admin, "siân")
    queue = admin.get("/paper/review")
    assert queue.status_code == 200 and "Signed in as siân" in queue.text
    assert anonymous.get("/paper/static/review.js").status_code == 200  # the script holds no data


def test_scan_images_shown_are_in_the_audit_log(paper_runtime, client, forms):
    from rightsaware import audit

    printed = forms.print("omr-test", "en")
    forms.scan(forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": ("a", "d")})))
    item_id = re.search(r'href="/paper/review/(\d+)"', client.get("/paper/review").text).group(1)
    assert not audit.entries(paper_runtime.store, action="scan.view")
    assert client.get(f"/paper/review/{item_id}/image").content[:4] == b"\x89PNG"
    entries = audit.entries(paper_runtime.store, action="scan.view")
    response_id = forms.service.sheet(printed.serials[0])["response_id"]
    assert [(e.actor, e.subject_kind, e.subject_id, e.detail["item"]) for e in entries] == [
        ("user:morag", "response", response_id, int(item_id))]
    client.get(f"/paper/review/{item_id}/image")
    assert len(audit.entries(paper_runtime.store, action="scan.view")) == 2
