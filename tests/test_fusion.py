import math

import numpy as np
import pytest

from qa.fusion import Evidence, FusionWeights, fused_scores, relevance, standardise
from qa.retrieve import HybridRetriever
from qa.service import QAService

EVEN = FusionWeights(dense=1.0, sentence=1.0, lexical=1.0, lexical_en=0.3)


def test_fused_scores_weigh_standardised_cosines_and_relative_bm25() -> None:
    evidence = Evidence(dense=np.array([0.80, 0.82, 0.84]), sentence=np.array([0.90, 0.80, 0.85]),
                        lexical=np.array([0.0, 5.0, 10.0]))
    z = math.sqrt(1.5)  # z-scores of three evenly spaced values: -1.2247, 0, 1.2247
    assert fused_scores(evidence, EVEN, english=False).tolist() == pytest.approx(
        [-z + z + 0.0, 0.0 - z + 0.5, z + 0.0 + 1.0])
    assert fused_scores(evidence, EVEN, english=True).tolist() == pytest.approx(
        [0.0, -z + 0.15, z + 0.3])


def test_fusion_without_words_or_variation_scores_zero() -> None:
    one = Evidence(dense=np.array([0.8]), sentence=np.array([0.9]), lexical=np.array([0.0]))
    assert fused_scores(one, EVEN, english=False).tolist() == [0.0]
    assert standardise(np.array([0.5, 0.5])).tolist() == [0.0, 0.0]
    empty = Evidence(np.zeros(0), np.zeros(0), np.zeros(0))
    assert fused_scores(empty, EVEN, english=False).tolist() == []


def test_relevance_is_one_for_the_best_and_falls_exponentially() -> None:
    assert relevance(np.array([2.0, 0.0, -10.0]), 0.1).tolist() == pytest.approx(
        [1.0, math.exp(-0.2), math.exp(-1.2)])
    assert relevance(np.zeros(0), 0.1).tolist() == []


def test_hybrid_retriever_ranks_the_keyword_match_first(service: QAService) -> None:
    retriever = HybridRetriever(service.stores.vectors, service.stores.docs,
                                FusionWeights(dense=0.0, sentence=0.0, lexical=1.0))
    vector = service.embedder.embed_queries(["marée"])[0]
    passages = retriever.retrieve("Où pousse le cacao ?", vector, 2)
    assert passages[0].chunk.source == "sub/gamma.txt"
    assert passages[0].score == 1.0
    assert len(passages) == 2 and passages[1].score < 1.0


def test_sentence_evidence_is_the_best_sentence_cosine(service: QAService) -> None:
    docs = service.stores.docs
    retriever = HybridRetriever(service.stores.vectors, docs)
    question = "Combien d'agents emploie l'office ?"
    vector = service.embedder.embed_queries([question])[0]
    chunks, evidence = retriever.candidates(question, vector)
    assert len(chunks) == docs.count("chunks")
    for chunk, best in zip(chunks, evidence.sentence, strict=True):
        _, vectors = docs.sentences_between(chunk.source, chunk.start, chunk.end)
        assert best == pytest.approx(float((vectors @ vector).max()))


def test_a_candidate_found_by_words_only_gets_the_farthest_near_cosine(
        service: QAService) -> None:
    retriever = HybridRetriever(service.stores.vectors, service.stores.docs,
                                FusionWeights(depth=1))
    vector = service.embedder.embed_queries(["La marée monte deux fois par jour. La Lune attire les océans."])[0]
    chunks, evidence = retriever.candidates("Où pousse le cacao en Amérique ?", vector)
    assert [c.source for c in chunks] == ["beta.md", "sub/gamma.txt"]
    assert evidence.dense[1] == evidence.dense[0]
    assert evidence.lexical[0] == 0.0 and evidence.lexical[1] > 0.0


def test_a_near_passage_gets_credit_for_words_beyond_the_lexical_candidates(
        service: QAService) -> None:
    retriever = HybridRetriever(service.stores.vectors, service.stores.docs,
                                FusionWeights(depth=1))
    vector = service.embedder.embed_queries(["Jean Dupont dirige l'office central"])[0]
    question = "Le cacao et l'office"
    docs = service.stores.docs
    lexical = docs.lexical_ranking(question, 5)
    first = lexical[0][0]
    assert docs.chunks([first])[first].source == "sub/gamma.txt"  # the office: 2nd match
    chunks, evidence = retriever.candidates(question, vector)
    assert [c.source for c in chunks] == ["alpha.txt", "sub/gamma.txt"]
    assert evidence.lexical[0] == pytest.approx(dict(lexical)[chunks[0].id])


