"""Features of candidate answer sentences, for the reader's learned scorer.

Each candidate sentence gets a row of numbers: how close its embedding is to
the question (raw, and scaled within the candidates, since cosines sit in a
narrow band), the question words it holds (weighted by rarity among the
candidates), the same for its previous sentence (answers often follow the
sentence that names the topic, starting with "Il", "Ce"...), whether it
contains an answer of the type the question asks for, what it adds to the
question, whether it looks like a heading, a byline or a photo credit, and
what its document and surroundings say (`qa.context`), and how closely its
tokens match the question's, paraphrases included (`qa.alignment`). A question in another
language than the text is matched only on the words languages share (names,
numbers, acronyms: `shared_words`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.analysis import language, stems
from index.tokens import QueryTokens, TokenVectors
from qa.alignment import ALIGN_FEATURES, alignment
from qa.context import CONTEXT_FEATURES, DocumentContext, context_matrix, stem_list
from qa.question import answer_spans, head_noun, names_head, raw_spans

FEATURES = ("cos", "cos_gap", "lex", "lex_prev", "lex_next", "cos_prev_gap", "anaphor",
            "typed", "typed_strict", "novelty", "heading", "log_len", "passage", "first",
            "bigram", "head", "lex_gap", "lex_top_passage", *CONTEXT_FEATURES,
            *ALIGN_FEATURES)
ANAPHOR = re.compile(
    r"^[«\"“(\s]*(?:ce|cet|cette|ces|il|elle|ils|elles|celui|celle|ceux|celles|lui|leur|"
    r"son|sa|ses|this|these|those|he|she|they|it|his|her|their|là|cela|ça)\b", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?…:»\"”)]\s*$")
_STRICT_TYPES = frozenset({"who", "when", "count", "where", "role"})
_WORD = re.compile(r"\w[\w-]*")


@dataclass(frozen=True)
class Candidate:
    """A sentence that may answer: where it is, and its context in its document."""

    passage_index: int
    source: str
    start: int
    end: int
    text: str
    prev_start: int
    prev_text: str
    next_text: str
    cos: float
    prev_cos: float
    passage_score: float
    first: bool
    document: DocumentContext | None = field(default=None, compare=False, repr=False)
    local_cos: float | None = None  # mean cosine of the sentences around it (None: unknown)
    tokens: TokenVectors | None = field(default=None, compare=False, repr=False)


def _coverage(q_stems: list[str], weights: dict[str, float], text_stems: set[str]) -> float:
    total = sum(weights[s] for s in q_stems)
    if total == 0:
        return 0.0
    return sum(weights[s] for s in q_stems if s in text_stems) / total


def _bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:], strict=False))


def is_heading(text: str, title: str = "") -> bool:
    """A title, byline or credit: no final punctuation, a "©" mark, or the document's title.

    Args:
        text: the sentence.
        title: the title of its document (a sentence that is mostly the title is its
            headline, even when punctuated).

    Returns:
        Whether the sentence is a heading rather than running text.
    """
    title = title.strip()
    return ("©" in text or not _TERMINAL.search(text)
            or (bool(title) and title in text and len(title) >= 0.7 * len(text.strip())))


def shared_words(question: str) -> str:
    """The words of `question` a text in another language can share: names, numbers, acronyms.

    >>> shared_words("Which NFL team won Super Bowl 50 in Denver?")
    'NFL Super Bowl 50 Denver'
    """
    words = _WORD.findall(question)
    return " ".join(w for i, w in enumerate(words)
                    if any(ch.isdigit() for ch in w) or (w[0].isupper() and (i or w.isupper())))


def cross_language(question: str, candidates: list[Candidate]) -> bool:
    """True when the question and the candidates' text are in different languages."""
    return language(question) != language(" ".join(c.text for c in candidates[:10]))


def feature_matrix(question: str, kind: str, candidates: list[Candidate],
                   entities: list[list[tuple[int, int]]] | None = None,
                   cross: bool = False, query: QueryTokens | None = None) -> np.ndarray:
    """One row of `FEATURES` per candidate.

    Args:
        question: the question.
        kind: its type (`qa.question.question_type`).
        candidates: the candidate sentences.
        entities: named-entity spans of each candidate fitting `kind`, if known.
        cross: the question is in another language than the text: word overlap is
            then mostly chance, so the lexical features look only for the words both
            languages share (`shared_words`); the learned weights for this case
            were trained on French questions reduced the same way.
        query: the question's token vectors, for the alignment features
            (`qa.alignment`; zeros without).

    Returns:
        A (len(candidates), len(FEATURES)) array.
    """
    lexical = shared_words(question) if cross else question
    q_stems = list(dict.fromkeys(stems(lexical)))
    sets = [set(stem_list(c.text)) for c in candidates]
    n = len(candidates)
    weights = {s: math.log(1 + n / (1 + sum(1 for t in sets if s in t))) for s in q_stems}
    cos = np.array([c.cos for c in candidates], dtype=np.float64)
    top = float(cos.max()) if n else 0.0
    spread = max(top - float(np.median(cos)), 0.01) if n else 1.0
    best_passage = max((c.passage_score for c in candidates), default=1.0) or 1.0
    known = set(q_stems)
    q_bigrams = _bigrams(stems(lexical))
    head = head_noun(question)
    rows, anaphors = [], []
    named = entities if entities is not None else [None] * n
    for c, words, ents in zip(candidates, sets, named, strict=True):
        spans = answer_spans(kind, c.text, question, ents)
        typed = bool(spans)
        anaphor = bool(c.prev_text and ANAPHOR.match(c.text))
        anaphors.append(anaphor)
        if anaphor:  # read with the sentence it refers to, as it will be quoted
            words = words | set(stem_list(c.prev_text))
        cos_eff = max(c.cos, c.prev_cos) if anaphor else c.cos
        rows.append([
            cos_eff, (cos_eff - top) / spread,
            _coverage(q_stems, weights, words),
            _coverage(q_stems, weights, set(stem_list(c.prev_text))),
            _coverage(q_stems, weights, set(stem_list(c.next_text))),
            (c.prev_cos - top) / spread,
            1.0 if anaphor else 0.0,
            1.0 if typed else 0.0,
            1.0 if typed and kind in _STRICT_TYPES else 0.0,
            len(words - known) / max(len(words), 1),
            1.0 if is_heading(c.text, c.document.title if c.document else "") else 0.0,
            math.log(1 + len(c.text)) / 6,
            c.passage_score / best_passage,
            1.0 if c.first else 0.0,
            len(q_bigrams & _bigrams(stem_list(c.text))) / max(len(q_bigrams), 1),
            1.0 if typed and names_head(c.text, raw_spans(kind, c.text, ents), head) else 0.0,
        ])
    matrix = np.array(rows, dtype=np.float64).reshape(n, 16)
    lex = matrix[:, FEATURES.index("lex")]
    top_passage = matrix[:, FEATURES.index("passage")] >= 1.0
    extra = np.stack([lex - (lex.max() if n else 0.0), lex * top_passage], axis=1)
    return np.hstack([matrix, extra.reshape(n, 2),
                      context_matrix(q_stems, candidates, anaphors, top, spread),
                      alignment(question, query, [c.tokens for c in candidates])])
