"""Very large regular expressions compiled once per machine instead of once per process.

spaCy's French tokenizer exceptions compile, when imported, one case-insensitive
pattern of 1.45 million characters: 1.9 s of CPU each time a process loads the
pipeline, the largest fixed cost of indexing a few documents. Python cannot save
a compiled pattern (pickling keeps only its source, compiled again when loaded),
but it can save what its compiler hands the regex engine: a list of integers,
which the engine takes back (`_sre.compile`) after checking that it is well formed.

While `compiles_cached(folder)` is active, `re.compile` of a pattern of at least
`MIN_CHARS` characters reads that list from a file named by a hash of the
pattern, its flags and the Python build, or compiles and saves it. Each file
carries a SHA-256 of its content, checked before use: a damaged file, like an
unwritable folder (which is warned about) or a Python this module does not know,
means the pattern is compiled as usual (and the file written again). Warnings of
re's parser are given by the run that compiles, not by those that read the file.

Reading a file marks it used (its modification time); each use removes the
files no load has read for `UNUSED_DAYS` (those of an older Python or spaCy) and
the temporary files of writes killed more than a day ago.
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from index.atomic import write_atomically

MIN_CHARS = 100_000  # smaller patterns compile in milliseconds: not worth a file
FORMAT = 1  # bump when the file layout changes
UNUSED_DAYS = 30  # a saved pattern no load has read for this long is removed
_TEMP_DAYS = 1  # a temporary file this old is a killed write's, not one in progress
_ITEM = "I"  # array type code of the engine's code words (checked in `supported`)
# CPython versions whose `re._compiler.compile` is what `_compile_parts` repeats.
_KNOWN = ((3, 11), (3, 12))
_patching = threading.RLock()  # one patch of re.compile at a time (nested: no deadlock)

Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def supported() -> bool:
    """True on a CPython whose regex compiler is laid out as this module expects."""
    try:
        import _sre
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:
        return False
    return (sys.implementation.name == "cpython" and sys.version_info[:2] in _KNOWN
            and callable(getattr(_parser, "parse", None))
            and callable(getattr(_compiler, "_code", None))
            and getattr(_sre, "CODESIZE", 0) == array.array(_ITEM).itemsize == 4)


def cache_file(folder: Path, pattern: str, flags: int) -> Path:
    """The file holding the compiled form of `pattern` with `flags` on this Python."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {sys.byteorder} {int(flags)}\n".encode())
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


def _checksum(fields: bytes, body: bytes) -> str:
    return hashlib.sha256(fields + b"\n" + body).hexdigest()


def _read(path: Path) -> Parts:
    """Parts saved by `_write`; ValueError when the file is not one, or is damaged."""
    header, _, body = path.read_bytes().partition(b"\n")
    fields, _, checksum = header.rpartition(b" ")
    if checksum.decode("ascii", "replace") != _checksum(fields, body):
        raise ValueError(f"{path}: damaged (checksum)")
    meta = json.loads(fields)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a compiled pattern of this version")
    code = array.array(_ITEM)
    code.frombytes(body)
    return (int(meta["flags"]), code.tolist(), int(meta["groups"]),
            {str(k): int(v) for k, v in meta["groupindex"].items()},
            tuple(meta["indexgroup"]))


def _write(path: Path, parts: Parts) -> None:
    """Save `parts` at `path` atomically (a reader never sees half a file), readable
    by whoever the umask lets read new files."""
    flags, code, groups, groupindex, indexgroup = parts
    fields = json.dumps({"format": FORMAT, "flags": flags, "groups": groups,
                         "groupindex": groupindex, "indexgroup": list(indexgroup)}).encode()
    body = array.array(_ITEM, code).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, fields + b" " + _checksum(fields, body).encode() + b"\n" + body)


def compile_cached(folder: Path, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, its compiled form read from `folder` when saved
    there before, else compiled and saved (when the folder is writable)."""
    flags = int(flags)
    path = cache_file(folder, pattern, flags)
    try:
        compiled = _engine(pattern, _read(path))
    except Exception:  # noqa: BLE001  # not saved yet, or unusable: compiled again below
        pass
    else:
        with suppress(OSError):  # marks it used (a read-only cache stays as it is)
            os.utime(path)
            prune(folder, keep=path)
        return compiled
    parts = _compile_parts(pattern, flags)
    compiled = _engine(pattern, parts)
    try:
        _write(path, parts)
    except OSError as error:
        warnings.warn(f"could not save a compiled pattern in {folder} ({error}): it will be "
                      "compiled again at every load (about 2 s for spaCy's French tokenizer)",
                      RuntimeWarning, stacklevel=2)
    else:
        with suppress(OSError):
            prune(folder, keep=path)
    return compiled


def prune(folder: Path, keep: Path, now: float | None = None) -> list[Path]:
    """Remove the saved patterns of `folder` unused for `UNUSED_DAYS` but `keep`, and
    temporary files older than a day; return what was removed."""
    now = time.time() if now is None else now
    removed = []
    for entry in folder.iterdir():
        if entry.suffix == ".sre" and entry != keep:
            limit = UNUSED_DAYS
        elif entry.name.startswith(".") and entry.suffix == ".tmp":
            limit = _TEMP_DAYS
        else:
            continue
        with suppress(OSError):  # gone already, or another process's to remove
            if now - entry.stat().st_mtime > limit * 86_400:
                entry.unlink()
                removed.append(entry)
    return removed


@contextmanager
def compiles_cached(folder: Path | None) -> Iterator[None]:
    """Serve `re.compile` of patterns of `MIN_CHARS` or more from `folder` while active.

    The patch is process-wide: another thread compiling meanwhile goes through it
    too, and gets what `re.compile` gives. A module that kept a reference to the
    patched function gets plain `re.compile` once the context has ended.

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
        active = True

        def compile_maybe_cached(pattern: Any, flags: Any = 0) -> Any:
            if (not active or not isinstance(pattern, str) or len(pattern) < MIN_CHARS
                    or flags & re.DEBUG):
                return original(pattern, flags)
            key = (pattern, int(flags))
            if key not in served:
                try:
                    served[key] = compile_cached(folder, *key)
                except Warning:  # warnings made errors: raised as asked, not compiled twice
                    raise
                except Exception:  # noqa: BLE001  # re's own compile decides, and raises
                    served[key] = original(pattern, flags)
            return served[key]

        try:
            setattr(re, "compile", compile_maybe_cached)  # noqa: B010  # mypy: no assigning
            yield
        finally:
            active = False
            served.clear()
            setattr(re, "compile", original)  # noqa: B010
