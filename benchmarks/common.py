"""What every benchmark shares: corpora, the machine, timing helpers, result files.

Corpora are written under `benchmarks/results/tmp/` (not committed); results go
to `benchmarks/results/<name>.json` with the machine they ran on.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXTERNAL = SHARED / "eval" / "external"
RESULTS = ROOT / "benchmarks" / "results"
WORK = RESULTS / "tmp"
SIZES = ("seeds", "piaf", "large")
# Copies of piaf_full + orangesum_hard in the large corpus: ~5,800 chunks each.
LARGE_COPIES = 9


def machine() -> dict[str, Any]:
    """The machine a result was measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = -1.0
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_avg_1min_when_written": round(load, 2),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux: ru_maxrss is KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0..100), nearest-rank on sorted values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def median(values: list[float]) -> float:
    """The median."""
    return float(statistics.median(values))


def write_result(name: str, data: dict[str, Any], results: Path = RESULTS) -> Path:
    """Write `data` (with the machine) to `results/<name>.json`; return the path."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:60]


def _write(folder: Path, files: dict[str, str]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def large_files(copies: int = LARGE_COPIES) -> dict[str, str]:
    """piaf_full paragraphs and orangesum_hard articles, repeated with variation.

    Copy k groups the piaf paragraphs (shuffled with seed k) by 1 to 3 per file
    and rotates the sentences of each article by k; every file starts with a
    line naming its copy, so no two files are equal (none reuses another's
    vectors) and most chunk texts differ from one copy to the next.
    """
    piaf = _jsonl(EXTERNAL / "piaf_full" / "corpus.jsonl")
    osum = _jsonl(EXTERNAL / "orangesum_hard" / "corpus.jsonl")
    files: dict[str, str] = {}
    for k in range(copies):
        rng = random.Random(k)
        order = list(piaf)
        rng.shuffle(order)
        step = k % 3 + 1
        for i in range(0, len(order), step):
            group = order[i:i + step]
            body = "\n\n".join(f"{p['title']}\n{p['text']}" for p in group)
            files[f"c{k:02d}_piaf_{i:04d}.txt"] = f"Recueil {k + 1}.{i}\n\n{body}\n"
        for article in osum:
            parts = _sentences(article["text"])
            shift = k % max(1, len(parts))
            rotated = " ".join(parts[shift:] + parts[:shift])
            name = f"c{k:02d}_{_safe(article['id'])}.txt"
            files[name] = f"{article['title']} ({k + 1})\n\n{rotated}\n"
    return files


def build_corpus(size: str, work: Path = WORK) -> Path:
    """Write the corpus of `size` ("seeds", "piaf" or "large") and return its folder.

    The large corpus is only written when missing, so a resumed run indexes the
    same files.
    """
    folder = work / "corpora" / size
    if size == "seeds":
        seeds = sorted((ROOT / "seeds").glob("*.txt"))
        files = {p.name: p.read_text(encoding="utf-8") for p in seeds}
    elif size == "piaf":
        files = {f"{_safe(p['id'])}.txt": f"{p['title']}\n\n{p['text']}\n"
                 for p in _jsonl(EXTERNAL / "piaf_full" / "corpus.jsonl")}
    elif size == "large":
        if (folder / ".complete").is_file():
            return folder
        files = large_files()
    else:
        raise ValueError(f"unknown size {size!r}: pick one of {', '.join(SIZES)}")
    _write(folder, files)
    if size == "large":
        (folder / ".complete").write_text("ok\n")
    return folder


def questions(size: str, limit: int = 200) -> list[str]:
    """Questions to time: the dev questions for the seeds, PIAF questions otherwise."""
    if size == "seeds":
        return [q["question"] for q in _jsonl(SHARED / "eval" / "dev_questions.jsonl")][:limit]
    return [q["question"] for q in _jsonl(EXTERNAL / "piaf_full" / "eval.jsonl")][:limit]
