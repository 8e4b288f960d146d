"""Measure retrieval (recall@1/5, MRR@10) for several fusion weights on an existing index.

Usage (index built by `qa eval --index-dir DIR ...`):
    .venv/bin/python benchmarks/fusion_sweep.py --index-dir DIR --questions FILE.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from index.layout import open_stores
from qa.config import Settings
from qa.eval import load_questions
from qa.metrics import gold_rank, mrr_at, recall_at
from qa.retrieve import FusionWeights, HybridRetriever
from qa.service import make_embedder

GRID = [(1.0, 0.0), (1.0, 0.3), (1.0, 0.5), (1.0, 1.0), (1.0, 1.5), (1.0, 2.0), (0.0, 1.0)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings.load()
    embedder = make_embedder(settings)
    stores = open_stores(args.index_dir)
    questions = [q for q in load_questions(args.questions) if q.gold]
    vectors = embedder.embed_queries([q.question for q in questions])
    print("dense lexical rrf_k | R@1 R@5 MRR@10")
    for rrf_k in (10.0, 60.0):
        for dense, lexical in GRID:
            weights = FusionWeights(dense=dense, lexical_fr=lexical, lexical_en=lexical,
                                    rrf_k=rrf_k)
            retriever = HybridRetriever(stores.vectors, stores.docs, weights)
            ranks = []
            for q, v in zip(questions, vectors, strict=True):
                cited = [p.chunk.source for p in retriever.retrieve(q.question, v, 10)]
                ranks.append(gold_rank(list(dict.fromkeys(cited)), set(q.gold)))
            print(f"{dense} {lexical} {rrf_k:.0f} | {recall_at(ranks, 1):.3f} "
                  f"{recall_at(ranks, 5):.3f} {mrr_at(ranks, 10):.3f}")


if __name__ == "__main__":
    main()
