"""The sms channel of rightsaware (distribution `rightsaware-sms`)."""

__version__ = "0.1.0"
