"""The lexical table keyed by its chunks' rowids: edits delete by rowid, older stores are
aligned once when opened, and a store that cannot be aligned still stays correct."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.chunking import Chunk, chunk_id
from index.docstore import DocStore
from index.docstore.lexical_rows import BY_ROWID
from index.documents import Document


def _put(docs: DocStore, source: str, *texts: str) -> list[Chunk]:
    """Store a document made of `texts`, one chunk each."""
    text = " ".join(texts)
    chunks, start = [], 0
    for part in texts:
        chunks.append(Chunk(chunk_id(source, start, start + len(part), part), source, start,
                            start + len(part), part))
        start += len(part) + 1
    with docs.transaction():
        docs.replace_document(Document(source, text, source, ""), chunks, [], np.zeros((0, 8)))
    return chunks


def _rowids(path: Path, table: str) -> list[tuple[int, str]]:
    db = sqlite3.connect(path)
    try:
        return sorted(db.execute(f"SELECT rowid, id FROM {table}").fetchall())
    finally:
        db.close()


def _deletes(docs: DocStore, action: Callable[[], object]) -> list[str]:
    """The DELETE statements on the lexical table while `action()` runs."""
    statements: list[str] = []
    docs._db.set_trace_callback(statements.append)
    try:
        action()
    finally:
        docs._db.set_trace_callback(None)
    return [s for s in statements if s.startswith("DELETE FROM lexical")]


def test_a_new_store_keys_lexical_rows_by_chunk_rowid(tmp_path: Path) -> None:
    docs = DocStore(tmp_path / "docs.sqlite")
    _put(docs, "a.txt", "Le cormoran plonge.", "Le héron attend.")
    _put(docs, "b.txt", "Le goéland plane.")
    assert docs.get_meta(BY_ROWID) == "1"
    deletes = _deletes(docs, lambda: docs.delete_document("a.txt"))
    docs.close()
    assert deletes == ["DELETE FROM lexical WHERE rowid IN (1,2)"]  # a.txt's two chunk rows
    assert _rowids(tmp_path / "docs.sqlite", "lexical") == _rowids(
        tmp_path / "docs.sqlite", "chunks")
    assert len(_rowids(tmp_path / "docs.sqlite", "chunks")) == 1


def test_an_older_store_is_aligned_once_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    docs = DocStore(path)
    a = _put(docs, "a.txt", "Le cormoran plonge.", "Le héron attend.")
    b = _put(docs, "b.txt", "Le goéland plane.")
    docs.close()
    # As written before: no meta key, lexical rows numbered on their own (here in reverse).
    db = sqlite3.connect(path)
    db.execute("DELETE FROM meta WHERE key = ?", (BY_ROWID,))
    db.execute("DELETE FROM lexical")
    for n, chunk in enumerate(reversed(a + b)):
        db.execute("INSERT INTO lexical (rowid, id, source, body) VALUES (?, ?, ?, ?)",
                   (100 + n, chunk.id, chunk.source, chunk.text.lower()))
    db.commit()
    db.close()
    assert _rowids(path, "lexical") != _rowids(path, "chunks")

    docs = DocStore(path)
    assert docs.get_meta(BY_ROWID) == "1"
    assert _rowids(path, "lexical") == _rowids(path, "chunks")
    assert [cid for cid, _ in docs.lexical_ranking("heron", 5)] == [a[1].id]  # analysed again
    docs.close()
    docs = DocStore(path)  # aligned: opening again writes nothing
    assert docs._db.total_changes == 0
    docs.close()


def test_a_store_left_unaligned_finds_rows_by_source(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite"
    docs = DocStore(path)
    _put(docs, "a.txt", "Le cormoran plonge.")
    _put(docs, "b.txt", "Le goéland plane.")
    # Another process's view of an older store that could not be aligned (read-only, busy).
    docs._db.execute("DELETE FROM meta WHERE key = ?", (BY_ROWID,))
    deletes = _deletes(docs, lambda: _put(docs, "a.txt", "Le héron attend."))
    assert deletes == ["DELETE FROM lexical WHERE source = 'a.txt'"]
    assert docs.lexical_ranking("cormoran", 5) == []
    assert len(docs.lexical_ranking("heron", 5)) == 1
    docs.close()
    docs = DocStore(path)  # the next open aligns it
    assert docs.get_meta(BY_ROWID) == "1"
    docs.close()
    assert _rowids(path, "lexical") == _rowids(path, "chunks")


def test_a_busy_older_store_still_opens_and_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "docs.sqlite"
    docs = DocStore(path)
    _put(docs, "a.txt", "Le cormoran plonge.")
    docs._db.execute("DELETE FROM meta WHERE key = ?", (BY_ROWID,))
    docs.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **k, timeout=0.2))
    try:
        docs = DocStore(path)
        assert docs.get_meta(BY_ROWID) is None
        assert len(docs.lexical_ranking("cormoran", 5)) == 1
        docs.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    monkeypatch.undo()
    docs = DocStore(path)
    assert docs.get_meta(BY_ROWID) == "1"
    docs.close()
