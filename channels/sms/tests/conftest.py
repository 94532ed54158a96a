"""Fixtures of the SMS channel's tests: a runtime with the plugin, the fake Twilio, a signed client."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from rightsaware_sms.fake_twilio import FakeTwilio

PUBLIC_URL = "https://survey.example.org"


@pytest.fixture
def fake_twilio() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def sms_runtime(rightsaware_settings, sample_instrument, sample_instrument_path, fake_twilio, monkeypatch):
    """A runtime with the sms plugin, the sample instrument, and Twilio replaced by the fake."""
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime

    import rightsaware_sms.plugin as plugin
    from rightsaware_sms.config import load_sms_settings

    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    pm = make_plugin_manager(entrypoints=False)
    pm.register(plugin, name="sms")
    settings = attrs.evolve(rightsaware_settings, public_url=PUBLIC_URL)
    runtime = Runtime(settings, plugin_manager=pm)
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    channel = runtime.channels.get("sms")
    channel.settings = attrs.evolve(load_sms_settings({}), account_sid=fake_twilio.account_sid,
                                    auth_token=fake_twilio.auth_token, from_number="+447700900001",
                                    quiet_hours=None)
    channel.use_gateway(fake_twilio.gateway())
    yield runtime
    for service in list(channel._services.values()):  # let the pump finish before the store closes
        if service.pump is not None:
            service.pump.wait_idle(10)
    runtime.close()


@pytest.fixture
def sms_channel(sms_runtime):
    return sms_runtime.channels.get("sms")


@pytest.fixture
def app(sms_runtime):
    from rightsaware.server import make_app

    return make_app(sms_runtime)


@pytest.fixture
def client(app):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test_client = TestClient(app, base_url="http://internal:8000")
    with test_client:
        yield test_client


@pytest.fixture
def service(sms_runtime, sms_channel):
    """The runtime's SMS service: the one the app's routes and its pump use."""
    return sms_channel.service(sms_runtime)


@pytest.fixture
def invite(sms_runtime, service):
    """``invite(number, language)``: start the sample interview by text; returns the respondent id."""

    def start(number: str, language: str = "en", instrument: str = "sample") -> str:
        respondent_id = sms_runtime.store.ensure_respondent("sms", number)
        service.conversations.start(respondent_id, instrument, language, key=f"test-invite:{respondent_id}")
        service.send_now(respondent_id)
        return respondent_id

    return start


@pytest.fixture
def text(client, service):
    """``text(number, body, sid=None, **extra)``: post a signed inbound text, wait for the pump; the response."""
    import itertools

    from rightsaware_sms.fake_twilio import inbound_form, signed_post

    counter = itertools.count(1)

    def post(number: str, body: str, sid: str | None = None, **extra: str):
        sid = sid or f"SM{next(counter):032x}"
        response = client.post("/sms/inbound", **signed_post(inbound_form(number, body, sid, **extra),
                                                             PUBLIC_URL + "/sms/inbound"))
        assert service.pump.wait_idle(30)
        return response

    return post
