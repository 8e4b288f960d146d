"""Concurrent users against a running `qa serve`, through the `ask` API of gradio_client.

    nice -n 10 python -m benchmarks.load_test [--users 16] [--per-user 25]
        [--questions FILE.jsonl] [--url http://127.0.0.1:PORT --store DIR] [--auth USER:PASS]

Without `--url` it starts `qa serve` on a free loopback port over `--store`
(`--corpus`, default the seeds; the index is built first when missing) and
stops it at the end. Each user is a thread with its own `gradio_client.Client`
asking its share of the questions in turn; every reply is checked against the
index (each quote is `text[start:end]`, the answer is `text[answer_start:answer_end]`,
texts read from the store's SQLite file). Bounded: at most `--deadline` seconds,
loopback only. Writes `benchmarks/results/load-<name>.json` (latencies, errors,
the machine and its load) and exits 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from benchmarks.common import ROOT, percentile, write_result
from index.docstore import DocStore
from index.layout import DOCS_FILE

QUESTIONS = ROOT / "benchmarks" / "data" / "dev_questions.jsonl"


def load_questions(path: Path) -> list[str]:
    """The `question` of each JSONL line (or each non-empty line of a text file)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        return [str(json.loads(line)["question"]) for line in lines]
    return lines


class Checker:
    """Checks replies against the texts the index holds (read once per source)."""

    def __init__(self, store: Path) -> None:
        self._docs = DocStore(store / DOCS_FILE)
        self._texts: dict[str, str] = {}
        self._lock = threading.Lock()

    def text(self, source: str) -> str:
        """The indexed text of `source`. Raises KeyError when it is not indexed."""
        with self._lock:
            if source not in self._texts:
                document = self._docs.get_document(source)
                if document is None:
                    raise KeyError(f"{source} is not in the index")
                self._texts[source] = document.text
            return self._texts[source]

    def problems(self, reply: dict[str, Any]) -> list[str]:
        """What breaks the citation invariant in `reply` (empty: none)."""
        found = []
        for c in reply["citations"]:
            if self.text(c["source"])[c["start"]:c["end"]] != c["quote"]:
                found.append(f"citation {c['n']}: quote != text[start:end]")
        if not reply["abstained"]:
            cited = reply["citations"][reply["answer_citation"] - 1]
            if self.text(cited["source"])[reply["answer_start"]:reply["answer_end"]] \
                    != reply["answer"]:
                found.append("answer != text[answer_start:answer_end]")
        return found

    def close(self) -> None:
        """Close the SQLite connection."""
        self._docs.close()


@dataclass
class Tally:
    """What the users saw: latencies (ms), server-side totals (ms), errors."""

    latencies: list[float] = field(default_factory=list)
    served: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _user(n: int, url: str, asks: list[str], checker: Checker, tally: Tally, deadline: float,
          auth: tuple[str, str] | None) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, auth=auth)
    except Exception as exc:  # any failure to connect is an error of the run
        with tally.lock:
            tally.errors.append(f"user {n}: cannot connect: {exc}")
        return
    for i, question in enumerate(asks):
        if time.monotonic() > deadline:
            with tally.lock:
                tally.errors.append(f"user {n}: deadline passed, {len(asks) - i} not asked")
            return
        began = time.perf_counter()
        try:
            reply = client.predict(question, api_name="/ask")
            problems = checker.problems(reply)
        except Exception as exc:  # counted, never fatal: the run reports every error
            problems = [f"{type(exc).__name__}: {exc}"]
            reply = None
        elapsed = (time.perf_counter() - began) * 1000
        with tally.lock:
            tally.latencies.append(elapsed)
            if reply is not None:
                tally.served.append(float(reply["timings_ms"]["total"]))
            tally.errors += [f"user {n}, {question!r}: {p}" for p in problems]


def run_load(url: str, store: Path, questions: list[str], users: int, per_user: int,
             deadline_s: float = 600.0, auth: tuple[str, str] | None = None) -> dict[str, Any]:
    """`users` concurrent clients asking `per_user` questions each; the measured figures.

    Args:
        url: the running app (loopback).
        store: its index folder, to check the quotes.
        questions: asked in turn, user `u` starting at question `u * per_user`.
        users, per_user: how many clients, and questions each.
        deadline_s: the whole run stops asking after this many seconds.
        auth: (user, password) when the app asks for a login.

    Returns:
        Counts, errors (at most 20 listed), client latency and server time p50/p95 in ms.
    """
    if urlparse(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"load_test: {url} is not a loopback address")
    checker, tally = Checker(store), Tally()
    deadline = time.monotonic() + deadline_s
    threads = [threading.Thread(target=_user, args=(
        u, url, [questions[(u * per_user + i) % len(questions)] for i in range(per_user)],
        checker, tally, deadline, auth)) for u in range(users)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    checker.close()
    lat, served = tally.latencies or [0.0], tally.served or [0.0]
    return {"users": users, "per_user": per_user, "asked": len(tally.latencies),
            "errors": len(tally.errors), "error_examples": tally.errors[:20],
            "wall_s": round(wall, 3), "replies_per_s": round(len(tally.latencies) / wall, 2),
            "p50_ms": round(percentile(lat, 50), 1), "p95_ms": round(percentile(lat, 95), 1),
            "max_ms": round(max(lat), 1),
            "server_p50_ms": round(percentile(served, 50), 1),
            "server_p95_ms": round(percentile(served, 95), 1)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(store: Path, corpus: Path,
                timeout: float = 900.0) -> tuple[subprocess.Popen[str], str]:
    """`qa serve` on a free loopback port; returns the process and its URL once it serves."""
    port = _free_port()
    qa = Path(sys.executable).parent / "qa"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen([str(qa), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--store", str(store), "--corpus", str(corpus)],
                            stdout=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Serving the chat UI at"):
            return proc, line.rsplit(" ", 1)[1].strip()
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit(f"load_test: qa serve did not start (exit code {proc.wait()})")


def main(argv: list[str] | None = None) -> int:
    """Run the load test from the command line; 0 when there was no error."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=16)
    p.add_argument("--per-user", type=int, default=25)
    p.add_argument("--questions", type=Path, default=QUESTIONS)
    p.add_argument("--url", help="a running app (default: start qa serve)")
    p.add_argument("--store", type=Path, default=ROOT / ".qa" / "store")
    p.add_argument("--corpus", type=Path, default=ROOT / "seeds")
    p.add_argument("--auth", help="USER:PASS when the app asks for a login")
    p.add_argument("--deadline", type=float, default=900.0, help="seconds, at most")
    p.add_argument("--name", default="seeds", help="results file: load-<name>.json")
    args = p.parse_args(argv)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    proc, url = (None, args.url) if args.url else start_serve(args.store, args.corpus)
    try:
        load_before = os.getloadavg()[0]
        data = run_load(url, args.store, load_questions(args.questions), args.users,
                        args.per_user, args.deadline, auth)  # type: ignore[arg-type]
        data["load_avg_1min_before"] = round(load_before, 2)
        data["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    questions_file = str(args.questions.resolve().relative_to(ROOT)
                         if args.questions.resolve().is_relative_to(ROOT) else args.questions)
    path = write_result(f"load-{args.name}", {**data, "questions_file": questions_file})
    print(json.dumps({k: v for k, v in data.items() if k != "error_examples"}))
    for error in data["error_examples"]:
        print(f"  error: {error}")
    print(f"written to {path}")
    return 1 if data["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
