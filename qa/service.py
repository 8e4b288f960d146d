"""The answering service: question in, `Answer` out. CLI, UI and API all call it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path

from index.documents import Document
from index.embed_worker import WorkerEmbedder
from index.embedding import Embedder, SentenceTransformerEmbedder
from index.errors import StoreError
from index.layout import IndexStores, open_stores
from index.live import opening
from index.ner import EntityTagger
from index.tokens import recorded_tokens, tokens_setting
from qa.config import Settings
from qa.errors import BadQuestion
from qa.extract import ReaderWeights, Selection, SentenceReader
from qa.ner import LABELS
from qa.question import question_type
from qa.retrieve import HybridRetriever
from qa.types import Answer, Citation, Passage, source_url


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedding model the settings name (loaded on first use)."""
    return SentenceTransformerEmbedder(settings.model, settings.model_cache)


def make_worker_embedder(settings: Settings) -> WorkerEmbedder:
    """The settings' model in a worker process, loading from now on (for `qa ask`)."""
    return WorkerEmbedder(settings.model, settings.model_cache)


def _say_waiting(store: Path) -> None:
    print(f"waiting for `qa index` to finish writing {store} ...", file=sys.stderr, flush=True)


def clean_question(question: str, limit: int) -> tuple[str, str]:
    """Strip and bound a question; return it with a notice when it was cut.

    Raises:
        BadQuestion: nothing is left to ask.
    """
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in question).split())
    if not any(ch.isalnum() for ch in text):
        raise BadQuestion("empty question: type a question with at least one word")
    if len(text) > limit:
        return text[:limit], f"question cut to its first {limit} characters"
    return text, ""


