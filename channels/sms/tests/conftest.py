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
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://internal:8000") as test_client:
        yield test_client


def signed(form: dict[str, str], path: str, *, token: str | None = None, url: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``client.post`` with Twilio's signature over the public URL."""
    from rightsaware_sms.fake_twilio import TOKEN
    from rightsaware_sms.gateway import compute_signature

    signature = compute_signature(token or TOKEN, url or PUBLIC_URL + path, form)
    return {"data": form, "headers": {"X-Twilio-Signature": signature}}


def inbound_form(sender: str, body: str, sid: str, **extra: str) -> dict[str, str]:
    form = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "0" * 31 + "1",
            "From": sender, "To": "+447700900001", "Body": body, "NumMedia": "0", "NumSegments": "1",
            "SmsStatus": "received", "ApiVersion": "2010-04-01", "FromCity": "", "FromCountry": "GB"}
    form.update(extra)
    return form
