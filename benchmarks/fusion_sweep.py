"""Measure retrieval (R@1/5/10, MRR@10 of the gold document) for several fusions on an index.

Each question is retrieved once (the shipped candidates and evidence of
`HybridRetriever.candidates`, plus the dense and lexical rankings alone), then
every fusion below is scored on the same data:
- dense / lexical / best sentence alone;
- reciprocal-rank fusion of dense and lexical (weights 1.0, English lexical 0.3,
  rrf_k 10: the fusion before the learned one), with or without the best-sentence
  ranking (weight 0.5);
- the learned linear fusion (`qa.fusion`), shipped weights.

Usage (index built by `qa eval --index-dir DIR ...`; question vectors cached beside it):
    .venv/bin/python -m benchmarks.fusion_sweep --index-dir DIR --questions FILE.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.analysis import language
from index.embedding import Embedder
from index.layout import open_stores
from qa.config import Settings
from qa.eval import EvalQuestion, load_questions
from qa.fusion import Evidence, FusionWeights, fused_scores
from qa.metrics import gold_rank, mrr_at, recall_at
from qa.retrieve import HybridRetriever
from qa.service import make_embedder


@dataclass(frozen=True)
class Retrieved:
    """One question's candidates: their ids, documents and evidence, which were among the
    nearest passages, and its gold documents."""

    ids: list[str]
    sources: list[str]
    evidence: Evidence
    near: np.ndarray
    english: bool
    gold: frozenset[str]


def question_vectors(questions: list[EvalQuestion], cache: Path,
                     embedder: Embedder | None = None) -> np.ndarray:
    """The questions' vectors, computed once and kept in `cache` (.npy).

    A key file beside it (`cache` + ".key": the model's name and a digest of the
    questions) tells whether the cache holds these questions' vectors by this
    model; if not, they are computed again.
    """
    embedder = embedder or make_embedder(Settings.load())
    digest = hashlib.sha256("\n".join(q.question for q in questions).encode()).hexdigest()
    key = f"{embedder.name}\n{digest}\n"
    marker = cache.with_name(cache.name + ".key")
    if cache.exists() and marker.exists() and marker.read_text() == key:
        return np.load(cache)
    vectors = embedder.embed_queries([q.question for q in questions])
    np.save(cache, vectors)
    marker.write_text(key)
    return vectors


def gather(retriever: HybridRetriever, questions: list[EvalQuestion],
           vectors: np.ndarray) -> list[Retrieved]:
    """The candidates and evidence of every question (the shipped code path)."""
    out = []
    for q, vector in zip(questions, vectors, strict=True):
        chunks, evidence = retriever.candidates(q.question, vector)
        near = {p.chunk.id for p in retriever.dense.retrieve(vector, retriever.weights.depth)}
        out.append(Retrieved([c.id for c in chunks], [c.source for c in chunks], evidence,
                             np.array([c.id in near for c in chunks], dtype=bool),
                             language(q.question) == "en", q.gold))
    return out


def ranks(data: list[Retrieved], score: Callable[[Retrieved], np.ndarray]) -> list[int | None]:
    """Rank of each question's gold document when candidates are ordered by `score`
    (equal scores by cosine, as reciprocal-rank fusion used to keep them)."""
    found = []
    for r in data:
        s, dense = score(r), r.evidence.dense
        order = sorted(range(len(r.ids)), key=lambda i: (-s[i], -dense[i], r.ids[i]))[:10]
        found.append(gold_rank([r.sources[i] for i in order], set(r.gold)))
    return found


def _rrf(values: np.ndarray, members: np.ndarray, rrf_k: float = 10.0) -> np.ndarray:
    """Reciprocal rank of each candidate in the ranking by `values` of `members` only."""
    order = np.argsort(-np.where(members, values, -np.inf), kind="stable")
    rank = np.empty(len(values))
    rank[order] = np.arange(len(values))
    return np.where(members, 1.0 / (rrf_k + rank + 1), 0.0)


def rrf(r: Retrieved, sentence: float = 0.0, depth: int = 30) -> np.ndarray:
    """The fusion before the learned one: weighted reciprocal ranks of the nearest
    passages and of the `depth` best lexical matches."""
    words = r.evidence.lexical
    best_words = words >= np.sort(words)[-min(depth, len(words))] if len(words) else words > 0
    lexical = 0.3 if r.english else 1.0
    return (_rrf(r.evidence.dense, r.near) + lexical * _rrf(words, best_words & (words > 0))
            + sentence * _rrf(r.evidence.sentence, np.ones(len(words), dtype=bool)))


def fusions(weights: FusionWeights) -> dict[str, Callable[[Retrieved], np.ndarray]]:
    """The fusions compared, by name."""
    return {
        "dense only": lambda r: r.evidence.dense,
        "lexical only": lambda r: np.where(r.evidence.lexical > 0, r.evidence.lexical, -1.0),
        "best sentence only": lambda r: r.evidence.sentence,
        "RRF dense + lexical (before)": rrf,
        "RRF dense + lexical + best sentence 0.5": lambda r: rrf(r, sentence=0.5),
        "learned dense + sentence + lexical (shipped)":
            lambda r: fused_scores(r.evidence, weights, r.english),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    stores = open_stores(args.index_dir)
    questions = [q for q in load_questions(args.questions) if q.gold]
    cache = args.index_dir / f"{args.questions.parent.name}-{args.questions.stem}.queries.npy"
    data = gather(HybridRetriever(stores.vectors, stores.docs), questions,
                  question_vectors(questions, cache))
    print(f"{args.questions}: {len(data)} questions | R@1 R@5 R@10 MRR@10")
    for name, score in fusions(FusionWeights()).items():
        found = ranks(data, score)
        print(f"{name:<46} | {recall_at(found, 1):.3f} {recall_at(found, 5):.3f} "
              f"{recall_at(found, 10):.3f} {mrr_at(found, 10):.3f}")


if __name__ == "__main__":
    main()
