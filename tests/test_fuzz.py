"""Property-based: on random documents and questions, every quote is exact and nothing raises."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.decoding import looks_binary
from index.layout import open_stores
from qa.config import Settings
from qa.errors import BadQuestion
from qa.indexing import run_index
from qa.render import answer_to_dict
from qa.service import QAService
from tests.contract import assert_exact
from tests.fakes import FakeEmbedder

WORDS = ["Jean-Marc", "Droguet", "dirige", "l'office", "M.", "Mme", "120.000", "«", "»", "OCRTEH",
         "été", "naïve", "São", "Paulo", "日本", "🙂", "<script>", "&amp;", "\u00a0", "\t", "...",
         "?", "!", ".", ",", "\n", "\n\n", "  ", "Le", "la", "les", "des", "est", "a", "3", "2017-04"]
TEXT = st.lists(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=8)),
                min_size=1, max_size=300).map(" ".join)
QUESTION = st.one_of(TEXT, st.text(max_size=60))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(TEXT, min_size=1, max_size=4), questions=st.lists(QUESTION, max_size=4))
def test_every_citation_is_an_exact_quote(documents: list[str], questions: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        for i, text in enumerate(documents):
            (corpus / f"doc {i} é.txt").write_text(text, encoding="utf-8", newline="")
        config = Settings.load({}, corpus=corpus, store=root / "store", model="fake-hash-64",
                               min_confidence=0.0, chunk_size=120, chunk_overlap=30)
        embedder = FakeEmbedder()
        try:
            run_index(config, embedder)
        except Exception as exc:  # only "nothing readable" may stop indexing
            assert "no readable" in str(exc), exc
            assert all(not t.strip() or looks_binary(t.encode()) for t in documents)
            return
        service = QAService(config, embedder, open_stores(config.store))
        try:
            for question in questions:
                try:
                    reply = answer_to_dict(service.ask(question))
                except BadQuestion:
                    assert not any(ch.isalnum() for ch in question)
                    continue
                assert_exact(reply, corpus)
        finally:
            service.close()