def test_lexical_index_finds_names_whatever_the_case(service: QAService) -> None:
    docs = service.stores.docs
    ranking = docs.lexical_ranking("DUPONT", 5)
    hits = docs.chunks(cid for cid, _ in ranking)
    assert len(hits) == len(ranking) and {c.source for c in hits.values()} == {"alpha.txt"}
    assert all(docs.get_document(c.source).text[c.start:c.end] == c.text
               for c in hits.values())
    assert docs.lexical_ranking("qui ?", 5) == []


def test_lexical_ranking_orders_chunk_ids_by_bm25(service: QAService) -> None:
    docs = service.stores.docs
    question = "Le cacao et l'office"
    ranking = docs.lexical_ranking(question, 5)
    assert [docs.chunks([cid])[cid].source for cid, _ in ranking] == [
        "sub/gamma.txt", "alpha.txt"]
    assert ranking[0][1] > ranking[1][1] > 0.0
    assert docs.lexical_ranking(question, 1) == ranking[:1]
    assert docs.lexical_ranking("qui ?", 5) == []


def test_lexical_index_follows_deletions(service: QAService) -> None:
    docs = service.stores.docs
    with docs.transaction():
        docs.delete_document("alpha.txt")
    assert docs.lexical_ranking("Dupont", 5) == []


def test_a_new_document_skips_the_lexical_scan_and_an_edit_replaces_its_rows(
        service: QAService) -> None:
    from index.chunking import Chunk, chunk_id
    from index.documents import Document

    docs = service.stores.docs
    statements: list[str] = []
    docs._db.set_trace_callback(statements.append)
    text = "Le cormoran plonge."
    chunk = Chunk(chunk_id("new.txt", 0, len(text), text), "new.txt", 0, len(text), text)
    with docs.transaction():
        docs.replace_document(Document("new.txt", text, "new", ""), [chunk], [], np.zeros((0, 8)))
    assert [s for s in statements if s.startswith("DELETE FROM lexical")] == []
    assert [cid for cid, _ in docs.lexical_ranking("cormoran", 5)] == [chunk.id]
    statements.clear()
    edited = "Le goéland plane."
    other = Chunk(chunk_id("new.txt", 0, len(edited), edited), "new.txt", 0, len(edited), edited)
    with docs.transaction():
        docs.replace_document(Document("new.txt", edited, "new", ""), [other], [],
                              np.zeros((0, 8)))
    docs._db.set_trace_callback(None)
    deletes = [s for s in statements if s.startswith("DELETE FROM lexical")]
    assert len(deletes) == 1 and deletes[0].startswith("DELETE FROM lexical WHERE rowid IN (")
    assert docs.lexical_ranking("cormoran", 5) == []
    assert [cid for cid, _ in docs.lexical_ranking("goéland", 5)] == [other.id]


def test_retrieval_is_the_same_every_time(service: QAService) -> None:
    question = "Qui dirige l'office ?"
    vector = service.embedder.embed_queries([question])[0]
    first = service.retriever.retrieve(question, vector, 5)
    service.stores.vectors.reopen(service.stores.vectors._collection.name)
    assert service.retriever.retrieve(question, vector, 5) == first
    assert [p.score for p in first] == sorted((p.score for p in first), reverse=True)


@pytest.mark.parametrize("per_query", [200, 2])  # 2: the spans split over several queries
def test_sentence_vectors_of_many_spans_equal_one_query_per_span(
        service: QAService, per_query: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.docstore import sentence_rows

    monkeypatch.setattr(sentence_rows, "_SPANS_PER_QUERY", per_query)
    docs = service.stores.docs
    spans = [(source, a, b) for source in sorted(docs.document_hashes())
             for _, a, b in docs.chunk_spans(source)]
    spans += [(spans[0][0], 0, 1), ("missing.txt", 0, 10), (spans[0][0], 5, 5)]
    got = docs.sentence_vectors(spans)
    assert len(got) == len(spans) and len(got[-2]) == 0  # an unknown source has none
    for (source, a, b), vectors in zip(spans, got, strict=True):
        _, expected = docs.sentences_between(source, a, b)
        np.testing.assert_array_equal(vectors, expected)
    assert sum(len(v) for v in got[:-3]) >= docs.count("sentences")  # every sentence read
