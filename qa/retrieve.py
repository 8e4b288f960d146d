"""Retrieval: from a question to ranked passages, dense and lexical evidence fused.

Dense retrieval (the embedding model) understands paraphrases and crosses
languages; the lexical index (BM25 over folded, stemmed words) finds rare
names and acronyms whatever their case. The best passages of each become
candidates, and each candidate is scored by its own cosine, its best
sentence's cosine (sentence vectors are stored at index time: a question
usually matches one sentence) and its BM25 score, normalised and weighted
(`qa.fusion`, weights learned; see the README).
"""

from __future__ import annotations

import numpy as np

from index.analysis import language
from index.chunking import Chunk
from index.docstore import DocStore
from index.store import VectorStore
from qa.fusion import Evidence, FusionWeights, fused_scores, relevance
from qa.types import Passage

# Lexical matches whose BM25 score is read, candidates or not. Scoring given chunks
# instead (FTS5 MATCH with an id filter) scores every match: 11 ms against 1 ms more
# for 100 rows than 30, on a 55,000-chunk lexical index.
LEXICAL_SCORED = 100


class DenseRetriever:
    """Nearest chunks by cosine similarity in the vector store.

    Args:
        vectors: the chunk vector store.
        docs: the document store, which holds the chunks' spans and texts.
    """

    def __init__(self, vectors: VectorStore, docs: DocStore) -> None:
        self.vectors = vectors
        self.docs = docs

    def retrieve(self, query_vector: np.ndarray, k: int) -> list[Passage]:
        """Return at most `k` passages, best first, no chunk twice.

        A vector another process wrote before committing its chunk is not cited yet.
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        nearest = dict(self.vectors.nearest(query_vector, k, self.docs.count("chunks")))
        chunks = self.docs.chunks(nearest)
        return [Passage(chunks[cid], score) for cid, score in nearest.items() if cid in chunks]


class HybridRetriever:
    """Dense and lexical retrieval fused.

    Args:
        vectors: the chunk vector store.
        docs: the document store with its lexical index and sentence vectors.
        weights: the fusion weights.
    """

    def __init__(self, vectors: VectorStore, docs: DocStore,
                 weights: FusionWeights | None = None) -> None:
        self.dense = DenseRetriever(vectors, docs)
        self.docs = docs
        self.weights = weights or FusionWeights()

    def retrieve(self, question: str, query_vector: np.ndarray, k: int) -> list[Passage]:
        """Return at most `k` passages, best first, no chunk twice.

        `score` is the passage's relevance in (0, 1], the best passage's 1.
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        chunks, evidence = self.candidates(question, query_vector, k)
        scores = fused_scores(evidence, self.weights, language(question) == "en")
        order = sorted(range(len(chunks)), key=lambda i: (-scores[i], chunks[i].id))[:k]
        shown = relevance(scores[order], self.weights.spread)
        return [Passage(chunks[i], float(r)) for i, r in zip(order, shown, strict=True)]

    def candidates(self, question: str, query_vector: np.ndarray,
                   k: int = 1) -> tuple[list[Chunk], Evidence]:
        """The nearest passages and the best lexical matches (`depth` of each, at least
        `k`), with their evidence.

        A candidate found only by its words is not among the nearest passages: its
        cosine is taken as the farthest of those (an upper bound, cheaper than
        reading its vector). BM25 scores are read deeper than the lexical candidates
        (LEXICAL_SCORED), so that a near passage gets credit for its words too.
        """
        depth = max(k, self.weights.depth)
        dense = self.dense.retrieve(query_vector, depth)
        lexical = self.docs.lexical_ranking(question, max(depth, LEXICAL_SCORED))
        found: dict[str, Chunk] = {p.chunk.id: p.chunk for p in dense}
        only_lexical = [cid for cid, _ in lexical[:depth] if cid not in found]
        read = self.docs.chunks(only_lexical)  # texts only for the candidates
        found.update((cid, read[cid]) for cid in only_lexical if cid in read)
        chunks = list(found.values())
        cosines = {p.chunk.id: p.score for p in dense}
        floor = min(cosines.values(), default=0.0)
        passage = np.array([cosines.get(c.id, floor) for c in chunks])
        words = dict(lexical)
        return chunks, Evidence(passage, self._best_sentences(chunks, passage, query_vector),
                                np.array([words.get(c.id, 0.0) for c in chunks]))

    def _best_sentences(self, chunks: list[Chunk], passage: np.ndarray,
                        query_vector: np.ndarray) -> np.ndarray:
        """Each candidate's best sentence cosine (its own cosine when it has no sentence)."""
        best = passage.copy()
        found = self.docs.sentence_vectors([(c.source, c.start, c.end) for c in chunks])
        for i, vectors in enumerate(found):
            if len(vectors):
                best[i] = float((vectors @ query_vector).max())
        return best
