"""Hook implementations of the paper channel (entry point `paper` in group `rightsaware`)."""

from __future__ import annotations
