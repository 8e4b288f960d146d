"""Serving while `qa index` updates the index (issue 6, item 4).

A service opened in this process keeps answering, every reply an exact quote,
while a real `qa index` (another process, fake embedder) adds documents or
swaps in a rebuild; it finds the new documents afterwards. Each protection has
a test of its own that fails without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.builder import IndexBuilder
from index.chunking import Chunk
from index.docstore import DocStore
from index.layout import DOCS_FILE, open_stores
from index.live import try_reading, writing
from qa.config import Settings
from qa.indexing import run_index
from qa.render import answer_to_dict
from qa.service import QAService
from tests.conftest import ROOT, write_corpus
from tests.contract import assert_exact, source_text
from tests.fakes import FakeEmbedder

OLD_QUESTION = "Qui dirige l'office central ?"
NEW_DOCS = 800  # ~2,400 texts: more than one write group, so several commits


def new_corpus(corpus: Path, count: int = NEW_DOCS) -> None:
    """Add `count` documents, each naming its own animal and town.

    The animal's name stays within the stemmer's 7-letter prefix ("zorg799"), so
    each document differs from the others in its words, not only in its vector.
    """
    write_corpus(corpus, {
        f"new/fiche{i:04d}.txt": f"Fiche {i}\n\nLe zorg{i} habite la ville de Quimper{i}.\n"
        for i in range(count)})


def qa_subprocess(*args: str) -> subprocess.Popen[str]:
    """`qa ARGS` in a process of its own, with the fake embedder."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.Popen([sys.executable, "-m", "tests.index_proc", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def live(settings: Settings, fake_embedder: FakeEmbedder) -> Iterator[QAService]:
    """A service over the tiny corpus, its stores opened before any update."""
    run_index(settings, fake_embedder)
    service = QAService(settings, fake_embedder, open_stores(settings.store))
    yield service
    service.close()


def ask_exact(service: QAService, question: str, corpus: Path) -> dict[str, object]:
    reply = answer_to_dict(service.ask(question))
    assert_exact(reply, corpus)
    return reply


def dense_sources(service: QAService, question: str) -> set[str]:
    vector = service.embedder.embed_queries([question])[0]
    return {p.chunk.source for p in service.retriever.dense.retrieve(vector, 3)}


def serve_during(service: QAService, proc: subprocess.Popen[str], corpus: Path) -> int:
    """Ask old and new questions until `proc` ends; every reply must be exact."""
    replies = 0
    while proc.poll() is None:
        for question in (OLD_QUESTION, f"Où habite le zorg{replies % NEW_DOCS} ?"):
            ask_exact(service, question, corpus)
            replies += 1
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return replies


def test_answers_stay_exact_while_qa_index_adds_documents(live: QAService, settings) -> None:
    new_corpus(settings.corpus)
    # Two words only fiche0007 holds: with 64 hashed dimensions, one word alone collides
    # with words of many of the 800 new documents.
    question = "Le zorg7 habite-t-il à Quimper7 ?"
    assert dense_sources(live, question) == dense_sources(live, OLD_QUESTION)  # nothing new yet
    proc = qa_subprocess("index", "--quiet", "--corpus", str(settings.corpus),
                         "--store", str(settings.store), "--model", settings.model)
    assert serve_during(live, proc, settings.corpus) > 0
    reply = ask_exact(live, question, settings.corpus)
    assert reply["answer"] == "Le zorg7 habite la ville de Quimper7."
    assert reply["citations"][reply["answer_citation"] - 1]["source"] == "new/fiche0007.txt"
    # The vector search itself sees the new chunks: the embedded Chroma was reopened.
    assert "new/fiche0007.txt" in dense_sources(live, question)


