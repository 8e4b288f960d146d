"""The embedding worker: its protocol, and vectors identical to the in-process model."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed_worker import WorkerEmbedder, serve
from index.embedding import SentenceTransformerEmbedder
from index.errors import ModelError
from index.tokens import QueryTokens, TokenVectors
from qa.config import Settings
from tests.fakes import FakeEmbedder, TokenFake


class _Loadable(FakeEmbedder):
    def __init__(self, failure: str = "") -> None:
        super().__init__()
        self.failure = failure

    def raw_model(self) -> object:
        if self.failure:
            raise ModelError(self.failure)
        return self


def _replies(embedder: FakeEmbedder, *requests: dict) -> list:
    out = io.BytesIO()
    lines = io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
    serve(embedder, lines, out)  # type: ignore[arg-type]
    stream, replies = io.BytesIO(out.getvalue()), []
    while line := stream.readline():
        head = json.loads(line)
        if "shape" in head:
            rows, dim = head["shape"]
            data = stream.read(rows * dim * 4)
            matrix = np.frombuffer(data, dtype=np.float32).reshape(rows, dim)
            if "tokens" in head:
                head = (matrix, [stream.read(n) if n >= 0 else None for n in head["tokens"]])
            else:
                head = matrix
        replies.append(head)
    return replies


class _LoadableTokens(TokenFake):
    def raw_model(self) -> object:
        return self


def test_serve_sends_token_vectors_after_the_matrix_when_asked() -> None:
    fake = TokenFake()
    texts = ["Qui dirige ?", "Jean Dupont dirige l'office."]
    (queries, query_blobs), (documents, document_blobs), plain = _replies(
        _LoadableTokens(), {"op": "queries+tokens", "texts": texts},
        {"op": "documents+tokens", "texts": texts}, {"op": "queries", "texts": texts})
    vectors, expected = fake.embed_queries_with_tokens(texts)
    assert np.array_equal(queries, vectors) and np.array_equal(plain, vectors)
    for blob, want in zip(query_blobs, expected, strict=True):
        got = QueryTokens.from_bytes(blob)
        assert want is not None and got.spans == want.spans
        assert np.array_equal(got.ids, want.ids) and np.array_equal(got.vectors, want.vectors)
    _, expected_docs = fake.embed_documents_with_tokens(texts)
    assert np.array_equal(documents, fake.embed_documents(texts))
    assert document_blobs == [t.to_bytes() for t in expected_docs if t is not None]
    assert len(document_blobs) == 2 and TokenVectors.from_bytes(document_blobs[1]).ids.size == 5


def test_serve_marks_texts_without_token_vectors() -> None:
    [(matrix, blobs)] = _replies(_Loadable(), {"op": "queries+tokens", "texts": ["a", "b"]})
    assert matrix.shape == (2, 64) and blobs == [None, None]


def test_serve_answers_each_request_in_order() -> None:
    fake = _Loadable()
    queries, dim, documents, unknown = _replies(
        fake, {"op": "queries", "texts": ["Qui dirige ?", "Où ?"]}, {"op": "dim", "texts": []},
        {"op": "documents", "texts": ["Jean Dupont dirige."]}, {"op": "train", "texts": []})
    assert np.array_equal(queries, FakeEmbedder().embed_queries(["Qui dirige ?", "Où ?"]))
    assert dim.shape == (0, 64)
    assert np.array_equal(documents, FakeEmbedder().embed_documents(["Jean Dupont dirige."]))
    assert unknown == {"error": "unknown request 'train'"}


def test_serve_reports_a_model_that_does_not_load() -> None:
    replies = _replies(_Loadable("cannot load embedding model 'x'"),
                       {"op": "queries", "texts": ["a"]}, {"op": "dim", "texts": []})
    assert replies == [{"error": "cannot load embedding model 'x'"}] * 2


@pytest.mark.integration
def test_worker_vectors_are_the_in_process_vectors_bit_for_bit(tmp_path: Path) -> None:
    settings = Settings.load({})
    texts = ["who leads the OCRTEH?", "Qui dirige l'OCRTEH ?", "été " * 300]
    local = SentenceTransformerEmbedder(settings.model, settings.model_cache)
    worker = WorkerEmbedder(settings.model, settings.model_cache)
    try:
        assert worker.name == local.name and worker.dim == local.dim
        assert np.array_equal(worker.embed_queries(texts), local.embed_queries(texts))
        assert np.array_equal(worker.embed_documents(texts), local.embed_documents(texts))
        vectors, tokens = worker.embed_queries_with_tokens(texts)
        local_vectors, local_tokens = local.embed_queries_with_tokens(texts)
        assert np.array_equal(vectors, local_vectors)
        # Pooled from the token outputs: the same vector up to float rounding.
        assert np.allclose(vectors, local.embed_queries(texts), rtol=0, atol=1e-6)
        for got, want in zip(tokens, local_tokens, strict=True):
            assert got is not None and want is not None and got.spans == want.spans
            assert np.array_equal(got.vectors, want.vectors)
        assert tokens[1] is not None and [texts[1][a:b] for a, b in tokens[1].spans] == [
            "Qui", "dirige", "l", "'", "OC", "RT", "EH", "?"]
        vectors, blobs = worker.embed_documents_with_tokens(texts)
        assert np.allclose(vectors, local.embed_documents(texts), rtol=0, atol=1e-6)
        assert [b.to_bytes() for b in blobs if b is not None] == [
            b.to_bytes() for b in local.embed_documents_with_tokens(texts)[1] if b is not None]
    finally:
        worker.close()
    assert worker._proc.returncode is not None
    with pytest.raises(ModelError, match=r"the embedding worker stopped \(exit code -9\)"):
        worker.embed_queries(["again"])


@pytest.mark.integration
def test_worker_reports_a_missing_model(tmp_path: Path) -> None:
    worker = WorkerEmbedder(str(tmp_path / "no-model"), tmp_path)
    try:
        with pytest.raises(ModelError, match=r"^cannot load embedding model '.*no-model'"):
            worker.embed_queries(["a"])
    finally:
        worker.close()


def test_the_worker_runs_this_interpreter() -> None:
    worker = WorkerEmbedder("unused", Path("unused"))
    try:
        assert worker._proc.args[:4] == [sys.executable, "-P", "-m", "index.embed_worker"]
    finally:
        worker.close()
