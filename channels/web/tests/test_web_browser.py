"""Real headless Chromium (Debian's, driven by Playwright) against the real server, with axe-core.

One server (``rightsaware serve``'s app, uvicorn in a thread) and one browser for the
module. Journeys in Welsh, Gaelic and English: skip logic, a validation error fixed,
a language switch half-way, save and resume by link, JavaScript turned off, a 320 px
screen with large text, embedding in another site; axe-core on every page type in
every language, with no violation allowed.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect
from rightsaware.testing import require_or_skip

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PARENT_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Council news</title></head><body><main>
<h1>Council news</h1>
<iframe title="Survey" src="{url}/s/local-voice?embed=1" style="width:100%;height:900px"></iframe>
<iframe title="Not embeddable" src="{url}/s/local-voice"></iframe>
</main></body></html>"""


def serve_parent(sock: socket.socket, html: str) -> ThreadingHTTPServer:
    """Another site (another host name: localhost, not 127.0.0.1) that embeds the survey."""

    class Parent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = html.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(sock.getsockname(), Parent, bind_and_activate=False)
    httpd.socket = sock
    sock.listen()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The core server app with the web plugin, served by uvicorn on a free port."""
    import uvicorn
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.server import make_app
    from rightsaware.settings import Settings
    from webdata import write_instrument

    import rightsaware_web.plugin as web_plugin

    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=str(folder / "data"), secret_key="browser-test-secret-key-0123")
    pm = make_plugin_manager(entrypoints=False)
    pm.register(web_plugin, name="web")
    runtime = Runtime(settings, plugin_manager=pm)
    path = write_instrument(folder)
    runtime.instruments.add(load_instrument(path), path)
    runtime.store  # noqa: B018 - migrate before serving
    sock, parent_sock = socket.socket(), socket.socket()
    sock.bind(("127.0.0.1", 0))
    parent_sock.bind(("127.0.0.1", 0))
    port, parent = sock.getsockname()[1], f"http://localhost:{parent_sock.getsockname()[1]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RIGHTSAWARE_WEB_FRAME_ANCESTORS", f"'self' {parent}")
        app = make_app(runtime)
    parent_server = serve_parent(parent_sock, PARENT_PAGE.format(url=f"http://127.0.0.1:{port}"))
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield {"url": f"http://127.0.0.1:{port}", "runtime": runtime, "parent": parent}
    parent_server.shutdown()
    uv.should_exit = True
    thread.join(timeout=10)
    runtime.close()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    require_or_skip(chromium is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context
    context.close()


_AXE = None


def assert_accessible(page, what: str) -> None:
    """axe-core finds no violation at all on the page (WCAG 2.x A/AA and best practices)."""
    global _AXE
    from axe_playwright_python.sync_playwright import Axe

    _AXE = _AXE or Axe()
    results = _AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def lang_of(page) -> str:
    page.wait_for_load_state()
    return page.locator("html").get_attribute("lang")


def check(page, what: str, language: str) -> None:
    assert lang_of(page) == language, what
    assert_accessible(page, f"{what} ({language})")


def test_welsh_journey_with_skip_logic_and_a_fixed_error(context, server):
    page = context.new_page()
    page.goto(server["url"] + "/s/local-voice?lang=cy")
    check(page, "start page", "cy")
    assert page.locator("section.language-block").first.get_attribute("lang") == "cy"
    page.locator("section[lang=cy] button").click()
    check(page, "radios", "cy")
    expect(page.locator("legend h1")).to_have_text("Ydych chi wedi clywed am gydgynhyrchu?")
    page.get_by_label("Ydw", exact=True).check()
    page.get_by_role("button", name="Parhau").click()
    check(page, "checkboxes", "cy")  # skip logic: asked because of "Ydw"
    page.get_by_label("Amser", exact=True).check()
    page.get_by_label("Dim yn fy iaith i", exact=True).check()
    page.get_by_role("button", name="Parhau").click()
    page.get_by_label("Faint yw eich oed chi?", exact=True).fill("12")
    page.get_by_role("button", name="Parhau").click()
    check(page, "error page", "cy")
    assert page.title().startswith("Gwall: ")
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("Mae problem wedi codi")
    summary.get_by_role("link", name="Rhowch oed rhwng 16 a 120.").click()
    page.wait_for_url("**#age")
    page.get_by_label("Faint yw eich oed chi?", exact=True).fill("67")
    page.get_by_role("button", name="Parhau").click()
    check(page, "whole number and decimal", "cy")
    page.get_by_role("textbox").fill("2,5")
    page.get_by_role("button", name="Parhau").click()
    check(page, "date", "cy")
    page.get_by_label("Diwrnod", exact=True).fill("3")
    page.get_by_label("Mis", exact=True).fill("11")
    page.get_by_label("Blwyddyn", exact=True).fill("2025")
    page.get_by_role("button", name="Parhau").click()
    check(page, "text", "cy")
    page.get_by_role("textbox").fill("Mae’n anodd cyrraedd y cyfarfodydd – ŵ ŷ.")
    page.get_by_role("button", name="Parhau").click()
    check(page, "check your answers", "cy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gwirio eich atebion")
    body = page.locator("dl").inner_text()
    assert "Amser" in body and "Dim yn fy iaith i" in body and "ŵ ŷ" in body and "2.5" in body
    page.locator("a[href*='/q/heard']").click()  # "Newid": change "Ydw" to "Nac ydw"
    page.get_by_label("Nac ydw", exact=True).check()
    page.get_by_role("button", name="Parhau").click()
    page.wait_for_url("**/s/local-voice/check")
    expect(page.locator("dl")).not_to_contain_text("Amser")  # the engine dropped the skipped answer
    page.get_by_role("button", name="Anfon fy atebion").click()
    check(page, "confirmation", "cy")
    expect(page.locator(".panel h1")).to_have_text("Mae eich atebion wedi cael eu hanfon")
    page.go_back()  # the browser's Back button after sending changes nothing
    page.wait_for_url("**/s/local-voice/done")


def test_gaelic_journey_switching_language_and_resuming_from_a_link(browser, context, server):
    page = context.new_page()
    page.goto(server["url"] + "/s/local-voice")
    page.locator("section[lang=gd] button").click()
    check(page, "radios", "gd")
    expect(page.locator(".caption")).to_contain_text("Ceist 1 de 5")
    page.get_by_label("Chuala", exact=True).check()
    page.get_by_role("button", name="Lean air adhart").click()
    page.get_by_label("Siubhal", exact=True).check()
    page.get_by_role("button", name="Lean air adhart").click()
    page.get_by_role("button", name="Lean air adhart").click()  # nothing typed: an error
    check(page, "error page", "gd")
    expect(page.locator(".error-summary h2")).to_have_text("Tha duilgheadas ann")
    # Half-way, switch to English: same question, answers kept.
    page.get_by_role("navigation").get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_contain_text("How old are you?")
    assert lang_of(page) == "en"
    page.get_by_label("How old are you?", exact=True).fill("70")
    page.get_by_role("button", name="Save and come back later").click()
    check(page, "saved", "en")
    link = page.locator(".resume-link a").get_attribute("href")
    assert re.match(r"^http://127\.0\.0\.1:\d+/r/[\w.-]+$", link)
    # Another browser (no cookies) opens the link: straight back to the next question.
    other = browser.new_context()
    try:
        resumed = other.new_page()
        resumed.goto(link)
        resumed.wait_for_url("**/s/local-voice/q/hours")
        assert lang_of(resumed) == "en"
        resumed.get_by_role("link", name="Gàidhlig").click()
        check(resumed, "decimal", "gd")
        resumed.get_by_role("button", name="Lean air adhart").click()
        resumed.get_by_role("button", name="Lean air adhart").click()
        resumed.get_by_role("button", name="Lean air adhart").click()
        check(resumed, "check your answers", "gd")
        summary = resumed.locator("dl").inner_text()
        assert "Chuala" in summary and "Siubhal" in summary and "70" in summary and "Gun fhreagairt" in summary
        resumed.get_by_role("button", name="Cuir na freagairtean agam").click()
        check(resumed, "confirmation", "gd")
        resumed.goto(link)  # the link is spent once the answers are sent
        check(resumed, "already sent", "gd")
        expect(resumed.locator("h1")).to_contain_text("Chaidh na freagairtean agad a chur mu thràth")
    finally:
        other.close()


def test_english_journey_with_javascript_turned_off(browser, server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server["url"] + "/s/local-voice")
        page.locator("section[lang=en] button").click()
        page.get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("h1")).to_contain_text("How old are you?")  # skip logic: no barriers question
        page.get_by_label("How old are you?", exact=True).fill("a hundred")
        page.get_by_role("button", name="Continue").click()
        assert page.locator(".error-summary").is_visible()
        expect(page.locator("#age-error")).to_have_text(re.compile(r"Please enter a whole number, for example 42\.$"))
        page.get_by_label("How old are you?", exact=True).fill("100")
        page.get_by_role("button", name="Continue").click()
        for _ in range(3):
            page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
        page.get_by_role("link", name="Back", exact=True).click()
        expect(page.locator("h1")).to_contain_text("Anything else")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Send my answers").click()
        expect(page.locator(".panel h1")).to_have_text("Your answers have been sent")
        expect(page.locator("main")).to_contain_text("Your answers help local groups")
    finally:
        context.close()


def test_other_pages_are_accessible_in_every_language(context, server):
    page = context.new_page()
    for language, not_found, expired in (
        ("en", "Page not found", "This link has expired"),
        ("cy", "Heb ddod o hyd i’r dudalen", "Mae’r ddolen hon wedi dod i ben"),
        ("gd", "Cha deach an duilleag a lorg", "Tha an ceangal seo air falbh an ùine"),
    ):
        page.goto(f"{server['url']}/s?lang={language}")
        check(page, "list of surveys", language)
        response = page.goto(f"{server['url']}/s/no-such-survey?lang={language}")
        assert response.status == 404
        expect(page.locator("h1")).to_have_text(not_found)
        check(page, "not found", language)
        from rightsaware_web.tokens import Tokens

        token = Tokens("browser-test-secret-key-0123").resume("gone", expires=1_000_000)
        response = page.goto(f"{server['url']}/r/{token}?lang={language}")
        assert response.status == 410
        expect(page.locator("h1")).to_have_text(expired)
        check(page, "expired link", language)
        page.goto(f"{server['url']}/s/local-voice?lang={language}")
        check(page, "start page", language)


def test_small_screen_large_text_and_visible_focus(browser, server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()

        def fits(what: str) -> None:
            page.wait_for_load_state()
            page.evaluate("document.documentElement.style.fontSize = '200%'")  # large text
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{what}: {width}px wide at 320px with large text"

        page.goto(server["url"] + "/s/local-voice?lang=cy")
        fits("start page")
        page.locator("section[lang=cy] button").click()
        fits("question")
        page.get_by_role("button", name="Parhau").click()
        fits("error page")
        page.keyboard.press("Tab")  # from the focused error summary to its link
        link = page.locator(".error-summary a")
        assert link.evaluate("e => e === document.activeElement")
        focused = link.evaluate("e => getComputedStyle(e).backgroundColor")
        assert focused == "rgb(255, 221, 0)"  # the yellow focus highlight
        button = page.get_by_role("button", name="Parhau")
        before = button.evaluate("e => getComputedStyle(e).backgroundColor")
        button.focus()
        after = button.evaluate("e => getComputedStyle(e).backgroundColor")
        assert before != after and after == "rgb(255, 221, 0)"
        assert_accessible(page, "320px with large text")
    finally:
        context.close()


def test_embedded_in_another_site(context, server):
    page = context.new_page()
    page.goto(server["parent"] + "/")
    frame = page.frame_locator("iframe[title=Survey]")
    frame.locator("section[lang=en] button").click()
    frame.get_by_label("Yes", exact=True).check()
    frame.get_by_role("button", name="Continue").click()
    expect(frame.locator("legend h1")).to_contain_text("What stops you taking part?")  # the session held
    embedded = next(f for f in page.frames if "embed=1" in f.url)
    assert embedded.locator("body.embed").count() == 1
    assert_accessible(page, "survey embedded in another site")
    refused = page.frames[-1] if "embed=1" not in page.frames[-1].url else page.frames[-2]
    assert refused.locator("section.language-block").count() == 0  # frame-ancestors 'none' elsewhere


@pytest.mark.parametrize("language", ["en", "cy", "gd"])
def test_every_page_type_is_accessible(context, server, language):
    """axe-core on every kind of page in this language: start, each kind of question, an error,
    save, check your answers, confirmation, withdrawing, and a form whose session has ended."""
    buttons = {"en": "Continue", "cy": "Parhau", "gd": "Lean air adhart"}
    page = context.new_page()
    page.goto(f"{server['url']}/s/local-voice?lang={language}")
    check(page, "start page", language)
    page.locator(f"section[lang={language}] button").click()

    def next_page() -> None:
        page.get_by_role("button", name=buttons[language], exact=True).click()
        page.wait_for_load_state()

    check(page, "radios", language)
    page.locator("input[value=yes]").check()
    next_page()
    check(page, "checkboxes", language)
    page.locator("input[value=time]").check()
    next_page()
    next_page()  # the whole number left empty: an error
    check(page, "error", language)
    page.locator("#age").fill("50")
    next_page()
    check(page, "decimal", language)
    page.locator("#hours").fill("1.5")
    next_page()
    check(page, "date", language)
    page.locator("#contacted-day").fill("1")
    page.locator("#contacted-month").fill("2")
    page.locator("#contacted-year").fill("2025")
    next_page()
    check(page, "text", language)
    page.locator("button[value=save]").click()
    check(page, "saved", language)
    page.locator("a.button").click()
    page.locator("#comment").fill("—")
    next_page()
    check(page, "check your answers", language)
    page.locator("form button").click()
    check(page, "confirmation", language)
    withdraw_link = page.locator("a[href*='/r/']").get_attribute("href")
    page.goto(withdraw_link)
    check(page, "withdraw", language)
    page.locator("form button.button--warning").click()
    page.wait_for_load_state()
    check(page, "withdrawn", language)
    page.goto(f"{server['url']}/s/local-voice")
    page.locator(f"section[lang={language}] button").click()
    context.clear_cookies()
    page.locator("input[value=no]").check()
    next_page()
    assert page.locator("h1").count() == 1
    check(page, "session ended", language)
