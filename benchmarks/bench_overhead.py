"""Everything but the model: indexing with an embedder that costs nothing, and re-runs.

    nice -n 15 python -m benchmarks.bench_overhead --size large

The index is built with `NullEmbedder` (a unit vector drawn from a hash of each
text, 384 dimensions like the real model), so the time measured is our own work:
reading, chunking, sentence splitting, Chroma and SQLite writes. Added to the
model's floor it bounds the real build; it also times `qa index` on the unchanged
corpus in a fresh process (an unchanged run never loads a model, so the
embedder's name is all that is needed). Writes
`benchmarks/results/overhead-<size>.json`. The store is not the real index:
its vectors are meaningless, never query it.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_index import cli_rerun_seconds
from benchmarks.common import RESULTS, SIZES, WORK, build_corpus, peak_rss_mb, write_result
from index.tokens import QueryTokens, TokenVectors


class NullEmbedder:
    """An `Embedder` whose vectors cost (almost) nothing: seeded by a hash of the text."""

    def __init__(self, name: str = "null-384", dim: int = 384) -> None:
        self.name = name
        self.dim = dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rows[i] = np.random.default_rng(seed).standard_normal(self.dim)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True).clip(1e-9)

    def embed_documents(self, texts: Sequence[str],
                        progress: Callable[[int], None] | None = None) -> np.ndarray:
        if progress:
            progress(len(texts))
        return self.embed_queries(texts)

    def embed_queries_with_tokens(self, texts: Sequence[str]
                                  ) -> tuple[np.ndarray, list[QueryTokens | None]]:
        return self.embed_queries(texts), [None] * len(texts)

    def embed_documents_with_tokens(self, texts: Sequence[str],
                                    progress: Callable[[int], None] | None = None
                                    ) -> tuple[np.ndarray, list[TokenVectors | None]]:
        return self.embed_documents(texts, progress), [None] * len(texts)


def run(corpus: Path, store: Path, embedder: NullEmbedder) -> dict[str, Any]:
    """Build from scratch with `embedder`, then time unchanged re-runs."""
    from qa.config import Settings
    from qa.indexing import run_index

    if store.exists():
        shutil.rmtree(store)
    settings = Settings.load({}, corpus=corpus, store=store, model=embedder.name)
    began = time.perf_counter()
    summary = run_index(settings, embedder)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    again = run_index(settings, embedder)
    rerun = time.perf_counter() - began
    return {"documents": summary.seen - len(summary.skipped), "chunks": summary.chunks,
            "texts": summary.embedded, "build_seconds_without_model": round(seconds, 3),
            "ms_per_text_without_model": round(1000 * seconds / max(1, summary.embedded), 4),
            "unchanged_rerun_seconds_in_process": round(rerun, 3),
            "unchanged_rerun_embedded": again.embedded}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one size; write the JSON result."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_overhead")
    parser.add_argument("--size", choices=SIZES, required=True)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    corpus = build_corpus(args.size)
    store = WORK / "stores" / f"null-{args.size}"
    embedder = NullEmbedder()
    data = run(corpus, store, embedder)
    data["unchanged_rerun_seconds_cli"] = cli_rerun_seconds(corpus, store, embedder.name)
    data.update({"size": args.size, "peak_rss_mb": peak_rss_mb()})
    print(write_result(f"overhead-{args.size}", data, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
