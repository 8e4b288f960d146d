"""Building and updating an index from a corpus folder.

Only what changed is embedded again: documents are compared by content hash,
and a changed document reuses the vectors of its previous version, or of a
stored document with the same content (a renamed file), text by text.
Chroma is written before SQLite, and leftovers of an interrupted run are
reconciled at the next start, so the two stores always end up agreeing. Last,
the named entities of sentences not tagged yet are tagged (`index.entities`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from index.chunking import Chunk, Chunker
from index.corpus import FileStat
from index.documents import Document, ProgressFactory, Skipped
from index.embedding import Embedder
from index.entities import PRELOAD_BELOW, tag_documents
from index.errors import StoreError
from index.layout import IndexStores
from index.ner import Entities, EntityTagger
from index.reuse import Reusable, donors, gather
from index.segment import split_sentences
from index.summary import IndexSummary
from index.tokens import recorded_tokens, tokens_setting

__all__ = ["IndexBuilder", "ProgressFactory", "SEGMENTER_VERSION"]

# Bumped when sentence segmentation changes, so stored sentence vectors are redone.
SEGMENTER_VERSION = "2"
_GROUP_TEXTS = 2048  # texts embedded then written together: one checkpoint
_WRITING = "writing"  # meta key: "1" while a run writes; still "1" after a killed run


def _no_progress(total: int, label: str) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class _Pending:
    """A changed document: its chunks and sentences, and their vectors once known."""

    document: Document
    chunks: list[Chunk]
    sentences: list[tuple[int, int]]
    vectors: list[np.ndarray | None]  # chunks first, then sentences
    tokens: dict[int, bytes] = field(default_factory=dict)  # sentences' token vectors
    # A text that occurs again in this run is embedded once, at its first occurrence:
    # `shares` holds the first occurrences that later copies use, `copies` the copies
    # (index -> `_key` of the text).
    shares: dict[int, bytes] = field(default_factory=dict)
    copies: dict[int, bytes] = field(default_factory=dict)

    def missing(self) -> list[int]:
        """Indices of the texts to embed (copies excluded)."""
        return [i for i, v in enumerate(self.vectors) if v is None and i not in self.copies]

    def untagged(self, known: Mapping[str, Entities]) -> int:
        """How many sentences have no entities among `known` (they will be tagged)."""
        text = self.document.text
        return sum(1 for a, b in self.sentences if text[a:b] not in known)


def _check_settings(stores: IndexStores, expected: dict[str, str]) -> None:
    for key, value in expected.items():
        found = stores.docs.get_meta(key)
        if key == "tokens":  # recorded only since token vectors exist
            found = recorded_tokens(stores.docs.get_meta("model"), found)
        if found is not None and found != value:
            raise StoreError(
                f"the index at {stores.root} was built with {key} {found!r}, not {value!r}: "
                "run `qa index --rebuild`"
            )


def _reconcile(stores: IndexStores) -> None:
    """Drop vectors SQLite does not know and documents whose vectors are missing.

    An interrupted run only ever leaves extra vectors (Chroma is written first
    and cleaned last), and it leaves its `_WRITING` mark in SQLite: the full
    comparison, which reads every id (not vector) from Chroma, runs after such
    a run, or when the counts differ; a clean store costs two counts.
    """
    if (stores.docs.get_meta(_WRITING) != "1"
            and stores.vectors.count() == stores.docs.count("chunks")):
        return
    known = stores.docs.chunk_ids()
    stored = stores.vectors.ids()
    stores.vectors.delete(sorted(stored - known))
    missing = known - stored
    if missing:
        with stores.docs.transaction():
            for source in stores.docs.sources_of_chunks(missing):
                stores.docs.delete_document(source)
    stores.docs.set_meta(_WRITING, "0")


class IndexBuilder:
    """Brings an index up to date with a corpus folder.

    Args:
        embedder: the model; its name is recorded in the store.
        chunker: chunking settings; recorded in the store too.
        progress: `progress(total, label)` returns a callback taking a count
            of items done; the CLI passes a progress bar.
        tagger: spaCy, for the entities of sentences (loaded only when some
            sentence needs tagging).
        tag_worker: tag large batches half in a second process (`index.tag_worker`).
    """

    def __init__(self, embedder: Embedder, chunker: Chunker,
                 progress: ProgressFactory | None = None,
                 tagger: EntityTagger | None = None, tag_worker: bool = False) -> None:
        self.embedder = embedder
        self.chunker = chunker
        self.progress = progress or _no_progress
        self.tagger = tagger or EntityTagger()
        self.tag_worker = tag_worker

    def settings(self) -> dict[str, str]:
        """What the store must have been built with to be updated in place."""
        return {"model": self.embedder.name, "chunking": self.chunker.signature,
                "segmenter": SEGMENTER_VERSION,
                "tokens": tokens_setting(self.embedder.name)}

    def known_files(self, stores: IndexStores) -> dict[str, FileStat]:
        """What `stores` recorded of the files it read (after repairing a killed run)."""
        _check_settings(stores, self.settings())
        _reconcile(stores)
        return {source: FileStat(*row) for source, row in stores.docs.file_stats().items()}

    def update(self, documents: list[Document], skipped: list[Skipped], stores: IndexStores,
               unchanged: Mapping[str, FileStat] | None = None,
               stats: Mapping[str, FileStat] | None = None) -> IndexSummary:
        """Bring `stores` in line with the corpus; return a summary.

        Args:
            documents, skipped: the files read and the files skipped.
            stores: the index.
            unchanged: files not read because `known_files` matched them: kept as stored.
            stats: the stats of the `documents` read, recorded for the next run.
        """
        began = time.perf_counter()
        _check_settings(stores, self.settings())
        _reconcile(stores)
        unchanged = unchanged or {}
        summary = IndexSummary(seen=len(documents) + len(skipped) + len(unchanged),
                               skipped=skipped, decoded=_unusual_encodings(documents, unchanged))
        stored = stores.docs.document_hashes()
        changed = [d for d in documents if stored.get(d.source) != d.content_hash]
        summary.unchanged = len(documents) - len(changed) + len(unchanged)
        summary.updated = sum(1 for d in changed if d.source in stored)
        summary.added = len(changed) - summary.updated
        gone = sorted(set(stored) - {d.source for d in documents} - set(unchanged))
        if changed or gone:
            stores.docs.set_meta(_WRITING, "1")  # before the first write to Chroma
        # Write the new versions before removing anything: a rename reuses the old vectors.
        known: dict[str, Entities] = {}  # entities of the changed documents' donors
        pending = self._prepare(changed, stored, stores, summary, known)
        if 0 < sum(item.untagged(known) for item in pending) < PRELOAD_BELOW:
            if any(item.missing() for item in pending):
                # Load the model (which imports torch) first: spaCy's thread imports it too,
                # and two threads importing the same modules at once can deadlock.
                _ = self.embedder.dim
            self.tagger.preload()  # spaCy loads in a thread while the model embeds
        self._embed_and_write(pending, stores)
        self._remove(gone, stores, summary)
        for key, value in self.settings().items():
            stores.docs.set_meta(key, value)
        if changed or gone:
            stores.docs.set_meta(_WRITING, "0")
        if stats:  # every document read is stored as read by now
            with stores.docs.transaction():
                stores.docs.record_files(
                    (s, f.size, f.mtime_ns, f.encoding) for s, f in stats.items())
        self._tag(stores, summary, known)
        summary.chunks = stores.docs.count("chunks")
        summary.seconds = time.perf_counter() - began
        return summary

    def _tag(self, stores: IndexStores, summary: IndexSummary,
             known: dict[str, Entities]) -> None:
        """Tag the entities of every sentence not tagged yet (new, changed, or a store
        indexed before entities were stored); vectors are not touched."""
        began = time.perf_counter()
        tagged = tag_documents(stores.docs, self.tagger, self.progress, known,
                               worker=self.tag_worker)
        summary.tagged, summary.tagged_reused = tagged.sentences, tagged.reused
        summary.untagged = tagged.unavailable
        summary.tagging_seconds = time.perf_counter() - began

    def _prepare(self, documents: list[Document], stored: dict[str, str],
                 stores: IndexStores, summary: IndexSummary,
                 known: dict[str, Entities]) -> list[_Pending]:
        """Chunk and segment `documents`; find the vectors they can reuse (`known` gets
        their donors' entities); a text to embed that occurs again in the run (a copy of
        a new file, a repeated sentence) is embedded once (`_Pending.shares`, `copies`)."""
        first: dict[bytes, tuple[_Pending, int]] = {}  # texts to embed so far, by `_key`
        by_hash: dict[str, list[str]] = {}
        for source, digest in stored.items():
            by_hash.setdefault(digest, []).append(source)
        pending = []
        tick = self.progress(len(documents), "chunking") if documents else None
        for document in documents:
            found = donors(document, stored, by_hash)
            reusable = gather(found, stores) if found else Reusable()
            known.update(reusable.entities)
            chunks = self.chunker.split(document)
            sentences = split_sentences(document.text)
            vectors: list[np.ndarray | None] = [reusable.chunks.get(c.text) for c in chunks]
            vectors += [reusable.sentences.get(document.text[a:b]) for a, b in sentences]
            item = _Pending(document, chunks, sentences, vectors)
            for k, (a, b) in enumerate(sentences):
                blob = reusable.tokens.get(document.text[a:b])
                if blob is not None and vectors[len(chunks) + k] is not None:
                    item.tokens[len(chunks) + k] = blob
            for i in item.missing():
                key = _key(_text(item, i))
                if key in first:
                    owner, at = first[key]
                    owner.shares[at] = key
                    item.copies[i] = key
                else:
                    first[key] = (item, i)
            summary.reused += len(vectors) - len(item.missing())
            summary.embedded += len(item.missing())
            pending.append(item)
            if tick:
                tick(1)
        return pending

    def _remove(self, sources: list[str], stores: IndexStores, summary: IndexSummary) -> None:
        tick = self.progress(len(sources), "removing") if sources else None
        for source in sources:
            with stores.docs.transaction():
                ids = stores.docs.delete_document(source)
            stores.vectors.delete(ids)
            summary.removed += 1
            if tick:
                tick(1)

    def _embed_and_write(self, pending: list[_Pending], stores: IndexStores) -> None:
        if not pending:
            return
        shared: dict[bytes, _Embedded] = {}  # vectors of the `shares`, once embedded
        embed_tick = self.progress(sum(len(p.missing()) for p in pending), "embedding")
        write_tick = self.progress(len(pending), "writing")
        group: list[_Pending] = []
        size = 0
        for item in pending:
            group.append(item)
            size += len(item.missing())
            if size >= _GROUP_TEXTS:
                self._write_group(group, stores, embed_tick, write_tick, shared)
                group, size = [], 0
        if group:
            self._write_group(group, stores, embed_tick, write_tick, shared)

    def _write_group(self, group: list[_Pending], stores: IndexStores,
                     embed_tick: Callable[[int], None], write_tick: Callable[[int], None],
                     shared: dict[bytes, _Embedded]) -> None:
        """Embed the texts of `group` that have no vector yet, then write the group.
        A copy's text was embedded in this group or an earlier one (`shared`)."""
        wanted = [(p, i) for p in group for i in p.missing()]
        texts = [_text(p, i) for p, i in wanted]
        # Nothing new (a renamed file): the model is not even loaded.
        vectors, tokens = (self.embedder.embed_documents_with_tokens(texts, progress=embed_tick)
                           if texts else (np.zeros((0, 0)), []))
        for (item, i), vector, found in zip(wanted, vectors, tokens, strict=True):
            embedded = _Embedded(vector, None if found is None else found.to_bytes())
            embedded.put(item, i)
            if i in item.shares:
                shared[item.shares[i]] = embedded
        for item in group:
            for i, key in item.copies.items():
                shared[key].put(item, i)
        chunks = [c for p in group for c in p.chunks]
        chunk_vectors = _stack([v for p in group for v in p.vectors[:len(p.chunks)]])
        metas: list[dict[str, str | int]] = [
            {"title": p.document.title, "date": p.document.date, "model": self.embedder.name}
            for p in group for _ in p.chunks]
        stores.vectors.add(chunks, chunk_vectors, metas)
        stale: list[str] = []
        with stores.docs.transaction():
            for item in group:
                old = stores.docs.replace_document(
                    item.document, item.chunks, item.sentences,
                    _stack(item.vectors[len(item.chunks):]),
                    [item.tokens.get(len(item.chunks) + k) for k in range(len(item.sentences))])
                new_ids = {c.id for c in item.chunks}
                stale += [i for i in old if i not in new_ids]
        stores.vectors.delete(stale)
        for item in group:
            item.vectors, item.tokens = [], {}  # written: let the memory go
        write_tick(len(group))


