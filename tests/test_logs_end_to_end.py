"""No personal data in any log, end to end: SMS, web, paper, sign-in, export and erasure together.

One person (a phone number and a name) takes part through every installed channel while
every logger records at DEBUG (a root handler, pytest's ``caplog`` and SQLAlchemy's SQL
log); then staff sign in, export what is held about the person and erase it. Neither the
number, in any of its usual forms, nor the name may appear in any log record. A second test
does the same through the standard error of a real ``rightsaware serve``.

The channels are optional plugins: a missing one skips these tests, except under
``RIGHTSAWARE_REQUIRE_ALL=1`` (CI), where it fails them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import attrs
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from rightsaware import logsafety
from rightsaware.auth import Users
from rightsaware.testing import require_or_skip

with warnings.catch_warnings():  # Starlette would like httpx2 for its test client; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PHONE = "+447700900123"
NAME = "Siân Ifans"
PUBLIC_URL = "https://survey.example.org"
PASSWORD = "llwybr tarw glas 42"
CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
#: What must never be logged: the number (every form of it, see logsafety.variants) and the name.
PERSONAL = [PHONE, "07700 900123", "7700900123", NAME]
CHANNELS = {"rightsaware_sms": "the SMS channel (rightsaware-sms)",
            "rightsaware_web": "the web channel (rightsaware-web)",
            "rightsaware_paper": "the paper channel (rightsaware-paper)"}


def require_channels() -> None:
    for module, what in CHANNELS.items():
        require_or_skip(importlib.util.find_spec(module) is not None, what)


@contextlib.contextmanager
def every_logger_at_debug() -> Iterator[logsafety.Captured]:
    """Like :func:`logsafety.capture`, and also lowers every existing logger to DEBUG and
    hears the loggers that do not propagate to the root."""
    with logsafety.capture() as captured:
        handler = next(h for h in logging.getLogger().handlers
                       if isinstance(h, logging.StreamHandler) and h.stream is captured.stream)
        changed: list[tuple[logging.Logger, int, bool]] = []
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger):
                changed.append((logger, logger.level, logger.disabled))
                logger.setLevel(logging.DEBUG)
                logger.disabled = False
                if not logger.propagate:
                    logger.addHandler(handler)
        try:
            yield captured
        finally:
            for logger, level, disabled in changed:
                logger.setLevel(level)
                logger.disabled = disabled
                if handler in logger.handlers:
                    logger.removeHandler(handler)


def leaks(texts: list[str]) -> list[str]:
    """The lines of ``texts`` that hold the person's number or name, to say where a leak is."""
    forms = set().union(*(logsafety.variants(value) for value in PERSONAL))
    return [line[:300] for chunk in texts for line in chunk.splitlines()
            if any(form in line.casefold() for form in forms)]


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name!r} in the page"
    return match.group(1)


@pytest.fixture
def everything(rightsaware_settings, sample_instrument, sample_instrument_path, monkeypatch):
    """A runtime with the SMS (fake Twilio), web and paper plugins, the sample instrument and an admin."""
    require_channels()
    import rightsaware_paper.plugin as paper_plugin
    import rightsaware_sms.plugin as sms_plugin
    import rightsaware_web.plugin as web_plugin
    from rightsaware_sms.config import load_sms_settings
    from rightsaware_sms.fake_twilio import FakeTwilio

    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime

    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("rightsaware.cli.ui_language", lambda: "en")
    pm = make_plugin_manager(entrypoints=False)
    pm.register(sms_plugin, name="sms")
    pm.register(web_plugin, name="web")
    pm.register(paper_plugin, name="paper")
    runtime = Runtime(attrs.evolve(rightsaware_settings, public_url=PUBLIC_URL), plugin_manager=pm)
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    fake = FakeTwilio()
    sms = runtime.channels.get("sms")
    sms.settings = attrs.evolve(load_sms_settings({}), account_sid=fake.account_sid, auth_token=fake.auth_token,
                                from_number="+447700900001", quiet_hours=None)
    sms.use_gateway(fake.gateway())
    runtime._auth_users = Users(runtime.store, hasher=CHEAP)
    runtime._auth_users.add("admin", PASSWORD, "admin")
    yield runtime, fake
    for service in list(sms._services.values()):  # let the pump finish before the store closes
        if service.pump is not None:
            service.pump.wait_idle(10)
    runtime.close()


