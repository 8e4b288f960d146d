"""The JSON contract, its invariants, abstention, and bad questions (fake embedder)."""

from pathlib import Path

import pytest

from index.layout import open_stores
from qa.errors import BadQuestion
from qa.extract import Selection
from qa.render import answer_to_dict
from qa.service import QAService, clean_question
from qa.types import Span
from tests.contract import assert_exact


def test_contract_fields_and_types(service: QAService, corpus: Path) -> None:
    reply = answer_to_dict(service.ask("Qui dirige l'office central ?"))
    assert set(reply) >= {"question", "answer", "answer_citation", "answer_start", "answer_end",
                          "abstained", "confidence", "citations", "timings_ms"}
    assert reply["question"] == "Qui dirige l'office central ?"
    assert reply["abstained"] is False
    assert reply["answer"] == ("Jean Dupont dirige l'office central depuis 2019. "
                               "Il a été nommé par le ministre.")
    assert reply["citations"][reply["answer_citation"] - 1]["source"] == "alpha.txt"
    assert 0.0 <= reply["confidence"] <= 1.0
    assert [c["n"] for c in reply["citations"]] == list(range(1, len(reply["citations"]) + 1))
    first = reply["citations"][0]
    assert set(first) >= {"n", "source", "title", "start", "end", "quote", "score", "url"}
    assert first["url"] == f"/source/{first['source']}?start={first['start']}&end={first['end']}#cited"
    assert_exact(reply, corpus)


def test_citations_ranked_unique_and_bounded_by_top_k(service: QAService, corpus: Path) -> None:
    reply = answer_to_dict(service.ask("marée océans Lune", top_k=2))
    assert len(reply["citations"]) == 2
    assert reply["abstained"] is False and reply["answer_citation"] == 1
    assert len({(c["source"], c["start"]) for c in reply["citations"]}) == 2
    assert reply["citations"][0]["source"] == "beta.md"
    assert_exact(reply, corpus)


def test_the_answer_passage_is_cited_first_then_retrieval_order(service: QAService) -> None:
    question = "marée océans Lune"
    passages = service.retriever.retrieve(
        question, service.embedder.embed_queries([question])[0], 3)
    assert len(passages) == 3
    chunk = passages[2].chunk
    selection = Selection(2, chunk.source, Span(chunk.start, chunk.end), 1.0, 0.9)
    documents = service._documents([p.chunk.source for p in passages])
    citations, numbers = service._citations(passages, selection, documents)
    assert [(c.source, c.start) for c in citations] == [
        (p.chunk.source, p.chunk.start) for p in (passages[2], passages[0], passages[1])]
    assert [c.n for c in citations] == [1, 2, 3]
    assert numbers == {2: 1, 0: 2, 1: 3}
    unanswered, _ = service._citations(passages, None, documents)
    assert [(c.source, c.start) for c in unanswered] == [
        (p.chunk.source, p.chunk.start) for p in passages]
    removed = passages[0].chunk.source
    left = {s: d for s, d in documents.items() if s != removed}
    kept, kept_numbers = service._citations(passages, None, left)
    assert [c.source for c in kept] == [
        p.chunk.source for p in passages if p.chunk.source != removed]
    assert [c.n for c in kept] == list(range(1, len(kept) + 1))
    assert 0 not in kept_numbers


def test_timings_add_up_to_total(service: QAService) -> None:
    timings = answer_to_dict(service.ask("cacao"))["timings_ms"]
    assert set(timings) == {"embed", "retrieve", "extract", "total"}
    stages = timings["embed"] + timings["retrieve"] + timings["extract"]
    assert abs(stages - timings["total"]) < 2.0


def test_abstains_below_threshold_but_lists_passages(settings, fake_embedder, corpus) -> None:
    from dataclasses import replace

    from qa.indexing import run_index

    strict = replace(settings, min_confidence=0.999999)
    run_index(strict, fake_embedder)
    service = QAService(strict, fake_embedder, open_stores(strict.store))
    reply = answer_to_dict(service.ask("Quelle est la température sur Mars ?"))
    assert reply["abstained"] is True
    assert reply["answer"] == ""
    assert reply["answer_citation"] is None and reply["answer_start"] is None
    assert len(reply["citations"]) == 3
    assert_exact(reply, corpus)


@pytest.mark.parametrize("question", ["", "   ", "?!...", "\x00\x07"])
def test_empty_questions_are_refused(service: QAService, question: str) -> None:
    with pytest.raises(BadQuestion, match="empty question"):
        service.ask(question)


def test_long_question_is_cut_with_a_notice() -> None:
    text, notice = clean_question("mot " * 1000, 50)
    assert len(text) == 50
    assert notice == "question cut to its first 50 characters"
    assert clean_question("  Qui\tdirige\n? ", 50) == ("Qui dirige ?", "")


def test_bad_top_k_is_refused(service: QAService) -> None:
    with pytest.raises(BadQuestion, match="top-k must be a positive number"):
        service.ask("cacao", top_k=0)


def test_model_mismatch_is_refused(settings, fake_embedder) -> None:
    from index.errors import StoreError
    from qa.indexing import run_index
    from tests.fakes import FakeEmbedder

    run_index(settings, fake_embedder)
    with pytest.raises(StoreError, match=r"built with model 'fake-hash-64'.*qa index --rebuild"):
        QAService(settings, FakeEmbedder(name="other"), open_stores(settings.store))