@dataclass(frozen=True)
class _Embedded:
    """What the model gave for one text: its vector, and its token vectors' bytes."""

    vector: np.ndarray
    tokens: bytes | None

    def put(self, item: _Pending, index: int) -> None:
        """Give text `index` of `item` this vector (and these tokens, if a sentence)."""
        item.vectors[index] = self.vector
        if self.tokens is not None and index >= len(item.chunks):
            item.tokens[index] = self.tokens


def _unusual_encodings(documents: list[Document], unchanged: Mapping[str, FileStat]
                       ) -> dict[str, list[str]]:
    """Sources by encoding, for the encodings other than UTF-8 (shown to the user)."""
    encodings = {s: f.encoding for s, f in unchanged.items()}
    encodings.update({d.source: d.encoding for d in documents})
    found: dict[str, list[str]] = {}
    for source, encoding in sorted(encodings.items()):
        if encoding not in ("", "utf-8"):
            found.setdefault(encoding, []).append(source)
    return found


def _stack(vectors: list[np.ndarray | None]) -> np.ndarray:
    """Rows of a matrix, every one known by now (embedded or reused)."""
    rows = [v for v in vectors if v is not None]
    if len(rows) != len(vectors):
        raise AssertionError("a text was left without a vector")
    return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _key(text: str) -> bytes:
    """A text's identity for sharing one vector between copies (16 bytes, not the text)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _text(item: _Pending, index: int) -> str:
    if index < len(item.chunks):
        return item.chunks[index].text
    a, b = item.sentences[index - len(item.chunks)]
    return item.document.text[a:b]
