"""Test doubles: a deterministic embedder that makes assertions exact."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.analysis import terms


class FakeEmbedder:
    """Hashes each content word to a dimension: texts sharing words are similar.

    Deterministic across runs and machines, no model, instant. `calls` counts
    the texts embedded, so tests can assert that nothing was re-embedded.
    """

    def __init__(self, name: str = "fake-hash-64", dim: int = 64) -> None:
        self.name = name
        self._dim = dim
        self.calls = 0

    @property
    def dim(self) -> int:
        return self._dim

    def close(self) -> None:
        """Nothing to release (a `WorkerEmbedder` stops its process here)."""

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for word in terms(text):
            h = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
            v[h % self._dim] += 1.0
        v[0] += 0.01  # never the zero vector
        return v / np.linalg.norm(v)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dim))

    def embed_documents(self, texts: Sequence[str], progress=None) -> np.ndarray:
        self.calls += len(texts)
        if progress:
            progress(len(texts))
        return self.embed_queries(texts)
