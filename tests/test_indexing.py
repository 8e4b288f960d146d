"""Building and updating the index with a real Chroma in a temporary folder."""

from dataclasses import replace
from pathlib import Path

import pytest

from index.errors import CorpusError, StoreError
from index.layout import open_stores
from qa.indexing import run_index
from tests.fakes import FakeEmbedder


def stores_agree(settings) -> tuple[int, int]:
    stores = open_stores(settings.store)
    try:
        assert stores.docs.chunk_ids() == stores.vectors.ids()
        return stores.docs.count("documents"), stores.docs.count("chunks")
    finally:
        stores.close()


def test_first_run_indexes_everything(settings, fake_embedder) -> None:
    summary = run_index(settings, fake_embedder)
    assert (summary.seen, summary.added, summary.updated, summary.removed) == (3, 3, 0, 0)
    assert stores_agree(settings) == (3, summary.chunks)
    assert summary.lines()[0].startswith("3 files seen: 3 added, 0 updated, 0 removed")


def test_unchanged_corpus_embeds_nothing(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    before = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    assert fake_embedder.calls == before
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 3)


def test_edit_and_delete_touch_only_those_files(settings, fake_embedder, corpus: Path) -> None:
    run_index(settings, fake_embedder)
    (corpus / "beta.md").write_text("Nouveau texte sur les marées.", encoding="utf-8")
    (corpus / "sub" / "gamma.txt").unlink()
    before = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 1, 1, 1)
    # one chunk and one sentence, the same text: embedded once
    assert fake_embedder.calls - before == 1 and (summary.embedded, summary.reused) == (1, 1)
    documents, _ = stores_agree(settings)
    assert documents == 2
    stores = open_stores(settings.store)
    assert stores.docs.get_document("beta.md").text == "Nouveau texte sur les marées."
    assert stores.docs.get_document("sub/gamma.txt") is None
    stores.close()


def test_other_model_or_chunking_asks_for_rebuild(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    with pytest.raises(StoreError, match=r"built with model 'fake-hash-64'.*--rebuild"):
        run_index(settings, FakeEmbedder(name="other-model"))
    with pytest.raises(StoreError, match=r"built with chunking .*--rebuild"):
        run_index(replace(settings, chunk_size=300), fake_embedder)
    summary = run_index(settings, FakeEmbedder(name="other-model"), rebuild=True)
    assert summary.added == 3
    assert open_stores(settings.store).docs.get_meta("model") == "other-model"


def test_bad_corpus_never_touches_an_existing_index(settings, fake_embedder, tmp_path) -> None:
    run_index(settings, fake_embedder)
    empty = tmp_path / "empty"
    empty.mkdir()
    for corpus in (tmp_path / "missing", empty):
        with pytest.raises(CorpusError):
            run_index(replace(settings, corpus=corpus), fake_embedder, rebuild=True)
    assert stores_agree(settings) == (3, open_stores(settings.store).docs.count("chunks"))


def test_missing_store_says_run_qa_index(tmp_path) -> None:
    with pytest.raises(StoreError, match=r"no index at .*: run `qa index` first"):
        open_stores(tmp_path / "nothing")
