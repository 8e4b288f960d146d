"""The document store: texts, chunk spans, files read, and (through its parts) sentence
vectors, entities and the lexical index, all in one SQLite file."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.chunking import Chunk
from index.docstore.entity_rows import EntityRows
from index.docstore.lexical_rows import LexicalRows
from index.docstore.rows import guarded
from index.docstore.sentence_rows import SentenceRows
from index.documents import Document

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
CREATE TABLE IF NOT EXISTS sentence_tokens (
    source TEXT NOT NULL, start INTEGER NOT NULL, tokens BLOB NOT NULL,
    PRIMARY KEY (source, start));
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    encoding TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    source TEXT PRIMARY KEY, hash TEXT NOT NULL, spans TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(
    id UNINDEXED, source UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2');
"""


class DocStore(SentenceRows, EntityRows, LexicalRows):
    """SQLite file holding documents, chunk spans and sentence vectors.

    Args:
        path: the database file; created with its tables when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connect()

    def _connect(self) -> None:
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._counts = {}
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._align_lexical()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def reopen(self) -> None:
        """Close and connect again to the file now at `path` (a swapped-in index)."""
        self._db.close()
        self._connect()

    @guarded
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

    @guarded
    def _start_snapshot(self) -> None:
        self._db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()

    # -- meta ---------------------------------------------------------------
    @guarded
    def get_meta(self, key: str) -> str | None:
        """Return a recorded setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @guarded
    def set_meta(self, key: str, value: str) -> None:
        """Record a setting (the model, the chunking...)."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- documents ----------------------------------------------------------
    @guarded
    def document_hashes(self) -> dict[str, str]:
        """Map each stored source to its content hash."""
        return dict(self._db.execute("SELECT source, hash FROM documents").fetchall())

    @guarded
    def get_document(self, source: str) -> Document | None:
        """Return the stored document, or None when `source` is not indexed."""
        row = self._db.execute(
            "SELECT source, text, title, date FROM documents WHERE source = ?", (source,)
        ).fetchone()
        return None if row is None else Document(*row)

    @guarded
    def replace_document(self, document: Document, chunks: Iterable[Chunk],
                         sentences: list[tuple[int, int]], vectors: np.ndarray,
                         tokens: Sequence[bytes | None] | None = None) -> list[str]:
        """Store a document with its chunk spans and sentence vectors (float16), and each
        sentence's token vectors (`index.tokens.TokenVectors.to_bytes`) when given.

        Returns:
            The chunk ids the previous version of the document had.
        """
        old = self.delete_document(document.source)
        self._db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
            (document.source, document.text, document.title, document.date,
             document.content_hash),
        )
        chunks = list(chunks)
        self._db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)",
            [(c.id, c.source, c.start, c.end) for c in chunks],
        )
        self._insert_lexical(document.source, chunks)
        blobs = vectors.astype(np.float16)
        self._db.executemany(
            "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?)",
            [(document.source, a, b, blobs[i].tobytes()) for i, (a, b) in enumerate(sentences)],
        )
        # Token vectors (~2.8 KB a sentence) in a table of their own: the sentence rows that
        # retrieval and the reader scan for vectors stay small (several to a page).
        self._db.executemany(
            "INSERT OR REPLACE INTO sentence_tokens VALUES (?, ?, ?)",
            [] if tokens is None else [(document.source, a, t) for (a, _), t in zip(
                sentences, tokens, strict=True) if t is not None],
        )
        return old

    @guarded
    def delete_document(self, source: str) -> list[str]:
        """Remove a document and everything derived from it; return its chunk ids."""
        rows = self._db.execute("SELECT rowid, id FROM chunks WHERE source = ?",
                                (source,)).fetchall()
        # The lexical rows go first, found through their chunks' rowids. A delete by `source`
        # reads the whole FTS5 table: for every document of a build (new ones included), it
        # made a 55,000-chunk build quadratic (87 s of it).
        self._delete_lexical(source, [int(r) for r, _ in rows])
        for table in ("documents", "chunks", "sentences", "sentence_tokens", "files",
                      "entities"):
            self._db.execute(f"DELETE FROM {table} WHERE source = ?", (source,))
        return [str(i) for _, i in rows]

    # -- files: what was read, to skip reading unchanged files next time ----
    @guarded
    def file_stats(self) -> dict[str, tuple[int, int, str]]:
        """Map each stored source to the (size, mtime_ns, encoding) recorded when it was read."""
        rows = self._db.execute("SELECT f.source, f.size, f.mtime_ns, f.encoding FROM files f"
                                " JOIN documents d ON d.source = f.source")
        return {str(s): (int(n), int(t), str(e)) for s, n, t, e in rows}

    @guarded
    def record_files(self, stats: Iterable[tuple[str, int, int, str]]) -> None:
        """Record (source, size, mtime_ns, encoding) of files whose stored text is current."""
        self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", stats)

    @guarded
    def chunk_spans(self, source: str) -> list[tuple[str, int, int]]:
        """The chunks of `source` as (id, start, end), in text order."""
        return [(str(i), int(a), int(b)) for i, a, b in self._db.execute(
            "SELECT id, start, end FROM chunks WHERE source = ? ORDER BY start", (source,))]

    @guarded
    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The stored chunks among `ids`, by id (unknown ids are left out)."""
        wanted = list(ids)
        rows = self._db.execute(
            "SELECT c.id, c.source, c.start, c.end, substr(d.text, c.start + 1, c.end - c.start)"
            " FROM chunks c JOIN documents d ON d.source = c.source"
            f" WHERE c.id IN ({','.join('?' * len(wanted))})", wanted).fetchall()
        return {i: Chunk(i, s, a, b, t) for i, s, a, b, t in rows}

    @guarded
    def chunk_ids(self) -> set[str]:
        """Every stored chunk id."""
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    @guarded
    def sources_of_chunks(self, ids: set[str]) -> set[str]:
        """The sources that own any of the chunk `ids`."""
        rows = self._db.execute("SELECT id, source FROM chunks").fetchall()
        return {source for cid, source in rows if cid in ids}

    @guarded
    def count(self, table: str) -> int:
        """Number of rows of `documents`, `chunks` or `sentences`.

        Remembered until this connection writes or rolls back, or sees another's
        commit (a pragma instead of a count: 0.8 ms a question at 55,000 chunks).
        Inside a snapshot, both stand still, so the count is the snapshot's.
        """
        if table not in {"documents", "chunks", "sentences"}:
            raise ValueError(f"unknown table {table!r}")
        state = (self.data_version(), self._db.total_changes)
        known = self._counts.get(table)
        if known is None or known[0] != state:
            known = self._counts[table] = (state, int(
                self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]))
        return known[1]
