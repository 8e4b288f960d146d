"""An `Embedder` whose model runs in a child process that starts loading at once.

A one-shot command such as `qa ask` spends most of its start-up importing torch,
transformers and sentence-transformers and loading the model, work that does not
depend on opening the index or loading spaCy. `WorkerEmbedder` launches
`python -m index.embed_worker` as soon as it is created; the worker loads the same
`SentenceTransformerEmbedder` on the other core while the caller goes on, then
answers requests on its stdin/stdout. Vectors cross the pipe as raw float32
bytes, so they are bit-identical to the ones the model computes in-process.

Protocol: one JSON line per request, {"op": "queries" | "documents" | "dim" |
"queries+tokens" | "documents+tokens", "texts": [...]}; one JSON line per reply,
{"shape": [rows, dim]} followed by rows x dim float32 bytes, or {"error": message}.
A "+tokens" reply also has "tokens": the byte length of each text's token vectors
(`QueryTokens` / `TokenVectors.to_bytes`, -1 for none), sent after the matrix.
The worker exits at end of input.
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
from index.tokens import QueryTokens, TokenVectors
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
        return self._request_tokens(op, texts)[0]

    def _request_tokens(self, op: str, texts: Sequence[str]
                        ) -> tuple[np.ndarray, list[bytes | None]]:
        """Send one request; return the worker's matrix and token bytes (none unless the
        op asks for them). Raises ModelError on failure."""
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
        tokens = [proc.stdout.read(n) if n >= 0 else None for n in reply.get("tokens", [])]
        return np.frombuffer(data, dtype=np.float32).reshape(rows, dim).copy(), tokens

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

    def embed_queries_with_tokens(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[QueryTokens | None]]:
        """`embed_queries`, and each question's token vectors (None: the model has none)."""
        matrix, blobs = self._request_tokens("queries+tokens", texts)
        return matrix, [None if b is None else QueryTokens.from_bytes(b) for b in blobs]

    def embed_documents_with_tokens(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[TokenVectors | None]]:
        """`embed_documents`, and each passage's token vectors (None: the model has none)."""
        matrix, blobs = self._request_tokens("documents+tokens", texts)
        if progress:
            progress(len(texts))
        return matrix, [None if b is None else TokenVectors.from_bytes(b) for b in blobs]

    def close(self) -> None:
        """Stop the worker (at once: it may still be loading)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _answer(embedder: SentenceTransformerEmbedder, request: dict[str, Any]
            ) -> tuple[np.ndarray, list[bytes | None] | None]:
    """The matrix one request asks for, and the token vectors' bytes if it asks for them."""
    op, texts = request["op"], request["texts"]
    if op.endswith("+tokens"):
        found: tuple[np.ndarray, Sequence[QueryTokens | TokenVectors | None]]
        if op == "queries+tokens":
            found = embedder.embed_queries_with_tokens(texts)
        elif op == "documents+tokens":
            found = embedder.embed_documents_with_tokens(texts)
        else:
            raise ValueError(f"unknown request {op!r}")
        return found[0], [None if t is None else t.to_bytes() for t in found[1]]
    return _matrix(embedder, op, texts), None


def _matrix(embedder: SentenceTransformerEmbedder, op: str, texts: list[str]) -> np.ndarray:
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
            found, tokens = _answer(embedder, json.loads(line))
            matrix = np.ascontiguousarray(found, np.float32)
        except (ModelError, ValueError, KeyError, TypeError, AttributeError) as exc:
            out.write(json.dumps({"error": str(exc)}).encode() + b"\n")
        else:
            head: dict[str, Any] = {"shape": list(matrix.shape)}
            if tokens is not None:
                head["tokens"] = [-1 if t is None else len(t) for t in tokens]
            out.write(json.dumps(head).encode() + b"\n")
            out.write(matrix.tobytes())
            for blob in tokens or ():
                if blob is not None:
                    out.write(blob)
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