class QAService:
    """Answers questions from one index.

    Args:
        settings: the product settings.
        embedder: the model the index was built with.
        stores: the opened index.
    """

    def __init__(self, settings: Settings, embedder: Embedder, stores: IndexStores) -> None:
        built_with = stores.docs.get_meta("model")
        if built_with != embedder.name:
            raise StoreError(
                f"the index at {stores.root} was built with model {built_with!r}, not "
                f"{embedder.name!r}: run `qa index --rebuild`"
            )
        tokens = recorded_tokens(built_with, stores.docs.get_meta("tokens"))
        expected = tokens_setting(embedder.name)
        if tokens != expected:
            # The reader's weights were learned with the token-alignment features.
            raise StoreError(
                f"the index at {stores.root} was built with tokens {tokens!r}, not "
                f"{expected!r} (no token vectors for the reader): run `qa index --rebuild`"
            )
        self.settings = settings
        self.embedder = embedder
        self.stores = stores
        self.retriever = HybridRetriever(stores.vectors, stores.docs)
        self.reader = SentenceReader(stores.docs, ReaderWeights(),
                                     EntityTagger(regex_cache=settings.regex_cache))
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None,
             on_wait: Callable[[], None] | None = None) -> QAService:
        """Open the index the settings point to, once no `qa index` is writing it.

        Args:
            settings: where the index is, and the answering settings.
            embedder: the question encoder (default: the settings' model).
            on_wait: called when `qa index` is writing the index and opening must
                wait for it (default: a line on stderr).

        Raises:
            StoreError: no index, or a damaged one.
        """
        url = settings.chroma_url or None
        wait = on_wait or partial(_say_waiting, settings.store)
        with nullcontext() if url else opening(settings.store, wait):
            stores = open_stores(settings.store, url)
        return cls(settings, embedder or make_embedder(settings), stores)

    def prepare(self, question: str, without_torch: bool = False) -> None:
        """Start loading, in the background, what answering `question` will need.

        Questions asking for a name or a place (who, where, which) need the
        entities of sentences: stored at index time, or else tagged by spaCy,
        which takes seconds to load: a one-shot caller overlaps that with the
        rest of its start-up. Other questions, and stores whose documents all
        have their entities, never load it.

        Args:
            question: the question about to be asked.
            without_torch: this process imports torch nowhere else (its model
                runs in a worker process): spaCy loads without it.
        """
        text, _ = clean_question(question, self.settings.max_question_chars)
        if question_type(text) in LABELS and not self.stores.docs.all_tagged():
            self.reader.tagger.preload(without_torch)

    def close(self) -> None:
        """Release the stores."""
        self.stores.close()

    def document(self, source: str) -> Document | None:
        """The indexed document `source` as the index holds it now, or None."""
        with self._lock, self.stores.reading():
            return self.stores.docs.get_document(source)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """Answer `question` with at most `top_k` citations (default: the setting)."""
        k = self.settings.top_k if top_k is None else top_k
        if k <= 0:
            raise BadQuestion(f"top-k must be a positive number, got {k}")
        text, notice = clean_question(question, self.settings.max_question_chars)
        with self._lock, self.stores.reading():  # the index as last committed, throughout
            t0 = time.perf_counter()
            vectors, tokens = self.embedder.embed_queries_with_tokens([text])
            vector = vectors[0]
            t1 = time.perf_counter()
            passages = self.retriever.retrieve(text, vector, k)
            t2 = time.perf_counter()
            selection = self.reader.read(text, vector, passages, tokens[0])
            confidence = selection.confidence if selection is not None else 0.0
            if confidence < self.settings.min_confidence:
                selection = None  # abstained: the passages stay in retrieval order
            documents = self._documents([p.chunk.source for p in passages])
            citations, numbers = self._citations(passages, selection, documents)
            document = documents.get(selection.source) if selection else None
            t3 = time.perf_counter()
        timings = (("embed", t1 - t0), ("retrieve", t2 - t1), ("extract", t3 - t2),
                   ("total", t3 - t0))
        timings_ms = tuple((name, round(sec * 1000, 3)) for name, sec in timings)
        if selection is None or selection.passage_index not in numbers:
            return Answer(text, "", citations, True, confidence, timings_ms=timings_ms,
                          notice=notice)
        assert document is not None  # the reader only selects stored documents
        span = selection.span
        return Answer(text, document.text[span.start:span.end], citations, False,
                      selection.confidence, numbers[selection.passage_index], span,
                      selection.highlight, timings_ms, notice)

    def _documents(self, sources: list[str]) -> dict[str, Document]:
        """The stored documents among `sources`, each read once."""
        found = {s: self.stores.docs.get_document(s) for s in dict.fromkeys(sources)}
        return {s: d for s, d in found.items() if d is not None}

    @staticmethod
    def _citations(passages: list[Passage], selection: Selection | None,
                   documents: dict[str, Document]
                   ) -> tuple[tuple[Citation, ...], dict[int, int]]:
        """Citations in rank order, and the citation number of each passage index.

        The rank is the reader's: the passage the answer comes from first (when
        there is an answer), then the others in retrieval order. A passage whose
        document is not in `documents` (removed) is not cited.
        """
        citations: list[Citation] = []
        numbers: dict[int, int] = {}
        order = list(range(len(passages)))
        if selection is not None and selection.passage_index in order:
            order.remove(selection.passage_index)
            order.insert(0, selection.passage_index)
        for i in order:
            passage = passages[i]
            chunk = passage.chunk
            document = documents.get(chunk.source)
            if document is None:
                continue
            start, end = chunk.start, chunk.end
            if selection is not None and selection.passage_index == i:
                # The answer sentence may cross the chunk's edge: cite all of it.
                start, end = min(start, selection.span.start), max(end, selection.span.end)
            numbers[i] = len(citations) + 1
            citations.append(Citation(
                n=len(citations) + 1, source=chunk.source, title=document.title,
                date=document.date, start=start, end=end, quote=document.text[start:end],
                score=round(passage.score, 6), url=source_url(chunk.source, start, end),
            ))
        return tuple(citations), numbers

