"""Learn the retrieval fusion weights (qa/fusion.py FusionWeights) on PIAF questions never
used for eval.

Trains on the piaf_full questions whose paragraph is in neither piaf/eval.jsonl nor
piaf_hard/eval.jsonl (3,069 questions on 611 paragraphs; never on squadfr). Each
question's candidates and evidence come from `HybridRetriever.candidates` (the shipped
code path); a linear model over the normalised evidence (`qa.fusion.evidence_matrix`)
is fit with a listwise softmax loss, the gold paragraph's passages as the target.
Reports R@1/R@5 on a held-out fifth of the training paragraphs, then fits on all.

Usage (index of the 761-paragraph corpus built by `qa eval --index-dir DIR ...`; the
question vectors are cached in DIR/train_queries.npy, as train_reader.py does):
    .venv/bin/python -m benchmarks.train_fusion --index-dir DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.fusion_sweep import Retrieved, gather, question_vectors, ranks, rrf
from benchmarks.train_reader import training_questions
from index.layout import open_stores
from qa.fusion import evidence_matrix
from qa.metrics import gold_rank, recall_at
from qa.retrieve import HybridRetriever


def fit(data: list[Retrieved], epochs: int = 1000, lr: float = 0.5,
        l2: float = 1e-3) -> np.ndarray:
    """Weights of (dense, sentence, lexical) maximising the softmax mass on gold passages.

    Questions none of whose candidates is gold teach nothing and are left out.
    """
    groups = []
    for r in data:
        target = np.array([s in r.gold for s in r.sources], dtype=np.float64)
        if target.any():
            groups.append((evidence_matrix(r.evidence, 0.3 if r.english else 1.0),
                           target / target.sum()))
    w = np.zeros(3)
    for _ in range(epochs):
        grad = np.zeros(3)
        for x, target in groups:
            s = x @ w
            p = np.exp(s - s.max())
            grad += x.T @ (p / p.sum() - target)
        w -= lr * (grad / len(groups) + l2 * w)
    return w


def recalls(data: list[Retrieved], w: np.ndarray) -> tuple[float, float]:
    """R@1 and R@5 of the gold document with weights `w`."""
    found = []
    for r in data:
        s = evidence_matrix(r.evidence, 0.3 if r.english else 1.0) @ w
        order = sorted(range(len(r.ids)), key=lambda i: (-s[i], r.ids[i]))[:10]
        found.append(gold_rank([r.sources[i] for i in order], set(r.gold)))
    return recall_at(found, 1), recall_at(found, 5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, required=True)
    args = parser.parse_args()
    stores = open_stores(args.index_dir)
    questions = training_questions()
    vectors = question_vectors(questions, args.index_dir / "train_queries.npy")
    data = gather(HybridRetriever(stores.vectors, stores.docs), questions, vectors)
    paragraphs = sorted({p for r in data for p in r.gold})
    held = set(paragraphs[::5])
    train = [r for r in data if not r.gold & held]
    test = [r for r in data if r.gold & held]
    w = fit(train)
    before = ranks(test, rrf)
    print(f"{len(data)} questions; held-out fifth of the paragraphs ({len(test)} questions):")
    print(f"  reciprocal-rank fusion (before) R@1 {recall_at(before, 1):.3f} "
          f"R@5 {recall_at(before, 5):.3f}")
    print("  weights (dense, sentence, lexical)", np.round(w, 3).tolist(),
          "R@1 {:.3f} R@5 {:.3f}".format(*recalls(test, w)))
    w = fit(data)
    print("all questions: weights", np.round(w, 3).tolist(),
          "R@1 {:.3f} R@5 {:.3f} (training data)".format(*recalls(data, w)))


if __name__ == "__main__":
    main()
