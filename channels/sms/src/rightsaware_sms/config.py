"""Settings of the SMS channel, read from environment variables (secrets never from files).

Twilio's own variables: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` (or ``TWILIO_API_KEY``
and ``TWILIO_API_SECRET``). Ours start with ``RIGHTSAWARE_SMS_``; see ``docs/sms.md`` for
the list. The public URL that Twilio calls (and that signatures are checked against) is
the core setting ``RIGHTSAWARE_PUBLIC_URL``. Without Twilio credentials the channel uses
the console gateway: nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import frozen

from rightsaware.errors import ConfigError

from .messages import _

PREFIX = "RIGHTSAWARE_SMS_"


@frozen(kw_only=True)
class QuietHours:
    """No campaign texts between ``start`` and ``end`` local time (may wrap past midnight)."""

    start: dt.time
    end: dt.time
    zone: ZoneInfo

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, moment: dt.datetime) -> dt.datetime:
        """The first moment at or after ``moment`` outside quiet hours (UTC)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        candidate = dt.datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if candidate <= local:
            candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), self.end, tzinfo=self.zone)
        return candidate.astimezone(dt.timezone.utc)


@frozen(kw_only=True)
class SmsSettings:
    account_sid: str = ""
    auth_token: str = ""
    api_key: str = ""
    api_secret: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    sender_name: str = ""  # shown at the start of invitations, e.g. "Cyngor Gwynedd"
    rate: float = 5.0  # messages per second
    quiet_hours: QuietHours | None = None
    reminder_after: dt.timedelta = dt.timedelta(hours=48)
    max_reminders: int = 1
    expire_after: dt.timedelta = dt.timedelta(days=14)
    validity_period: int = 4 * 3600  # seconds a text may wait in Twilio's queue
    lease_seconds: float = 30.0
    max_attempts: int = 8
    max_closing_segments: int = 4
    instrument: str = ""  # survey started when an unknown number texts in
    api_base_url: str = ""  # send Twilio requests to a local mock (Prism, a fake) instead

    @property
    def has_credentials(self) -> bool:
        return bool(self.account_sid and (self.auth_token or (self.api_key and self.api_secret)))


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = environ.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(_("{name} must be a number, not '{value}'.", name=PREFIX + name, value=raw[:30])) from None
    if not minimum <= value <= maximum:
        raise ConfigError(_("{name} must be between {minimum} and {maximum}.", name=PREFIX + name,
                             minimum=minimum, maximum=maximum))
    return value


def parse_quiet_hours(raw: str, zone_name: str) -> QuietHours | None:
    text = (raw or "").strip().lower()
    if text in ("off", "none", "no", "0"):
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text or "21:00-09:00")
    if not match:
        raise ConfigError(_("RIGHTSAWARE_SMS_QUIET_HOURS must look like 21:00-09:00 (or off), not '{value}'.",
                             value=raw[:30]))
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError:
        raise ConfigError(_("RIGHTSAWARE_SMS_QUIET_HOURS has a time that does not exist: '{value}'.",
                             value=raw[:30])) from None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(_("RIGHTSAWARE_SMS_TIMEZONE '{zone}' is not a known time zone (for example Europe/London).",
                             zone=zone_name[:40])) from None
    if start == end:
        return None
    return QuietHours(start=start, end=end, zone=zone)


def load_sms_settings(environ: Mapping[str, str] | None = None) -> SmsSettings:
    """The SMS settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    get = lambda name: env.get(PREFIX + name, "").strip()  # noqa: E731
    return SmsSettings(
        account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
        auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
        api_key=env.get("TWILIO_API_KEY", "").strip(),
        api_secret=env.get("TWILIO_API_SECRET", "").strip(),
        from_number=get("FROM"),
        messaging_service_sid=get("MESSAGING_SERVICE_SID"),
        sender_name=get("SENDER_NAME"),
        rate=_number(env, "RATE", 5.0, minimum=0.01, maximum=1000),
        quiet_hours=parse_quiet_hours(get("QUIET_HOURS"), get("TIMEZONE") or "Europe/London"),
        reminder_after=dt.timedelta(hours=_number(env, "REMINDER_AFTER_HOURS", 48, minimum=0.001, maximum=24 * 60)),
        max_reminders=int(_number(env, "MAX_REMINDERS", 1, minimum=0, maximum=5)),
        expire_after=dt.timedelta(days=_number(env, "EXPIRE_AFTER_DAYS", 14, minimum=0.0001, maximum=365)),
        validity_period=int(_number(env, "VALIDITY_PERIOD", 4 * 3600, minimum=60, maximum=36000)),
        lease_seconds=_number(env, "LEASE_SECONDS", 30, minimum=0.2, maximum=3600),
        max_attempts=int(_number(env, "MAX_ATTEMPTS", 8, minimum=1, maximum=50)),
        max_closing_segments=int(_number(env, "MAX_CLOSING_SEGMENTS", 4, minimum=1, maximum=10)),
        instrument=get("INSTRUMENT"),
        api_base_url=get("API_BASE_URL"),
    )
