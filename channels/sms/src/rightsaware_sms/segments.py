"""SMS text preparation, encoding detection and segment counting (GSM 03.38 vs UCS-2).

* :func:`prepare` makes an outbound body: NFC, then our own small table of typographic
  punctuation and odd spaces (curly quotes, dashes, ellipsis, no-break spaces, zero-width
  characters). Letters and combining marks are never removed or changed: ``tân`` (fire)
  must not become ``tan`` (until), ``bàs`` (death) not ``bas`` (palm). Twilio's Smart
  Encoding is switched off (``SmartEncoded=false``) so what we count is what is sent.
* :func:`measure` decides the encoding exactly as a handset does: GSM-7 when every
  character is in the default alphabet or its extension table (extension characters cost
  two septets), otherwise UCS-2 (UTF-16 code units; a character outside the BMP costs two).
  One message holds 160 septets / 70 units; concatenated segments hold 153 / 67, and an
  escape pair or surrogate pair is never split across two segments.
"""

from __future__ import annotations

import unicodedata

from attrs import frozen

#: GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1), one septet each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table (ESC + one septet): two septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
CONCATENATED = {GSM7: 153, UCS2: 67}
#: Twilio refuses longer bodies (error 21617).
MAX_BODY_CHARACTERS = 1600

#: Our typographic table: only punctuation and spacing, never a letter or a combining mark.
PUNCTUATION = {
    "\u2018": "'",  # ‘ left single quotation mark
    "\u2019": "'",  # ’ right single quotation mark (the usual "smart" apostrophe)
    "\u201a": "'",  # ‚ single low-9 quotation mark
    "\u201b": "'",  # ‛ single high-reversed-9 quotation mark
    "\u2032": "'",  # ′ prime
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″ double prime
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2012": "-",  # ‒ figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # ― horizontal bar
    "\u2212": "-",  # − minus sign
    "\u2026": "...",  # … ellipsis
    "\u2022": "-",  # • bullet
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",  # medium mathematical space
    "\u3000": " ",  # ideographic space
    **{chr(code): " " for code in range(0x2000, 0x200B)},  # en quad … hair space
    "\u200b": "",  # zero-width space
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero-width no-break space / byte order mark
}
_TABLE = str.maketrans(PUNCTUATION)


def prepare(text: str) -> str:
    """The body to send: NFC, our punctuation table, line ends as ``\\n``, ends trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").translate(_TABLE)
    lines = [line.rstrip(" ") for line in text.split("\n")]
    return "\n".join(lines).strip()


def is_gsm7(char: str) -> bool:
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def _units(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


@frozen
class Measure:
    """How a body travels: encoding, characters (code points), units and segments.

    ``units`` are septets for GSM-7 and UTF-16 code units for UCS-2; ``forcing`` lists
    the characters (in order of appearance, once each) that make the body UCS-2.
    """

    encoding: str
    characters: int
    units: int
    segments: int
    forcing: tuple[str, ...] = ()

    @property
    def per_segment(self) -> int:
        return SINGLE[self.encoding] if self.segments <= 1 else CONCATENATED[self.encoding]


def encoding_of(text: str) -> str:
    return GSM7 if all(is_gsm7(c) for c in text) else UCS2


def forcing_characters(text: str) -> tuple[str, ...]:
    """The characters outside GSM-7, once each, in the order they first appear."""
    return tuple(dict.fromkeys(c for c in text if not is_gsm7(c)))


def measure(text: str) -> Measure:
    """Encoding, units and segment count of ``text`` exactly as sent (call :func:`prepare` first)."""
    forcing = forcing_characters(text)
    encoding = UCS2 if forcing else GSM7
    units = [_units(c, encoding) for c in text]
    total = sum(units)
    if total == 0:
        segments = 0
    elif total <= SINGLE[encoding]:
        segments = 1
    else:
        segments = _split_count(units, CONCATENATED[encoding])
    return Measure(encoding, len(text), total, segments, forcing)


def _split_count(units: list[int], capacity: int) -> int:
    """Segments needed when characters of ``units`` size are packed greedily, none split."""
    segments, used = 1, 0
    for size in units:
        if used + size > capacity:
            segments += 1
            used = 0
        used += size
    return segments


def split(text: str) -> list[str]:
    """The parts a handset receives (for display in the simulator and the cost report)."""
    encoding = encoding_of(text)
    sizes = [_units(c, encoding) for c in text]
    if sum(sizes) <= SINGLE[encoding]:
        return [text] if text else []
    capacity = CONCATENATED[encoding]
    parts, current, used = [], [], 0
    for char, size in zip(text, sizes):
        if used + size > capacity:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    return parts


def letters_of(text: str) -> list[str]:
    """Letters, digits and combining marks of the NFC text: what :func:`prepare` must keep."""
    return [c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c)[0] in "LMN"]