def sms_conversation(runtime: Any, fake: Any, client: TestClient) -> str:
    """Invite the person by text and answer through the signed webhook; their respondent id."""
    from rightsaware_sms.fake_twilio import inbound_form, signed_post

    service = runtime.channels.get("sms").service(runtime)
    respondent = runtime.store.ensure_respondent("sms", PHONE)
    service.conversations.start(respondent, "sample", "cy", key=f"test-invite:{respondent}")
    service.send_now(respondent)
    replies = ["1", "deg ar hugain", "30", "1 3", f"{NAME} ydw i, ffoniwch fi ar 07700 900123"]
    for number, body in enumerate(replies, start=1):
        form = inbound_form(PHONE, body, f"SM{number:032x}")
        answer = client.post("/sms/inbound", **signed_post(form, PUBLIC_URL + "/sms/inbound"))
        assert answer.status_code == 200
        assert service.pump.wait_idle(30)
    forged = client.post("/sms/inbound", data=inbound_form(PHONE, "STOP", "SM" + "f" * 32))
    assert forged.status_code == 403  # a refused webhook is logged too: still without the number
    assert len(fake.bodies_to(PHONE)) >= len(replies), "the person was sent the questions"
    assert runtime.store.active_response(respondent, channel="sms") is None  # finished
    return respondent


def web_response(runtime: Any, client: TestClient, respondent: str) -> None:
    """Open the person's personal link, then answer every page of the public survey in the browser."""
    from rightsaware_web import make_personal_link

    link = make_personal_link(runtime, "sample", respondent, base_url="https://testserver")
    opened = client.get(link.removeprefix("https://testserver"))
    assert opened.status_code == 200 and "csrf_token" not in opened.text  # they already answered by text
    page = client.get("/s/sample")  # so they answer again on the public page, naming themselves
    page = client.post(str(page.url), data={"csrf_token": field(page.text, "csrf_token"),
                                            "nonce": field(page.text, "nonce"), "language": "en"})
    answers = {"heard": "yes", "age": "41", "barriers": "transport", "comment": f"I am {NAME}: text 07700900123"}
    for _ in range(8):
        match = re.search(r"/s/sample/q/(\w+)", str(page.url))
        if not match:
            break
        name = match.group(1)
        data = {"csrf_token": field(page.text, "csrf_token"), "form_id": field(page.text, "form_id"),
                "action": "continue", "answer": answers.get(name, "")}
        page = client.post(f"/s/sample/q/{name}", data=data, params=dict(page.url.params))
        assert page.status_code in (200, 303), page.text
    if "/check" in str(page.url):
        page = client.post("/s/sample/check", data={"csrf_token": field(page.text, "csrf_token")})
    assert page.status_code == 200


def paper_scan(runtime: Any, folder: Path) -> None:
    """Print a sheet, fill it in (the name and number in the comment box), scan it, transcribe it."""
    import numpy as np
    from PIL import Image
    from rightsaware_paper import synthetic
    from rightsaware_paper.review import ReviewQueue
    from rightsaware_paper.scanning import Scanner
    from rightsaware_paper.service import PaperService

    service = PaperService(runtime)
    printed = service.print_forms("sample", "cy+en", copies=1)
    page = synthetic.rasterise(printed.pdf, 200)[0].copy()
    layout = printed.layout.page(1)
    synthetic.mark_choices(page, layout, 200, {"heard": "yes", "barriers": ("time",)}, np.random.default_rng(7),
                           "filled")
    synthetic.write_text(page, layout, 200, "age", "52")
    synthetic.write_text(page, layout, 200, "comment", f"{NAME} 07700 900123")
    path = folder / "scan-001.png"
    Image.fromarray(page).save(path)
    report = Scanner(service).scan([path], "test batch")
    assert [record.state for record in report.records] != ["rejected"]
    queue = ReviewQueue(service)
    for item in queue.items():
        value = {"age": "52", "comment": f"{NAME}, 07700 900123"}.get(item.question or "")
        if value is not None:
            queue.decide(item.id, "choose", value, who="reviewer")


def sign_in(client: TestClient) -> None:
    for password, expected in (("not the password", 400), (PASSWORD, 303)):
        page = client.get("/login")
        signed = client.post("/login", data={"csrf_token": field(page.text, "csrf_token"), "username": "admin",
                                             "password": password, "next": "/"}, follow_redirects=False)
        assert signed.status_code == expected


