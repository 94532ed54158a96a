"""The paper channel of rightsaware (distribution `rightsaware-paper`)."""

__version__ = "0.1.0"
