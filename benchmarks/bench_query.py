"""Query latency in-process (model loaded) next to the raw query encoding, and memory.

    nice -n 15 python -m benchmarks.bench_query --size piaf [--pipeline peer]

For each question: the raw model encoding of the question alone, then the whole
answer (ours: `QAService.ask`; peer: encode + top-5 from chromadb), one after
the other so that both see the same machine load. Wall times, and the CPU time
of this process (all threads) for each, which waiting for a busy machine's
cores does not inflate. Needs the index built by
`bench_index` (or `qa index`) first. Writes
`benchmarks/results/query-<pipeline>-<size>.json`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS,
    SIZES,
    WORK,
    median,
    peak_rss_mb,
    percentile,
    questions,
    write_result,
)


def time_pairs(questions: list[str], raw: Callable[[str], Any], whole: Callable[[str], Any],
               warmup: int = 3) -> dict[str, Any]:
    """Latencies in ms of `raw(q)` and `whole(q)` for every question, and their ratios."""
    for q in questions[:warmup]:
        raw(q)
        whole(q)
    raw_ms: list[float] = []
    whole_ms: list[float] = []
    raw_cpu: list[float] = []
    whole_cpu: list[float] = []
    for q in questions:
        began, began_cpu = time.perf_counter(), time.process_time()
        raw(q)
        middle, middle_cpu = time.perf_counter(), time.process_time()
        whole(q)
        raw_ms.append((middle - began) * 1000)
        whole_ms.append((time.perf_counter() - middle) * 1000)
        raw_cpu.append((middle_cpu - began_cpu) * 1000)
        whole_cpu.append((time.process_time() - middle_cpu) * 1000)
    p50, p95, raw50 = percentile(whole_ms, 50), percentile(whole_ms, 95), percentile(raw_ms, 50)
    return {"queries": len(questions), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
            "mean_ms": round(sum(whole_ms) / len(whole_ms), 2),
            "raw_encode_p50_ms": round(raw50, 2),
            "raw_encode_p95_ms": round(percentile(raw_ms, 95), 2),
            "p50_over_raw_p50": round(p50 / raw50, 3), "p95_over_p50": round(p95 / p50, 3),
            "target_p50_ms": round(1.5 * raw50 + 10, 2),
            "overhead_p50_ms": round(median([w - r for w, r in zip(whole_ms, raw_ms,
                                                                  strict=True)]), 2),
            "cpu_p50_ms": round(percentile(whole_cpu, 50), 2),
            "raw_encode_cpu_p50_ms": round(percentile(raw_cpu, 50), 2),
            "cpu_overhead_p50_ms": round(median([w - r for w, r in zip(whole_cpu, raw_cpu,
                                                                      strict=True)]), 2)}


def run_ours(store: Path, embedder: Any, asked: list[str]) -> dict[str, Any]:
    """Latency of `QAService.ask` on our index at `store`."""
    from index.layout import open_stores
    from qa.config import Settings
    from qa.service import QAService

    settings = Settings.load({}, store=store, model=embedder.name)
    service = QAService(settings, embedder, open_stores(store))
    try:
        data = time_pairs(asked, lambda q: embedder.embed_queries([q]), service.ask)
        data["chunks"] = service.stores.docs.count("chunks")
        return data
    finally:
        service.close()


def run_peer(store: Path, encode_docs: Any, encode_query: Any, asked: list[str]
             ) -> dict[str, Any]:
    """Latency of the tutorial pipeline's top-5 on its index at `store`."""
    from benchmarks.peer import PeerPipeline

    peer = PeerPipeline(store, encode_docs, encode_query)
    try:
        data = time_pairs(asked, lambda q: encode_query([q]), peer.ask)
        data["chunks"] = peer.collection.count()
        return data
    finally:
        peer.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one size for one pipeline; write the JSON result."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_query")
    parser.add_argument("--size", choices=SIZES, required=True)
    parser.add_argument("--pipeline", choices=["ours", "peer"], default="ours")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from benchmarks.peer import encoders
    from qa.config import Settings
    from qa.service import make_embedder

    store = WORK / "stores" / f"{args.pipeline}-{args.size}"
    asked = questions(args.size, args.queries)
    embedder = make_embedder(Settings.load())
    if args.pipeline == "ours":
        data = run_ours(store, embedder, asked)
    else:
        data = run_peer(store, *encoders(embedder.raw_model()), asked)
    data.update({"size": args.size, "pipeline": args.pipeline,
                 "serving_peak_rss_mb": peak_rss_mb()})
    print(write_result(f"query-{args.pipeline}-{args.size}", data, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
