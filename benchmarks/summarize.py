"""Print the benchmark results as Markdown tables (pasted into the README).

    python -m benchmarks.summarize
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, SIZES


def _load(results: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(results.glob("*.json"))}


def _cell(data: dict[str, Any] | None, key: str) -> str:
    if data is None or data.get(key) is None:
        return "-"
    return str(data[key])


def tables(results: Path = RESULTS) -> str:
    """The Markdown tables of every result file under `results`."""
    found = _load(results)
    lines = ["| pipeline | size | chunks | index s | floor s | ratio | CPU ratio | chunks/s | "
             "unchanged re-run s | index RSS MiB | query p50 ms | p95 ms | raw encode p50 ms "
             "| p50/raw | target p50 ms | p95/p50 | CPU overhead p50 ms | serving RSS MiB |",
             "|" + "---|" * 18]
    for pipeline in ("ours", "peer"):
        for size in SIZES:
            index = found.get(f"index-{pipeline}-{size}")
            query = found.get(f"query-{pipeline}-{size}")
            if index is None and query is None:
                continue
            rss = _cell(index, "index_peak_rss_mb") if index and "index_peak_rss_mb" in index \
                else _cell(index, "peak_rss_mb")
            lines.append("| " + " | ".join([
                pipeline, size, _cell(index or query, "chunks"), _cell(index, "index_seconds"),
                _cell(index, "floor_seconds"), _cell(index, "ratio_to_floor"),
                _cell(index, "cpu_ratio_to_floor"), _cell(index, "chunks_per_second"),
                _cell(index, "unchanged_rerun_seconds_cli"),
                rss, _cell(query, "p50_ms"), _cell(query, "p95_ms"),
                _cell(query, "raw_encode_p50_ms"), _cell(query, "p50_over_raw_p50"),
                _cell(query, "target_p50_ms"), _cell(query, "p95_over_p50"),
                _cell(query, "cpu_overhead_p50_ms"), _cell(query, "serving_peak_rss_mb")])
                + " |")
    for size in SIZES:
        over = found.get(f"overhead-{size}")
        if over:
            lines.append(f"\nWithout the model ({size}: {over['chunks']} chunks, {over['texts']} "
                         f"texts): build {over['build_seconds_without_model']} s "
                         f"({over['ms_per_text_without_model']} ms per text), unchanged re-run "
                         f"{over['unchanged_rerun_seconds_cli']} s as a fresh `qa index`, peak "
                         f"RSS {over['peak_rss_mb']} MiB.")
    for size in SIZES:
        cold = found.get(f"cold_start-{size}")
        if cold:
            lines.append(f"\nCold start ({size}): `qa ask` median "
                         f"{cold['qa_ask_median_seconds']} s over {cold['repeats']} launches "
                         f"{cold['qa_ask_seconds']}, CPU median "
                         f"{cold.get('qa_ask_median_cpu_seconds', '-')} s (load average "
                         f"{cold['machine'].get('load_avg_1min_when_written', '-')}); "
                         f"tutorial pipeline median "
                         f"{cold.get('peer_ask_median_seconds', '-')} s.")
    machines = {json.dumps(d["machine"].get("cpu")) + f" x{d['machine'].get('cores')}"
                for d in found.values()}
    lines.append("\nMachine: " + "; ".join(sorted(machines)))
    return "\n".join(lines)


def main() -> int:
    """Print the tables."""
    print(tables())
    return 0


if __name__ == "__main__":
    sys.exit(main())
