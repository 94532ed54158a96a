"""Uploaded workbooks are size-limited and parsed defensively: real zip bombs are refused quickly.

(Scans and contact lists are the paper and SMS channels' uploads; see docs/security.md for
their tests.)
"""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from rightsaware.errors import RightsawareError
from rightsaware.xlsform import import_xlsform
from rightsaware.xlsform_sheets import MAX_UNPACKED

CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def bomb(member_size: int) -> bytes:
    """A small zip that unpacks to ``member_size`` bytes of one repeated character."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"<" * (1 << 20)
            for _ in range(member_size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    data = bomb(MAX_UNPACKED + (8 << 20))
    assert len(data) < 2_000_000  # about 200 MB inside a small file
    started = time.monotonic()
    with pytest.raises(RightsawareError, match="unpacks to more than"):
        import_xlsform(data, instrument_id="bomb")
    assert time.monotonic() - started < 5  # refused from the directory, not by unpacking


def test_a_member_that_lies_about_its_size_is_refused_cleanly() -> None:
    data = bytearray(bomb(32 << 20))
    # claim a tiny uncompressed size in the central directory and the local header
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = data.find(signature, 0)
        while start != -1:
            name_length = struct.unpack_from("<H", data, start + (28 if signature == b"PK\x01\x02" else 26))[0]
            name = bytes(data[start + (46 if signature == b"PK\x01\x02" else 30):][:name_length])
            if name == b"xl/worksheets/sheet1.xml":
                struct.pack_into("<I", data, start + offset, 1000)
            start = data.find(signature, start + 4)
    with pytest.raises(RightsawareError) as caught:
        import_xlsform(bytes(data), instrument_id="liar")
    assert str(caught.value) and "Traceback" not in str(caught.value)
