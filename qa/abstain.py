"""Whether the evidence is strong enough to answer: a small logistic model.

Five features: the best cosine among the candidates, the chosen sentence's score,
the share of the question's words found around it (`coverage`), and how closely
the question's tokens match the chosen sentence's and the best-matching
candidate's (`align`, `max_align`: the reader's raw token alignment,
`qa.alignment`). Word overlap only means something when the question and the
text share a language: an English question over French text matches few words
whether the text answers or not, so its coverage is unknown and counts as
`COVERAGE_UNKNOWN`: what an unanswerable training question gets on average, so
that missing evidence never speaks for answering and the language-neutral
features must carry the answer. Token alignment is language-neutral (the model's
token vectors are multilingual), but unknown when the index has no token vectors
(a model other than the default): it then counts as `ALIGN_UNKNOWN`, for the
same reason.
"""

from __future__ import annotations

import math

import numpy as np

from index.analysis import language, stems
from qa.features import Candidate

ABSTAIN_FEATURES = ("max_cos", "best_score", "coverage", "align", "max_align")
# Mean coverage of the chosen sentence of the 3,069 unanswerable training cases of
# benchmarks/train_reader.py (0.597 for the answerable ones).
COVERAGE_UNKNOWN = 0.387
# Mean `align` of the chosen sentence and `max_align` over the candidates of the same
# unanswerable cases (0.864 and 0.869 for the answerable ones).
ALIGN_UNKNOWN = (0.826, 0.834)


def abstain_features(question: str, candidates: list[Candidate], best: Candidate,
                     best_score: float, cross: bool | None = None,
                     align: tuple[float, float] | None = None
                     ) -> tuple[float, float, float, float, float]:
    """(max cosine, best sentence score, share of question words near the answer,
    token alignment of the answer, best token alignment).

    Args:
        question: the question.
        candidates: every candidate sentence read.
        best: the chosen one.
        best_score: its score.
        cross: whether the question is in another language than the text (default:
            compare the languages of the question and of the text around `best`).
        align: the raw token alignment (`qa.alignment`) of `best` and the highest of
            the candidates'; None when unknown (no token vectors).

    Returns:
        The features of `ABSTAIN_FEATURES`, in order.
    """
    near_text = best.prev_text + " " + best.text + " " + best.next_text
    q = set(stems(question))
    if cross is None:
        cross = language(question) != language(near_text)
    shared = len(q & set(stems(near_text))) / len(q) if q else 0.0
    aligned, best_aligned = ALIGN_UNKNOWN if align is None else align
    return (max(c.cos for c in candidates), best_score, COVERAGE_UNKNOWN if cross else shared,
            aligned, best_aligned)


def known_alignment(column: np.ndarray, best: int) -> tuple[float, float] | None:
    """`abstain_features`' `align` from the raw alignment of each candidate.

    A candidate without token vectors has 0 there: the chosen one's then counts as
    `ALIGN_UNKNOWN`, and the best is taken among the others. None when no candidate
    has any (the index holds no token vectors).
    """
    known = np.isfinite(column) & (column != 0)
    if not known.any():
        return None
    aligned = float(column[best]) if known[best] else ALIGN_UNKNOWN[0]
    return aligned, max(float(column[known].max()), aligned)


def probability(features: tuple[float, ...], weights: tuple[float, ...]) -> float:
    """Logistic probability of `features` (plus a bias) under `weights`.

    Args:
        features: the feature values.
        weights: one weight per feature, then the bias.

    Returns:
        A probability in [0, 1] (the logit is clipped to +-50).
    """
    z = float(np.array([*features, 1.0]) @ np.array(weights))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
