"""Contract: the real ``twilio`` SDK, as the channel uses it, against a Prism mock of Twilio's OpenAPI.

Prism validates every request against ``twilio_api_v2010.json`` (path, auth, required and
typed fields, enums) and answers with the document's examples. It is stateless and knows no
Twilio error codes: behaviour is tested against the in-process fake instead.

Prism comes from npm (``npm ci --prefix channels/sms/prism``); the spec is found through
``RIGHTSAWARE_TWILIO_SPEC`` or in ``shared/twilio/`` beside or above the repository.
Without them these tests skip (and fail under ``RIGHTSAWARE_REQUIRE_ALL=1``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from rightsaware.errors import ConfigError
from rightsaware.testing import ChannelContract, require_or_skip
from rightsaware_sms.channel import SmsChannel
from rightsaware_sms.gateway import ConsoleGateway, RedirectingHttpClient, TwilioGateway

HERE = Path(__file__).resolve()
ACCOUNT = "AC" + "a" * 32
SERVICE = "MG" + "b" * 32
SPEC_NAME = Path("shared") / "twilio" / "twilio_api_v2010.json"


def find_spec() -> Path | None:
    configured = os.environ.get("RIGHTSAWARE_TWILIO_SPEC")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    for folder in HERE.parents:
        if (folder / SPEC_NAME).is_file():
            return folder / SPEC_NAME
    return None


def find_prism() -> Path | None:
    local = HERE.parents[1] / "prism" / "node_modules" / ".bin" / "prism"
    if local.exists():
        return local
    found = shutil.which("prism")
    return Path(found) if found else None


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory):
    spec, prism = find_spec(), find_prism()
    require_or_skip(spec is not None, "Twilio's OpenAPI description (shared/twilio/twilio_api_v2010.json)")
    require_or_skip(prism is not None and shutil.which("node") is not None,
                    "Stoplight Prism (npm ci --prefix channels/sms/prism)")
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(prism), "mock", "-h", "127.0.0.1", "-p", "0", str(spec)],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Prism is listening on (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
            url = found.group(1) if found else None
            time.sleep(0.1)
        if url is None:
            pytest.fail("Prism did not start:\n" + log.read_text(errors="replace")[-2000:])
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def gateway(url: str, **options) -> TwilioGateway:
    options.setdefault("from_number", "+447700900001")
    return TwilioGateway(account_sid=ACCOUNT, auth_token="prism-does-not-check-the-token",
                         http_client=RedirectingHttpClient(url), **options)


def test_send_is_schema_valid_with_welsh_text(prism_url):
    sender = gateway(prism_url)
    body = "Ydych chi'n byw mewn tŷ â gardd? 1) Ydw 2) Nac ydw"
    result = sender.send("+447700900123", body, status_callback="https://survey.example.org/sms/status",
                         validity_period=14400)
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.sid)
    assert result.status in ("queued", "accepted")
    request = sender.http_client._test_only_last_request
    assert request.method == "POST" and request.url.startswith(prism_url + "/2010-04-01/Accounts/")
    assert request.data["Body"] == body and request.data["SmartEncoded"] == "false"
    assert request.data["From"] == "+447700900001" and request.data["ValidityPeriod"] == 14400
    assert request.auth == (ACCOUNT, "prism-does-not-check-the-token")
    assert sender.http_client._test_only_last_response.status_code == 201


def test_messaging_service_send_and_reconciliation_list_are_schema_valid(prism_url):
    sender = gateway(prism_url, from_number=None, messaging_service_sid=SERVICE)
    assert sender.send("+447700900123", "Gàidhlig? Freagair: Gàidhlig.").sid.startswith("SM")
    import datetime as dt

    found = sender.find_sent("+447700900123", "a body no example has", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert found == []
    assert sender.http_client._test_only_last_response.status_code == 200


def test_prism_really_validates(prism_url):
    """A request that breaks the schema is refused, so the tests above can fail."""
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    client = Client(ACCOUNT, "token", http_client=RedirectingHttpClient(prism_url), environment={})
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to="+447700900123", from_="+447700900001", body="x", validity_period="soon")
    assert refused.value.status == 422
    with pytest.raises(TwilioRestException):
        client.messages.create(to="+447700900123", from_="+447700900001", body="x", content_retention="forever")


def test_the_worker_sends_through_prism(prism_url, sms_runtime, sms_channel, service):
    sms_channel.use_gateway(gateway(prism_url))
    respondent = sms_runtime.store.ensure_respondent("sms", "+447700900123")
    service.conversations.start(respondent, "sample", "cy", key="prism")
    service.send_now(respondent)
    (item,) = sms_runtime.store.outbox_items("sms")
    assert item.status == "sent" and item.provider_id.startswith("SM")


def test_conditional_rule_prism_does_not_check():
    with pytest.raises(ConfigError, match="RIGHTSAWARE_SMS_FROM"):
        TwilioGateway(account_sid=ACCOUNT, auth_token="t")
    with pytest.raises(ConfigError, match="not a name"):
        TwilioGateway(account_sid=ACCOUNT, auth_token="t", from_number="RightsAware")


class TestSmsChannelContract(ChannelContract):
    @pytest.fixture
    def channel(self):
        return SmsChannel(gateway=ConsoleGateway())