def test_a_person_on_every_channel_leaves_no_trace_in_the_logs(everything, tmp_path, caplog) -> None:
    from rightsaware.cli import Context, build_cli
    from rightsaware.server import make_app

    runtime, fake = everything
    outputs: list[str] = []

    def run(*args: str, text: str | None = None) -> None:
        result = CliRunner().invoke(build_cli(runtime), list(args), input=text, obj=Context(runtime, "en"))
        assert result.exit_code == 0, result.output
        outputs.append(result.output)

    caplog.set_level(logging.DEBUG)
    with every_logger_at_debug() as captured:
        with TestClient(make_app(runtime), base_url="https://testserver") as client:
            respondent = sms_conversation(runtime, fake, client)
            web_response(runtime, client, respondent)
            paper_scan(runtime, tmp_path)
            with runtime.store.engine.connect() as connection:
                comments = dict(connection.execute(text(
                    "SELECT channel, value_text FROM answers WHERE question = 'comment'")).all())
            assert {channel: NAME in value for channel, value in comments.items()} == {
                "sms": True, "web": True, "paper": True}, "the name was given on every channel"
            sign_in(client)
            assert client.get("/results").status_code in (200, 404)
        run("respondents", "export", "--phone", "-", "--out", str(tmp_path / "person.json"), text=PHONE + "\n")
        assert NAME in (tmp_path / "person.json").read_text(encoding="utf-8")  # the export itself holds it
        run("respondents", "erase", "--phone", "-", "--yes", text="07700 900123\n")
        run("purge")

    records = [f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    lines = captured.text
    assert len(records) > 20 and "INSERT INTO" in captured.text  # the logs were really listened to
    assert any(r.name.startswith("rightsaware") for r in caplog.records) or "rightsaware" in captured.text
    assert logsafety.find_personal_data([lines, *records], PERSONAL) == [], leaks([lines, *records])
    assert logsafety.find_personal_data(outputs, PERSONAL) == [], leaks(outputs)  # nor what the commands printed
    assert not (tmp_path / "person.json").exists()  # erasure deleted the export that named the person


def test_sql_result_rows_are_not_logged(rightsaware_runtime) -> None:
    from rightsaware.interview import Interviewer

    interviewer = Interviewer(rightsaware_runtime)
    with every_logger_at_debug() as captured:
        turn = interviewer.start("sample", channel="fake")
        for reply in ("1", "70", "2", f"{NAME}, 07700 900123"):
            turn = interviewer.reply(turn.response.id, reply, channel="fake")
        with rightsaware_runtime.store.engine.connect() as connection:
            connection.execute(text("SELECT value_text FROM answers")).all()
    assert turn.completed and "SELECT" in captured.text
    assert logsafety.find_personal_data([captured.text], PERSONAL) == [], leaks([captured.text])


# --- a real server --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: ``rightsaware serve`` with every logger at DEBUG on stderr. The redacting filter that serve
#: installs is switched off: it is a second line of defence, and this test checks the first.
SERVE = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
import rightsaware.logsafety
rightsaware.logsafety.install = lambda logger=None: None
from rightsaware.cli import main
main(["serve", "--host", "127.0.0.1", "--port", "{port}"])
"""


def test_a_real_server_writes_no_personal_data_to_stderr(tmp_path) -> None:
    """``rightsaware serve`` with every channel installed: a signed text, a web page and a sign-in."""
    require_channels()
    import httpx
    from rightsaware_sms.fake_twilio import inbound_form, signed_post

    port = free_port()
    token = "e2e-auth-token-0123456789abcdef"
    public = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"),
           "RIGHTSAWARE_SECRET_KEY": "end-to-end-secret-not-for-production", "RIGHTSAWARE_PUBLIC_URL": public,
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": token,
           "RIGHTSAWARE_SMS_FROM": "+447700900001",
           "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(port=port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=public, timeout=10) as http:
            for _ in range(300):
                if server.poll() is not None:
                    pytest.fail("rightsaware serve stopped: " + server.stderr.read()[-2000:])
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("rightsaware serve did not answer within 30 seconds")
            form = inbound_form(PHONE, f"{NAME} 07700 900123", "SM" + "1" * 32)
            texted = http.post("/sms/inbound", **signed_post(form, public + "/sms/inbound", token=token))
            assert texted.status_code == 200
            forged = http.post("/sms/inbound", data=inbound_form(PHONE, NAME, "SM" + "2" * 32))
            assert forged.status_code == 403
            assert http.get("/s").status_code == 200
            page = http.get("/login")
            refused = http.post("/login", data={"csrf_token": field(page.text, "csrf_token"), "username": NAME,
                                                "password": PHONE})
            assert refused.status_code == 400
    finally:
        server.terminate()
        try:
            out, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    assert "INSERT INTO" in err and "DEBUG" in err  # every logger was heard on stderr
    assert logsafety.find_personal_data([err, out], PERSONAL) == [], leaks([err, out])
