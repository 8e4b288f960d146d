"""Cold start: seconds from launching `qa ask` to its printed answer.

    python -m benchmarks.bench_cold_start --size seeds [--repeats 5]

Each launch is a fresh process (imports, model load, index open, one answer);
the operating system's file cache is warm after the first one, as it is for a
person asking twice. The tutorial pipeline's `ask` is timed the same way.
Each launch's CPU seconds (user + system, its child processes included) are
recorded too: on a shared, loaded machine they vary far less than wall time.
Writes `benchmarks/results/cold_start-<size>.json`.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, ROOT, SIZES, WORK, median, questions, write_result


def _children_cpu() -> float:
    """CPU seconds (user + system) of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def launch_times(cmd: list[str], repeats: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds) of `repeats` runs of `cmd`, each of which must succeed."""
    seconds, cpu = [], []
    for _ in range(repeats):
        began, cpu_before = time.perf_counter(), _children_cpu()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        seconds.append(round(time.perf_counter() - began, 3))
        cpu.append(round(_children_cpu() - cpu_before, 3))
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    return seconds, cpu


def time_launches(cmd: list[str], repeats: int) -> list[float]:
    """Wall seconds of `repeats` runs of `cmd`, each of which must succeed."""
    return launch_times(cmd, repeats)[0]


def measure(store: Path, question: str, repeats: int, peer_store: Path | None
            ) -> dict[str, Any]:
    """Cold starts of `qa ask` on `store` (and of the peer's ask on `peer_store`)."""
    qa = Path(sys.executable).parent / "qa"
    ours, cpu = launch_times([str(qa), "ask", "--store", str(store), question], repeats)
    data: dict[str, Any] = {"question": question, "repeats": repeats, "qa_ask_seconds": ours,
                            "qa_ask_median_seconds": round(median(ours), 3),
                            "qa_ask_cpu_seconds": cpu,
                            "qa_ask_median_cpu_seconds": round(median(cpu), 3)}
    if peer_store is not None and peer_store.exists():
        peer = time_launches([sys.executable, "-m", "benchmarks.peer", "ask", "--store",
                              str(peer_store), question], repeats)
        data.update({"peer_ask_seconds": peer, "peer_ask_median_seconds": round(median(peer), 3)})
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Time cold starts at one size; write the JSON result."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cold_start")
    parser.add_argument("--size", choices=SIZES, default="seeds")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    stores = WORK / "stores"
    data = measure(stores / f"ours-{args.size}", questions(args.size, 1)[0], args.repeats,
                   stores / f"peer-{args.size}")
    data["size"] = args.size
    print(write_result(f"cold_start-{args.size}", data, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
