"""The vector store: chunk vectors in Chroma. The only module that imports chromadb.

Embedded (`PersistentClient`, the default) or a Chroma server (`HttpClient`).
Vectors are always computed by us and passed in: Chroma's own embedding
function would download a model, so collections are opened without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.chunking import Chunk
from index.errors import StoreError

COLLECTION = "chunks"
_BATCH = 2000
EXHAUSTIVE_UP_TO = 2048  # chunks searched exhaustively (exact); see VectorStore.nearest
WIDE_SEARCH = 256  # search breadth of a larger collection


def _client(path: Path | None, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise StoreError(f"bad Chroma URL {url!r}: expected http://HOST:PORT")
        return chromadb.HttpClient(
            host=parsed.hostname, port=parsed.port or 8000,
            ssl=parsed.scheme == "https", settings=settings,
        )
    if path is None:
        raise StoreError("no store path and no Chroma URL given")
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception:
        _forget_broken_system(str(path))
        raise


def _forget_broken_system(path: str) -> None:
    """Drop the half-started Chroma system a failed open leaves cached for `path`.

    Chroma caches one system per folder in the process, registered before it starts:
    without this, the folder could not be opened again in this process once repaired
    (by `qa index --rebuild`, or by another process).
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    if path not in SharedSystemClient._identifier_to_refcount:
        SharedSystemClient._identifier_to_system.pop(path, None)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


