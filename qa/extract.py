"""Choosing the answer: the sentence of the retrieved passages that answers best.

Extractive only: the answer is a span of a source text. Each candidate
sentence is scored by its precomputed embedding against the question (works
across languages), by the question words it contains (names, acronyms), and by
the rank of its passage. Weak evidence means abstaining.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.analysis import terms
from index.docstore import DocStore
from qa.types import Passage, Span


@dataclass(frozen=True)
class ReaderWeights:
    """How the sentence score mixes its signals (chosen by measurement)."""

    dense: float = 1.0
    lexical: float = 0.15
    passage: float = 0.5
    # Logistic mapping from the best score to a 0..1 confidence.
    center: float = 1.05
    scale: float = 0.03


@dataclass(frozen=True)
class Selection:
    """The chosen sentence: which passage, where, and how sure."""

    passage_index: int
    source: str
    span: Span
    score: float
    confidence: float


def lexical_overlap(question_terms: set[str], sentence: str) -> float:
    """Share of the question's content words found in the sentence (prefix match on 5 letters)."""
    if not question_terms:
        return 0.0
    found = {t[:5] for t in terms(sentence)}
    return sum(1 for t in question_terms if t[:5] in found) / len(question_terms)


class SentenceReader:
    """Picks the best sentence among the sentences of the passages.

    Args:
        docs: the document store (texts and sentence vectors).
        weights: the score mix.
    """

    def __init__(self, docs: DocStore, weights: ReaderWeights | None = None) -> None:
        self.docs = docs
        self.weights = weights or ReaderWeights()

    def read(self, question: str, query_vector: np.ndarray,
             passages: list[Passage]) -> Selection | None:
        """Return the best sentence, or None when the passages hold no sentence."""
        if not passages:
            return None
        w = self.weights
        q_terms = set(terms(question))
        top = passages[0].score
        best: Selection | None = None
        for i, passage in enumerate(passages):
            chunk = passage.chunk
            document = self.docs.get_document(chunk.source)
            if document is None:
                continue
            spans, vectors = self.docs.sentences_between(chunk.source, chunk.start, chunk.end)
            if not spans:
                continue
            dense = vectors @ query_vector
            for (a, b), cos in zip(spans, dense, strict=True):
                lex = lexical_overlap(q_terms, document.text[a:b])
                score = w.dense * float(cos) + w.lexical * lex + w.passage * (passage.score - top)
                if best is None or score > best.score:
                    best = Selection(i, chunk.source, Span(a, b), score, 0.0)
        if best is None:
            return None
        confidence = 1.0 / (1.0 + math.exp(-(best.score - w.center) / w.scale))
        return Selection(best.passage_index, best.source, best.span, best.score, confidence)
