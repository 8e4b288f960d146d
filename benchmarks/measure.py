"""Run a command; print its wall time and peak memory (RSS) as one JSON line.

    python -m benchmarks.measure OUT.json -- CMD ARGS...

Used for long runs started in the background (the large index build), so that
the time and memory of exactly that process are kept even if this shell goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def measure(cmd: list[str]) -> dict[str, object]:
    """Run `cmd`; return its exit code, wall and CPU seconds, peak RSS (MiB) and output.

    CPU seconds (user + system, all threads) are kept beside wall seconds: on a
    shared machine they barely move with other people's load, wall time does.
    """
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"cmd": cmd, "returncode": proc.returncode,
            "seconds": round(time.perf_counter() - began, 3),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "stdout": out}


def main(argv: list[str]) -> int:
    """`OUT.json -- CMD...`: run CMD, append the measurement to OUT.json (a JSON list)."""
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    result = measure(argv[2:])
    runs = json.loads(out.read_text()) if out.is_file() else []
    runs.append(result)
    out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))
    return int(result["returncode"] != 0)  # type: ignore[call-overload]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
