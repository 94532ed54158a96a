"""Hook implementations of the web channel (entry point `web` in group `rightsaware`)."""

from __future__ import annotations