def test_an_embedded_chroma_client_does_not_see_another_process_until_reopened(
        live: QAService, settings) -> None:
    new_corpus(settings.corpus, 5)
    question = "Où habite le zorg3 ?"
    assert "new/fiche0003.txt" not in dense_sources(live, question)  # loads the search index
    proc = qa_subprocess("index", "--quiet", "--corpus", str(settings.corpus),
                         "--store", str(settings.store), "--model", settings.model)
    assert proc.wait() == 0
    assert live.stores.vectors.count() == live.stores.docs.count("chunks")  # rows: seen
    assert "new/fiche0003.txt" not in dense_sources(live, question)  # search index: stale
    assert live.stores.refresh() is True
    assert "new/fiche0003.txt" in dense_sources(live, question)
    assert live.stores.refresh() is False  # nothing changed since: no reopening


def test_a_rebuild_swapped_in_by_another_process_is_picked_up(live: QAService, settings) -> None:
    new_corpus(settings.corpus, 5)
    proc = qa_subprocess("index", "--rebuild", "--quiet", "--corpus", str(settings.corpus),
                         "--store", str(settings.store), "--model", settings.model)
    assert serve_during(live, proc, settings.corpus) > 0
    reply = ask_exact(live, "Où habite le zorg2 ?", settings.corpus)
    assert reply["answer"] == "Le zorg2 habite la ville de Quimper2."
    assert live.document("new/fiche0002.txt") is not None
    assert "new/fiche0002.txt" in dense_sources(live, "Où habite le zorg2 ?")


def test_vectors_are_not_reopened_while_a_writer_holds_the_store(live: QAService,
                                                                  settings) -> None:
    other = DocStore(settings.store / DOCS_FILE)
    try:
        with writing(settings.store):
            other.set_meta("touched", "1")  # a commit by another connection
            assert live.stores.refresh() is False
        assert live.stores.refresh() is True
    finally:
        other.close()


def test_a_vector_whose_chunk_sqlite_does_not_know_is_never_cited(live: QAService,
                                                                   settings) -> None:
    """Chroma is written before SQLite: a chunk caught in between must be ignored."""
    text = source_text(settings.corpus, "alpha.txt")
    ghost = Chunk("ghost-id", "alpha.txt", 0, 60, "Qui dirige l'office central ? Le fantôme.")
    vector = live.embedder.embed_documents([OLD_QUESTION])
    live.stores.vectors.add([ghost], np.asarray(vector), [{"title": "x", "date": "", "model": "m"}])
    assert "ghost-id" in {cid for cid, _ in live.stores.vectors.nearest(vector[0], 1)}
    reply = ask_exact(live, OLD_QUESTION, settings.corpus)
    assert all((c["start"], c["end"]) != (0, 60) for c in reply["citations"])
    assert reply["answer"] in text


def test_an_answer_reads_one_committed_state(live: QAService, settings, monkeypatch) -> None:
    """A document removed by another process mid-question is still quoted as it was."""
    texts = {s: source_text(settings.corpus, s) for s in ("alpha.txt", "beta.md", "sub/gamma.txt")}
    retrieve = live.retriever.retrieve

    def retrieve_then_remove(*args: object) -> object:
        passages = retrieve(*args)  # type: ignore[arg-type]
        other = DocStore(settings.store / DOCS_FILE)
        with other.transaction():
            other.delete_document("alpha.txt")
        other.close()
        return passages

    monkeypatch.setattr(live.retriever, "retrieve", retrieve_then_remove)
    reply = answer_to_dict(live.ask(OLD_QUESTION))
    assert reply["answer"] == ("Jean Dupont dirige l'office central depuis 2019. "
                               "Il a été nommé par le ministre.")
    cited = reply["citations"][reply["answer_citation"] - 1]
    assert cited["source"] == "alpha.txt"
    for c in reply["citations"]:
        assert texts[c["source"]][c["start"]:c["end"]] == c["quote"]
    monkeypatch.undo()
    assert live.document("alpha.txt") is None  # the next question sees the removal


