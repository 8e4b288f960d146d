"""Run a command; record its wall and CPU time and peak memory (RSS) as it goes.

    python -m benchmarks.measure OUT.json -- CMD ARGS...

Used for long runs started in the background (the large index build), so that
the time and memory of exactly that process are kept even if this shell goes.
The record is appended to OUT.json at the start and rewritten every `--every`
seconds while the command runs (from /proc), so a run cut short by the end of a
session still leaves what it had spent, marked `"finished": false`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

EVERY_SECONDS = 30.0


def _proc_usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system, all threads, and those of its children that have ended
    and been waited for) and peak RSS (MiB) of a running process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = sum(int(n) for n in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), "0")
    return cpu, int(hwm) / 1024


def _save(out: Path, index: int, record: dict[str, Any]) -> None:
    runs = json.loads(out.read_text()) if out.is_file() else []
    if index < len(runs):
        runs[index] = record
    else:
        runs.append(record)
    out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")


def measure(cmd: list[str], out: Path | None = None,
            every: float = EVERY_SECONDS) -> dict[str, Any]:
    """Run `cmd`; return its exit code, wall and CPU seconds, peak RSS (MiB) and output.

    CPU seconds (user + system, all threads) are kept beside wall seconds: on a
    shared machine they barely move with other people's load, wall time does.
    With `out`, the record is saved there at the start and every `every` seconds.
    """
    index = len(json.loads(out.read_text())) if out and out.is_file() else 0
    record: dict[str, Any] = {"cmd": cmd, "returncode": None, "finished": False,
                              "seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_mb": 0.0,
                              "stdout": ""}
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    while True:
        try:
            proc.wait(timeout=every)
            break
        except subprocess.TimeoutExpired:
            cpu, rss = _proc_usage(proc.pid)
            record.update(seconds=round(time.perf_counter() - began, 3),
                          cpu_seconds=round(cpu, 3), peak_rss_mb=round(rss, 1))
            if out:
                _save(out, index, record)
    # The child has been reaped by wait(); its resources are in RUSAGE_CHILDREN.
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    record.update(returncode=proc.returncode, finished=True,
                  seconds=round(time.perf_counter() - began, 3),
                  cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
                  peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
                  stdout=proc.stdout.read() if proc.stdout else "")
    if out:
        _save(out, index, record)
    return record


def main(argv: list[str]) -> int:
    """`OUT.json -- CMD...`: run CMD, keep its measurement in OUT.json (a JSON list)."""
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    result = measure(argv[2:], Path(argv[0]))
    print(json.dumps(result, ensure_ascii=False))
    return int(result["returncode"] != 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
