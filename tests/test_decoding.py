"""Bytes to text: UTF-8, then UTF-16 by its mark, then Windows-1252; binary is refused."""

from __future__ import annotations

import codecs

import pytest

from index.decoding import CP1252, UTF8, UTF16, Decoded, NotText, cp1252, decode, looks_binary


def test_utf8_is_tried_first_and_its_bom_dropped() -> None:
    assert decode("Café crème".encode()) == Decoded("Café crème", UTF8)
    assert decode(codecs.BOM_UTF8 + "Été".encode()) == Decoded("Été", UTF8)


def test_invalid_utf8_falls_back_to_windows_1252() -> None:
    data = "L’été coûte 5 € – « déjà ».".encode(CP1252)
    assert decode(data) == Decoded("L’été coûte 5 € – « déjà ».", CP1252)


def test_the_five_bytes_cp1252_leaves_undefined_become_latin1_controls() -> None:
    data = b"a\x81b\x8dc\x8fd\x90e\x9df \xe9"
    with pytest.raises(UnicodeDecodeError):
        data.decode(CP1252)  # what plain cp1252 would do
    decoded = decode(data)
    assert decoded == Decoded("a\x81b\x8dc\x8fd\x90e\x9df é", CP1252)
    assert len(decoded.text) == len(data)  # one character per byte: offsets stay simple


def test_every_byte_decodes_in_the_fallback() -> None:
    every = bytes(range(0x20, 0x100))
    assert len(cp1252(every)) == len(every)
    assert cp1252(b"\x80\x9f\xa0\xff") == "€Ÿ\xa0ÿ"


def test_utf16_with_a_byte_order_mark() -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
        assert decode(bom + "Noël à Paris".encode(codec)) == Decoded("Noël à Paris", UTF16)


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image renamed .txt
    b"text at first" + b"\x00" * 3 + b"then binary",  # a NUL anywhere
    b"a" * 20000 + b"\x00",  # a NUL after the first 8 KB
    bytes([1, 2, 3, 4, 5, 6]) * 10 + b"mostly control bytes",
    codecs.BOM_UTF16_LE + b"\x00\x00\x00\x00",  # a UTF-16 mark on binary
])
def test_binary_data_is_not_text(data: bytes) -> None:
    assert looks_binary(data)
    with pytest.raises(NotText, match="binary file"):
        decode(data)


def test_text_with_a_few_control_characters_is_still_text() -> None:
    data = b"Titre\x0c\n" + b"Une ligne\ttab\x1b[0m.\r\n" * 50 + b"\x07"
    assert not looks_binary(data)
    assert decode(data).encoding == UTF8
    assert not looks_binary(b"")


@pytest.mark.parametrize("data", [b"\x1a", b"Bonjour.\r\n\x1a", b"Ding\x07 dong\x07."])
def test_a_few_control_bytes_in_a_short_file_are_still_text(data: bytes) -> None:
    assert decode(data) == Decoded(data.decode(), UTF8)