def test_qa_index_holds_the_write_lock_while_it_writes(settings, fake_embedder,
                                                       monkeypatch) -> None:
    free_during: list[bool] = []
    update = IndexBuilder.update

    def spying_update(self: IndexBuilder, *args: object) -> object:
        with try_reading(settings.store) as free:
            free_during.append(free)
        return update(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(IndexBuilder, "update", spying_update)
    run_index(settings, fake_embedder)
    assert free_during == [False]
    with try_reading(settings.store) as free:
        assert free is True


def test_a_service_started_while_qa_index_writes_waits_for_it(settings, fake_embedder) -> None:
    """Opening an embedded Chroma persists its log: it must not race a writer."""
    import threading

    run_index(settings, fake_embedder)
    waited, opened = threading.Event(), []
    with writing(settings.store):
        opener = threading.Thread(target=lambda: opened.append(
            QAService.open(settings, fake_embedder, on_wait=waited.set)))
        opener.start()
        assert waited.wait(60)
        assert opened == []  # still waiting while the writer holds the store
    opener.join(60)
    assert len(opened) == 1
    assert ask_exact(opened[0], OLD_QUESTION, settings.corpus)["answer"]
    opened[0].close()


def test_a_service_started_with_no_writer_does_not_wait(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    service = QAService.open(settings, fake_embedder,
                             on_wait=lambda: pytest.fail("waited with no writer"))
    service.close()


def test_readers_see_the_lock_while_a_rebuild_swaps_the_folders(settings, fake_embedder,
                                                               monkeypatch) -> None:
    """The lock lives beside the store folder, so renaming the folder does not release it."""
    run_index(settings, fake_embedder)
    rename = Path.rename
    free_during: list[bool] = []

    def rename_and_ask(self: Path, target: Path) -> Path:
        moved = rename(self, target)
        with try_reading(settings.store) as free:
            free_during.append(free)
        return moved

    monkeypatch.setattr(Path, "rename", rename_and_ask)
    run_index(settings, fake_embedder, rebuild=True)
    monkeypatch.undo()
    assert free_during == [False, False]  # after `store -> .old`, and after `.rebuild -> store`
    with try_reading(settings.store) as free:
        assert free is True


def test_the_chunk_count_follows_own_writes_others_commits_and_snapshots(tmp_path) -> None:
    """`DocStore.count` is remembered, never stale: the search breadth depends on it."""
    from index.documents import Document

    def put(store: DocStore, source: str, n: int) -> None:
        text = "Une phrase. " * n
        chunks = [Chunk(f"{source}-{i}", source, 12 * i, 12 * i + 11, "Une phrase.")
                  for i in range(n)]
        with store.transaction():
            store.replace_document(Document(source, text, source, ""), chunks, [],
                                   np.zeros((0, 4), dtype=np.float32))

    mine, other = DocStore(tmp_path / "d.sqlite"), DocStore(tmp_path / "d.sqlite")
    try:
        assert mine.count("chunks") == 0
        put(mine, "a.txt", 3)
        assert mine.count("chunks") == 3  # its own write
        put(other, "b.txt", 2)
        assert mine.count("chunks") == 5  # another connection's commit
        with mine.snapshot():
            assert mine.count("chunks") == 5
            put(other, "c.txt", 4)
            assert mine.count("chunks") == 5  # not seen inside the snapshot
        assert mine.count("chunks") == 9
        with pytest.raises(RuntimeError), mine.transaction():
            put_inside = [Chunk("z-0", "z.txt", 0, 5, "Zzzz.")]
            mine.replace_document(Document("z.txt", "Zzzz.", "z", ""), put_inside, [],
                                  np.zeros((0, 4), dtype=np.float32))
            assert mine.count("chunks") == 10  # counted inside the transaction...
            raise RuntimeError("abandoned")
        assert mine.count("chunks") == 9  # ...and not remembered once rolled back
        with mine.transaction():
            mine.delete_document("a.txt")
        assert mine.count("chunks") == 6
        assert mine.count("documents") == 2
    finally:
        mine.close()
        other.close()
