"""Questions, their retrieved passages and the reader's candidate sentences, cached.

Shared by `benchmarks/train_reader.py` (training) and `benchmarks/reader_sets.py`
(measuring the reader on the eval sets). Embedding and retrieving thousands of
questions takes minutes, so both are cached in a pickle beside the index they
came from (`<index-dir>/reader_<name>.pkl`); candidates and features are
rebuilt from the cache each run, so a changed feature needs no new retrieval.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.tokens import QueryTokens, tokens_setting
from qa.eval import EvalQuestion, load_questions
from qa.extract import SentenceReader
from qa.features import Candidate
from qa.metrics import answer_in_quote
from qa.question import question_type
from qa.service import QAService
from qa.types import Passage

EXT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "external"
DEPTH = 20  # passages kept per question (the product cites 10, the reader reads 5)


@dataclass(frozen=True)
class Asked:
    """A question, its vector and its retrieved passages (best first), and its tokens."""

    question: EvalQuestion
    vector: np.ndarray
    passages: list[Passage]
    tokens: QueryTokens | None = None


@dataclass
class Group:
    """The candidate sentences the reader weighs for one question.

    `y[i]` is 1 when candidate i is from a gold document and holds a gold answer.
    """

    asked: Asked
    kind: str
    cands: list[Candidate]
    entities: list[list[tuple[int, int]]] | None
    y: np.ndarray
    answerable: bool


def training_questions() -> list[EvalQuestion]:
    """piaf_full questions whose paragraph is in neither piaf nor piaf_hard eval."""
    held: set[str] = set()
    for name in ("piaf/eval.jsonl", "piaf_hard/eval.jsonl"):
        held |= {json.loads(x)["context_id"] for x in (EXT / name).read_text().splitlines()}
    return [q for q in load_questions(EXT / "piaf_full" / "eval.jsonl") if not q.gold & held]


def ask_all(service: QAService, questions: list[EvalQuestion], cache: Path) -> list[Asked]:
    """Embed and retrieve every question once; later runs read `cache`.

    The cache is reused only for the same questions, embedding model and token
    projection (`index.tokens.tokens_setting`); a cache written otherwise, or by an
    older version of this function, is made again.
    """
    name = service.embedder.name
    key = (name, tokens_setting(name))
    if cache.exists():
        stored = pickle.loads(cache.read_bytes())
        if (isinstance(stored, dict) and stored.get("key") == key
                and [a.question for a in stored["asked"]] == questions):
            return list(stored["asked"])
    vectors, tokens = service.embedder.embed_queries_with_tokens(
        [q.question for q in questions])
    asked = [Asked(q, v, service.retriever.retrieve(q.question, v, DEPTH), t)
             for q, v, t in zip(questions, vectors, tokens, strict=True)]
    cache.write_bytes(pickle.dumps({"key": key, "asked": asked}))
    return asked


def asked_over(service: QAService, asked: list[Asked]) -> list[Asked]:
    """The same questions (same vectors and tokens) retrieved from `service`'s index."""
    return [replace(a, passages=service.retriever.retrieve(a.question.question, a.vector, DEPTH))
            for a in asked]


def out_of_corpus(service: QAService, asked: list[Asked], top_k: int = 10) -> list[Group]:
    """One group per question asked over `service`'s index, which holds none of their
    documents: labelled not answerable."""
    found = [group(service.reader, a, a.passages[:top_k], answerable=False)
             for a in asked_over(service, asked)]
    return [g for g in found if g is not None]


def group(reader: SentenceReader, asked: Asked, passages: list[Passage],
          answerable: bool = True) -> Group | None:
    """The reader's candidates for `asked` over `passages`, labelled; None if none."""
    cands = reader.candidates(asked.vector, passages)
    if not cands:
        return None
    q = asked.question
    kind = question_type(q.question)
    y = np.array([answerable and c.source in q.gold and answer_in_quote(q.answers, c.text)
                  for c in cands], dtype=np.float64)
    return Group(asked, kind, cands, reader.entities(kind, cands), y, answerable)


def groups(reader: SentenceReader, asked: list[Asked], top_k: int = 10,
           unanswerable: bool = False) -> list[Group]:
    """One group per question over its first `top_k` passages, as the product reads them.

    With `unanswerable`, also one group per question over its passages from other
    documents (a corpus lacking its document), labelled not answerable.
    """
    out = []
    for a in asked:
        found = [group(reader, a, a.passages[:top_k])]
        if unanswerable:
            others = [p for p in a.passages if p.chunk.source not in a.question.gold]
            found.append(group(reader, a, others[:top_k], answerable=False))
        out.extend(g for g in found if g is not None)
    return out
