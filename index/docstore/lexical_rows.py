"""Lexical rows: each chunk's analysed words in an FTS5 table, ranked by BM25."""

from __future__ import annotations

from index.docstore.rows import Rows, guarded
from index.lexical import analyze, match_query


class LexicalRows(Rows):
    """The `lexical` FTS5 table: (id, source, analysed body), written with the chunks."""

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
