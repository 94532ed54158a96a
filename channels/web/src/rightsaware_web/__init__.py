"""The web channel of rightsaware (distribution `rightsaware-web`)."""

__version__ = "0.1.0"
