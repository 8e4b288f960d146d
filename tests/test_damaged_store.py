"""A missing or damaged store: one line saying to run `qa index --rebuild`, which repairs it."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import app
from index.errors import StoreError
from index.layout import CHROMA_DIR, DOCS_FILE, open_stores
from qa.cli import main
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder
from tests.test_crash import V1

QUESTION = "Qui dirige l'office central ?"


def _garbage(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes((b"not a database, just garbage \x00\xff" * (size // 30 + 1))[:size])


def _truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _drop_meta(store: Path) -> None:
    db = sqlite3.connect(store / DOCS_FILE)
    db.execute("DELETE FROM meta")
    db.commit()
    db.close()


def _drop_collection(store: Path) -> None:
    stores = open_stores(store)
    stores.vectors.drop()
    stores.close()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "sqlite garbage": lambda store: _garbage(store / DOCS_FILE),
    "sqlite truncated": lambda store: _truncate(store / DOCS_FILE),
    "chroma deleted": lambda store: shutil.rmtree(store / CHROMA_DIR),
    "chroma garbage": lambda store: _garbage(store / CHROMA_DIR / "chroma.sqlite3"),
    "meta missing": _drop_meta,
    "collection missing": _drop_collection,
}


@pytest.fixture
def damaged(request: pytest.FixtureRequest, settings: Settings,
            monkeypatch: pytest.MonkeyPatch) -> Settings:
    run_index(settings, FakeEmbedder())
    DAMAGE[request.param](settings.store)
    monkeypatch.setattr("qa.service.make_embedder", lambda s: FakeEmbedder())
    monkeypatch.setattr("qa.service.make_worker_embedder", lambda s: FakeEmbedder())
    monkeypatch.setattr("qa.startup.make_embedder", lambda s: FakeEmbedder())
    monkeypatch.setenv("QA_MIN_CONFIDENCE", "0")
    return settings


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_says_rebuild(code: int, err: str, command: str) -> None:
    assert code == 1, err
    assert err.startswith(f"qa {command}: error: ") and err.count("\n") == 1, err
    assert "run `qa index --rebuild`" in err and "Traceback" not in err


@pytest.mark.parametrize("damaged", list(DAMAGE), indirect=True)
def test_damaged_store_says_rebuild_then_rebuild_repairs_it(
        damaged: Settings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ["--store", str(damaged.store)]
    corpus = ["--corpus", str(damaged.corpus)]
    _assert_says_rebuild(*_run(["ask", *store, QUESTION], capsys)[::2], "ask")

    def served(*args: object) -> None:
        raise AssertionError("qa serve started on a damaged index")

    monkeypatch.setattr(app, "run_server", served)
    serve = ["serve", *store, *corpus, "--port", str(_free_port())]
    _assert_says_rebuild(*_run(serve, capsys)[::2], "serve")
    _assert_says_rebuild(*_run(["index", *store, *corpus, "--quiet"], capsys)[::2], "index")

    code, out, err = _run(["index", *store, *corpus, "--quiet", "--rebuild"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("3 files seen: 3 added, 0 updated, 0 removed, 0 unchanged")
    code, out, err = _run(["ask", *store, QUESTION], capsys)
    assert (code, err) == (0, ""), err
    assert "Jean Dupont dirige l'office central depuis 2019." in out


def test_missing_store_says_run_qa_index(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("qa.service.make_embedder", lambda s: FakeEmbedder())
    monkeypatch.setattr("qa.service.make_worker_embedder", lambda s: FakeEmbedder())
    code, _, err = _run(["ask", "--store", str(tmp_path / "none"), QUESTION], capsys)
    assert code == 1
    assert err == f"qa ask: error: no index at {tmp_path / 'none'}: run `qa index` first\n"



def test_damage_inside_any_page_says_rebuild_never_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page of docs.sqlite overwritten in turn: opening or asking either works or
    raises StoreError saying `qa index --rebuild`; `qa ask` prints it on one line."""
    corpus = write_corpus(tmp_path / "corpus", V1)
    settings = Settings.load({}, corpus=corpus, store=tmp_path / "store", model="fake-hash-64",
                             min_confidence=0.0)
    run_index(settings, FakeEmbedder())
    db = settings.store / DOCS_FILE
    pristine = db.read_bytes()
    page = 4096
    outcomes = []
    for number in range(1, len(pristine) // page):
        db.write_bytes(pristine[:number * page] + b"\xde\xad\xbe\xef" * (page // 4)
                       + pristine[(number + 1) * page:])
        try:
            service = QAService.open(settings, FakeEmbedder())
        except StoreError as exc:
            outcomes.append(("open", str(exc)))
            continue
        try:
            service.ask("De quoi parle le document 3 ?")
            outcomes.append(("ok", ""))
        except StoreError as exc:
            outcomes.append(("ask", str(exc)))
            failing = number
        finally:
            service.close()
    assert all(msg.endswith("run `qa index --rebuild`") for _, msg in outcomes if msg)
    assert {"open", "ask"} <= {where for where, _ in outcomes}
    db.write_bytes(pristine[:failing * page] + b"\xde\xad\xbe\xef" * (page // 4)
                   + pristine[(failing + 1) * page:])
    monkeypatch.setattr("qa.service.make_embedder", lambda s: FakeEmbedder())
    monkeypatch.setattr("qa.service.make_worker_embedder", lambda s: FakeEmbedder())
    code, _, err = _run(["ask", "--store", str(settings.store), "De quoi parle le document 3 ?"],
                        capsys)
    _assert_says_rebuild(code, err, "ask")
