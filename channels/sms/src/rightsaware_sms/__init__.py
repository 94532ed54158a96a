"""The sms channel of rightsaware (distribution `rightsaware-sms`)."""

from __future__ import annotations

__version__ = "0.1.0"
