"""Very large regular expressions compiled once per machine instead of once per process.

spaCy's French tokenizer exceptions compile, when imported, one case-insensitive
pattern of 1.45 million characters: 1.9 s of CPU each time a process loads the
pipeline, the largest fixed cost of indexing a few documents. Python cannot save
a compiled pattern (pickling keeps only its source, compiled again when loaded),
but it can save what its compiler hands the regex engine: a list of integers,
which the engine checks (`_sre.compile`) before using it.

While `compiles_cached(folder)` is active, `re.compile` of a pattern of at least
`MIN_CHARS` characters reads that list from a file named by a hash of the
pattern, its flags and the Python build, or compiles and saves it. Anything
unexpected (another interpreter, a damaged or unwritable file) compiles the
pattern as usual: the cache changes how long loading takes, never the pattern.
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

MIN_CHARS = 100_000  # smaller patterns compile in milliseconds: not worth a file
FORMAT = 1  # bump when the file layout changes
_ITEM = "I"  # array type code of the engine's code words (checked in `supported`)
_patching = threading.Lock()  # one active patch of re.compile at a time

Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def supported() -> bool:
    """True on a CPython whose regex compiler is laid out as this module expects."""
    try:
        import _sre
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:
        return False
    return (sys.implementation.name == "cpython"
            and callable(getattr(_parser, "parse", None))
            and callable(getattr(_compiler, "_code", None))
            and getattr(_sre, "CODESIZE", 0) == array.array(_ITEM).itemsize == 4)


def cache_file(folder: Path, pattern: str, flags: int) -> Path:
    """The file holding the compiled form of `pattern` with `flags` on this Python."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {sys.byteorder} {flags}\n".encode())
    digest.update(pattern.encode("utf-8", "surrogatepass"))
    return folder / f"{digest.hexdigest()[:32]}.sre"


def _compile_parts(pattern: str, flags: int) -> Parts:
    """What `re` gives the engine for `pattern` (as CPython's `re._compiler.compile`)."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    return (flags | parsed.state.flags, list(code), parsed.state.groups - 1, groupindex,
            tuple(indexgroup))


def _engine(pattern: str, parts: Parts) -> re.Pattern[str]:
    """The compiled pattern from its parts; the engine rejects invalid code."""
    import _sre

    flags, code, groups, groupindex, indexgroup = parts
    compiled: re.Pattern[str] = _sre.compile(pattern, flags, code, groups, groupindex,
                                             indexgroup)
    return compiled


def _read(path: Path) -> Parts:
    """Parts saved by `_write`; ValueError when the file is not one."""
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    meta = json.loads(header)
    code = array.array(_ITEM)
    code.frombytes(body)
    if meta.get("format") != FORMAT or len(code) != meta["words"]:
        raise ValueError(f"{path}: not a complete compiled pattern")
    return (int(meta["flags"]), code.tolist(), int(meta["groups"]),
            {str(k): int(v) for k, v in meta["groupindex"].items()},
            tuple(meta["indexgroup"]))


def _write(path: Path, parts: Parts) -> None:
    """Save `parts` at `path` atomically (a reader never sees half a file)."""
    flags, code, groups, groupindex, indexgroup = parts
    header = json.dumps({"format": FORMAT, "flags": flags, "groups": groups,
                         "groupindex": groupindex, "indexgroup": list(indexgroup),
                         "words": len(code)})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header.encode() + b"\n" + array.array(_ITEM, code).tobytes())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def compile_cached(folder: Path, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, its compiled form read from `folder` when saved
    there before, else compiled and saved (when the folder is writable)."""
    path = cache_file(folder, pattern, flags)
    try:
        return _engine(pattern, _read(path))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        pass  # not saved yet, or damaged: compiled again below
    parts = _compile_parts(pattern, flags)
    compiled = _engine(pattern, parts)
    with suppress(OSError):  # a read-only cache: compiled every time, as without one
        _write(path, parts)
    return compiled


@contextmanager
def compiles_cached(folder: Path | None) -> Iterator[None]:
    """Serve `re.compile` of patterns of `MIN_CHARS` or more from `folder` while active.

    Args:
        folder: where compiled patterns are kept; None (or an unsupported Python)
            leaves `re.compile` alone.
    """
    if folder is None or not supported():
        yield
        return
    with _patching:
        original = re.compile
        served: dict[tuple[str, int], re.Pattern[str]] = {}

        def compile_maybe_cached(pattern: Any, flags: Any = 0) -> Any:
            if isinstance(pattern, str) and len(pattern) >= MIN_CHARS and not flags & re.DEBUG:
                key = (pattern, int(flags))
                if key not in served:
                    try:
                        served[key] = compile_cached(folder, pattern, int(flags))
                    except Exception:  # noqa: BLE001  # re's own compile decides, and raises
                        return original(pattern, flags)
                return served[key]
            return original(pattern, flags)

        setattr(re, "compile", compile_maybe_cached)  # noqa: B010  # mypy: no function assignment
        try:
            yield
        finally:
            setattr(re, "compile", original)  # noqa: B010
