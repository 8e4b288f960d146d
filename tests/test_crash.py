"""Crash safety: `qa index` killed (SIGKILL) anywhere, then run again, equals a clean build.

The killed run is a real `qa` subprocess (tests/crash_qa.py: fake embedder, kill points);
the run after it and the clean builds run in-process with the same fake embedder.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.layout import DOCS_FILE, aside, index_exists, open_stores
from qa.config import Settings
from qa.indexing import run_index
from tests.conftest import ROOT, write_corpus
from tests.fakes import FakeEmbedder

WORDS = ("le port la mer un phare des bateaux une tempête les marins le vent "
         "la côte un village des pêcheurs la marée le soir").split()


def _text(i: int, version: int = 1) -> str:
    sentences = [f"Le document {i} version {version} parle de "
                 f"{WORDS[(i * 7 + k) % len(WORDS)]} et de {WORDS[(i + k * 3) % len(WORDS)]}, "
                 f"phrase {k}." for k in range(14)]
    return f"Titre {i}\n\n" + " ".join(sentences[:7]) + "\n\n" + " ".join(sentences[7:]) + "\n"


V1 = {f"doc{i:02d}.txt": _text(i) for i in range(24)}
V2 = {k: v for k, v in V1.items() if k not in {"doc07.txt", "doc11.txt"}} | {
    "doc03.txt": _text(3, 2),  # edited
    "doc05.txt": V1["doc05.txt"] + "Une phrase ajoutée à la fin du document cinq.\n",
    "renamed/doc11.txt": V1["doc11.txt"],  # moved
    "doc99.txt": _text(99),  # new
}


OLD = time.time_ns() - 3600 * 10**9
MTIME = {id(V1): OLD, id(V2): OLD + 10**9}


def settings_for(corpus: Path, store: Path) -> Settings:
    return Settings.load({}, corpus=corpus, store=store, model="fake-hash-64")


def write_aged(corpus: Path, files: dict[str, str]) -> Path:
    """Write the files with one old modification time per version (V1, V2): the index
    records the size and time of settled files, and skips reading them when unchanged."""
    write_corpus(corpus, files)
    when = MTIME[id(files)]
    for name in files:
        os.utime(corpus / name, ns=(when, when))
    return corpus


def build(tmp: Path, files: dict[str, str]) -> Path:
    corpus = write_aged(tmp / "corpus", files)
    run_index(settings_for(corpus, tmp / "store"), FakeEmbedder())
    return tmp / "store"


def state(store: Path) -> dict[str, object]:
    """Everything a store holds, after checking its stores agree; for exact comparison."""
    stores = open_stores(store)
    try:
        ids = stores.docs.chunk_ids()
        assert stores.vectors.ids() == ids
        assert stores.docs.get_meta("writing") in (None, "0")
        vectors = stores.vectors.vectors(sorted(ids))
        held = stores.vectors.spans(sorted(ids))  # read by id: an HNSW search may miss some
        texts_in_chroma = stores.vectors.stored_texts()
    finally:
        stores.close()
    db = sqlite3.connect(store / DOCS_FILE)
    try:
        rows = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
                for table in ("documents", "chunks", "sentences", "lexical", "files",
                              "entities")}
        keyed = [sorted(db.execute(f"SELECT rowid, id FROM {t}").fetchall())
                 for t in ("lexical", "chunks")]
    finally:
        db.close()
    assert [r[0] for r in rows["files"]] == [r[0] for r in rows["documents"]]  # all recorded
    assert [r[:2] for r in rows["entities"]] == [r[:1] + r[4:] for r in rows["documents"]]
    lexical_ids = [r[0] for r in rows["lexical"]]
    assert sorted(lexical_ids) == sorted(ids)  # one lexical row per chunk, no duplicate
    assert keyed[0] == keyed[1]  # each lexical row under its chunk's rowid
    by_id = {cid: (source, start, end) for cid, source, start, end in rows["chunks"]}
    assert held == by_id
    assert texts_in_chroma == 0  # texts live in SQLite only
    rows["vectors"] = [(cid, np.round(vectors[cid], 5).tolist()) for cid in sorted(ids)]
    return rows


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clean builds of V1 and V2 (stores not to be modified)."""
    return {"v1": build(tmp_path_factory.mktemp("v1"), V1),
            "v2": build(tmp_path_factory.mktemp("v2"), V2)}


@pytest.fixture(scope="module")
def clean_states(clean: dict[str, Path]) -> dict[str, dict[str, object]]:
    return {name: state(store) for name, store in clean.items()}


def killed_qa_index(corpus: Path, store: Path, kill_at: str, *extra: str) -> None:
    """Run `qa index` in a subprocess that SIGKILLs itself at `kill_at`; check it did."""
    env = os.environ | {"QA_TEST_KILL_AT": kill_at, "QA_TEST_GROUP": "40",
                        "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_qa", "index", "--corpus", str(corpus),
         "--store", str(store), "--model", "fake-hash-64", "--quiet", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)


def start_from(tmp: Path, clean: dict[str, Path], version: str | None) -> tuple[Path, Path]:
    """A V2 corpus, and a store copied from a clean build of `version` (None: no store)."""
    corpus = write_aged(tmp / "corpus", V2)
    store = tmp / "store"
    if version:
        shutil.copytree(clean[version], store)
    return corpus, store


def assert_no_leftovers(store: Path) -> None:
    assert not aside(store, "rebuild").exists() and not aside(store, "old").exists()


