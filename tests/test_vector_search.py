"""Dense search is exact and the same from one opening of the store to the next (issue 4)."""

from pathlib import Path

import numpy as np
import pytest

from index.chunking import Chunk
from index.store import VectorStore

N, DIM, K = 900, 128, 30


def _unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def random_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """900 random 128-d vectors: hard for HNSW, and below Chroma's 1,000-vector
    sync threshold, so every opening rebuilds the graph (on several threads)."""
    path = tmp_path_factory.mktemp("vectors")
    vectors = _unit_rows(np.random.default_rng(7), N)
    store = VectorStore(path)
    ids = [f"c{i:04d}" for i in range(N)]
    store.add([Chunk(i, "s.txt", 0, 1, "t") for i in ids], vectors, [{} for _ in ids])
    store.close()
    return path, vectors


def test_search_returns_the_exact_nearest_chunks(random_store: tuple[Path, np.ndarray]) -> None:
    path, vectors = random_store
    store = VectorStore(path, create=False)
    queries = _unit_rows(np.random.default_rng(8), 100)
    try:
        for query in queries:
            hits = store.nearest(query, K)
            exact = np.argsort(-(vectors @ query), kind="stable")[:K]
            assert [cid for cid, _ in hits] == [f"c{i:04d}" for i in exact]
            assert [score for _, score in hits] == pytest.approx(list(vectors[exact] @ query),
                                                                 abs=1e-5)
    finally:
        store.close()


def test_search_is_identical_after_reopening(random_store: tuple[Path, np.ndarray]) -> None:
    path, _ = random_store
    store = VectorStore(path, create=False)
    queries = _unit_rows(np.random.default_rng(9), 100)
    try:
        runs = []
        for _ in range(3):
            runs.append([store.nearest(q, K) for q in queries])
            store.reopen(store._collection.name)  # rebuilds the in-memory graph
        assert runs[1] == runs[0]
        assert runs[2] == runs[0]
    finally:
        store.close()


def test_equal_scores_come_in_id_order(tmp_path: Path) -> None:
    store = VectorStore(tmp_path)
    twin = np.zeros((1, 8), dtype=np.float32)
    twin[0, 0] = 1.0
    other = np.full((1, 8), 1 / np.sqrt(8), dtype=np.float32)
    ids = ["b", "c", "a", "z"]
    vectors = np.concatenate([twin, twin, twin, other])
    store.add([Chunk(i, f"{i}.txt", 0, 1, i) for i in ids], vectors, [{} for _ in ids])
    try:
        hits = [cid for cid, _ in store.nearest(twin[0], 4)]
        assert hits == ["a", "b", "c", "z"]
        assert store.spans(hits) == {i: (f"{i}.txt", 0, 1) for i in ids}
        assert store.stored_texts() == 0  # the texts are the document store's
    finally:
        store.close()


def test_a_size_given_by_the_caller_replaces_chromas_count(
        random_store: tuple[Path, np.ndarray]) -> None:
    path, vectors = random_store
    store = VectorStore(path, create=False)
    queries = _unit_rows(np.random.default_rng(10), 20)
    try:
        for query in queries:
            exact = np.argsort(-(vectors @ query), kind="stable")[:K]
            given = store.nearest(query, K, size=N)
            assert [cid for cid, _ in given] == [f"c{i:04d}" for i in exact]
            assert given == store.nearest(query, K)
        assert store.nearest(queries[0], K, size=0) == []  # nothing committed yet
    finally:
        store.close()


class _GraphMissing:
    """A Chroma collection whose graph search cannot reach some chunks (hnswlib can
    leave nodes unreachable after deletions); everything else is the real collection."""

    def __init__(self, collection: object, unreachable: set[str]) -> None:
        self._collection = collection
        self.unreachable = unreachable
        self.scans = 0
        self.scan_fails = False

    def query(self, **kwargs: object) -> dict:
        found = self._collection.query(**kwargs)  # type: ignore[attr-defined]
        kept = [i for i, cid in enumerate(found["ids"][0]) if cid not in self.unreachable]
        return {"ids": [[found["ids"][0][i] for i in kept]],
                "distances": [[found["distances"][0][i] for i in kept]]}

    def get(self, **kwargs: object) -> dict:
        if kwargs.get("include") == ["embeddings"] and "ids" not in kwargs:
            self.scans += 1
            if self.scan_fails:
                raise RuntimeError("Error finding id")  # what a stale embedded client says
        return self._collection.get(**kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._collection, name)


def test_chunks_the_graph_cannot_reach_are_still_found(
        random_store: tuple[Path, np.ndarray]) -> None:
    path, vectors = random_store
    store = VectorStore(path, create=False)
    query = _unit_rows(np.random.default_rng(11), 1)[0]
    exact = np.argsort(-(vectors @ query), kind="stable")[:K]
    lost = {f"c{exact[0]:04d}", f"c{exact[3]:04d}"}  # the nearest and the 4th nearest
    graph = _GraphMissing(store._collection, lost)
    store._collection = graph
    try:
        given = store.nearest(query, K, size=N)
        assert [cid for cid, _ in given] == [f"c{i:04d}" for i in exact]
        assert [s for _, s in given] == pytest.approx(list(vectors[exact] @ query), abs=1e-5)
        assert graph.scans == 1
        graph.unreachable = set()
        assert [cid for cid, _ in store.nearest(query, K, size=N)] == [
            f"c{i:04d}" for i in exact]
        assert graph.scans == 1  # a complete graph search needs no scan
    finally:
        store._collection = graph._collection
        store.close()


def test_a_reader_whose_search_lags_the_count_scans_once(tmp_path: Path) -> None:
    """Another process wrote (Chroma's count moved on, this client's search has not),
    or the read of every vector fails: the search's result stands, and the next
    searches take the lower count as what the client holds, without scanning again."""
    vectors = _unit_rows(np.random.default_rng(13), 60)
    store = VectorStore(tmp_path)
    ids = [f"c{i:04d}" for i in range(60)]
    store.add([Chunk(i, "s.txt", 0, 1, "t") for i in ids], vectors, [{} for _ in ids])
    query = _unit_rows(np.random.default_rng(12), 1)[0]
    exact = np.argsort(-(vectors @ query), kind="stable")[:K]
    graph = _GraphMissing(store._collection, {f"c{exact[0]:04d}"})
    graph.scan_fails = True
    store._collection = graph
    try:
        expected = [f"c{i:04d}" for i in exact[1:]]
        assert [cid for cid, _ in store.nearest(query, K - 1, size=60)] == expected
        assert [cid for cid, _ in store.nearest(query, K - 1, size=60)] == expected
        assert graph.scans == 1
        store.add([Chunk("extra", "s.txt", 0, 1, "t")], vectors[:1], [{}])  # writing recounts
        store.delete(["extra"])
        store.nearest(query, K, size=60)
        assert graph.scans == 2
    finally:
        store._collection = graph._collection
        store.close()
