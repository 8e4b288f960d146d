"""Incremental indexing: only new text is embedded; the two stores always agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.chunking import Chunker
from index.documents import make_document
from index.layout import open_stores
from index.segment import split_sentences
from index.store import VectorStore
from qa.config import Settings
from qa.indexing import run_index
from tests.conftest import TINY_CORPUS
from tests.fakes import FakeEmbedder


def texts_of(text: str, settings: Settings) -> int:
    """How many texts (chunks and sentences) indexing `text` embeds."""
    document = make_document("x.txt", text)
    chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
    return len(chunker.split(document)) + len(split_sentences(text))


def snapshot(settings: Settings) -> dict[str, object]:
    stores = open_stores(settings.store)
    try:
        ids = stores.docs.chunk_ids()
        assert ids == stores.vectors.ids()
        return {"sources": sorted(stores.docs.document_hashes()), "chunks": len(ids)}
    finally:
        stores.close()


def test_unchanged_run_embeds_nothing_and_reads_no_vector_ids(
        settings, fake_embedder, monkeypatch) -> None:
    run_index(settings, fake_embedder)
    before = fake_embedder.calls

    def no_full_read(self: VectorStore) -> set[str]:
        raise AssertionError("an unchanged run must not read every id from Chroma")

    monkeypatch.setattr(VectorStore, "ids", no_full_read)
    summary = run_index(settings, fake_embedder)
    assert fake_embedder.calls == before
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 3)
    assert (summary.embedded, summary.reused) == (0, 0)


def test_renamed_file_is_not_embedded_again(settings, fake_embedder, corpus: Path) -> None:
    run_index(settings, fake_embedder)
    old = open_stores(settings.store)
    old_vectors = old.vectors.vectors(sorted(old.docs.chunk_ids()))
    old.close()
    (corpus / "alpha.txt").rename(corpus / "sub" / "renamed.txt")
    before = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    assert fake_embedder.calls == before
    assert (summary.added, summary.removed, summary.unchanged, summary.embedded) == (1, 1, 2, 0)
    assert summary.reused == texts_of(TINY_CORPUS["alpha.txt"], settings)
    assert snapshot(settings)["sources"] == ["beta.md", "sub/gamma.txt", "sub/renamed.txt"]
    stores = open_stores(settings.store)
    spans = stores.docs.chunk_spans("sub/renamed.txt")
    new_vectors = stores.vectors.vectors([cid for cid, _, _ in spans])
    stores.close()
    expected = fake_embedder.embed_documents([TINY_CORPUS["alpha.txt"][a:b] for _, a, b in spans])
    for row, (cid, _, _) in zip(expected, spans, strict=True):
        np.testing.assert_allclose(new_vectors[cid], row, atol=1e-6)
    assert all(cid not in old_vectors for cid, _, _ in spans)  # new ids, same vectors


def test_edited_file_embeds_only_its_new_text(settings, fake_embedder, corpus: Path) -> None:
    run_index(settings, fake_embedder)
    added = "Les grandes marées reviennent en septembre."
    beta = TINY_CORPUS["beta.md"] + added + "\n"
    (corpus / "beta.md").write_text(beta, encoding="utf-8")
    before = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    # One new sentence, and the one chunk that now holds it; the other sentences are reused.
    assert fake_embedder.calls - before == summary.embedded == 2
    assert summary.reused == texts_of(beta, settings) - 2
    assert (summary.updated, summary.unchanged) == (1, 2)
    stores = open_stores(settings.store)
    spans, vectors = stores.docs.sentences_between("beta.md", 0, len(beta))
    stores.close()
    assert beta[spans[-1][0]:spans[-1][1]] == added
    expected = fake_embedder.embed_documents([beta[a:b] for a, b in spans])
    np.testing.assert_allclose(vectors, expected, atol=1e-3)  # stored as float16


def test_deleted_file_leaves_no_chunk_behind(settings, fake_embedder, corpus: Path) -> None:
    run_index(settings, fake_embedder)
    chunks_before = snapshot(settings)["chunks"]
    (corpus / "sub" / "gamma.txt").unlink()
    summary = run_index(settings, fake_embedder)
    assert summary.removed == 1
    after = snapshot(settings)
    assert after["sources"] == ["alpha.txt", "beta.md"]
    assert after["chunks"] == chunks_before - 1 == summary.chunks


def test_leftover_vectors_of_an_interrupted_run_are_removed(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    stores = open_stores(settings.store)
    chunk = Chunker(settings.chunk_size, settings.chunk_overlap).split(
        make_document("ghost.txt", "Un fantôme."))
    stores.vectors.add(chunk, fake_embedder.embed_documents(["Un fantôme."]), [{}])
    stores.close()
    summary = run_index(settings, fake_embedder)
    assert summary.unchanged == 3
    assert snapshot(settings)["chunks"] == summary.chunks


def test_model_change_asks_for_rebuild_then_rebuild_replaces_all(settings, fake_embedder) -> None:
    from index.errors import StoreError

    run_index(settings, fake_embedder)
    other = FakeEmbedder(name="other-model")
    with pytest.raises(StoreError, match=r"built with model 'fake-hash-64', not 'other-model'"):
        run_index(settings, other)
    assert other.calls == 0
    summary = run_index(settings, other, rebuild=True)
    assert (summary.added, summary.reused) == (3, 0)
    assert snapshot(settings)["chunks"] == summary.chunks


class Numbering(FakeEmbedder):
    """A different vector for every text it is asked for, even a text asked before: a
    stored vector can be traced to the one embedding it came from."""

    def __init__(self) -> None:
        super().__init__()
        self.made: dict[str, list[np.ndarray]] = {}

    def embed_documents(self, texts, progress=None):  # type: ignore[no-untyped-def]
        rows = []
        for text in texts:
            v = np.zeros(self.dim, dtype=np.float32)
            v[self.calls % self.dim] = 1.0
            self.calls += 1
            self.made.setdefault(text, []).append(v)
            rows.append(v)
        if progress:
            progress(len(texts))
        return np.stack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)


@pytest.mark.parametrize("group_texts", [2048, 1])
def test_copies_added_in_one_run_are_embedded_once(settings, corpus: Path, monkeypatch,
                                                   group_texts: int) -> None:
    """Two new copies of a file (and a chunk that is also a sentence) share one embedding,
    also when the copies are written in different groups."""
    import index.builder

    monkeypatch.setattr(index.builder, "_GROUP_TEXTS", group_texts)
    alpha = TINY_CORPUS["alpha.txt"]
    (corpus / "copy.txt").write_text(alpha, encoding="utf-8")
    embedder = Numbering()
    summary = run_index(settings, embedder)
    assert all(len(made) == 1 for made in embedder.made.values())  # no text embedded twice
    assert summary.embedded == embedder.calls == len(embedder.made)
    assert summary.reused == texts_of(alpha, settings)  # the copy's texts, all of them
    stores = open_stores(settings.store)
    try:
        for source in ("alpha.txt", "copy.txt"):
            spans = stores.docs.chunk_spans(source)
            vectors = stores.vectors.vectors([cid for cid, _, _ in spans])
            for cid, a, b in spans:
                np.testing.assert_array_equal(vectors[cid], embedder.made[alpha[a:b]][0])
            sentences, stored = stores.docs.sentences_between(source, 0, len(alpha))
            for (a, b), vector in zip(sentences, stored, strict=True):
                np.testing.assert_array_equal(vector, embedder.made[alpha[a:b]][0])
    finally:
        stores.close()
