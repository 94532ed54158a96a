"""Hook implementations of the sms channel (entry point `sms` in group `rightsaware`)."""

from __future__ import annotations
