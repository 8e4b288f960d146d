"""Where an index lives on disk, and opening its two stores together."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from index.docstore import DocStore
from index.errors import StoreError
from index.store import VectorStore

DOCS_FILE = "docs.sqlite"
CHROMA_DIR = "chroma"


@dataclass
class IndexStores:
    """The document store and the vector store of one index.

    Attributes:
        root: the store folder (SQLite file, and the embedded Chroma folder).
        docs: texts, chunk spans, sentence vectors.
        vectors: chunk vectors (embedded Chroma, or a Chroma server).
    """

    root: Path
    docs: DocStore
    vectors: VectorStore

    def close(self) -> None:
        """Release the SQLite connection."""
        self.docs.close()


def index_exists(root: Path) -> bool:
    """True when `root` holds a finished index."""
    return (root / DOCS_FILE).is_file()


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
    if not create and docs.get_meta("model") is None:
        docs.close()
        raise StoreError(f"the index at {root} is incomplete: run `qa index`")
    vectors = VectorStore(None if chroma_url else root / CHROMA_DIR, chroma_url)
    return IndexStores(root, docs, vectors)


def remove_index(root: Path) -> None:
    """Delete the index folder at `root` (used by `--rebuild`)."""
    if root.exists():
        shutil.rmtree(root)