class VectorStore:
    """Chunk vectors and their metadata in one Chroma collection.

    The chunks' texts are not stored in Chroma: the document store holds them
    (and answering reads them from there). Chroma indexes every document it is
    given in a full-text (trigram) table nothing here queries: leaving texts out
    made upserts 2.3x faster and the collection 3x smaller (10,000 chunks: 7.6-8.0
    -> 3.2-3.5 s, 78.5 -> 26.0 MB).

    Args:
        path: folder of the embedded store (ignored when `url` is given).
        url: `http://HOST:PORT` of a Chroma server, or None for embedded.
        collection: collection name (one per index).
        create: make the collection when missing; when False, a missing collection
            (a deleted Chroma folder, a dropped collection) is an error.

    Raises:
        StoreError: the store cannot be opened, or the collection is missing.
    """

    def __init__(self, path: Path | None, url: str | None = None,
                 collection: str = COLLECTION, *, create: bool = True) -> None:
        self._path, self._url = path, url
        self._open(collection, create)

    def _open(self, collection: str, create: bool) -> None:
        from chromadb.errors import NotFoundError

        path, url = self._path, self._url
        where = url or str(path)
        self._held: int | None = None
        try:
            self._client = _client(path, url)
            self._collection = self._client.get_or_create_collection(
                collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            ) if create else self._client.get_collection(collection, embedding_function=None)
        except StoreError:
            raise
        except NotFoundError as exc:
            self._client.close()
            raise StoreError(f"the vector store at {where} has lost the collection "
                             f"{collection!r}: run `qa index --rebuild`") from exc
        except Exception as exc:  # chromadb raises many types; all mean "unusable"
            raise StoreError(
                f"cannot open the vector store at {where}: {_one_line(exc)}. "
                "Check the Chroma server, or run `qa index --rebuild`"
            ) from exc

    def close(self) -> None:
        """Release the client (Chroma shares one per path within a process)."""
        self._client.close()

    def reopen(self, collection: str) -> None:
        """Close and open again, to see what another process wrote (an embedded
        client keeps its search index in memory) or another collection."""
        self._client.close()
        self._open(collection, create=False)

    def drop(self) -> None:
        """Delete the whole collection (an index replaced by `--rebuild` on a server)."""
        self._client.delete_collection(self._collection.name)

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._collection.count())

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray,
            metadata: Sequence[dict[str, str | int]]) -> None:
        """Upsert chunks with their vectors and extra metadata (title, date, model...);
        each chunk's id and span (source, start, end), not its text."""
        self._held = None
        for begin in range(0, len(chunks), _BATCH):
            part = chunks[begin:begin + _BATCH]
            metas = [
                {"source": c.source, "start": c.start, "end": c.end, "hash": c.content_hash, **m}
                for c, m in zip(part, metadata[begin:begin + _BATCH], strict=True)
            ]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[begin:begin + _BATCH].tolist(),
                metadatas=metas,
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        self._held = None
        for begin in range(0, len(ids), _BATCH):
            self._collection.delete(ids=list(ids[begin:begin + _BATCH]))

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of the chunks `ids` (unknown ids are left out)."""
        found: dict[str, np.ndarray] = {}
        for begin in range(0, len(ids), _BATCH):
            got = self._collection.get(ids=list(ids[begin:begin + _BATCH]),
                                       include=["embeddings"])
            embeddings: Any = got["embeddings"]
            for cid, vector in zip(got["ids"], embeddings, strict=True):
                found[cid] = np.asarray(vector, dtype=np.float32)
        return found

    def ids(self) -> set[str]:
        """Every stored chunk id."""
        return set(self._collection.get(include=[])["ids"])

    def nearest(self, vector: np.ndarray, k: int,
                size: int | None = None) -> list[tuple[str, float]]:
        """The ids of the `k` chunks nearest to `vector` with their cosines, best first,
        equal scores by id.

        Chroma's HNSW search is approximate, and an embedded store rebuilds the
        graph of its unsaved vectors (all of them below 1,000) on several threads
        each time it is opened, so a narrow search found different neighbours
        from one run to the next. hnswlib explores max(ef, n_results)
        candidates: asking for the whole collection when it holds at most
        EXHAUSTIVE_UP_TO chunks makes the search exhaustive, hence exact and the
        same in every run; a larger one is searched WIDE_SEARCH deep. When an
        exhaustive search returns fewer chunks than the collection holds, the graph
        has unreachable nodes and every stored vector is compared instead (`_scan`).
        "Holds" is counted once after the store opens or this client writes (`_holding`).

        Args:
            vector: the question's vector.
            k: how many to return.
            size: the number of chunks stored, when the caller knows it (the
                document store's count, kept equal): Chroma's own count takes 4 ms
                at 55,000 chunks, SQLite's 0.5 ms. It only sets the search breadth.
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        total = self.count() if size is None else size
        if total == 0:
            return []
        breadth = total if total <= EXHAUSTIVE_UP_TO else min(total, max(k, WIDE_SEARCH))
        found = self._collection.query(query_embeddings=[vector.tolist()], n_results=breadth,
                                       include=["distances"])
        pairs = list(zip(found["distances"][0], found["ids"][0], strict=True))
        if total <= EXHAUSTIVE_UP_TO and len(pairs) < breadth and len(pairs) < self._holding():
            scanned = self._scan(vector)
            if scanned is not None and len(scanned) > len(pairs):
                pairs = scanned
            else:  # nothing unreachable: the collection holds fewer than counted
                self._held = len(pairs)
        nearest = sorted(pairs)[:k]
        return [(cid, 1.0 - float(dist)) for dist, cid in nearest]

    def _holding(self) -> int:
        """How many chunks this client's search sees: counted by the first search that
        needs it after the store was opened or this client wrote to it, then kept.

        Not counted at each search: another process writing an embedded store adds
        to Chroma's SQLite tables at once, but to this client's search index only
        when it reopens (see `reopen`). A count taken after such a write is too high:
        the scan it sets off finds no more than the search (or fails) and the count
        is lowered to what the search returned.
        """
        if self._held is None:
            self._held = self.count()
        return self._held

    def _scan(self, vector: np.ndarray) -> list[tuple[float, str]] | None:
        """(cosine distance, id) of every stored chunk, computed here from the stored
        vectors: what an exhaustive graph search returns when every node is reachable;
        None when Chroma cannot read them (another process is changing an embedded store).

        hnswlib can leave a few nodes unreachable after deletions (seen once after an
        update killed while deleting and then re-run): the graph search then returns
        fewer chunks than the collection holds, and those chunks could never be found.
        """
        try:
            got = self._collection.get(include=["embeddings"])
        except Exception:  # chromadb raises many types; the search's result stands
            return None
        ids = list(got["ids"])
        if not ids:
            return []
        stored = np.asarray(got["embeddings"], dtype=np.float64)
        norms = np.linalg.norm(stored, axis=1) * float(np.linalg.norm(vector))
        cosines = stored @ np.asarray(vector, dtype=np.float64) / np.where(norms > 0, norms, 1.0)
        return [(1.0 - float(c), cid) for c, cid in zip(cosines, ids, strict=True)]

    def spans(self, ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """Where Chroma says each of `ids` that it holds lies: (source, start, end).
        Answering reads chunks from SQLite; this reads back what Chroma holds (the
        tests compare the two)."""
        got = self._collection.get(ids=list(ids), include=["metadatas"])
        return {cid: (str(meta["source"]), int(meta["start"]), int(meta["end"]))
                for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def stored_texts(self) -> int:
        """How many chunks Chroma holds a text for (none in stores written since texts
        were left out; older stores keep theirs)."""
        got = self._collection.get(include=["documents"])
        return sum(1 for text in got["documents"] or [] if text is not None)
