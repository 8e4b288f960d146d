"""One score per candidate passage from dense, sentence and lexical evidence.

Cosines of multilingual-e5 sit in a narrow band that moves from one question
to the next, and BM25 scores have no fixed scale, so each kind of evidence is
normalised among the question's candidates before weighting: cosines are
standardised (z-scores), BM25 is divided by the best candidate's. The weights
are learned by `benchmarks/train_fusion.py` on PIAF questions never used for
evaluation (README, "Retrieval").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEXICAL_UNIT = 1.0  # about the BM25 score of one rare word; see evidence_matrix


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the normalised evidence, and how candidates are gathered.

    Attributes:
        dense: the passage's cosine to the question, standardised.
        sentence: its best sentence's cosine, standardised.
        lexical: its BM25 score over the best candidate's.
        lexical_en: factor on `lexical` for an English question (its words
            rarely occur in French text: overlap is mostly chance).
        depth: candidates taken from each of the dense and lexical rankings.
        spread: how fast a passage's relevance falls below the best one's as
            its fused score does (see `relevance`).
    """

    dense: float = 0.387
    sentence: float = 0.84
    lexical: float = 2.931
    lexical_en: float = 0.3
    depth: int = 30
    spread: float = 0.1


@dataclass(frozen=True)
class Evidence:
    """What is known of each candidate passage, one entry per candidate.

    Attributes:
        dense: cosine of the passage vector to the question vector.
        sentence: best cosine of one of its sentences to the question.
        lexical: BM25 score of its words (0 when none matched).
    """

    dense: np.ndarray
    sentence: np.ndarray
    lexical: np.ndarray


def standardise(values: np.ndarray) -> np.ndarray:
    """z-scores of `values` (all 0 when they do not vary).

    >>> standardise(np.array([1.0, 2.0, 3.0])).round(3).tolist()
    [-1.225, 0.0, 1.225]
    """
    spread = float(values.std()) if len(values) else 0.0
    if spread < 1e-9:
        return np.zeros(len(values))
    return (values - values.mean()) / spread


def evidence_matrix(evidence: Evidence, lexical_factor: float = 1.0) -> np.ndarray:
    """The normalised evidence, one row per candidate: (dense, sentence, lexical).

    BM25 is divided by the best candidate's, but never by less than LEXICAL_UNIT:
    words found in most documents score near 0 (SQLite's BM25 gives them an idf of
    1e-6), and dividing by their best score would turn that noise into evidence.

    Args:
        evidence: the candidates' cosines and BM25 scores.
        lexical_factor: multiplies the lexical column (`lexical_en` for English).
    """
    best = max(float(evidence.lexical.max()) if len(evidence.lexical) else 0.0, LEXICAL_UNIT)
    lexical = evidence.lexical / best
    return np.stack([standardise(evidence.dense), standardise(evidence.sentence),
                     lexical_factor * lexical], axis=1)


def fused_scores(evidence: Evidence, weights: FusionWeights, english: bool) -> np.ndarray:
    """The weighted sum of the normalised evidence of each candidate.

    Args:
        evidence: the candidates' cosines and BM25 scores.
        weights: the learned weights.
        english: the question is in English (lexical evidence counts less).

    Returns:
        One score per candidate, higher is better (the scale of a logit).
    """
    matrix = evidence_matrix(evidence, weights.lexical_en if english else 1.0)
    return matrix @ np.array([weights.dense, weights.sentence, weights.lexical])


def relevance(scores: np.ndarray, spread: float) -> np.ndarray:
    """Passage scores in (0, 1], the best one 1: exp(spread * (score - best)).

    The reader compares each passage's relevance with the best one's, and was
    trained when relevance came from reciprocal-rank fusion: `spread` keeps the
    ratios in that range (README, "Retrieval").
    """
    if not len(scores):
        return scores
    return np.exp(spread * (scores - scores.max()))
