"""The review pages in real headless Chromium, signed in as a reviewer: axe-core finds nothing,
keys decide, no JavaScript needed."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import cv2
import pytest
from rightsaware.testing import require_or_skip

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(paper_runtime, forms):
    """``rightsaware serve``'s app with the paper plugin, on a free port, with two items to review."""
    import uvicorn
    from rightsaware.server import make_app

    printed = forms.print("sample", "cy+en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": ("yes", "no")}, texts={"age": "58"})
    forms.scan(forms.save(image))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = make_app(paper_runtime)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{sock.getsockname()[1]}", "serial": printed.serials[0]}
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    require_or_skip(chromium is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def assert_accessible(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def sign_in(page, url: str, username: str, password: str) -> None:
    """Open a review page, get sent to the core's sign-in form, sign in and come back."""
    page.goto(f"{url}/paper/review")
    assert "/login?next=" in page.url
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/paper/review$"))


def test_review_by_keyboard_with_no_accessibility_violation(server, browser, forms, staff_password):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, server["url"], "morag", staff_password)
    for language in ("cy", "gd", "en"):
        page.goto(f"{server['url']}/paper?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page, f"/paper ({language})")
    page.goto(f"{server['url']}/paper/review?lang=cy")
    assert_accessible(page, "review queue (cy)")
    page.click("text=Dechrau gyda’r eitem hynaf")
    page.wait_for_url(re.compile(r"/paper/review/\d+$"))
    page.wait_for_load_state()
    assert_accessible(page, "review item (cy)")
    assert page.locator("img.crop").evaluate("img => img.complete && img.naturalWidth > 0")
    first_item = page.url
    page.keyboard.press("2")  # "Nac ydw" — the second choice, one key
    page.wait_for_url(lambda url: url != first_item and re.search(r"/paper/review/\d+$", url) is not None)
    page.wait_for_load_state()
    assert_accessible(page, "transcription item (cy)")
    page.fill("#value", "58")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/paper/review\?done=1$"))
    assert "Does dim byd yn aros" in page.content()
    assert forms.values(server["serial"]) == {"heard": "no", "age": 58, "comment": None}
    context.close()


def test_review_works_without_javascript(server, browser, forms, staff_password):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server["url"], "siân", staff_password)
    page.goto(f"{server['url']}/paper/review?lang=en")
    page.click("text=Start with the oldest item")
    page.click("button:has-text('Yes')")
    page.wait_for_url(re.compile(r"/paper/review/\d+$"))
    page.fill("#value", "58")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/paper/review\?done=1$"))
    assert forms.values(server["serial"])["heard"] == "yes"
    context.close()
    assert cv2 is not None
