"""Lexical rows: each chunk's analysed words in an FTS5 table, ranked by BM25."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from index.chunking import Chunk
from index.docstore.rows import Rows, guarded
from index.lexical import analyze, match_query

# Meta key of a store whose lexical row for a chunk has the chunk row's rowid. FTS5 keeps no
# index on its UNINDEXED `id` and `source` columns, only on the rowid: with this, a document's
# lexical rows are deleted by rowid instead of by a scan of the whole table.
BY_ROWID = "lexical_by_rowid"


class LexicalRows(Rows):
    """The `lexical` FTS5 table: (id, source, analysed body), written with the chunks."""

    def _align_lexical(self) -> None:
        """Give every chunk its lexical row under the chunk's own rowid, once per store.

        A store written before that (or before the lexical index existed) has its
        lexical table rebuilt from its chunks (~5 s at 55,000 chunks), in one
        transaction. When it cannot be written now (read-only, or locked by a long
        write elsewhere), it is left as it is: writes then find a document's rows by
        `source`, a scan, as they did before, and a later open aligns it.
        """
        if self._lexical_by_rowid():
            return
        try:
            with self.transaction():
                if self._lexical_by_rowid():
                    return  # aligned by another process meanwhile
                rows = self._db.execute(
                    "SELECT c.rowid, c.id, c.source, substr(d.text, c.start + 1, c.end - c.start)"
                    " FROM chunks c JOIN documents d ON d.source = c.source").fetchall()
                self._db.execute("DELETE FROM lexical")
                self._write_lexical(rows)
                self._db.execute("INSERT INTO meta VALUES (?, '1')", (BY_ROWID,))
        except sqlite3.OperationalError:
            pass  # read-only or busy: see above

    def _lexical_by_rowid(self) -> bool:
        """True when lexical rows carry their chunk's rowid (read at every write: another
        process may have aligned the store since this one opened it)."""
        return self._db.execute(
            "SELECT 1 FROM meta WHERE key = ?", (BY_ROWID,)).fetchone() is not None

    def _insert_lexical(self, source: str, chunks: Sequence[Chunk]) -> None:
        """Write the lexical rows of `source`'s `chunks`, already in the chunks table."""
        if not chunks:
            return
        rowids: dict[str, int | None]
        if self._lexical_by_rowid():
            rowids = dict(self._db.execute(
                "SELECT id, rowid FROM chunks WHERE source = ?", (source,)).fetchall())
        else:  # an unaligned store: FTS5 picks the rowids
            rowids = dict.fromkeys((c.id for c in chunks), None)
        self._write_lexical((rowids[c.id], c.id, c.source, c.text) for c in chunks)

    def _write_lexical(self, rows: Iterable[tuple[int | None, str, str, str]]) -> None:
        """Insert lexical rows from (rowid, chunk id, source, chunk text); a None rowid
        is chosen by FTS5."""
        self._db.executemany(
            "INSERT INTO lexical (rowid, id, source, body) VALUES (?, ?, ?, ?)",
            [(rowid, cid, source, analyze(text)) for rowid, cid, source, text in rows])

    def _delete_lexical(self, source: str, rowids: list[int]) -> None:
        """Delete the lexical rows of `source`, whose chunk rows have `rowids` (still there)."""
        if not rowids:
            return  # no chunks, no lexical rows: they are written and deleted together
        if not self._lexical_by_rowid():
            self._db.execute("DELETE FROM lexical WHERE source = ?", (source,))  # a scan
            return
        for start in range(0, len(rowids), 500):
            part = rowids[start:start + 500]
            self._db.execute(
                f"DELETE FROM lexical WHERE rowid IN ({','.join('?' * len(part))})", part)

    @guarded
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
