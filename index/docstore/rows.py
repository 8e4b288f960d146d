"""What every part of the document store shares: its SQLite connection, and SQLite's
damage errors turned into errors that say what to do."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from index.errors import StoreError

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="Rows")


class Rows:
    """The connection a group of tables is read and written through (`DocStore` opens it)."""

    path: Path
    _db: sqlite3.Connection
    _counts: dict[str, tuple[tuple[int, int], int]]  # table -> (state seen, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all of them land, or none."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._counts.clear()  # counted inside, undone: SQLite's change count stays up
            raise
        self._db.execute("COMMIT")


def guarded(
        method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """`method`, with SQLite's "database disk image is malformed" (damage inside a page
    that opening the store did not read) turned into a StoreError saying what to do."""
    @functools.wraps(method)
    def wrapper(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            name = getattr(exc, "sqlite_errorname", "")
            if not (name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"):
                raise
            raise StoreError(f"the index at {self.path.parent} is damaged ({exc}): "
                             "run `qa index --rebuild`") from exc
    return wrapper

