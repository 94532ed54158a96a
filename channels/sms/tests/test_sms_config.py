"""SMS settings from the environment: defaults, parsing and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsaware.errors import ConfigError
from rightsaware_sms.channel import SmsChannel
from rightsaware_sms.config import load_sms_settings


def test_defaults_without_credentials_use_the_console():
    settings = load_sms_settings({})
    assert not settings.has_credentials
    assert settings.rate == 5 and settings.max_reminders == 1
    assert settings.reminder_after == dt.timedelta(hours=48) and settings.expire_after == dt.timedelta(days=14)
    assert settings.quiet_hours is not None and str(settings.quiet_hours.zone) == "Europe/London"
    channel = SmsChannel(settings)
    assert not channel.live and channel.gateway is channel.console


def test_values_are_read_and_checked():
    settings = load_sms_settings({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t",
                                  "RIGHTSAWARE_SMS_FROM": "+447700900001", "RIGHTSAWARE_SMS_RATE": "12.5",
                                  "RIGHTSAWARE_SMS_QUIET_HOURS": "off", "RIGHTSAWARE_SMS_MAX_REMINDERS": "0"})
    assert settings.has_credentials and settings.rate == 12.5 and settings.quiet_hours is None
    assert settings.max_reminders == 0
    assert SmsChannel(settings).live
    for name, value, words in [("RIGHTSAWARE_SMS_RATE", "fast", "must be a number"),
                               ("RIGHTSAWARE_SMS_RATE", "0", "between"),
                               ("RIGHTSAWARE_SMS_QUIET_HOURS", "25:00-07:00", "does not exist"),
                               ("RIGHTSAWARE_SMS_TIMEZONE", "Cymru/Caerdydd", "time zone")]:
        with pytest.raises(ConfigError, match=words):
            load_sms_settings({name: value})


def test_an_alphanumeric_sender_is_refused_when_the_gateway_is_made():
    settings = load_sms_settings({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t",
                                  "RIGHTSAWARE_SMS_FROM": "Cyngor"})
    with pytest.raises(ConfigError, match="people must be able to reply"):
        SmsChannel(settings).gateway
