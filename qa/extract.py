"""Choosing the answer: the sentence of the retrieved passages that answers best.

Extractive only: the answer is a span of a source text. Candidate sentences
(`qa.candidates`: those of the top passages, plus the sentence right after each,
in case the answer crosses a chunk edge) are described by `qa.features` and
scored with weights learned on data (`qa.reader_model`; other weights when the
question is in another language than the text). A sentence opening with an
anaphor ("Ce pilote...") is quoted with the sentence before it, a neighbour
scoring close to the best joins it, and an answer over 400 characters is cut to
the clauses that answer (`qa.trim`), keeping the chosen sentence whole when it
fits. The short answer the question asks for (a name, a date, a number) is
highlighted inside. A second small logistic model decides whether the evidence
is strong enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.analysis import stems
from index.docstore import DocStore
from index.ner import EntityTagger
from index.tokens import QueryTokens
from qa import reader_model
from qa.abstain import ABSTAIN_FEATURES, abstain_features, known_alignment, probability
from qa.candidates import gather, relevance
from qa.features import ANAPHOR, FEATURES, Candidate, cross_language, feature_matrix, shared_words
from qa.ner import LABELS, candidate_entities
from qa.question import answer_spans, question_type
from qa.trim import MAX_ANSWER_CHARS, trim
from qa.types import Passage, Span

# A neighbouring sentence scoring within this margin of the best joins the answer
# (measured on held-out PIAF training paragraphs, see the README).
NEIGHBOUR_MARGIN = 2.0
ALIGN = FEATURES.index("align")  # the raw token alignment, which the confidence reads too


@dataclass(frozen=True)
class ReaderWeights:
    """The reader's weights: sentence scoring (question and text in one language, or
    not: `sentence_cross`), abstention, how many passages to read."""

    sentence: tuple[float, ...] = tuple(reader_model.SENTENCE[f] for f in FEATURES)
    sentence_cross: tuple[float, ...] = tuple(reader_model.SENTENCE_CROSS[f] for f in FEATURES)
    abstain: tuple[float, ...] = tuple(
        reader_model.ABSTAIN[f] for f in (*ABSTAIN_FEATURES, "bias"))
    abstain_cross: tuple[float, ...] = tuple(
        reader_model.ABSTAIN_CROSS[f] for f in (*ABSTAIN_FEATURES, "bias"))
    passages: int = 5


@dataclass(frozen=True)
class Selection:
    """The chosen answer: which passage, where, the short answer in it, how sure."""

    passage_index: int
    source: str
    span: Span
    score: float
    confidence: float
    highlight: Span | None = None


class SentenceReader:
    """Picks the best sentence among the sentences of the passages.

    Args:
        docs: the document store (texts and sentence vectors).
        weights: the learned weights.
    """

    def __init__(self, docs: DocStore, weights: ReaderWeights | None = None,
                 tagger: EntityTagger | None = None) -> None:
        self.docs = docs
        self.weights = weights or ReaderWeights()
        self.tagger = tagger or EntityTagger()

    def entities(self, kind: str,
                 candidates: list[Candidate]) -> list[list[tuple[int, int]]] | None:
        """Named-entity spans of each candidate fitting `kind` (stored at index time, or
        tagged now); None for other kinds, or when untagged and spaCy cannot load."""
        labels = LABELS.get(kind)
        if labels is None:
            return None
        found = candidate_entities(self.docs, self.tagger, candidates)
        if found is None:
            return None
        return [[(a, b) for a, b, label in spans if label in labels] for spans in found]

    def candidates(self, query_vector: np.ndarray, passages: list[Passage]) -> list[Candidate]:
        """The sentences of the first passages and their neighbours, each once."""
        return gather(self.docs, query_vector, passages[: self.weights.passages],
                      relevance(passages))

    def read(self, question: str, query_vector: np.ndarray, passages: list[Passage],
             query_tokens: QueryTokens | None = None) -> Selection | None:
        """Return the best answer, or None when the passages hold no sentence.

        `query_tokens`, the question's token vectors, feed the alignment features."""
        candidates = self.candidates(query_vector, passages)
        if not candidates:
            return None
        kind = question_type(question)
        return self.decide(question, kind, candidates, self.entities(kind, candidates),
                           query_tokens)[1]

    def decide(self, question: str, kind: str, candidates: list[Candidate],
               entities: list[list[tuple[int, int]]] | None,
               query_tokens: QueryTokens | None = None) -> tuple[np.ndarray, Selection]:
        """The score of each candidate (higher is better), and the answer chosen from them."""
        cross = cross_language(question, candidates)
        matrix = feature_matrix(question, kind, candidates, entities, cross, query_tokens)
        scores = matrix @ np.array(self.weights.sentence_cross if cross else self.weights.sentence)
        return scores, self.choose(question, kind, candidates, entities, scores, matrix[:, ALIGN])

    def choose(self, question: str, kind: str, candidates: list[Candidate],
               entities: list[list[tuple[int, int]]] | None, scores: np.ndarray,
               align: np.ndarray | None = None) -> Selection:
        """The answer around the best-scoring candidate, its highlight and confidence.

        `align`, each candidate's raw token alignment (the `align` column of its
        features), feeds the confidence; None (or all zeros) when unknown."""
        i = int(np.argmax(scores))
        best = candidates[i]
        cross = cross_language(question, candidates)
        confidence = self.confidence(question, candidates, best, float(scores.max()), cross,
                                     None if align is None else known_alignment(align, i))
        own = answer_span(best)
        span = with_neighbour(candidates, scores, i, own)
        highlight = highlight_span(kind, best, question, entities[i] if entities else None)
        if span.end - span.start > MAX_ANSWER_CHARS:
            # The chosen sentence stays whole when it fits: a neighbour that joined
            # adds only the clauses next to it that fit; else the highlight is kept.
            keep = own if own.end - own.start <= MAX_ANSWER_CHARS else highlight
            span = self._shorten(span, best.source, keep,
                                 shared_words(question) if cross else question)
        return Selection(best.passage_index, best.source, span, float(scores.max()),
                         confidence, highlight)

    def _shorten(self, span: Span, source: str, keep: Span | None, words: str) -> Span:
        """The clauses of an over-long answer that hold `keep` and most of `words`."""
        document = self.docs.get_document(source)
        if document is None:
            return span
        inside = (keep.start - span.start, keep.end - span.start) if keep else None
        a, b = trim(document.text[span.start:span.end], words, inside)
        return Span(span.start + a, span.start + b)

    def confidence(self, question: str, candidates: list[Candidate], best: Candidate,
                   best_score: float, cross: bool = False,
                   align: tuple[float, float] | None = None) -> float:
        """Probability that `best` answers (logistic over `ABSTAIN_FEATURES`).

        Args:
            question: the question.
            candidates: every candidate read.
            best: the chosen one.
            best_score: its score.
            cross: the question is in another language than the text (the
                cross-language scorer and abstention weights apply).
            align: the token alignment of `best` and the best of the candidates'
                (None: unknown).
        """
        weights = self.weights.abstain_cross if cross else self.weights.abstain
        return probability(abstain_features(question, candidates, best, best_score, cross,
                                            align), weights)


