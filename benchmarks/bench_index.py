"""Indexing throughput next to the model's own floor, and peak memory.

    nice -n 15 python -m benchmarks.bench_index --size piaf [--pipeline peer]

The floor is the raw time of the model encoding exactly the texts the index
embedded (chunks, and sentences for ours), measured in the same process right
after the build, with the same loaded model. One size and one pipeline per run,
so that the peak RSS is that of this build alone. Our build also tags the
entities of every sentence with spaCy (no part of the floor): its seconds and the
ratio without them are recorded too. Writes
`benchmarks/results/index-<pipeline>-<size>.json`.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS, SIZES, WORK, build_corpus, peak_rss_mb, write_result

Encode = Callable[[list[str]], np.ndarray]


def stored_texts(store: Path) -> list[str]:
    """Every chunk and sentence text of our index at `store`, each once: what it embedded
    (a text that occurs again, in a copy or as both a chunk and a sentence, is embedded
    once)."""
    from index.layout import open_stores

    stores = open_stores(store)
    try:
        texts: list[str] = []
        for source in sorted(stores.docs.document_hashes()):
            document = stores.docs.get_document(source)
            assert document is not None
            text = document.text
            texts += [text[a:b] for _, a, b in stores.docs.chunk_spans(source)]
            spans, _ = stores.docs.sentences_between(source, 0, len(text))
            texts += [text[a:b] for a, b in spans]
        return list(dict.fromkeys(texts))
    finally:
        stores.close()


def floor_times(encode: Encode, texts: list[str], sample: int = 0) -> tuple[float, float, int]:
    """Wall and CPU seconds of the model encoding `texts` (all, or a `sample` scaled up).

    Returns:
        Wall seconds, CPU seconds of this process (all threads), texts actually encoded.
    """
    chosen = texts
    if 0 < sample < len(texts):
        chosen = random.Random(0).sample(texts, sample)
    began, cpu = time.perf_counter(), time.process_time()
    encode(chosen)
    took, cpu_took = time.perf_counter() - began, time.process_time() - cpu
    scale = len(texts) / max(1, len(chosen))
    return took * scale, cpu_took * scale, len(chosen)


def _against_floor(seconds: float, cpu: float, floor: float, floor_cpu: float
                   ) -> dict[str, Any]:
    """A build's wall and CPU seconds next to its floor's, and their ratios."""
    return {"index_seconds": round(seconds, 3), "floor_seconds": round(floor, 3),
            "ratio_to_floor": round(seconds / floor, 3),
            "index_cpu_seconds": round(cpu, 3), "floor_cpu_seconds": round(floor_cpu, 3),
            "cpu_ratio_to_floor": round(cpu / floor_cpu, 3) if cpu and floor_cpu else None}


def run_ours(corpus: Path, store: Path, embedder: Any, encode: Encode,
             sample: int = 0) -> dict[str, Any]:
    """Build our index of `corpus` at `store` from scratch; time it and its floor."""
    from index.documents import load_corpus
    from qa.config import Settings
    from qa.indexing import run_index

    if store.exists():
        shutil.rmtree(store)
    settings = Settings.load({}, corpus=corpus, store=store, model=embedder.name)
    cpu = _cpu_with_children()
    summary = run_index(settings, embedder)
    cpu = _cpu_with_children() - cpu  # the tagging worker's CPU included
    texts = stored_texts(store)
    floor, floor_cpu, encoded = floor_times(encode, texts, sample)
    began = time.perf_counter()
    again = run_index(settings, embedder)
    rerun = time.perf_counter() - began
    documents, _ = load_corpus(corpus)
    return {"documents": len(documents), "chunks": summary.chunks,
            "texts_embedded": summary.embedded, "texts_in_floor": len(texts),
            "floor_texts_encoded": encoded,
            **_against_floor(summary.seconds, cpu, floor, floor_cpu),
            "chunks_per_second": round(summary.chunks / summary.seconds, 2),
            "sentences_tagged": summary.tagged,
            "tagging_seconds": round(summary.tagging_seconds, 3),
            "ratio_to_floor_without_tagging": round(
                (summary.seconds - summary.tagging_seconds) / floor, 3),
            "unchanged_rerun_seconds_in_process": round(rerun, 3),
            "unchanged_rerun_embedded": again.embedded, "unchanged_rerun_tagged": again.tagged}


def _cpu_with_children() -> float:
    """CPU seconds of this process and of its children that have ended (the tagger's)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_peer(corpus: Path, store: Path, encode_docs: Encode, encode_query: Encode,
             sample: int = 0) -> dict[str, Any]:
    """Build the tutorial pipeline's index of `corpus`; time it and its floor."""
    from benchmarks.peer import PeerPipeline

    if store.exists():
        shutil.rmtree(store)
    began, cpu = time.perf_counter(), time.process_time()
    peer = PeerPipeline(store, encode_docs, encode_query)
    texts = peer.index(corpus)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    peer.close()
    floor, floor_cpu, encoded = floor_times(encode_docs, texts, sample)
    return {"chunks": len(texts), "texts_embedded": len(texts), "texts_in_floor": len(texts),
            "floor_texts_encoded": encoded,
            **_against_floor(seconds, cpu_seconds, floor, floor_cpu),
            "chunks_per_second": round(len(texts) / seconds, 2)}


