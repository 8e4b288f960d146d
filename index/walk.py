"""Listing a corpus folder: the files to read, and the entries skipped with a reason.

Hidden files and folders (a name starting with ".") are left out silently. Links to
folders are not followed (no loop can hang the walk); links to files are read when
they stay inside the corpus. Everything else that cannot be read is reported.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A file of the corpus that was not indexed, and why."""

    source: str
    reason: str


def _sort_key(item: tuple[Path, str | None]) -> tuple[str, ...]:
    return item[0].parts


def walk(root: Path) -> list[tuple[Path, str | None]]:
    """Every non-hidden entry under `root` with a reason to skip it, or None to read it.

    Sorted by path components (the order `sorted(root.rglob("*"))` gives).
    """
    found: list[tuple[Path, str | None]] = []

    def unreadable_folder(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        found.append((where, f"unreadable folder: {exc.strerror or exc}"))

    for folder, dirs, files in os.walk(root, onerror=unreadable_folder):
        base = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in dirs:
            if (base / name).is_symlink():
                found.append((base / name, "a link to a folder (links to folders are "
                                           "not followed)"))
        found += [(base / name, _file_problem(base / name)) for name in files
                  if not name.startswith(".")]
    return sorted(found, key=_sort_key)


def _file_problem(path: Path) -> str | None:
    """Why `path` (listed as a file by `os.walk`) cannot be read as a file, or None."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link loop (the link leads back to itself)"
        if path.is_symlink():
            return "a broken link (its target does not exist)"
        return f"unreadable: {exc.strerror or exc}"
    if not path.is_file():
        return "not a regular file (a device, socket or pipe)"
    return None


def name_problem(source: str) -> str | None:
    """Why the relative path `source` cannot be stored (not valid UTF-8), or None."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8: rename the file"
    return None


def size_problem(size: int, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is too large to index (over `max_bytes`; 0: no limit)."""
    if max_bytes and size > max_bytes:
        return (f"too large ({size / MIB:.0f} MB, the limit is {max_bytes / MIB:g} MB): "
                "raise QA_MAX_FILE_MB to index it")
    return None


def entries(root: Path) -> Iterator[tuple[Path, str, str | None]]:
    """`walk(root)` with each path's source name (relative, "/" separators)."""
    for path, problem in walk(root):
        source = path.relative_to(root).as_posix() if path != root else "."
        bad_name = name_problem(source)
        if bad_name:  # shown with U+FFFD for the undecodable bytes, so it can be printed
            source = os.fsencode(source).decode("utf-8", "replace")
        yield path, source, problem or bad_name
