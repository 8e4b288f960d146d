"""Building and updating an index from a corpus folder.

Only what changed is embedded again: documents are compared by content hash.
Chroma is written before SQLite, and leftovers of an interrupted run are
reconciled at the next start, so the two stores always end up agreeing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
import numpy as np

from index.chunking import Chunk, Chunker
from index.documents import Document, Skipped
from index.embedding import Embedder
from index.errors import StoreError
from index.layout import IndexStores
from index.segment import split_sentences

# Bumped when sentence segmentation changes, so stored sentence vectors are redone.
SEGMENTER_VERSION = "2"
_GROUP_TEXTS = 256

ProgressFactory = Callable[[int, str], Callable[[int], None]]


@dataclass
class IndexSummary:
    """What one `qa index` run did."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The summary as lines for a person."""
        head = (f"{self.seen} files seen: {self.added} added, {self.updated} updated, "
                f"{self.removed} removed, {self.unchanged} unchanged, "
                f"{len(self.skipped)} skipped; {self.chunks} chunks; {self.seconds:.1f} s")
        return [head] + [f"  skipped {s.source}: {s.reason}" for s in self.skipped]


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class _Pending:
    document: Document
    chunks: list[Chunk]
    sentences: list[tuple[int, int]]


def _check_settings(stores: IndexStores, expected: dict[str, str]) -> None:
    for key, value in expected.items():
        found = stores.docs.get_meta(key)
        if found is not None and found != value:
            raise StoreError(
                f"the index at {stores.root} was built with {key} {found!r}, not {value!r}: "
                "run `qa index --rebuild`"
            )


def _reconcile(stores: IndexStores) -> None:
    """Drop vectors SQLite does not know and documents whose vectors are missing."""
    known = stores.docs.chunk_ids()
    stored = stores.vectors.ids()
    stores.vectors.delete(sorted(stored - known))
    missing = known - stored
    if missing:
        with stores.docs.transaction():
            for source in stores.docs.sources_of_chunks(missing):
                stores.docs.delete_document(source)


class IndexBuilder:
    """Brings an index up to date with a corpus folder.

    Args:
        embedder: the model; its name is recorded in the store.
        chunker: chunking settings; recorded in the store too.
        progress: `progress(total, label)` returns a callback taking a count
            of items done; the CLI passes a progress bar.
    """

    def __init__(self, embedder: Embedder, chunker: Chunker,
                 progress: ProgressFactory = _no_progress) -> None:
        self.embedder = embedder
        self.chunker = chunker
        self.progress = progress

    def settings(self) -> dict[str, str]:
        """What the store must have been built with to be updated in place."""
        return {"model": self.embedder.name, "chunking": self.chunker.signature,
                "segmenter": SEGMENTER_VERSION}

    def update(self, documents: list[Document], skipped: list[Skipped],
               stores: IndexStores) -> IndexSummary:
        """Bring `stores` in line with `documents` (the whole corpus); return a summary."""
        began = time.perf_counter()
        _check_settings(stores, self.settings())
        _reconcile(stores)
        summary = IndexSummary(seen=len(documents) + len(skipped), skipped=skipped)
        stored = stores.docs.document_hashes()
        current = {d.source for d in documents}
        changed = [d for d in documents if stored.get(d.source) != d.content_hash]
        summary.unchanged = len(documents) - len(changed)
        summary.updated = sum(1 for d in changed if d.source in stored)
        summary.added = len(changed) - summary.updated
        for source in sorted(set(stored) - current):
            with stores.docs.transaction():
                ids = stores.docs.delete_document(source)
            stores.vectors.delete(ids)
            summary.removed += 1
        self._embed_and_write(changed, stores)
        for key, value in self.settings().items():
            stores.docs.set_meta(key, value)
        summary.chunks = stores.docs.count("chunks")
        summary.seconds = time.perf_counter() - began
        return summary

    def _embed_and_write(self, documents: list[Document], stores: IndexStores) -> None:
        pending = [self._prepare(d) for d in documents]
        total = sum(len(p.chunks) + len(p.sentences) for p in pending)
        tick = self.progress(total, "embedding")
        group: list[_Pending] = []
        size = 0
        for item in pending:
            group.append(item)
            size += len(item.chunks) + len(item.sentences)
            if size >= _GROUP_TEXTS:
                self._write_group(group, stores, tick)
                group, size = [], 0
        if group:
            self._write_group(group, stores, tick)

    def _prepare(self, document: Document) -> _Pending:
        return _Pending(document, self.chunker.split(document), split_sentences(document.text))

    def _write_group(self, group: list[_Pending], stores: IndexStores,
                     tick: Callable[[int], None]) -> None:
        texts = [c.text for p in group for c in p.chunks]
        texts += [p.document.text[a:b] for p in group for a, b in p.sentences]
        vectors = self.embedder.embed_documents(texts, progress=tick)
        cursor = sum(len(p.chunks) for p in group)
        offset = 0
        for item in group:
            n = len(item.chunks)
            self._write_one(item, vectors[offset:offset + n],
                            vectors[cursor:cursor + len(item.sentences)], stores)
            offset += n
            cursor += len(item.sentences)

    def _write_one(self, item: _Pending, chunk_vectors: np.ndarray,
                   sentence_vectors: np.ndarray, stores: IndexStores) -> None:
        doc = item.document
        meta: dict[str, str | int] = {"title": doc.title, "date": doc.date,
                                      "model": self.embedder.name}
        stores.vectors.add(item.chunks, chunk_vectors, [meta] * len(item.chunks))
        with stores.docs.transaction():
            old = stores.docs.replace_document(doc, item.chunks, item.sentences,
                                               sentence_vectors)
        new_ids = {c.id for c in item.chunks}
        stores.vectors.delete([i for i in old if i not in new_ids])
