"""How closely a sentence's tokens match the question's: overlap that sees paraphrases.

Word overlap misses an answer that says "est tué" for the question's "décède", or
"salaire" for "payé". The embedding model's token vectors (`index.tokens`) place
such words near each other. For each token of the question that carries meaning,
its best cosine with any token of the sentence is taken (late interaction, as in
ColBERT), and these are averaged, weighted by how rare the token is among the
candidates (a token every candidate holds tells them apart less). A token carries
meaning unless its word is a stopword or a single letter; a question word ("qui",
"when") does: in context its vector leans towards what is asked (a name, a date).

Two reader features come out of it (`ALIGN_FEATURES`): the weighted mean, and its
gap to the best candidate's, scaled by the spread among the candidates (as
`cos_gap` is). Without token vectors (a model with no projection) both are 0 for
every candidate. The "ou" of a question counts as "où" (accents are folded), as it did
when the reader was trained.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from index.analysis import STOPWORDS, fold
from index.tokens import QueryTokens, TokenVectors

ALIGN_FEATURES = ("align", "align_gap")
QUESTION_WORDS = frozenset(
    "qui quel quelle quels quelles quoi comment pourquoi quand combien ou lequel laquelle "
    "lesquels que what which who whom whose when where why how".split())
_WORD = re.compile(r"\w+")


def meaningful(question: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Which of the question's tokens (by their spans in `question`) carry meaning.

    >>> meaningful("Qui dirige l'OCRTEH ?", [(0, 3), (4, 10), (11, 12), (12, 13), (13, 15)])
    array([ True,  True, False, False,  True])
    """
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(question)]
    keep = []
    for start, _ in spans:
        word = next((w for a, b, w in words if a <= start < b), "")
        keep.append(word in QUESTION_WORDS or (len(word) > 1 and word not in STOPWORDS))
    return np.array(keep, dtype=bool)


def alignment(question: str, query: QueryTokens | None,
              sentences: Sequence[TokenVectors | None]) -> np.ndarray:
    """The `ALIGN_FEATURES` of each candidate sentence.

    Args:
        question: the question's text.
        query: its token vectors (None: no alignment).
        sentences: each candidate's token vectors (None: unknown, scores 0).

    Returns:
        A (len(sentences), 2) array; zeros when `query` is None or no sentence has
        token vectors.
    """
    n = len(sentences)
    if query is None or not n or all(s is None for s in sentences) or not query.spans:
        return np.zeros((n, len(ALIGN_FEATURES)))
    keep = meaningful(question, query.spans)
    if not keep.any():
        keep[:] = True
    held = [set() if s is None else set(s.ids.tolist()) for s in sentences]
    weights = np.array([math.log(1 + n / (1 + sum(int(p) in h for h in held)))
                        for p in query.ids])
    weights = weights * keep
    raw = np.zeros(n)
    for j, s in enumerate(sentences):
        if s is not None and len(s.ids):
            best = (query.vectors @ s.vectors.T).max(axis=1)
            raw[j] = float(best @ weights / weights.sum())
    spread = max(float(raw.max() - np.median(raw)), 0.01)
    return np.stack([raw, (raw - raw.max()) / spread], axis=1)

