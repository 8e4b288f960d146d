"""An index that changes under a running reader: who writes, and which folder is current.

`qa index` holds an exclusive lock on the store folder while it writes
(`writing`). A serving process never waits for it: before a question it asks
`try_reading` whether a writer is busy, and only reopens its stores when none
is (opening an embedded Chroma replays and persists its log, which must not
race a writer). A process that starts while a writer is busy waits for it
(`opening`). `identity` tells whether `--rebuild` swapped the folder.

The lock is a file beside the folder (`store` -> `store.lock`), not inside it:
`--rebuild` renames folders while it holds the lock, and a lock file inside
would move away with the old folder, leaving readers a fresh, unlocked one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_SUFFIX = ".lock"


def lock_path(root: Path) -> Path:
    """The lock file of the store folder `root`: beside it, so it survives renames."""
    return root.with_name(root.name + LOCK_SUFFIX)


def identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of `path`, or None when it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _open_lock(root: Path) -> int:
    """A descriptor of the store's lock file, created when missing; raises OSError."""
    return os.open(lock_path(root), os.O_RDWR | os.O_CREAT, 0o644)


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """Hold the store's write lock (waiting for readers that are reopening it).

    Args:
        root: the store folder (its parent is created when missing).

    Raises:
        OSError: the lock file cannot be created (a read-only folder): nothing
            could be written there either.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_lock(root)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _lock_file(root: Path) -> Iterator[int | None]:
    """The store's lock file, open; None when it cannot be (no parent folder, or a
    read-only one: nobody is writing there)."""
    try:
        fd = _open_lock(root)
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _shared_now(fd: int) -> bool:
    """Take a shared lock on `fd` if no writer holds it; return whether it was taken."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def try_reading(root: Path) -> Iterator[bool]:
    """Yield True while holding a shared lock on the store, False when a writer holds it.

    Args:
        root: the store folder.

    Returns:
        A context yielding whether the store may be reopened now.
    """
    with _lock_file(root) as fd:
        yield fd is None or _shared_now(fd)


@contextmanager
def opening(root: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold a shared lock on the store while opening it, after any writer has finished.

    Args:
        root: the store folder (when missing, nothing to wait for: opening says so).
        on_wait: called once, before waiting, when a writer holds the store.
    """
    with _lock_file(root) as fd:
        if fd is not None and not _shared_now(fd):
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
