"""Sentence rows: each sentence's span, vector (float16) and token vectors, for choosing
the answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from index.docstore.rows import Rows, guarded

# Conditions per query of `_any_of`: an OR of this many terms stays far below
# SQLite's expression-depth limit (1,000).
_SPANS_PER_QUERY = 200


class SentenceRows(Rows):
    """The `sentences` table: (source, start, end, vector); and `sentence_tokens`:
    (source, start, tokens)."""

    @guarded
    def sentences_between(
        self, source: str, start: int, end: int
    ) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Sentences of `source` overlapping [start, end), with their vectors."""
        rows = self._db.execute(
            "SELECT start, end, vector FROM sentences WHERE source = ? AND start < ? AND end > ?"
            " ORDER BY start", (source, end, start),
        ).fetchall()
        return [(int(a), int(b)) for a, b, _ in rows], _vectors([v for _, _, v in rows])

    @guarded
    def sentence_vectors(self, spans: Sequence[tuple[str, int, int]]) -> list[np.ndarray]:
        """For each (source, start, end), the vectors of the sentences overlapping it (as
        `sentences_between` gives them), read in a few queries instead of one per span."""
        # By source, then start: a sentence two spans overlap is read once per query it
        # meets, and kept once.
        found: dict[str, dict[int, tuple[int, bytes]]] = {}
        for source, start, end, vector in self._any_of(
                "SELECT source, start, end, vector FROM sentences",
                "(source = ? AND start < ? AND end > ?)",
                [(source, end, start) for source, start, end in spans]):
            found.setdefault(source, {})[int(start)] = (int(end), vector)
        return [_vectors([v for a, (b, v) in sorted(found.get(source, {}).items())
                          if a < end and b > start])
                for source, start, end in spans]

    @guarded
    def sentence_tokens(self, source: str) -> dict[int, bytes]:
        """The stored token vectors of `source`'s sentences, by sentence start (sentences
        stored without any are left out)."""
        return {int(a): bytes(t) for a, t in self._db.execute(
            "SELECT start, tokens FROM sentence_tokens WHERE source = ?", (source,))}

    @guarded
    def tokens_at(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], bytes]:
        """The stored token vectors of the sentences starting at each (source, start)."""
        return {(source, int(start)): bytes(blob) for source, start, blob in self._any_of(
            "SELECT source, start, tokens FROM sentence_tokens", "(source = ? AND start = ?)",
            list(keys))}

    def _any_of(self, select: str, condition: str,
                params: Sequence[tuple[object, ...]]) -> Iterator[tuple[Any, ...]]:
        """The rows of `select` meeting `condition` for any one of `params`, read in a few
        queries (an OR of `_SPANS_PER_QUERY` conditions each) instead of one per tuple."""
        for begin in range(0, len(params), _SPANS_PER_QUERY):
            part = params[begin:begin + _SPANS_PER_QUERY]
            where = " OR ".join([condition] * len(part))
            yield from self._db.execute(f"{select} WHERE {where}", [x for p in part for x in p])

    @guarded
    def sentence_spans(self, source: str) -> list[tuple[int, int]]:
        """The sentences of `source` as (start, end), in text order."""
        return [(int(a), int(b)) for a, b in self._db.execute(
            "SELECT start, end FROM sentences WHERE source = ? ORDER BY start", (source,))]


def _vectors(blobs: list[bytes]) -> np.ndarray:
    """Stored sentence vectors (float16 bytes) as float32 rows; (0, 0) when none."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(b, dtype=np.float16) for b in blobs]).astype(np.float32)
