"""An `Embedder` whose model runs in a child process that starts loading at once.

A one-shot command such as `qa ask` spends most of its start-up importing torch,
transformers and sentence-transformers and loading the model, work that does not
depend on opening the index or loading spaCy. `WorkerEmbedder` launches
`python -m index.embed_worker` as soon as it is created; the worker loads the same
`SentenceTransformerEmbedder` on the other core while the caller goes on, then
answers requests on its stdin/stdout. Vectors cross the pipe as raw float32
bytes, so they are bit-identical to the ones the model computes in-process.

Protocol: one JSON line per request, {"op": "queries" | "documents" | "dim",
"texts": [...]}; one JSON line per reply, {"shape": [rows, dim]} followed by
rows x dim float32 bytes, or {"error": message}. The worker exits at end of input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from index.embedding import Progress, SentenceTransformerEmbedder
from index.errors import ModelError
from index.worker_process import command, reply_stream


class WorkerEmbedder:
    """An `Embedder` served by a worker process (started, and loading, on creation).

    Args:
        name: the model name, as for `SentenceTransformerEmbedder`.
        cache_dir: where the converted default model is kept.
        batch_size: texts per forward pass.
    """

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32) -> None:
        self.name = name
        self._proc = subprocess.Popen(
            command("index.embed_worker", name, str(cache_dir), str(batch_size)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def _request(self, op: str, texts: Sequence[str]) -> np.ndarray:
        """Send one request; return the worker's matrix. Raises ModelError on failure."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps({"op": op, "texts": list(texts)}).encode() + b"\n")
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline() or b"null")
        except (BrokenPipeError, ValueError):
            reply = None
        if reply is None:
            raise ModelError(f"the embedding worker stopped (exit code {proc.wait()}): "
                             f"see the messages above")
        if "error" in reply:
            raise ModelError(reply["error"])
        rows, dim = reply["shape"]
        data = proc.stdout.read(rows * dim * 4)
        return np.frombuffer(data, dtype=np.float32).reshape(rows, dim).copy()

    @property
    def dim(self) -> int:
        """Dimension of the vectors."""
        return int(self._request("dim", []).shape[1])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalized float32 row per question."""
        return self._request("queries", texts)

    def embed_documents(self, texts: Sequence[str], progress: Progress | None = None
                        ) -> np.ndarray:
        """One L2-normalized float32 row per passage; `progress` once, at the end."""
        out = self._request("documents", texts)
        if progress:
            progress(len(texts))
        return out

    def close(self) -> None:
        """Stop the worker (at once: it may still be loading)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _answer(embedder: SentenceTransformerEmbedder, request: dict[str, Any]) -> np.ndarray:
    """The matrix one request asks for."""
    op, texts = request["op"], request["texts"]
    if op == "queries":
        return embedder.embed_queries(texts)
    if op == "documents":
        return embedder.embed_documents(texts)
    if op == "dim":
        return np.zeros((0, embedder.dim), dtype=np.float32)
    raise ValueError(f"unknown request {op!r}")


def serve(embedder: SentenceTransformerEmbedder, requests: IO[bytes], out: IO[bytes]) -> None:
    """Load the model now, then answer each request line of `requests` on `out`."""
    failure = ""
    try:
        embedder.raw_model()
    except ModelError as exc:
        failure = str(exc)
    for line in requests:
        try:
            if failure:
                raise ModelError(failure)
            matrix = np.ascontiguousarray(_answer(embedder, json.loads(line)), np.float32)
        except (ModelError, ValueError, KeyError, TypeError) as exc:
            out.write(json.dumps({"error": str(exc)}).encode() + b"\n")
        else:
            out.write(json.dumps({"shape": list(matrix.shape)}).encode() + b"\n")
            out.write(matrix.tobytes())
        out.flush()


def main(argv: Sequence[str]) -> None:
    """Worker entry point: `python -m index.embed_worker NAME CACHE_DIR BATCH_SIZE`."""
    name, cache_dir, batch_size = argv
    replies = reply_stream()
    serve(SentenceTransformerEmbedder(name, Path(cache_dir), int(batch_size)),
          sys.stdin.buffer, replies)
    replies.flush()
    os._exit(0)  # skip tearing torch down: the caller may be waiting for our stderr to close


if __name__ == "__main__":
    main(sys.argv[1:])
