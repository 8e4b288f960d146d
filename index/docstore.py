"""The document store: texts, chunk spans and sentence vectors, in SQLite.

Citations quote `documents.text`, so it is kept exactly as decoded. Sentence
vectors and named entities are computed at index time so that choosing the
answer sentence costs no model call at query time. The only module that talks SQL.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np

from index.chunking import Chunk
from index.documents import Document
from index.errors import StoreError
from index.lexical import analyze, match_query
from index.ner import Entities

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, text TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks (source, start);
CREATE TABLE IF NOT EXISTS sentences (
    source TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (source, start));
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    encoding TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    source TEXT PRIMARY KEY, hash TEXT NOT NULL, spans TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(
    id UNINDEXED, source UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2');
"""

# Spans per query of `sentence_vectors`: an OR of this many terms stays far below
# SQLite's expression-depth limit (1,000).
_SPANS_PER_QUERY = 200

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(
        method: Callable[Concatenate[DocStore, P], R]) -> Callable[Concatenate[DocStore, P], R]:
    """`method`, with SQLite's "database disk image is malformed" (damage inside a page
    that opening the store did not read) turned into a StoreError saying what to do."""
    @functools.wraps(method)
    def guarded(self: DocStore, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            name = getattr(exc, "sqlite_errorname", "")
            if not (name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"):
                raise
            raise StoreError(f"the index at {self.path.parent} is damaged ({exc}): "
                             "run `qa index --rebuild`") from exc
    return guarded


class DocStore:
    """SQLite file holding documents, chunk spans and sentence vectors.

    Args:
        path: the database file; created with its tables when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connect()

    def _connect(self) -> None:
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._counts: dict[str, tuple[tuple[int, int], int]] = {}
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._backfill_lexical()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def reopen(self) -> None:
        """Close and connect again to the file now at `path` (a swapped-in index)."""
        self._db.close()
        self._connect()

    @_guarded
    def data_version(self) -> int:
        """A number that changes when another connection commits to the file."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read one committed state throughout: later commits by others are not seen inside."""
        self._db.execute("BEGIN DEFERRED")
        try:
            self._start_snapshot()
            yield
        finally:
            self._end_read()

    def _end_read(self) -> None:
        """End a read transaction; one that cannot commit (a damaged page) is rolled
        back instead, since it wrote nothing, and the error already raised stands."""
        try:
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("ROLLBACK")

    @_guarded
    def _start_snapshot(self) -> None:
        self._db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all of them land, or none."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta ---------------------------------------------------------------
    @_guarded
    def get_meta(self, key: str) -> str | None:
        """Return a recorded setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_guarded
    def set_meta(self, key: str, value: str) -> None:
        """Record a setting (the model, the chunking...)."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- documents ----------------------------------------------------------
    @_guarded
    def document_hashes(self) -> dict[str, str]:
        """Map each stored source to its content hash."""
        return dict(self._db.execute("SELECT source, hash FROM documents").fetchall())

    @_guarded
    def get_document(self, source: str) -> Document | None:
        """Return the stored document, or None when `source` is not indexed."""
        row = self._db.execute(
            "SELECT source, text, title, date FROM documents WHERE source = ?", (source,)
        ).fetchone()
        return None if row is None else Document(*row)

    @_guarded
    def replace_document(self, document: Document, chunks: Iterable[Chunk],
                         sentences: list[tuple[int, int]], vectors: np.ndarray) -> list[str]:
        """Store a document with its chunk spans and sentence vectors (float16).

        Returns:
            The chunk ids the previous version of the document had.
        """
        old = self.delete_document(document.source)
        self._db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
            (document.source, document.text, document.title, document.date,
             document.content_hash),
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)",
            [(c.id, c.source, c.start, c.end) for c in chunks],
        )
        self._db.executemany(
            "INSERT INTO lexical VALUES (?, ?, ?)",
            [(c.id, c.source, analyze(c.text)) for c in chunks],
        )
        blobs = vectors.astype(np.float16)
        self._db.executemany(
            "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?)",
            [(document.source, a, b, blobs[i].tobytes()) for i, (a, b) in enumerate(sentences)],
        )
        return old

    @_guarded
    def delete_document(self, source: str) -> list[str]:
        """Remove a document and everything derived from it; return its chunk ids."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
        for table in ("documents", "chunks", "sentences", "lexical", "files", "entities"):
            self._db.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
        return ids

    # -- files: what was read, to skip reading unchanged files next time ----
    @_guarded
    def file_stats(self) -> dict[str, tuple[int, int, str]]:
        """Map each stored source to the (size, mtime_ns, encoding) recorded when it was read."""
        rows = self._db.execute("SELECT f.source, f.size, f.mtime_ns, f.encoding FROM files f"
                                " JOIN documents d ON d.source = f.source")
        return {str(s): (int(n), int(t), str(e)) for s, n, t, e in rows}

    @_guarded
    def record_files(self, stats: Iterable[tuple[str, int, int, str]]) -> None:
        """Record (source, size, mtime_ns, encoding) of files whose stored text is current."""
        self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", stats)

    @_guarded
    def chunk_spans(self, source: str) -> list[tuple[str, int, int]]:
        """The chunks of `source` as (id, start, end), in text order."""
        return [(str(i), int(a), int(b)) for i, a, b in self._db.execute(
            "SELECT id, start, end FROM chunks WHERE source = ? ORDER BY start", (source,))]

    @_guarded
    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The stored chunks among `ids`, by id (unknown ids are left out)."""
        wanted = list(ids)
        rows = self._db.execute(
            "SELECT c.id, c.source, c.start, c.end, substr(d.text, c.start + 1, c.end - c.start)"
            " FROM chunks c JOIN documents d ON d.source = c.source"
            f" WHERE c.id IN ({','.join('?' * len(wanted))})", wanted).fetchall()
        return {i: Chunk(i, s, a, b, t) for i, s, a, b, t in rows}

    @_guarded
    def chunk_ids(self) -> set[str]:
        """Every stored chunk id."""
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    @_guarded
    def sources_of_chunks(self, ids: set[str]) -> set[str]:
        """The sources that own any of the chunk `ids`."""
        rows = self._db.execute("SELECT id, source FROM chunks").fetchall()
        return {source for cid, source in rows if cid in ids}

    @_guarded
    def count(self, table: str) -> int:
        """Number of rows of `documents`, `chunks` or `sentences`.

        Remembered until this connection writes or sees another's commit (a
        pragma instead of a count: 0.8 ms a question at 55,000 chunks). Inside a
        snapshot, both stand still, so the count is the snapshot's.
        """
        if table not in {"documents", "chunks", "sentences"}:
            raise ValueError(f"unknown table {table!r}")
        state = (self.data_version(), self._db.total_changes)
        known = self._counts.get(table)
        if known is None or known[0] != state:
            known = self._counts[table] = (state, int(
                self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]))
        return known[1]

    # -- lexical index (same transactions as the documents) -------------------
    def _backfill_lexical(self) -> None:
        """Fill the lexical index of a store built before it existed."""
        if self._db.execute("SELECT 1 FROM lexical LIMIT 1").fetchone() is not None:
            return
        rows = self._db.execute(
            "SELECT c.id, c.source, substr(d.text, c.start + 1, c.end - c.start)"
            " FROM chunks c JOIN documents d ON d.source = c.source").fetchall()
        if rows:
            with self.transaction():
                self._db.executemany("INSERT INTO lexical VALUES (?, ?, ?)",
                                     [(i, s, analyze(t)) for i, s, t in rows])

    @_guarded
    def lexical_ranking(self, question: str, k: int) -> list[tuple[str, float]]:
        """The ids of the `k` chunks that best match the words of `question`, with their
        BM25 scores, best first.

        Ranks inside the FTS5 table alone: joining the chunk texts before the LIMIT
        (one query) read the text of every match, 2-3x slower on a 55,000-chunk index.
        """
        query = match_query(question)
        if not query:
            return []
        rows = self._db.execute(
            "SELECT id, -bm25(lexical) FROM lexical WHERE lexical MATCH ?"
            " ORDER BY bm25(lexical) LIMIT ?", (query, k)).fetchall()
        return [(str(cid), float(score)) for cid, score in rows]

    # -- sentences ----------------------------------------------------------
    @_guarded
    def sentences_between(
        self, source: str, start: int, end: int
    ) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Sentences of `source` overlapping [start, end), with their vectors."""
        rows = self._db.execute(
            "SELECT start, end, vector FROM sentences WHERE source = ? AND start < ? AND end > ?"
            " ORDER BY start", (source, end, start),
        ).fetchall()
        return [(int(a), int(b)) for a, b, _ in rows], _vectors([v for _, _, v in rows])

    @_guarded
    def sentence_vectors(self, spans: Sequence[tuple[str, int, int]]) -> list[np.ndarray]:
        """For each (source, start, end), the vectors of the sentences overlapping it (as
        `sentences_between` gives them), read in a few queries instead of one per span."""
        found: dict[str, list[tuple[int, int, bytes]]] = {}
        for begin in range(0, len(spans), _SPANS_PER_QUERY):
            part = spans[begin:begin + _SPANS_PER_QUERY]
            where = " OR ".join(["(source = ? AND start < ? AND end > ?)"] * len(part))
            rows = self._db.execute(
                f"SELECT source, start, end, vector FROM sentences WHERE {where}",
                [x for source, start, end in part for x in (source, end, start)]).fetchall()
            for source, start, end, vector in rows:
                found.setdefault(source, []).append((int(start), int(end), vector))
        return [_vectors([v for _, _, v in sorted(
                    r for r in found.get(source, ()) if r[0] < end and r[1] > start)])
                for source, start, end in spans]

    @_guarded
    def sentence_spans(self, source: str) -> list[tuple[int, int]]:
        """The sentences of `source` as (start, end), in text order."""
        return [(int(a), int(b)) for a, b in self._db.execute(
            "SELECT start, end FROM sentences WHERE source = ? ORDER BY start", (source,))]

    # -- entities of sentences (index.entities), for one version of a document ---
    @_guarded
    def stored_entities(self, source: str) -> dict[int, Entities] | None:
        """Entities of the sentences of `source` by sentence start (offsets relative to
        the sentence; a sentence without any is absent), or None when the document's
        current text was not tagged."""
        row = self._db.execute(
            "SELECT e.spans FROM entities e JOIN documents d ON d.source = e.source"
            " AND d.hash = e.hash WHERE e.source = ?", (source,)).fetchone()
        if row is None:
            return None
        found: dict[int, list[tuple[int, int, str]]] = {}
        for start, a, b, label in json.loads(row[0]):
            found.setdefault(int(start), []).append((int(a), int(b), str(label)))
        return {start: tuple(spans) for start, spans in found.items()}

    @_guarded
    def store_entities(self, source: str, digest: str,
                       entities: Mapping[int, Entities]) -> None:
        """Record the entities of each sentence of `source` (by sentence start), tagged
        from the text whose content hash is `digest`."""
        spans = [[start, a, b, label] for start, found in sorted(entities.items())
                 for a, b, label in found]
        self._db.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, ?)", (
            source, digest, json.dumps(spans, ensure_ascii=False, separators=(",", ":"))))

    @_guarded
    def untagged_documents(self) -> list[tuple[str, str, int]]:
        """(source, content hash, sentence count) of the documents whose current text
        has no stored entities, by source."""
        rows = self._db.execute(
            "SELECT d.source, d.hash, (SELECT COUNT(*) FROM sentences s WHERE s.source = d.source)"
            " FROM documents d LEFT JOIN entities e ON e.source = d.source AND e.hash = d.hash"
            " WHERE e.source IS NULL ORDER BY d.source")
        return [(str(s), str(h), int(n)) for s, h, n in rows]

    @_guarded
    def all_tagged(self) -> bool:
        """True when every document's current text has stored entities."""
        return self._db.execute(
            "SELECT 1 FROM documents d WHERE NOT EXISTS (SELECT 1 FROM entities e"
            " WHERE e.source = d.source AND e.hash = d.hash) LIMIT 1").fetchone() is None

    @_guarded
    def clear_entities(self) -> None:
        """Forget every stored entity (tagged by another model)."""
        self._db.execute("DELETE FROM entities")


def _vectors(blobs: list[bytes]) -> np.ndarray:
    """Stored sentence vectors (float16 bytes) as float32 rows; (0, 0) when none."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(b, dtype=np.float16) for b in blobs]).astype(np.float32)