def answer_span(best: Candidate) -> Span:
    """The sentence, with the one before when it opens with an anaphor and fits."""
    if best.prev_text and ANAPHOR.match(best.text) and best.end - best.prev_start <= \
            MAX_ANSWER_CHARS:
        return Span(best.prev_start, best.end)
    return Span(best.start, best.end)


def with_neighbour(candidates: list[Candidate], scores: np.ndarray, i: int, span: Span) -> Span:
    """Add the best-scoring adjacent sentence when it scores close to the best, and a
    sentence one further away (with the one between) when it does and the whole fits.

    The best and its adjacent sentence may be longer than an answer may be:
    `SentenceReader.choose` then keeps the clauses that answer (`qa.trim`); a
    sentence one further away joins only when nothing has to be cut.
    """
    best = candidates[i]
    if (span.start, span.end) != (best.start, best.end):
        return span
    line = sorted((j for j, c in enumerate(candidates) if c.source == best.source),
                  key=lambda j: candidates[j].start)
    at = line.index(i)

    def step(k: int, d: int) -> int | None:
        """The position in `line` of the sentence right before/after (d) line[k]."""
        m = k + d
        found = 0 <= m < len(line) and _next_to(candidates[line[m]], candidates[line[k]])
        return m if found else None

    def close(k: int) -> bool:
        return bool(scores[i] - scores[line[k]] < NEIGHBOUR_MARGIN)

    beside = [m for m in (step(at, -1), step(at, 1)) if m is not None]
    near = [m for m in beside if close(m)]
    if near:
        other = candidates[line[max(near, key=lambda m: scores[line[m]])]]
        span = Span(min(other.start, best.start), max(other.end, best.end))
    for m in beside:
        further = step(m, m - at)
        if further is not None and close(further):
            far = candidates[line[further]]
            joined = Span(min(span.start, far.start), max(span.end, far.end))
            if joined.end - joined.start <= MAX_ANSWER_CHARS:
                span = joined
    return span


def _next_to(a: Candidate, b: Candidate) -> bool:
    """True when sentences `a` and `b` of one document follow each other."""
    return 0 <= a.start - b.end <= 3 or 0 <= b.start - a.end <= 3


def highlight_span(kind: str, best: Candidate, question: str,
                   entities: list[tuple[int, int]] | None = None) -> Span | None:
    """The short answer of type `kind` in the sentence, nearest to the question's words."""
    spans = answer_spans(kind, best.text, question, entities)
    if not spans:
        return None
    q = set(stems(question))
    anchors = [i for i, w in enumerate(best.text.split()) if set(stems(w)) & q]
    if anchors:
        words_before = [len(best.text[:a].split()) for a, _ in spans]
        a, b = min(zip(spans, words_before, strict=True),
                   key=lambda sw: min(abs(sw[1] - x) for x in anchors))[0]
    else:
        a, b = spans[0]
    return Span(best.start + a, best.start + b)
