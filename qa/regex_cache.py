"""A disk cache of compiled regular expressions, for spaCy's huge French tokenizer pattern.

spaCy's French tokenizer joins its hyphenation rules into one 1.4 MB pattern and
compiles it when `spacy.lang.fr` is imported: CPython's `re` parses and compiles
it in pure Python, ~2.3 s of CPU every time `qa ask` loads spaCy. While
`cached_compiles(folder)` is active, a long pattern is compiled by CPython's own
compiler once, its compiled program saved in `folder`, and later turned back into
the same pattern object (same program, so `==` to a fresh compile) by
`_sre.compile` in milliseconds. It relies on CPython 3.11's `re` internals: on
another version, or when a saved file does not check out, patterns compile as usual.
"""

from __future__ import annotations

import _sre
import array
import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIN_CHARS = 100_000  # shorter patterns compile in milliseconds: not worth a file
_compiler: Any = getattr(re, "_compiler", None)
_parser: Any = getattr(re, "_parser", None)
SUPPORTED = sys.version_info[:2] == (3, 11) and _compiler is not None and _sre.CODESIZE == 4


def _key(pattern: str, flags: int) -> str:
    """File name of a pattern: its hash with everything the compiled program depends on."""
    h = hashlib.sha256(f"{sys.version}\0{_sre.MAGIC}\0{flags}\0".encode())
    h.update(pattern.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32] + ".sre"


def _build(pattern: str, head: dict[str, Any], code: list[int]) -> Any:
    """The pattern object of a compiled program (as `re._compiler.compile` builds it)."""
    return _sre.compile(pattern, head["flags"], code, head["groups"] - 1,
                        head["groupindex"], tuple(head["indexgroup"]))


def _read(path: Path, pattern: str) -> Any:
    """The saved pattern object, or None when missing or not intact."""
    try:
        head_line, _, body = path.read_bytes().partition(b"\n")
        head = json.loads(head_line)
        if hashlib.sha256(body).hexdigest() != head["sha256"]:
            return None
        code = array.array("I")
        code.frombytes(body)
        return _build(pattern, head, code.tolist())
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):
        return None


def _compile_and_save(pattern: str, flags: int, folder: Path) -> Any:
    """Compile with CPython's compiler; save the program (best effort); return the pattern."""
    tree = _parser.parse(pattern, flags)
    code = _compiler._code(tree, flags)
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, i in tree.state.groupdict.items():
        indexgroup[i] = name
    body = array.array("I", code).tobytes()
    head = {"flags": flags | tree.state.flags, "groups": tree.state.groups,
            "groupindex": dict(tree.state.groupdict), "indexgroup": indexgroup,
            "sha256": hashlib.sha256(body).hexdigest()}
    _save(folder / _key(pattern, flags), json.dumps(head).encode() + b"\n" + body)
    return _build(pattern, head, code)


def _save(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically; a cache that cannot be written is skipped."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def cached_compiles(folder: Path) -> Iterator[None]:
    """While active, compile patterns of `MIN_CHARS` characters or more through `folder`.

    Args:
        folder: where compiled programs are kept (created when needed).
    """
    if not SUPPORTED:
        yield
        return
    original = _compiler.compile

    def compile_cached(p: Any, flags: int = 0) -> Any:
        if not isinstance(p, str) or len(p) < MIN_CHARS or flags & re.DEBUG:
            return original(p, flags)
        found = _read(folder / _key(p, flags), p)
        return found if found is not None else _compile_and_save(p, flags, folder)

    _compiler.compile = compile_cached
    try:
        yield
    finally:
        _compiler.compile = original
