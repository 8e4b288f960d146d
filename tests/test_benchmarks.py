"""A small run of every benchmark script, so that they cannot rot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import (
    bench_cold_start,
    bench_index,
    bench_query,
    common,
    fusion_sweep,
    summarize,
    train_fusion,
)
from benchmarks.peer import split_corpus
from qa.eval import EvalQuestion
from qa.service import QAService
from tests.fakes import FakeEmbedder

QUESTIONS = ["Qui dirige l'office central ?", "Quand la marée monte-t-elle ?",
             "D'où vient le cacao ?", "Combien d'agents ?"]


def test_index_query_and_summary_on_a_tiny_corpus(corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    ours = bench_index.run_ours(corpus, tmp_path / "ours", fake, fake.embed_documents)
    assert ours["documents"] == 3
    assert ours["texts_in_floor"] == ours["texts_embedded"] == ours["floor_texts_encoded"]
    assert ours["unchanged_rerun_embedded"] == 0
    assert ours["ratio_to_floor"] > 0 and ours["index_cpu_seconds"] > 0
    peer = bench_index.run_peer(corpus, tmp_path / "peer", fake.embed_documents,
                                fake.embed_queries)
    assert peer["chunks"] == len(split_corpus(corpus)) == 3
    q_ours = bench_query.run_ours(tmp_path / "ours", fake, QUESTIONS)
    q_peer = bench_query.run_peer(tmp_path / "peer", fake.embed_documents, fake.embed_queries,
                                  QUESTIONS)
    for data in (q_ours, q_peer):
        assert data["queries"] == 4
        assert data["raw_encode_p50_ms"] > 0
        assert 0 < data["p50_ms"] <= data["p95_ms"]
    assert q_ours["chunks"] == ours["chunks"] and q_peer["chunks"] == 3
    results = tmp_path / "results"
    common.write_result("index-ours-seeds", {**ours, "size": "seeds"}, results)
    common.write_result("query-peer-seeds", q_peer, results)
    table = summarize.tables(results)
    assert (f"| ours | seeds | {ours['chunks']} | {ours['index_seconds']} | "
            f"{ours['floor_seconds']} | {ours['ratio_to_floor']} | "
            f"{ours['cpu_ratio_to_floor']} |") in table
    assert "| peer | seeds | 3 | - |" in table
    saved = json.loads((results / "index-ours-seeds.json").read_text())
    assert saved["machine"]["cores"] >= 1


def test_overhead_without_model_and_unchanged_cli_rerun(corpus: Path, tmp_path: Path) -> None:
    from benchmarks.bench_index import cli_rerun_seconds
    from benchmarks.bench_overhead import NullEmbedder, run

    null = NullEmbedder(dim=8)
    vectors = null.embed_documents(["a", "b", "a"])
    np.testing.assert_allclose(vectors[0], vectors[2])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    data = run(corpus, tmp_path / "null", null)
    assert data["documents"] == 3 and data["unchanged_rerun_embedded"] == 0
    assert data["texts"] > data["chunks"] > 0
    # A fresh `qa index` on the unchanged corpus never loads the (unloadable) model.
    assert cli_rerun_seconds(corpus, tmp_path / "null", null.name) > 0


def test_floor_sample_scales_to_all_texts() -> None:
    fake = FakeEmbedder()
    seconds, cpu, encoded = bench_index.floor_times(fake.embed_documents, ["a b"] * 10, sample=4)
    assert encoded == 4 and fake.calls == 4 and seconds >= 0 and cpu >= 0


def test_large_corpus_never_repeats_a_file() -> None:
    files = common.large_files(copies=4)
    assert sum(n.startswith("c00_") for n in files) == 761 + 1000
    assert sum(n.startswith("c01_") for n in files) == 381 + 1000  # paragraphs two by two
    assert sum(n.startswith("c03_") for n in files) == 761 + 1000
    assert len(set(files.values())) == len(files)


def test_percentiles() -> None:
    assert common.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert common.percentile([float(i) for i in range(1, 101)], 95) == 95.0


def test_cold_start_times_each_launch(tmp_path: Path) -> None:
    seconds = bench_cold_start.time_launches([sys.executable, "-c", "print('ok')"], 2)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    wall, cpu = bench_cold_start.launch_times([sys.executable, "-c", spin + "print('ok')"], 1)
    assert cpu[0] >= 0.3 and wall[0] >= 0.3
    with pytest.raises(RuntimeError, match="failed"):
        bench_cold_start.time_launches([sys.executable, "-c", "raise SystemExit(1)"], 1)


@pytest.mark.integration
def test_cold_start_of_qa_ask_with_the_real_model(corpus: Path, tmp_path: Path) -> None:
    import subprocess

    qa = Path(sys.executable).parent / "qa"
    store = tmp_path / "store"
    subprocess.run([str(qa), "index", "--corpus", str(corpus), "--store", str(store),
                    "--quiet"], check=True, capture_output=True)
    data = bench_cold_start.measure(store, QUESTIONS[0], 1, None)
    assert data["repeats"] == 1 and data["qa_ask_median_seconds"] > 0
    assert data["qa_ask_cpu_seconds"][0] > 0


def test_measure_keeps_a_record_while_the_command_runs(tmp_path: Path) -> None:
    from benchmarks import measure

    out = tmp_path / "runs.json"
    out.write_text('[{"seconds": 5.0}]\n')
    script = f"import json, time; time.sleep(0.6); print(len(json.load(open({str(out)!r}))))"
    record = measure.measure([sys.executable, "-c", script], out, every=0.2)
    runs = json.loads(out.read_text())
    assert [r.get("finished") for r in runs] == [None, True]
    assert record["returncode"] == 0 and record["stdout"] == "2\n"
    assert runs[1]["seconds"] >= 0.6 and runs[1]["peak_rss_mb"] > 1.0


def test_question_vectors_are_cached_for_the_same_questions_and_model(tmp_path: Path) -> None:
    questions = [EvalQuestion("1", "Qui dirige l'office ?", (), frozenset({"a"}), True),
                 EvalQuestion("2", "Quand ?", (), frozenset({"b"}), True)]
    cache = tmp_path / "q.npy"
    seen: list[str] = []

    class Counting(FakeEmbedder):
        def embed_queries(self, texts):  # type: ignore[no-untyped-def]
            seen.extend(texts)
            return super().embed_queries(texts)

    fake = Counting()
    first = fusion_sweep.question_vectors(questions, cache, fake)
    assert seen == ["Qui dirige l'office ?", "Quand ?"]
    assert np.array_equal(fusion_sweep.question_vectors(questions, cache, fake), first)
    assert len(seen) == 2  # from the cache
    other = [questions[1], questions[0]]  # as many questions, not the same order
    assert np.array_equal(fusion_sweep.question_vectors(other, cache, fake), first[::-1])
    assert len(seen) == 4
    fusion_sweep.question_vectors(other, cache, Counting(name="another-model"))
    assert len(seen) == 6


def test_fusion_sweep_and_training_on_a_tiny_corpus(service: QAService) -> None:

    asked = {"Qui dirige l'office central ?": "alpha.txt",
             "Combien de fois par jour la marée monte-t-elle ?": "beta.md",
             "D'où vient le chocolat ?": "sub/gamma.txt"}
    questions = [EvalQuestion(str(i), q, (), frozenset({source}), True)
                 for i, (q, source) in enumerate(asked.items())]
    vectors = service.embedder.embed_queries([q.question for q in questions])
    data = fusion_sweep.gather(service.retriever, questions, vectors)
    assert [len(r.ids) for r in data] == [service.stores.docs.count("chunks")] * 3
    for name, score in fusion_sweep.fusions(service.retriever.weights).items():
        assert fusion_sweep.ranks(data, score) == [1, 1, 1], name
    w = train_fusion.fit(data, epochs=50)
    assert w.shape == (3,) and np.isfinite(w).all()
    assert train_fusion.recalls(data, w) == (1.0, 1.0)


def test_reader_measures_and_training_run_on_a_tiny_corpus(
        service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import reader_data, reader_sets, train_reader
    from qa.eval import EvalQuestion
    from qa.features import FEATURES

    questions = [
        EvalQuestion("q1", "Qui dirige l'office central ?", ("Jean Dupont",),
                     frozenset({"alpha.txt"}), True),
        EvalQuestion("q2", "Combien de fois par jour la marée monte-t-elle ?", ("deux",),
                     frozenset({"beta.md"}), True),
    ]
    cache = tmp_path / "asked.pkl"
    asked_texts: list[str] = []
    embed = service.embedder.embed_queries_with_tokens

    def counting(texts):  # type: ignore[no-untyped-def]
        asked_texts.extend(texts)
        return embed(texts)

    monkeypatch.setattr(service.embedder, "embed_queries_with_tokens", counting)
    asked = reader_data.ask_all(service, questions, cache)
    assert len(asked_texts) == 2
    assert reader_data.ask_all(service, questions, cache)[0].question == questions[0]
    assert len(asked_texts) == 2  # read from the cache, nothing embedded again
    assert len(reader_data.ask_all(service, questions[:1], cache)) == 1
    assert len(asked_texts) == 3  # other questions: asked again
    monkeypatch.setattr(service.embedder, "name", "another-model")
    reader_data.ask_all(service, questions[:1], cache)
    assert len(asked_texts) == 4  # another model: asked again
    found = reader_data.groups(service.reader, asked, 10, unanswerable=True)
    assert [(g.asked.question.id, g.answerable) for g in found] == [
        ("q1", True), ("q1", False), ("q2", True), ("q2", False)]
    assert all(g.y.any() == g.answerable for g in found)
    answerable = [g for g in found if g.answerable]
    records: list[dict] = []
    measured = reader_sets.measure(service.reader, answerable, 2, 0.0, records)
    assert measured["present"] == 1.0 and measured["in_quote"] == 1.0
    assert [r["in_quote"] for r in records] == [True, True]
    w = train_reader.train_sentence(answerable, epochs=5)
    assert w.shape == (len(FEATURES),) and w[FEATURES.index("heading")] == -3.0
    assert train_reader.top1(answerable, np.array(service.reader.weights.sentence)) == 1.0
    a = train_reader.train_abstention(found, w, cross=True)
    # Coverage is constant across languages, and this fake model has no token vectors, so
    # the alignment is unknown (constant) too: no weight for either.
    assert a.shape == (6,) and a[2] == a[3] == a[4] == 0.0
    elsewhere = reader_data.out_of_corpus(service, asked)  # here: the same corpus, relabelled
    assert [(g.asked.question.id, g.answerable) for g in elsewhere] == [
        ("q1", False), ("q2", False)]
    capsys.readouterr()
    train_reader.train_abstention(found, w, elsewhere=elsewhere)
    table = capsys.readouterr().out.splitlines()
    assert table[1].endswith("| abstained (out of corpus)")
    assert all(len(row.split(" | ")) == 5 for row in table[2:11])


def test_a_cut_peer_build_resumes_and_is_reported_from_its_runs(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import peer as peer_module

    monkeypatch.setattr(peer_module, "_BATCH", 2)  # 3 chunks: batches of 2 and 1
    fake = FakeEmbedder()
    store = tmp_path / "peer"
    pipeline = peer_module.PeerPipeline(store, fake.embed_documents, fake.embed_queries)
    texts = pipeline.index(corpus)
    assert len(texts) == 3 and fake.calls == 3
    ids = sorted(pipeline.collection.get(include=[])["ids"])
    pipeline.collection.delete(ids=[ids[-1]])  # as if cut before its batch was added
    assert pipeline.index(corpus) == texts
    assert sorted(pipeline.collection.get(include=[])["ids"]) == ids
    assert fake.calls == 3 + 1  # only the missing batch again
    assert pipeline.index(corpus) == texts and fake.calls == 4  # nothing left to do
    pipeline.close()
    runs = tmp_path / "runs.json"
    runs.write_text(json.dumps([
        {"seconds": 3.0, "cpu_seconds": 5.0, "peak_rss_mb": 10.0, "stdout": "cut\n"},
        {"seconds": 1.0, "cpu_seconds": 2.0, "peak_rss_mb": 12.0, "stdout": "3 chunks\n"}]))
    data = bench_index.report_existing(store, fake.embed_documents, runs, 0, "peer", corpus)
    assert (data["chunks"], data["documents"], data["texts_in_floor"]) == (3, 3, 3)
    assert (data["index_seconds"], data["index_cpu_seconds"], data["index_runs"]) == (4.0, 7.0, 2)
    assert data["index_peak_rss_mb"] == 12.0 and data["index_summaries"] == ["cut", "3 chunks"]
