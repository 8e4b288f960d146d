"""Large patterns compiled once, kept on disk, and given back exactly as `re` compiles them."""

from __future__ import annotations

import array
import json
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import index.regex_cache
from index.regex_cache import (
    MIN_CHARS,
    UNUSED_DAYS,
    cache_file,
    compile_cached,
    compiles_cached,
    prune,
)

# Named groups, case folding, classes and alternation: what the engine's extra
# arguments (group names, flags) carry besides the code.
BIG = "(?iu)(?P<word>" + "|".join(f"m{i}ot[-–][a-zé]+" for i in range(9000)) + r")\b"
re_compile = re.compile  # the real one, whatever a test leaves patched

pytestmark = pytest.mark.skipif(not index.regex_cache.supported(),
                                reason="the regex cache needs CPython's re internals")


def fresh(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """The pattern as re itself compiles it."""
    return re_compile(pattern, flags)


def test_the_pattern_is_big_enough_to_be_cached() -> None:
    assert len(BIG) >= MIN_CHARS


def test_a_big_pattern_is_saved_then_read_back_identical(tmp_path, monkeypatch) -> None:
    with compiles_cached(tmp_path):
        first = re.compile(BIG)
    saved = cache_file(tmp_path, BIG, 0)
    assert saved.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [saved.name]
    umask = os.umask(0o022)
    os.umask(umask)
    assert saved.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    assert first == fresh(BIG)  # same flags, pattern and code words

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again instead of read from the file")

    monkeypatch.setattr(re._parser, "parse", no_parsing)  # type: ignore[attr-defined]
    with compiles_cached(tmp_path):
        second = re.compile(BIG)
    assert second is not first
    assert second == first
    assert second.groupindex == {"word": 1}
    assert second.flags == re.IGNORECASE | re.UNICODE
    match = second.search("le M17OT-été dernier")
    assert match is not None and match.group("word") == "M17OT-été"
    assert second.search("le m17ot été") is None


def test_within_one_context_a_pattern_is_read_once(tmp_path, monkeypatch) -> None:
    reads: list[Path] = []
    real_read = index.regex_cache._read
    monkeypatch.setattr(index.regex_cache, "_read", lambda p: reads.append(p) or real_read(p))
    with compiles_cached(tmp_path):
        assert re.compile(BIG) is re.compile(BIG)
    assert len(reads) == 1  # the first call finds no file; the second is served from memory


def test_a_damaged_file_is_compiled_again_and_replaced(tmp_path) -> None:
    compile_cached(tmp_path, BIG)
    saved = cache_file(tmp_path, BIG, 0)
    whole = saved.read_bytes()
    saved.write_bytes(whole[: len(whole) // 2])
    assert compile_cached(tmp_path, BIG) == fresh(BIG)
    assert saved.read_bytes() == whole
    saved.write_bytes(b"not a header\n" + whole)
    assert compile_cached(tmp_path, BIG) == fresh(BIG)
    assert saved.read_bytes() == whole


def resaved(path: Path, fields: bytes, body: bytes) -> None:
    """Write a file with a valid checksum over other content (as a buggy writer would)."""
    path.write_bytes(fields + b" " + index.regex_cache._checksum(fields, body).encode()
                     + b"\n" + body)


def test_a_changed_code_word_fails_the_checksum(tmp_path) -> None:
    """A changed literal is still well-formed code that the engine would accept (a
    different pattern under the same source): the checksum refuses it."""
    compile_cached(tmp_path, BIG)
    saved = cache_file(tmp_path, BIG, 0)
    whole = saved.read_bytes()
    header, _, body = whole.partition(b"\n")
    words = array.array("I", body)
    at = words.index(ord("m"))  # the first literal "m" of "m0ot"
    words[at] = ord("q")
    saved.write_bytes(header + b"\n" + words.tobytes())
    assert compile_cached(tmp_path, BIG).search("m0ot-a")
    assert saved.read_bytes() == whole


def test_code_the_engine_rejects_or_a_header_of_another_shape_is_not_used(tmp_path) -> None:
    compile_cached(tmp_path, BIG)
    saved = cache_file(tmp_path, BIG, 0)
    whole = saved.read_bytes()
    header, _, body = whole.partition(b"\n")
    fields = header.rpartition(b" ")[0]
    for bad_fields, bad_body in [(fields, bytes(len(body))),  # as many words, all zero
                                 (b"[1]", body),  # JSON, not an object
                                 (fields.replace(b'"format": 1', b'"format": 0'), body)]:
        resaved(saved, bad_fields, bad_body)
        assert compile_cached(tmp_path, BIG) == fresh(BIG)
        assert saved.read_bytes() == whole


def test_flags_given_as_re_flags_or_ints_name_one_file(tmp_path) -> None:
    flags = re.IGNORECASE | re.MULTILINE
    assert cache_file(tmp_path, BIG, flags) == cache_file(tmp_path, BIG, int(flags))
    with compiles_cached(tmp_path):
        assert re.compile(BIG, flags) == fresh(BIG, flags)
    assert [p.name for p in tmp_path.iterdir()] == [cache_file(tmp_path, BIG, 2 | 8).name]


def test_a_reference_kept_after_the_context_compiles_as_re_does(tmp_path) -> None:
    with compiles_cached(tmp_path / "during"):
        kept = re.compile
    assert kept(BIG) == fresh(BIG)
    assert not (tmp_path / "during").exists()  # nothing read or written once ended


def test_the_file_depends_on_the_flags_and_the_pattern(tmp_path) -> None:
    assert cache_file(tmp_path, BIG, 0) != cache_file(tmp_path, BIG, re.MULTILINE)
    assert cache_file(tmp_path, BIG, 0) != cache_file(tmp_path, BIG + "x", 0)
    with compiles_cached(tmp_path):
        assert re.compile(BIG, re.MULTILINE) == fresh(BIG, re.MULTILINE)
        assert re.compile(BIG) == fresh(BIG)
    assert len(list(tmp_path.iterdir())) == 2


def test_small_patterns_and_bytes_are_left_to_re(tmp_path) -> None:
    with compiles_cached(tmp_path):
        assert re.compile("M\\. [A-Z]\\w+").match("M. Droguet")
        big_bytes = b"(?:" + b"|".join(b"w%d" % i for i in range(20_000)) + b")"
        assert len(big_bytes) >= MIN_CHARS
        assert re.compile(big_bytes).match(b"w19999")
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_pattern_raises_as_re_does(tmp_path) -> None:
    with compiles_cached(tmp_path), pytest.raises(re.error, match="missing \\)"):
        re.compile(BIG[:-3])
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_still_compiles_and_says_so(tmp_path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("in the way")
    with (pytest.warns(RuntimeWarning, match=r"could not save a compiled pattern in .*file/regex"
                       r" \(.*\): it will be compiled again at every load"),
          compiles_cached(blocked / "regex")):
        assert re.compile(BIG) == fresh(BIG)
    assert blocked.read_text() == "in the way"


def test_warnings_made_errors_raise_instead_of_compiling_twice(tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("in the way")
    compiled: list[str] = []
    compile_parts = index.regex_cache._compile_parts

    def counted(pattern: str, flags: int):  # type: ignore[no-untyped-def]
        compiled.append(pattern)
        return compile_parts(pattern, flags)

    monkeypatch.setattr(index.regex_cache, "_compile_parts", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning), compiles_cached(blocked / "regex"):
            re.compile(BIG)
    assert len(compiled) == 1


def test_reading_a_saved_pattern_marks_it_used(tmp_path) -> None:
    compile_cached(tmp_path, BIG)
    saved = cache_file(tmp_path, BIG, 0)
    os.utime(saved, (1_000_000, 1_000_000))
    assert compile_cached(tmp_path, BIG) == fresh(BIG)
    assert saved.stat().st_mtime > time.time() - 60


def test_saving_removes_unused_patterns_and_killed_writes(tmp_path) -> None:
    day = 86_400
    old = time.time() - (UNUSED_DAYS + 1) * day
    entries = {name: tmp_path / name for name in (
        "old.sre", "recent.sre", ".old.sre.0a1b.tmp", ".recent.sre.2c3d.tmp", "notes.txt")}
    for name, entry in entries.items():
        entry.write_text(name)
    for name in ("old.sre", ".old.sre.0a1b.tmp", "notes.txt"):
        os.utime(entries[name], (old, old))
    recent = time.time() - (UNUSED_DAYS - 1) * day
    os.utime(entries["recent.sre"], (recent, recent))
    os.utime(entries[".recent.sre.2c3d.tmp"], (time.time() - day / 2,) * 2)

    assert compile_cached(tmp_path, BIG) == fresh(BIG)  # a miss: saves, then prunes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".recent.sre.2c3d.tmp", "notes.txt", "recent.sre", cache_file(tmp_path, BIG, 0).name])

    os.utime(entries["recent.sre"], (old, old))
    assert compile_cached(tmp_path, BIG) == fresh(BIG)  # a hit prunes too
    assert not entries["recent.sre"].exists()
    assert cache_file(tmp_path, BIG, 0).exists()


def test_prune_keeps_the_file_it_is_told_to_keep(tmp_path) -> None:
    kept = tmp_path / "kept.sre"
    kept.write_text("x")
    stale = tmp_path / "stale.sre"
    stale.write_text("y")
    later = time.time() + (UNUSED_DAYS + 1) * 86_400
    assert prune(tmp_path, keep=kept, now=later) == [stale]
    assert [p.name for p in tmp_path.iterdir()] == ["kept.sre"]


def test_re_compile_is_restored_after_the_context_even_on_error(tmp_path) -> None:
    with pytest.raises(KeyError), compiles_cached(tmp_path):
        assert re.compile is not re_compile
        raise KeyError("boom")
    assert re.compile is re_compile
    with compiles_cached(None):
        assert re.compile is re_compile


def test_spacy_loads_from_the_cache_with_the_same_tokenizer(tmp_path) -> None:
    """Two processes load the French pipeline with one cache: the first compiles and
    saves the tokenizer's pattern, the second reads it (it parses no long pattern);
    both tokenize alike, and the pattern the second uses is the one re compiles."""
    script = (
        "import json, re, sys\n"
        "from pathlib import Path\n"
        "from index.ner import _load_pipeline\n"
        "parse = re._parser.parse\n"
        "def short_only(pattern, flags=0, *rest):\n"
        "    assert len(pattern) < 100_000, 'a long pattern parsed: not read from the cache'\n"
        "    return parse(pattern, flags, *rest)\n"
        "if sys.argv[2] == 'read':\n"
        "    re._parser.parse = short_only\n"
        "nlp = _load_pipeline(True, Path(sys.argv[1]))\n"
        "re._parser.parse = parse\n"
        "match = nlp.tokenizer.token_match.__self__\n"
        "text = \"Aujourd'hui, l'anti-drogue et le porte-parole de l'OCRTEH, M. Droguet.\"\n"
        "print(json.dumps({'tokens': [t.text for t in nlp(text)],\n"
        "                  'chars': len(match.pattern),\n"
        "                  'same': match == re.compile(match.pattern, 0)}))\n"
    )
    cache = tmp_path / "regex"
    runs = []
    for mode in ("compile", "read"):
        out = subprocess.run([sys.executable, "-P", "-c", script, str(cache), mode],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
        assert len(list(cache.iterdir())) == 1
    assert runs[0] == runs[1]
    assert runs[1]["same"] is True
    assert runs[1]["chars"] >= MIN_CHARS
    assert runs[1]["tokens"][:3] == ["Aujourd'hui", ",", "l'"]
    assert "porte-parole" in runs[1]["tokens"]
