"""Features of a candidate sentence that look beyond it: its document and its neighbours.

The classic miss of a sentence scorer: the chosen sentence repeats the question's
names, while the answer sits in a sentence that leaves them implicit (they are in
the title, or in the sentence before, which "Il..." refers back to). So besides the
sentence's own words, a candidate is described by:
- `lex_doc`: question words it holds, weighted by how rare they are among its own
  document's sentences (a word every sentence repeats names the topic, not the answer);
- `cov_raw`: the share of question words it holds, unweighted;
- `cov_dense`: the most question words inside 12 consecutive words of it;
- `cov_context`: question words in it, its document's title, and the sentence before
  when it opens with an anaphor (what a reader of the quote knows);
- `cov_doc`: question words anywhere in its document or title;
- `doc_cos`: the best dense cosine of a candidate of its document, scaled like `cos_gap`;
- `passage_rank`: the rank of its passage in retrieval (0 = first);
- `cos_local`: its cosine minus the mean cosine of the sentences around it (up to 4
  before and after): how much closer to the question it is than its surroundings. The
  topic the question names lifts every sentence of a passage alike; what one sentence
  adds to it is what the question asks about. `cos_local_gap`: the same against the
  best candidate, in standard deviations among the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from index.analysis import stems

if TYPE_CHECKING:
    from qa.features import Candidate

CONTEXT_FEATURES = ("lex_doc", "cov_raw", "cov_dense", "cov_context", "cov_doc", "doc_cos",
                    "passage_rank", "cos_local", "cos_local_gap")
WINDOW = 12


@dataclass(frozen=True)
class DocumentContext:
    """What the features need of a candidate's document: its title and sentences."""

    title: str
    sentences: tuple[str, ...]


@lru_cache(maxsize=100_000)
def stem_list(text: str) -> tuple[str, ...]:
    """The stems of `text` (cached: the same sentences come back across questions)."""
    return tuple(stems(text))


def _share(q: set[str], words: set[str]) -> float:
    return len(q & words) / len(q) if q else 0.0


def _densest(q: set[str], words: Sequence[str]) -> float:
    if not q:
        return 0.0
    best = max((len(q.intersection(words[i:i + WINDOW])) for i in range(len(words))),
               default=0)
    return best / len(q)


def _doc_weights(q_stems: list[str], document: DocumentContext) -> dict[str, float]:
    sets = [set(stem_list(s)) for s in document.sentences]
    n = len(sets)
    return {s: math.log(1 + n / (1 + sum(1 for t in sets if s in t))) for s in q_stems}


def context_matrix(q_stems: list[str], candidates: Sequence[Candidate],
                   anaphors: Sequence[bool], top: float, spread: float) -> np.ndarray:
    """One row of `CONTEXT_FEATURES` per candidate.

    Args:
        q_stems: the question's stems, each once.
        candidates: the candidates (their `document`, when known, gives title and sentences).
        anaphors: whether each candidate opens with an anaphor.
        top: the best cosine among them.
        spread: the scale of `cos_gap`.

    Returns:
        A (len(candidates), len(CONTEXT_FEATURES)) array.
    """
    q = set(q_stems)
    per_doc = _per_document(q_stems, candidates)
    best_cos: dict[str, float] = {}
    for c in candidates:
        best_cos[c.source] = max(best_cos.get(c.source, c.cos), c.cos)
    rows = []
    for c, anaphor in zip(candidates, anaphors, strict=True):
        weights, title, doc_words = per_doc[c.source]
        own = stem_list(c.text)
        known = set(own) | title | (set(stem_list(c.prev_text)) if anaphor else set())
        total = sum(weights.values())
        rows.append([
            sum(weights[s] for s in q_stems if s in own) / total if total else 0.0,
            _share(q, set(own)), _densest(q, own), _share(q, known),
            _share(q, doc_words | title), (best_cos[c.source] - top) / spread,
            float(c.passage_index),
        ])
    matrix = np.array(rows, dtype=np.float64).reshape(len(candidates), len(CONTEXT_FEATURES) - 2)
    return np.hstack([matrix, _local(candidates)])


def _per_document(q_stems: list[str], candidates: Sequence[Candidate]
                  ) -> dict[str, tuple[dict[str, float], set[str], set[str]]]:
    """Per document: question-word weights by in-document rarity, title stems, all stems."""
    found: dict[str, tuple[dict[str, float], set[str], set[str]]] = {}
    for c in candidates:
        if c.source not in found:
            doc = c.document or DocumentContext("", (c.text,))
            words = {w for s in doc.sentences for w in stem_list(s)}
            found[c.source] = (_doc_weights(q_stems, doc), set(stem_list(doc.title)), words)
    return found


def _local(candidates: Sequence[Candidate]) -> np.ndarray:
    """`cos_local` and `cos_local_gap` of each candidate, as two columns."""
    local = np.array([c.cos - (c.cos if c.local_cos is None else c.local_cos)
                      for c in candidates], dtype=np.float64)
    scale = max(float(local.std()), 1e-3) if len(local) else 1.0
    gap = (local - (local.max() if len(local) else 0.0)) / scale
    return np.stack([local, gap], axis=1).reshape(len(candidates), 2)