@pytest.mark.parametrize("kill_at", [
    "vectors.add:1", "vectors.add:3", "docs.replace:4", "docs.commit:2",
])
def test_killed_first_build_then_rerun_equals_a_clean_build(
        tmp_path, clean, clean_states, kill_at) -> None:
    corpus, store = start_from(tmp_path, clean, None)
    killed_qa_index(corpus, store, kill_at)
    run_index(settings_for(corpus, store), FakeEmbedder())
    assert state(store) == clean_states["v2"]


@pytest.mark.parametrize("kill_at", [
    "vectors.add:1",  # edited and new chunks in Chroma only
    "docs.replace:2",  # a group half-written inside its transaction
    "docs.commit:1",  # edited documents committed, their old vectors still in Chroma
    "vectors.delete:1",  # same, killed as the stale vectors go
    "vectors.delete:2",  # removing deleted files: SQLite done, Chroma not yet
])
def test_killed_update_then_rerun_equals_a_clean_build(
        tmp_path, clean, clean_states, kill_at) -> None:
    corpus, store = start_from(tmp_path, clean, "v1")
    killed_qa_index(corpus, store, kill_at)
    assert meta(store, "writing") == "1"  # the killed run left its mark
    run_index(settings_for(corpus, store), FakeEmbedder())
    assert state(store) == clean_states["v2"]
    assert_no_leftovers(store)


def meta(store: Path, key: str) -> str | None:
    db = sqlite3.connect(store / DOCS_FILE)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        db.close()
    return None if row is None else str(row[0])


def test_writing_mark_compares_ids_even_when_counts_agree(tmp_path, clean, clean_states) -> None:
    """Equal counts, different ids (a vector lost, a stale one kept): the mark catches it."""
    corpus, store = start_from(tmp_path, clean, "v2")
    stores = open_stores(store)
    lost, kept = sorted(stores.docs.chunk_ids())[0], "stale-chunk-id"
    vector = stores.vectors.vectors([lost])[lost]
    chunk = stores.docs.chunks([lost])[lost]
    stores.vectors.delete([lost])
    stores.vectors.add([replace(chunk, id=kept)], vector[None, :], [{"title": "", "date": ""}])
    assert stores.vectors.count() == stores.docs.count("chunks")
    stores.docs.set_meta("writing", "1")
    stores.close()
    run_index(settings_for(corpus, store), FakeEmbedder())
    assert state(store) == clean_states["v2"]


@pytest.mark.parametrize(("kill_at", "serving"), [
    ("vectors.add:2", "v1"),  # mid-rebuild: the old index is untouched
    ("swap.old", "v1"),  # between the renames: the old index is put back
    ("swap.new", "v2"),  # swapped: the new index serves, the old copy is a leftover
    ("swap.rmtree:1", "v2"),  # the old copy half deleted
])
def test_killed_rebuild_leaves_a_usable_index_and_rerun_cleans_up(
        tmp_path, clean, clean_states, kill_at, serving) -> None:
    corpus, store = start_from(tmp_path, clean, "v1")
    killed_qa_index(corpus, store, kill_at, "--rebuild")
    assert state(store) == clean_states[serving]  # what `qa ask` / `qa serve` would open
    run_index(settings_for(corpus, store), FakeEmbedder())
    assert state(store) == clean_states["v2"]
    assert_no_leftovers(store)


def test_a_reader_recovering_during_the_swap_does_not_break_the_rebuild(
        tmp_path, clean, clean_states, monkeypatch) -> None:
    corpus, store = start_from(tmp_path, clean, "v1")
    rename = Path.rename
    raced = []

    def rename_then_reader(self: Path, target):
        moved = rename(self, target)
        if str(target).endswith(".old") and not raced:
            raced.append(target)
            assert index_exists(store)  # a `qa ask` right now puts the old index back
        return moved

    monkeypatch.setattr(Path, "rename", rename_then_reader)
    run_index(settings_for(corpus, store), FakeEmbedder(), rebuild=True)
    monkeypatch.undo()
    assert raced and state(store) == clean_states["v2"]
    assert_no_leftovers(store)


def test_a_reader_deleting_the_old_index_during_the_swap_does_not_break_the_rebuild(
        tmp_path, clean, clean_states, monkeypatch) -> None:
    corpus, store = start_from(tmp_path, clean, "v1")
    unlink = os.unlink
    raced = []

    def reader_first(path, *args, **kwargs):  # shutil.rmtree removes files one by one
        if not raced and aside(store, "old").exists() and store.exists():
            raced.append(path)
            assert index_exists(store)  # a `qa ask` right now deletes the leftover `.old`
            assert not aside(store, "old").exists()
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", reader_first)
    run_index(settings_for(corpus, store), FakeEmbedder(), rebuild=True)
    monkeypatch.undo()
    assert raced and state(store) == clean_states["v2"]
    assert_no_leftovers(store)


@pytest.mark.parametrize("kill_at", [
    "entities.store:2",  # the first batch of entities half-written inside its transaction
    "docs.commit:3",  # two batches committed, the others not tagged yet
])
def test_killed_backfill_of_entities_then_rerun_equals_a_clean_build(
        tmp_path, clean, clean_states, kill_at) -> None:
    """A store built before entities were stored: `qa index` tags every sentence in
    batches (the vectors untouched); killed half-way, the next run finishes the job."""
    corpus, store = start_from(tmp_path, clean, "v2")
    db = sqlite3.connect(store / DOCS_FILE)
    db.execute("DROP TABLE entities")
    db.execute("DELETE FROM meta WHERE key = 'entities'")
    db.commit()
    db.close()
    killed_qa_index(corpus, store, kill_at)
    db = sqlite3.connect(store / DOCS_FILE)
    done = db.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    db.close()
    assert 0 < done < len(V2) if kill_at.startswith("docs") else done == 0
    run_index(settings_for(corpus, store), FakeEmbedder())
    assert state(store) == clean_states["v2"]
