"""No personal data in logs, error pages or tracebacks: the core's own flows, end to end.

The channels' part (a full SMS, web and paper run scanned the same way) lives in each
channel's tests and uses the same helpers: :func:`rightsaware.logsafety.capture` and
:func:`rightsaware.logsafety.find_personal_data`.
"""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rightsaware import logsafety
from rightsaware.cli import Context, build_cli
from rightsaware.interview import Interviewer

PHONE = "+447700900123"
NAME = "Siân Prydderch"
PASSWORD = "llwybr tarw glas 42"


def test_core_flows_log_no_personal_data(rightsaware_runtime, tmp_path, monkeypatch) -> None:
    runtime = rightsaware_runtime
    monkeypatch.setattr("rightsaware.cli.ui_language", lambda: "en")
    group = build_cli(runtime)
    outputs: list[str] = []

    def run(*args: str, text: str | None = None, keep: bool = True) -> str:
        result = CliRunner().invoke(group, list(args), input=text, obj=Context(runtime, "en"))
        assert result.exit_code == 0, result.output
        if keep:
            outputs.append(result.output)
        return result.output

    with logsafety.capture() as captured:
        store = runtime.store
        rid = store.ensure_respondent("sms", PHONE, language="cy")
        interviewer = Interviewer(runtime)
        turn = interviewer.start("sample", channel="fake", respondent_id=rid)
        for reply in ("1", "70", "2", f"Fy enw i yw {NAME}, ffoniwch 07700 900123"):
            turn = interviewer.reply(turn.response.id, reply, channel="fake")
        assert turn.completed
        store.add_referral(turn.response.id, "copronet-wales", "advice", channel="sms", language="cy",
                           share_contact=True)
        # the terminal interview echoes answers to the person's own screen: its output is not a log
        run("take", "sample", text=f"1\n40\n3\n{NAME}\n", keep=False)
        run("users", "add", "admin", "--role", "admin", "--password-stdin", text=PASSWORD + "\n")
        run("referrals", "export", "--organisation", "copronet-wales", "--out", str(tmp_path / "referrals.csv"))
        run("respondents", "export", "--phone", "-", "--out", str(tmp_path / "sar.json"), text=PHONE + "\n")
        assert PHONE in (tmp_path / "sar.json").read_text(encoding="utf-8")  # the export itself does hold it
        run("respondents", "withdraw", "--respondent", rid)
        run("audit", "list")
        run("purge", "--dry-run")
        run("respondents", "erase", "--phone", PHONE, "--yes")
        run("purge")

    assert not (tmp_path / "sar.json").exists()  # erasure deleted the export that named the person
    assert "SQL parameters hidden" in captured.text or "INSERT INTO" in captured.text  # SQL was logged
    secret = runtime.settings.secret_key
    found = logsafety.find_personal_data([captured.text, *outputs], [PHONE, NAME, PASSWORD, secret])
    assert found == []


def test_find_personal_data_sees_every_form_of_a_number() -> None:
    for text in ("+447700900123", "call 07700 900123", "447700900123", "07700900123", "SIÂN PRYDDERCH"):
        assert logsafety.find_personal_data([text], [PHONE, NAME]), text
    assert logsafety.find_personal_data(["respondent 3f2a…, 2 responses"], [PHONE, NAME]) == []


def test_redacting_filter_is_a_second_line_of_defence(caplog) -> None:
    logger = logging.getLogger("rightsaware.test.redaction")
    stream = logsafety.Captured()
    handler = logging.StreamHandler(stream.stream)
    logger.addHandler(handler)
    redacting = logsafety.install(logger)
    assert logsafety.install(logger) is redacting  # installing twice adds nothing
    try:
        logger.warning("sending to %s and %s", PHONE, "siân@example.org")
        try:
            raise ValueError(f"bad number 07700 900123 for {PHONE}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert logsafety.find_personal_data([stream.text], [PHONE, "siân@example.org"]) == []
    assert stream.text.count("[redacted]") >= 4 and "ValueError" in stream.text


def failing(request):
    raise RuntimeError(f"could not text {PHONE} about {NAME}")


@pytest.mark.parametrize("debug", ["", "1"])
def test_error_pages_and_tracebacks_leak_nothing(monkeypatch, debug: str) -> None:
    monkeypatch.setenv("RIGHTSAWARE_DEBUG", debug)
    app = Starlette(routes=[Route("/boom", failing)], middleware=[Middleware(logsafety.SafeErrors)])
    with logsafety.capture() as captured:
        response = TestClient(app, raise_server_exceptions=True).get("/boom?phone=07700900123")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "Aeth rhywbeth o'i le" in response.text
    reference = response.text.rsplit(": ", 1)[1].strip()
    assert f"reference {reference}" in captured.text and "RuntimeError" in captured.text
    assert (f"traceback of {reference}" in captured.text) == bool(debug)
    server_log = "\n".join(line for line in captured.text.splitlines() if " httpx " not in line)  # not the client's
    assert logsafety.find_personal_data([server_log, response.text], [PHONE, NAME]) == []
