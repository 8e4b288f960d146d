"""The compiled-regex cache: same pattern objects as `re.compile`, read back from disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa import regex_cache
from qa.regex_cache import MIN_CHARS, cached_compiles

pytestmark = pytest.mark.skipif(not regex_cache.SUPPORTED, reason="needs CPython 3.11")

LONG = "(?i)" + "|".join(f"mot{i}é+" for i in range(MIN_CHARS // 8))


def _fresh(pattern: str) -> re.Pattern[str]:
    re.purge()
    return re.compile(pattern)


def test_a_long_pattern_is_saved_then_read_back_identical(tmp_path: Path) -> None:
    reference = _fresh(LONG)
    with cached_compiles(tmp_path):
        first = _fresh(LONG)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".sre"
    with cached_compiles(tmp_path):
        second = _fresh(LONG)
    assert first == reference and second == reference  # equal program, flags and pattern
    assert regex_cache._read(files[0], LONG) == reference  # the second one came from disk
    assert second.match("MOT17ÉÉ") and not second.match("mot17 ")


def test_a_damaged_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    with cached_compiles(tmp_path):
        _fresh(LONG)
    path = next(tmp_path.iterdir())
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert regex_cache._read(path, LONG) is None
    with cached_compiles(tmp_path):
        again = _fresh(LONG)
    assert again == _fresh(LONG)
    assert regex_cache._read(path, LONG) == again


def test_short_patterns_and_the_outside_are_untouched(tmp_path: Path) -> None:
    original = re._compiler.compile  # type: ignore[attr-defined]
    with cached_compiles(tmp_path / "cache"):
        assert _fresh("a+b").match("aab")
    assert not (tmp_path / "cache").exists()
    assert re._compiler.compile is original  # type: ignore[attr-defined]


def test_an_unwritable_folder_still_compiles(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with cached_compiles(blocker / "cache"):
        assert _fresh(LONG) == _fresh(LONG)
    assert list(tmp_path.iterdir()) == [blocker]
