"""Evaluation metrics: retrieval ranks, answer-in-quote, short-answer match, latency.

Answers are compared after French-aware normalization: case and accents
folded, apostrophes unified, punctuation turned into spaces, spaces collapsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from index.analysis import fold

MAX_ANSWER_CHARS = 400
_PUNCT = re.compile(r"[^\w]+", re.UNICODE)
_ARTICLES = frozenset(["le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "the", "a",
                       "an"])


def normalize(text: str) -> str:
    """Fold case and accents, punctuation to spaces, collapse spaces.

    >>> normalize("  L’Élysée, «Paris» ! ")
    'l elysee paris'
    """
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


def answer_in_quote(answers: Iterable[str], quote: str) -> bool:
    """True when a gold answer appears, as whole words, in a quote of at most 400 characters."""
    if not quote or len(quote) > MAX_ANSWER_CHARS:
        return False
    padded = f" {normalize(quote)} "
    return any(normalize(a) and f" {normalize(a)} " in padded for a in answers)


def _tokens(text: str) -> list[str]:
    return [t for t in normalize(text).split() if t not in _ARTICLES]


def span_f1(prediction: str, answers: Sequence[str]) -> tuple[float, float]:
    """(exact match, F1) of a short answer against the best gold answer (SQuAD-style).

    Articles (le, la, l', the, a...) are ignored, as SQuAD does for English.
    """
    pred = _tokens(prediction)
    best_em, best_f1 = 0.0, 0.0
    for answer in answers:
        gold = _tokens(answer)
        em = float(pred == gold)
        common = sum((Counter(pred) & Counter(gold)).values())
        f1 = 0.0 if common == 0 else 2 * common / (len(pred) + len(gold))
        best_em, best_f1 = max(best_em, em), max(best_f1, f1)
    return best_em, best_f1


def gold_rank(cited_sources: Sequence[str], gold: set[str]) -> int | None:
    """1-based rank of the first citation from a gold source, or None."""
    for i, source in enumerate(cited_sources):
        if source in gold:
            return i + 1
    return None


def recall_at(ranks: Sequence[int | None], n: int) -> float:
    """Share of questions whose gold source is within the first `n` citations."""
    return sum(1 for r in ranks if r is not None and r <= n) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], n: int) -> float:
    """Mean reciprocal rank, counting ranks beyond `n` as 0."""
    return sum(1 / r for r in ranks if r is not None and r <= n) / len(ranks) if ranks else 0.0


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """{"p50", "p95"} of `values` (0.0 when empty), rounded to 0.1."""
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": round(float(np.percentile(arr, 50)), 1),
            "p95": round(float(np.percentile(arr, 95)), 1)}
