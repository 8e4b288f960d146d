"""The candidate answer sentences of retrieved passages, with their context.

The candidates are the sentences of the passages the reader reads, plus the
sentence right after each passage (an answer may cross a chunk's edge). Each
knows its neighbours and its document (title, all its sentences) for the
features of `qa.features` and `qa.context`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from index.docstore import DocStore
from index.tokens import TokenVectors
from qa.context import DocumentContext
from qa.features import Candidate, is_heading
from qa.types import Passage

# `local_cos` of a candidate: the mean cosine of the sentences up to this far from it.
LOCAL_WINDOW = 4


@dataclass(frozen=True)
class DocumentSentences:
    """A document's text, sentence spans, their cosines to the question, its context."""

    source: str
    text: str
    spans: list[tuple[int, int]]
    cos: np.ndarray
    context: DocumentContext

    def candidate(self, passage_index: int, j: int, relevance: float) -> Candidate:
        """Sentence `j` as a candidate.

        A heading before it is no previous sentence: the sentence opens a section,
        as the first one opens the document.

        Args:
            passage_index: the rank of the passage it was read from.
            j: the sentence's index in the document.
            relevance: the retrieval score of the document's best passage.
        """
        a, b = self.spans[j]
        p = j - 1 if j > 0 and not is_heading(self._text(j - 1), self.context.title) else j
        prev = self.spans[p] if p < j else (a, a)
        nxt = self.spans[j + 1] if j + 1 < len(self.spans) else (b, b)
        around = self.cos[max(0, j - LOCAL_WINDOW):j + LOCAL_WINDOW + 1]
        return Candidate(passage_index, self.source, a, b, self.text[a:b], prev[0],
                         self._text(p) if p < j else "", self.text[nxt[0]:nxt[1]],
                         float(self.cos[j]), float(self.cos[p]), relevance, j == 0,
                         self.context, float(around.mean()))

    def _text(self, j: int) -> str:
        a, b = self.spans[j]
        return self.text[a:b]



def load(docs: DocStore, source: str, query_vector: np.ndarray) -> DocumentSentences | None:
    """A document's sentences and their cosines to the question; None if it has none."""
    document = docs.get_document(source)
    if document is None:
        return None
    spans, vectors = docs.sentences_between(source, 0, len(document.text))
    if not spans:
        return None
    context = DocumentContext(document.title, tuple(document.text[a:b] for a, b in spans))
    return DocumentSentences(source, document.text, spans, vectors @ query_vector, context)


def relevance(passages: list[Passage]) -> dict[str, float]:
    """Each document's relevance: the score of its best passage."""
    found: dict[str, float] = {}
    for passage in passages:
        found.setdefault(passage.chunk.source, passage.score)
    return found


def gather(docs: DocStore, query_vector: np.ndarray, passages: list[Passage],
           relevant: dict[str, float]) -> list[Candidate]:
    """The sentences of `passages` and the sentence after each passage, each once.

    Args:
        docs: the document store (texts, sentence spans and vectors).
        query_vector: the question's vector.
        passages: the passages to read, best first.
        relevant: each document's relevance (see `relevance`).

    Returns:
        The candidates, in passage order, with their token vectors when stored.
    """
    found: dict[tuple[str, int], Candidate] = {}
    loaded: dict[str, DocumentSentences | None] = {}
    for i, passage in enumerate(passages):
        chunk = passage.chunk
        if chunk.source not in loaded:  # passages often share a document: read it once
            loaded[chunk.source] = load(docs, chunk.source, query_vector)
        entry = loaded[chunk.source]
        if entry is None:
            continue
        spans = entry.spans
        inside = [j for j, (a, b) in enumerate(spans) if a < chunk.end and b > chunk.start]
        chosen = inside + ([inside[-1] + 1] if inside and inside[-1] + 1 < len(spans) else [])
        for j in chosen:
            if (chunk.source, spans[j][0]) not in found:
                found[(chunk.source, spans[j][0])] = entry.candidate(
                    i, j, relevant[chunk.source])
    tokens = docs.tokens_at(list(found))
    return [replace(c, tokens=TokenVectors.from_bytes(tokens[key])) if key in tokens else c
            for key, c in found.items()]
