"""Retrieval: from a question to ranked passages, dense and lexical evidence fused.

Dense retrieval (the embedding model) understands paraphrases and crosses
languages; the lexical index (BM25 over folded, stemmed words) finds rare
names and acronyms whatever their case. They are fused by weighted reciprocal
rank. Keywords of an English question rarely occur in French text, so the
lexical weight depends on the question's language (weights chosen by
measurement, see the README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.analysis import language
from index.chunking import Chunk
from index.docstore import DocStore
from index.store import VectorStore
from qa.types import Passage


@dataclass(frozen=True)
class FusionWeights:
    """Weighted reciprocal-rank fusion: sum of weight / (rrf_k + rank)."""

    dense: float = 1.0
    lexical_fr: float = 1.0
    lexical_en: float = 0.3
    rrf_k: float = 10.0
    depth: int = 30


def fuse(rankings: list[tuple[float, list[str]]], rrf_k: float) -> list[tuple[str, float]]:
    """Fuse ranked id lists by weighted reciprocal rank; best first, ties by first seen.

    Args:
        rankings: (weight, ids best first) per retriever.
        rrf_k: the rank offset; larger flattens the head of each list.

    Returns:
        (id, fused score) pairs, best first.
    """
    scores: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, cid in enumerate(ids):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank + 1)
    order = sorted(scores.items(), key=lambda kv: -kv[1])
    return order


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


class HybridRetriever:
    """Dense and lexical retrieval fused.

    Args:
        vectors: the chunk vector store.
        docs: the document store with its lexical index.
        weights: the fusion weights.
    """

    def __init__(self, vectors: VectorStore, docs: DocStore,
                 weights: FusionWeights | None = None) -> None:
        self.dense = DenseRetriever(vectors)
        self.docs = docs
        self.weights = weights or FusionWeights()

    def retrieve(self, question: str, query_vector: np.ndarray, k: int) -> list[Passage]:
        """Return at most `k` passages, best first; `score` is the fused score."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        w = self.weights
        depth = max(k, w.depth)
        dense = self.dense.retrieve(query_vector, depth)
        # A vector another process wrote before committing its chunk is not cited yet.
        known = self.docs.known_chunks(p.chunk.id for p in dense)
        dense = [p for p in dense if p.chunk.id in known]
        lexical = self.docs.lexical_search(question, depth)
        chunks: dict[str, Chunk] = {p.chunk.id: p.chunk for p in dense}
        chunks.update((c.id, c) for c, _ in lexical if c.id not in chunks)
        lex_weight = w.lexical_en if language(question) == "en" else w.lexical_fr
        fused = fuse([(w.dense, [p.chunk.id for p in dense]),
                      (lex_weight, [c.id for c, _ in lexical])], w.rrf_k)
        return [Passage(chunks[cid], score) for cid, score in fused[:k]]
