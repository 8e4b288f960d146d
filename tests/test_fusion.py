import pytest

from qa.retrieve import FusionWeights, HybridRetriever, fuse
from qa.service import QAService


def test_fuse_sums_weighted_reciprocal_ranks() -> None:
    fused = fuse([(1.0, ["a", "b", "c"]), (1.0, ["c", "a"])], rrf_k=0.0)
    assert [cid for cid, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 1 + 1 / 2)
    assert fused[1][1] == pytest.approx(1 / 3 + 1 / 1)


def test_zero_weight_ignores_a_ranking_except_to_add_candidates() -> None:
    fused = fuse([(1.0, ["a", "b"]), (0.0, ["z", "b"])], rrf_k=10.0)
    assert [cid for cid, _ in fused] == ["a", "b", "z"]
    assert fused[2][1] == 0.0


def test_lexical_index_finds_names_whatever_the_case(service: QAService) -> None:
    hits = service.stores.docs.lexical_search("DUPONT", 5)
    assert {c.source for c, _ in hits} == {"alpha.txt"}
    assert all(service.stores.docs.get_document(c.source).text[c.start:c.end] == c.text
               for c, _ in hits)
    assert service.stores.docs.lexical_search("qui ?", 5) == []


def test_lexical_index_follows_deletions(service: QAService) -> None:
    docs = service.stores.docs
    with docs.transaction():
        docs.delete_document("alpha.txt")
    assert docs.lexical_search("Dupont", 5) == []


def test_hybrid_retriever_ranks_the_keyword_match_first(service: QAService) -> None:
    retriever = HybridRetriever(service.stores.vectors, service.stores.docs,
                                FusionWeights(dense=0.0, lexical_fr=1.0))
    vector = service.embedder.embed_queries(["cacao"])[0]
    passages = retriever.retrieve("Où pousse le cacao ?", vector, 2)
    assert passages[0].chunk.source == "sub/gamma.txt"
    assert len(passages) <= 2
