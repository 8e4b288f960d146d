"""Entity tagging split over two processes: the protocol, the fallbacks, the same result."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import index.entities
import index.tag_worker
from index.layout import open_stores
from index.ner import Entities, EntityTagger
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
# A worker slow to start that labels each text with the text itself (replies as big as requests).
ECHOING = [sys.executable, "-c", (
    "import json, sys, time\n"
    "time.sleep(1)\n"
    "for line in sys.stdin:\n"
    "    texts = json.loads(line)['texts']\n"
    "    print(json.dumps({'entities': [[[0, 1, t]] for t in texts]}), flush=True)\n")]


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
    assert split._proc is None  # closed


def test_requests_and_replies_larger_than_a_pipe_while_the_worker_starts(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    texts = [f"{i:04d} " + "x" * 200 for i in range(1000)]  # ~100 KiB each way, each half
    split = SplitTagger(FakeTagger(), ECHOING)  # type: ignore[arg-type]
    try:
        found = split.tag(texts)
    finally:
        split.close()
    assert found[:500] == [((0, 205, "L"),)] * 500
    assert found[500:] == [((0, 1, t),) for t in texts[500:]]


def test_a_short_batch_stays_in_process_and_starts_no_worker(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 3)
    local = FakeTagger()
    split = SplitTagger(local, MARKING)  # type: ignore[arg-type]
    try:
        assert split.tag(_texts(5)) == [((0, 8, "L"),)] * 5
        assert split.split and split._proc is None
    finally:
        split.close()


def test_a_worker_dead_before_the_request_leaves_its_half_here(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    split = SplitTagger(FakeTagger(), [sys.executable, "-c", "pass"])  # type: ignore[arg-type]
    started = split._worker()
    assert started is not None
    started.wait()  # a small request is buffered, and fails only when flushed
    assert split.tag(_texts(6)) == [((0, 8, "L"),)] * 6
    assert not split.split and split._proc is None


@pytest.mark.parametrize("worker", [
    [sys.executable, "-c", "pass"],  # exits at once
    [sys.executable, "-c", "import sys; sys.stdin.readline(); print('{\"entities\": []}')"],
    [sys.executable, "-c", "import sys; sys.stdin.readline(); print('{\"error\": \"no\"}')"],
    [sys.executable, "-c", "import sys; sys.stdin.readline(); print('{\"entities\": [1, 2, 3]}')"],
    [str(Path(sys.executable).parent / "no-such-python")],  # cannot start
], ids=["exits", "wrong-count", "error", "malformed", "missing"])
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


@pytest.mark.parametrize("worker", [
    [sys.executable, "-c", "import time; time.sleep(600)"],  # a load that never ends
    [sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(600)"],
    # a line that is no reply, then silence, the request unread
    [sys.executable, "-c", "import time; print('loading...', flush=True); time.sleep(600)"],
], ids=["never-reads", "never-replies", "chatter-then-never-reads"])
def test_a_hung_worker_is_stopped_and_its_half_tagged_here(worker, monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    texts = [f"{i:04d} " + "x" * 200 for i in range(1000)]  # more than a pipe holds
    split = SplitTagger(FakeTagger(), worker, wait_floor=0.5)  # type: ignore[arg-type]
    proc = split._worker()
    assert proc is not None
    found: list = []
    try:
        tagging = threading.Thread(target=lambda: found.append(split.tag(texts)), daemon=True)
        tagging.start()
        tagging.join(60)  # without the deadline, it waits for the worker for ever
        assert found == [[((0, 205, "L"),)] * 1000]
        assert proc.poll() is not None  # killed, not left behind
        assert not split.split and split._proc is None
    finally:
        split.close()
        proc.kill()


def test_no_spacy_here_stops_the_worker_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 2)
    split = SplitTagger(FakeTagger(loads=False), MARKING)  # type: ignore[arg-type]
    assert split.tag(_texts(6)) is None
    assert not split.split and split._proc is None


def _splitting(monkeypatch, worker: list[str] | None = None) -> list:
    """Split every batch of `tag_documents` from 2 texts on; return the workers started."""
    monkeypatch.setattr(index.entities, "_cores", lambda: 2)
    monkeypatch.setattr(index.tag_worker, "MIN_SPLIT", 1)
    if worker:
        monkeypatch.setattr(index.tag_worker, "WORKER", worker)
    started: list = []
    start = SplitTagger._worker

    def recording(self: SplitTagger):
        proc = start(self)
        if proc is not None and proc not in started:
            assert worker is None or proc.args[:len(worker)] == worker  # the one asked for
            started.append(proc)
        return proc

    monkeypatch.setattr(SplitTagger, "_worker", recording)
    return started


def test_ctrl_c_while_tagging_leaves_no_worker_behind(settings, monkeypatch) -> None:
    started = _splitting(monkeypatch, MARKING)

    def interrupted(self, texts, tick=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(index.entities.EntityTagger, "tag", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_index(settings, FakeEmbedder())
    assert len(started) == 1 and started[0].returncode == -9  # killed and reaped


def test_one_process_when_the_setting_is_off(settings, monkeypatch) -> None:
    started = _splitting(monkeypatch, MARKING)
    off = Settings.load({"QA_TAG_WORKER": "0"}, corpus=settings.corpus, store=settings.store,
                        model=settings.model, model_cache=settings.model_cache)
    assert off.tag_worker is False
    assert run_index(off, FakeEmbedder()).tagged == 11
    assert started == []


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
    receive = index.tag_worker._receive

    def counting(proc, count: int, wait: float) -> list[Entities] | None:
        found = receive(proc, count, wait)
        received.append(len(found) if found is not None else -1)
        return found

    monkeypatch.setattr(index.tag_worker, "_receive", counting)
    started = _splitting(monkeypatch)
    ticks: dict[str, list[int]] = {}

    def progress(total: int, label: str):
        ticks[label] = [total]
        return ticks[label].append

    summary = run_index(settings, FakeEmbedder(), progress=progress)
    assert len(started) == 1 and started[0].returncode == -9
    assert received == [6]  # 11 sentences in one batch: 6 of them tagged by the real worker
    assert summary.tagged == 11
    assert ticks["tagging"][0] == sum(ticks["tagging"][1:]) == 11
    assert _entities(settings) == _entities(one)


def test_the_worker_shares_the_taggers_compiled_pattern_cache(tmp_path) -> None:
    cache = tmp_path / "regex"
    assert SplitTagger(EntityTagger())._command == index.tag_worker.WORKER
    command = SplitTagger(EntityTagger(regex_cache=cache))._command
    assert command == [*index.tag_worker.WORKER, f"--regex-cache={cache}"]
    request = json.dumps({"texts": ["Jean Dupont dirige l'office à Nanterre."]}) + "\n"
    done = subprocess.run(command, input=request.encode(), capture_output=True, check=True)
    assert json.loads(done.stdout) == {"entities": [[[0, 11, "PER"], [30, 38, "LOC"]]]}
    assert len(list(cache.iterdir())) == 1  # the tokenizer's pattern, saved for the next load
