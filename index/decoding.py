"""Turning the bytes of a text file into text, or saying why they are not text.

The policy, in order:

1. A UTF-16 byte-order mark: UTF-16 (what Windows Notepad calls "Unicode").
2. A NUL byte anywhere, or more than 5% (and more than 8) control bytes in the first 8 KB:
   binary, skipped. (A DOS file's final Ctrl-Z, a stray bell, stay text.)
3. Valid UTF-8 (a leading BOM is dropped): UTF-8.
4. Anything else: Windows-1252 (cp1252) as web browsers decode it (the WHATWG
   "windows-1252" encoding). It never fails: the five bytes cp1252 leaves undefined
   (0x81 0x8D 0x8F 0x90 0x9D) become the control characters U+0081... as in latin-1,
   so Latin-1 and Windows files both read right, one character per byte.

The text returned is what the index stores and the viewer shows: offsets point into it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

UTF8 = "utf-8"
UTF16 = "utf-16"
CP1252 = "cp1252"

_SNIFF = 8192
_CONTROL_SHARE = 0.05
_CONTROL_MIN = 8
# Control bytes that text does not contain (tab, newline, form feed, CR and escape do).
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_UNDEFINED_IN_CP1252 = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# latin-1 text -> cp1252 text: only 0x80-0x9F differ.
_CP1252_HIGH = str.maketrans({
    chr(b): bytes([b]).decode(CP1252) for b in range(0x80, 0xA0) if b not in _UNDEFINED_IN_CP1252
})


class NotText(ValueError):
    """The bytes are not text (a binary file); the message is the reason."""


@dataclass(frozen=True)
class Decoded:
    """Text and the encoding it was decoded from (`UTF8`, `UTF16` or `CP1252`)."""

    text: str
    encoding: str


def looks_binary(data: bytes) -> bool:
    """True for bytes holding a NUL, or too many control bytes near the start.

    >>> looks_binary(b"plain text\\n"), looks_binary(b"PK\\x03\\x04\\x00\\x00")
    (False, True)
    """
    if b"\x00" in data:
        return True
    head = data[:_SNIFF]
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return controls > max(_CONTROL_MIN, _CONTROL_SHARE * len(head))


def cp1252(data: bytes) -> str:
    """Windows-1252 as browsers decode it: never fails, one character per byte.

    >>> cp1252(b"caf\\xe9 \\x80 \\x81")
    'café € \\x81'
    """
    return data.decode("latin-1").translate(_CP1252_HIGH)


def decode(data: bytes) -> Decoded:
    """Decode file bytes by the policy of this module.

    Raises:
        NotText: the bytes look binary.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode(UTF16)
        except UnicodeDecodeError:
            text = "\x00"  # not UTF-16 after all: judged as bytes below
        if "\x00" not in text:
            return Decoded(text, UTF16)
    if looks_binary(data):
        raise NotText("binary file (NUL or control bytes), not text")
    try:
        return Decoded(data.decode("utf-8-sig"), UTF8)
    except UnicodeDecodeError:
        return Decoded(cp1252(data), CP1252)
