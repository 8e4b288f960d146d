"""Where an index lives on disk, and opening its two stores together."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from index.docstore import DocStore
from index.errors import StoreError
from index.live import identity, try_reading
from index.store import COLLECTION, VectorStore

DOCS_FILE = "docs.sqlite"
CHROMA_DIR = "chroma"


@dataclass
class IndexStores:
    """The document store and the vector store of one index.

    Attributes:
        root: the store folder (SQLite file, and the embedded Chroma folder).
        docs: texts, chunk spans, sentence vectors.
        vectors: chunk vectors (embedded Chroma, or a Chroma server).
        url: the Chroma server, or None for the embedded store.
    """

    root: Path
    docs: DocStore
    vectors: VectorStore
    url: str | None = None
    _seen: tuple[object, int] = field(init=False, default=(None, 0))

    def __post_init__(self) -> None:
        self._seen = (identity(self.root / DOCS_FILE), self.docs.data_version())

    def close(self) -> None:
        """Release the SQLite connection and the Chroma client."""
        self.docs.close()
        self.vectors.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Catch up with other processes (`refresh`), then read one committed state."""
        self.refresh()
        with self.docs.snapshot():
            yield

    def refresh(self) -> bool:
        """Catch up with another process: `qa index` committed, or `--rebuild` swapped
        the folder. Cheap when nothing changed (a stat and a pragma).

        SQLite shows every commit by itself; an embedded Chroma only after reopening,
        which waits until no writer holds the store. Until then searches use the
        vectors already open, and hits SQLite does not know are dropped by the reader.

        Returns:
            True when the stores were reopened.
        """
        swapped = identity(self.root / DOCS_FILE) != self._seen[0]
        if not swapped and self.docs.data_version() == self._seen[1]:
            return False
        if not swapped and self.url:  # a server shows every write: nothing to reopen
            self._seen = (self._seen[0], self.docs.data_version())
            return False
        with try_reading(self.root) as free:
            if not free or not index_exists(self.root):
                return False
            if swapped:
                self.docs.reopen()
            self.vectors.reopen(collection_name(self.docs))
            self.__post_init__()
        return True


def aside(root: Path, kind: str) -> Path:
    """A folder beside `root` used by `--rebuild`: "rebuild" (being built), "old" (replaced)."""
    return root.with_name(f".{root.name}.{kind}")


def remove_tree(path: Path) -> None:
    """Delete the folder `path`, when another process deletes parts of it at the same time.

    A serving process's `recover` and `qa index --rebuild` can both remove a
    leftover `.old` folder; entries already gone are fine, any other error raises.
    """
    def already_gone(_func: object, _name: str, exc_info: tuple[type, BaseException, object]
                     ) -> None:
        if not isinstance(exc_info[1], FileNotFoundError):
            raise exc_info[1]

    shutil.rmtree(path, onerror=already_gone)


def recover(root: Path) -> None:
    """Repair what a `--rebuild` killed during its final swap left behind.

    Killed between its two renames, `root` is missing and `.old` holds the previous
    index: it is put back. Killed after them, `.old` is a leftover: it is deleted.
    """
    old = aside(root, "old")
    if not old.exists():
        return
    if root.exists():
        remove_tree(old)
    else:
        old.rename(root)


def index_exists(root: Path) -> bool:
    """True when `root` holds an index (after `recover`ing an interrupted swap)."""
    recover(root)
    return (root / DOCS_FILE).is_file()


def collection_name(docs: DocStore) -> str:
    """The Chroma collection of this index, recorded in its SQLite file.

    Each new index gets its own name ("qa-" and a random id), so that several
    indexes can share one Chroma server without mixing their chunks. Indexes
    made before names were recorded keep the old fixed name.
    """
    name = docs.get_meta("collection")
    if name:
        return name
    if docs.get_meta("model") is not None:
        return COLLECTION
    name = f"qa-{uuid.uuid4().hex}"
    docs.set_meta("collection", name)
    return name


def open_stores(root: Path, chroma_url: str | None = None, *, create: bool = False) -> IndexStores:
    """Open the stores of the index at `root`.

    Args:
        root: the store folder.
        chroma_url: a Chroma server to use instead of the embedded store.
        create: make the folder and empty stores when missing.

    Raises:
        StoreError: no index at `root` (and `create` is False), or it cannot be read.
    """
    if not create and not index_exists(root):
        raise StoreError(f"no index at {root}: run `qa index` first")
    root.mkdir(parents=True, exist_ok=True)
    try:
        docs = DocStore(root / DOCS_FILE)
    except Exception as exc:  # sqlite3.DatabaseError and friends
        raise StoreError(
            f"the index at {root} is damaged ({exc}): run `qa index --rebuild`"
        ) from exc
    try:
        existing = _check_recorded(root, docs, create)
        vectors = VectorStore(None if chroma_url else root / CHROMA_DIR, chroma_url,
                              collection_name(docs), create=not existing)
    except StoreError:
        docs.close()
        raise
    return IndexStores(root, docs, vectors, chroma_url or None)


def _check_recorded(root: Path, docs: DocStore, create: bool) -> bool:
    """Whether the store was finished before (its collection must then exist).

    Raises:
        StoreError: the index is unfinished (when not `create`), or its settings are lost.
    """
    recorded = docs.get_meta("collection") is not None or docs.get_meta("model") is not None
    if not recorded and docs.count("documents"):
        raise StoreError(f"the index at {root} has lost its settings: "
                         "run `qa index --rebuild`")
    if not create and docs.get_meta("model") is None:
        raise StoreError(f"the index at {root} is unfinished (an interrupted first "
                         "`qa index`?): run `qa index --rebuild`")
    return docs.get_meta("model") is not None


def remove_index(root: Path) -> None:
    """Delete the index folder at `root` (used by `--rebuild`)."""
    if root.exists():
        shutil.rmtree(root)
