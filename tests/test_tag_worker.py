"""Entity tagging split over two processes: the protocol, the fallbacks, the same result."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import index.entities
import index.tag_worker
from index.layout import open_stores
from index.ner import Entities
from index.tag_worker import SplitTagger, serve
from qa.config import Settings
from qa.indexing import run_index
from tests.fakes import FakeEmbedder

# A worker that tags every text with one span (0, 1, "W"): shows which texts it was sent.
MARKING = [sys.executable, "-c", (
    "import json, sys\n"
    "for line in sys.stdin:\n"
    "    texts = json.loads(line)['texts']\n"
    "    print(json.dumps({'entities': [[[0, 1, 'W']] for _ in texts]}), flush=True)\n")]


class FakeTagger:
    """Tags each text with one span over its whole length, labelled "L"; or cannot load."""

    def __init__(self, loads: bool = True) -> None:
        self.loads = loads
        self.calls: list[list[str]] = []

    def tag(self, texts: list[str], tick=None) -> list[Entities] | None:
        self.calls.append(list(texts))
        if not self.loads:
            return None
        for _ in texts:
            if tick:
                tick(1)
        return [((0, len(t), "L"),) for t in texts]


def _replies(tagger: FakeTagger, *lines: bytes) -> list[dict]:
    out = io.BytesIO()
    serve(tagger, io.BytesIO(b"".join(line + b"\n" for line in lines)), out)  # type: ignore[arg-type]
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_serve_loads_first_then_answers_each_request_in_order() -> None:
    fake = FakeTagger()
    replies = _replies(fake, json.dumps({"texts": ["Jean dirige.", "Où ?"]}).encode(),
                       b'{"words": []}', json.dumps({"texts": ["Paris."]}).encode(), b"not json")
    assert fake.calls[0] == []  # the load, before any request
    assert replies[0] == {"entities": [[[0, 12, "L"]], [[0, 4, "L"]]]}
    assert replies[1] == {"error": "'texts'"}
    assert replies[2] == {"entities": [[[0, 6, "L"]]]}
    assert replies[3]["error"].startswith("Expecting value")


def test_serve_reports_a_pipeline_that_cannot_load() -> None:
    replies = _replies(FakeTagger(loads=False), json.dumps({"texts": ["a"]}).encode())
    assert replies == [{"error": "spaCy or its French model cannot load"}]


def _texts(n: int) -> list[str]:
    return [f"phrase {i}" for i in range(n)]


def test_the_second_half_goes_to_the_worker_in_order(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    local, ticks = FakeTagger(), []
    split = SplitTagger(local, MARKING)  # type: ignore[arg-type]
    try:
        texts = _texts(5)
        found = split.tag(texts, ticks.append)
        again = split.tag(texts[:4])
    finally:
        split.close()
    assert found == [((0, 8, "L"),)] * 2 + [((0, 1, "W"),)] * 3
    assert local.calls == [texts[:2], texts[:2]]
    assert sum(ticks) == 5
    assert again == [((0, 8, "L"),)] * 2 + [((0, 1, "W"),)] * 2  # the worker lives on
    assert not split.split


def test_a_short_batch_stays_in_process(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 3)
    local = FakeTagger()
    split = SplitTagger(local, MARKING)  # type: ignore[arg-type]
    try:
        assert split.tag(_texts(5)) == [((0, 8, "L"),)] * 5
        assert split.split
    finally:
        split.close()


@pytest.mark.parametrize("worker", [
    [sys.executable, "-c", "pass"],  # exits at once
    [sys.executable, "-c", "import sys; sys.stdin.readline(); print('{\"entities\": []}')"],
    [sys.executable, "-c", "import sys; sys.stdin.readline(); print('{\"error\": \"no\"}')"],
    [str(Path(sys.executable).parent / "no-such-python")],  # cannot start
], ids=["exits", "wrong-count", "error", "missing"])
def test_a_failing_worker_leaves_its_half_to_this_process(worker, monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    local, ticks = FakeTagger(), []
    split = SplitTagger(local, worker)  # type: ignore[arg-type]
    try:
        found = split.tag(_texts(6), ticks.append)
        assert found == [((0, 8, "L"),)] * 6
        assert sum(ticks) == 6
        assert not split.split  # and the next batch is all in process
        assert split.tag(_texts(4)) == [((0, 8, "L"),)] * 4
    finally:
        split.close()


def test_no_spacy_here_stops_the_worker_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    split = SplitTagger(FakeTagger(loads=False), MARKING)  # type: ignore[arg-type]
    assert split.tag(_texts(6)) is None
    assert not split.split


def _entities(settings: Settings) -> dict[str, dict[int, Entities] | None]:
    stores = open_stores(settings.store)
    try:
        return {s: stores.docs.stored_entities(s) for s in sorted(stores.docs.document_hashes())}
    finally:
        stores.close()


def test_indexing_in_two_processes_stores_what_one_process_finds(settings, tmp_path,
                                                                 monkeypatch) -> None:
    one = Settings.load({}, corpus=settings.corpus, store=tmp_path / "one",
                        model=settings.model, model_cache=settings.model_cache)
    run_index(one, FakeEmbedder())
    received: list[int] = []
    receive = SplitTagger._receive

    def counting(self: SplitTagger, count: int) -> list[Entities] | None:
        found = receive(self, count)
        received.append(len(found) if found is not None else -1)
        return found

    monkeypatch.setattr(SplitTagger, "_receive", counting)
    monkeypatch.setattr(index.entities, "SPLIT_SENTENCES", 1)
    monkeypatch.setattr(index.entities, "_cores", lambda: 2)
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 1)
    summary = run_index(settings, FakeEmbedder())
    assert received == [6]  # 11 sentences in one batch: 6 of them tagged by the real worker
    assert summary.tagged == 11
    assert _entities(settings) == _entities(one)
