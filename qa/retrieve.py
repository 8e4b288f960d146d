"""Retrieval: from a question vector to ranked passages."""

from __future__ import annotations

import numpy as np

from index.store import VectorStore
from qa.types import Passage


class DenseRetriever:
    """Nearest chunks by cosine similarity in the vector store.

    Args:
        vectors: the chunk vector store.
    """

    def __init__(self, vectors: VectorStore) -> None:
        self.vectors = vectors

    def retrieve(self, query_vector: np.ndarray, k: int) -> list[Passage]:
        """Return at most `k` passages, best first, no chunk twice."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        seen: set[str] = set()
        passages = []
        for hit in self.vectors.search(query_vector, k):
            if hit.chunk.id not in seen:
                seen.add(hit.chunk.id)
                passages.append(Passage(hit.chunk, hit.score))
        return passages