def report_existing(store: Path, encode: Encode, runs_file: Path, sample: int,
                    pipeline: str = "ours", corpus: Path | None = None) -> dict[str, Any]:
    """Time and memory of a build recorded by `benchmarks.measure` (`qa index`, or
    `python -m benchmarks.peer index` for the peer), and its floor.

    A build interrupted and resumed has several runs: their seconds add up, and
    the peak memory is the largest of them.
    """
    import json

    runs = json.loads(runs_file.read_text())
    if pipeline == "ours":
        texts = stored_texts(store)
        chunks, documents = _counts(store)
    else:
        from benchmarks.peer import split_corpus

        assert corpus is not None
        pieces = split_corpus(corpus)
        texts = [text for _, text in pieces]
        chunks, documents = len(pieces), len({source for source, _ in pieces})
    floor, floor_cpu, encoded = floor_times(encode, texts, sample)
    seconds = sum(float(r["seconds"]) for r in runs)
    cpu = sum(float(r.get("cpu_seconds", 0.0)) for r in runs)
    return {"documents": documents, "chunks": chunks, "texts_in_floor": len(texts),
            "floor_texts_encoded": encoded, **_against_floor(seconds, cpu, floor, floor_cpu),
            "index_runs": len(runs), "index_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "index_summaries": [r["stdout"].strip() for r in runs],
            "chunks_per_second": round(chunks / seconds, 2)}


def _counts(store: Path) -> tuple[int, int]:
    """Chunks and documents of our index at `store`."""
    from index.layout import open_stores

    stores = open_stores(store)
    try:
        return stores.docs.count("chunks"), stores.docs.count("documents")
    finally:
        stores.close()


def cli_rerun_seconds(corpus: Path, store: Path, model: str | None = None) -> float:
    """Wall seconds of `qa index` on an unchanged corpus, in a fresh process."""
    qa = Path(sys.executable).parent / "qa"
    extra = ["--model", model] if model else []
    began = time.perf_counter()
    subprocess.run([str(qa), "index", "--corpus", str(corpus), "--store", str(store),
                    "--quiet", *extra], check=True, capture_output=True)
    return round(time.perf_counter() - began, 3)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one size for one pipeline; write the JSON result."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_index")
    parser.add_argument("--size", choices=SIZES, required=True)
    parser.add_argument("--pipeline", choices=["ours", "peer"], default="ours")
    parser.add_argument("--floor-sample", type=int, default=0,
                        help="time the floor on this many random texts, scaled up (0: all)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--existing", type=Path,
                        help="report an index already built under benchmarks.measure (its "
                             "runs JSON: `qa index`, or `python -m benchmarks.peer index` "
                             "for the peer) instead of building one")
    args = parser.parse_args(argv)
    from benchmarks.peer import encoders
    from qa.config import Settings
    from qa.service import make_embedder

    corpus = build_corpus(args.size)
    store = WORK / "stores" / f"{args.pipeline}-{args.size}"
    began = time.perf_counter()
    embedder = make_embedder(Settings.load())
    docs, query = encoders(embedder.raw_model())
    docs(["warm up"])
    load = round(time.perf_counter() - began, 3)
    if args.existing:
        data = report_existing(store, docs, args.existing, args.floor_sample, args.pipeline,
                               corpus)
        if args.pipeline == "ours":
            data["unchanged_rerun_seconds_cli"] = cli_rerun_seconds(corpus, store)
    elif args.pipeline == "ours":
        data = run_ours(corpus, store, embedder, docs, args.floor_sample)
        data["unchanged_rerun_seconds_cli"] = cli_rerun_seconds(corpus, store)
    else:
        data = run_peer(corpus, store, docs, query, args.floor_sample)
    data.update({"size": args.size, "pipeline": args.pipeline, "model_load_seconds": load,
                 "peak_rss_mb": peak_rss_mb()})
    print(write_result(f"index-{args.pipeline}-{args.size}", data, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
