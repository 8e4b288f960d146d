"""Test doubles: a deterministic embedder that makes assertions exact."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from index.analysis import fold, terms
from index.tokens import QueryTokens, TokenVectors


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

    def embed_queries_with_tokens(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        return self.embed_queries(texts), [None] * len(texts)

    def embed_documents_with_tokens(self, texts: Sequence[str], progress=None):  # type: ignore[no-untyped-def]
        return self.embed_documents(texts, progress), [None] * len(texts)


class TokenFake(FakeEmbedder):
    """A `FakeEmbedder` that also gives token vectors: one token per word, its id and
    its 8-dimension vector a hash of the word (folded), so equal words match exactly."""

    @staticmethod
    def _word(word: str) -> tuple[int, np.ndarray]:
        digest = hashlib.md5(fold(word).encode()).digest()
        v = np.frombuffer(digest[:8], dtype=np.int8).astype(np.float32) + 0.5
        return int.from_bytes(digest[8:12], "little"), v / np.linalg.norm(v)

    def _tokens(self, text: str) -> tuple[np.ndarray, np.ndarray, tuple[tuple[int, int], ...]]:
        found = [(m.span(), *self._word(m.group())) for m in re.finditer(r"\w+", text)]
        ids = np.array([i for _, i, _ in found], dtype=np.uint32)
        vectors = np.array([v for _, _, v in found], dtype=np.float32).reshape(len(found), 8)
        return ids, vectors, tuple(s for s, _, _ in found)

    def embed_queries_with_tokens(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        return self.embed_queries(texts), [
            QueryTokens(*self._tokens(t)) for t in texts]

    def embed_documents_with_tokens(self, texts: Sequence[str], progress=None):  # type: ignore[no-untyped-def]
        return self.embed_documents(texts, progress), [
            TokenVectors(*self._tokens(t)[:2]) for t in texts]
