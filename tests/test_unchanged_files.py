"""Files whose size and modification time are unchanged are not read again."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from index.layout import DOCS_FILE, open_stores
from qa.config import Settings
from qa.indexing import run_index
from tests.fakes import FakeEmbedder

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: settled


def age(corpus: Path, when: int = OLD) -> None:
    for path in corpus.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(when, when))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read, in order."""
    seen: list[str] = []
    real = Path.read_bytes

    def spy(path: Path) -> bytes:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", spy)
    return seen


def counts(summary) -> tuple[int, int, int, int, int]:
    return (summary.seen, summary.added, summary.updated, summary.removed, summary.unchanged)


def stored_text(settings: Settings, source: str) -> str:
    stores = open_stores(settings.store)
    try:
        document = stores.docs.get_document(source)
        assert document is not None
        return document.text
    finally:
        stores.close()


def test_unchanged_files_are_not_read(settings, corpus, reads) -> None:
    age(corpus)
    first = run_index(settings, FakeEmbedder())
    assert sorted(reads) == ["alpha.txt", "beta.md", "gamma.txt"]
    reads.clear()
    summary = run_index(settings, FakeEmbedder())
    assert reads == []
    assert counts(summary) == (3, 0, 0, 0, 3)
    assert (summary.embedded, summary.chunks) == (0, first.chunks)


def test_touched_edited_added_and_deleted_files(settings, corpus, reads) -> None:
    age(corpus)
    run_index(settings, FakeEmbedder())
    reads.clear()
    os.utime(corpus / "beta.md", ns=(OLD + 10**9, OLD + 10**9))  # touched: read, same text
    (corpus / "sub" / "gamma.txt").write_text("Le cacao vient du Mexique.\n", encoding="utf-8")
    (corpus / "alpha.txt").unlink()
    (corpus / "new.txt").write_text("Un nouveau document.\n", encoding="utf-8")
    age(corpus, OLD + 2 * 10**9)
    os.utime(corpus / "beta.md", ns=(OLD + 10**9, OLD + 10**9))
    summary = run_index(settings, FakeEmbedder())
    assert sorted(reads) == ["beta.md", "gamma.txt", "new.txt"]
    assert counts(summary) == (3, 1, 1, 1, 1)
    assert stored_text(settings, "sub/gamma.txt") == "Le cacao vient du Mexique.\n"
    reads.clear()
    assert counts(run_index(settings, FakeEmbedder())) == (3, 0, 0, 0, 3)
    assert reads == []


def test_an_edit_keeping_size_and_time_is_missed_unless_verify(settings, corpus, reads) -> None:
    age(corpus)
    run_index(settings, FakeEmbedder())
    beta = corpus / "beta.md"
    text = beta.read_text(encoding="utf-8")
    beta.write_text(text.replace("deux fois", "DEUX fois"), encoding="utf-8")  # same size
    age(corpus)
    summary = run_index(settings, FakeEmbedder())
    assert counts(summary) == (3, 0, 0, 0, 3)  # the known limitation
    assert "deux fois" in stored_text(settings, "beta.md")
    summary = run_index(settings, FakeEmbedder(), verify=True)
    assert counts(summary) == (3, 0, 1, 0, 2)
    assert "DEUX fois" in stored_text(settings, "beta.md")


def test_files_modified_just_now_are_read_again(settings, corpus, reads) -> None:
    run_index(settings, FakeEmbedder())  # fresh files: their times are not trusted yet
    reads.clear()
    run_index(settings, FakeEmbedder())
    assert sorted(reads) == ["alpha.txt", "beta.md", "gamma.txt"]


def test_a_store_from_before_the_files_table_is_migrated(settings, corpus, reads) -> None:
    age(corpus)
    run_index(settings, FakeEmbedder())
    db = sqlite3.connect(settings.store / DOCS_FILE)
    db.execute("DROP TABLE files")  # as main at 585426c built it
    db.commit()
    db.close()
    reads.clear()
    assert counts(run_index(settings, FakeEmbedder())) == (3, 0, 0, 0, 3)
    assert len(reads) == 3  # read once, recorded
    reads.clear()
    assert counts(run_index(settings, FakeEmbedder())) == (3, 0, 0, 0, 3)
    assert reads == []


def test_the_summary_names_the_encoding_of_files_not_read(settings, corpus, reads) -> None:
    (corpus / "win.txt").write_bytes("Un café à 2 €.\n".encode("cp1252"))
    age(corpus)
    first = run_index(settings, FakeEmbedder())
    reads.clear()
    again = run_index(settings, FakeEmbedder())
    assert reads == []
    assert first.lines()[1:] == again.lines()[1:] == ["  decoded as cp1252: win.txt"]


def test_a_bigger_size_limit_does_not_hide_unchanged_files(settings, corpus, reads) -> None:
    age(corpus)
    run_index(settings, FakeEmbedder())
    reads.clear()
    summary = run_index(replace(settings, max_file_mb=0.00001), FakeEmbedder())
    assert reads == [] and counts(summary) == (3, 0, 0, 0, 3)
