"""Server mode against a real `chroma run` on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.layout import aside, open_stores
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService
from tests.conftest import write_corpus
from tests.fakes import FakeEmbedder

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server of its own, stopped at the end of the module."""
    data = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = _free_port()
        proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        url = f"http://127.0.0.1:{port}"
        if _wait_up(url, proc):
            break
        proc.kill()
        proc.wait()
    else:
        raise RuntimeError("could not start `chroma run` on a free loopback port")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _agree(settings: Settings) -> int:
    stores = open_stores(settings.store, settings.chroma_url)
    try:
        ids = stores.docs.chunk_ids()
        assert ids == stores.vectors.ids()
        return len(ids)
    finally:
        stores.close()


def test_index_update_and_ask_through_a_server(settings, fake_embedder, chroma_url, corpus
                                               ) -> None:
    settings = replace(settings, chroma_url=chroma_url)
    first = run_index(settings, fake_embedder)
    assert not (settings.store / "chroma").exists()  # vectors live on the server
    assert _agree(settings) == first.chunks
    (corpus / "alpha.txt").rename(corpus / "moved.txt")
    (corpus / "sub" / "gamma.txt").unlink()
    before = fake_embedder.calls
    second = run_index(settings, fake_embedder)
    assert fake_embedder.calls == before  # the renamed file reused its vectors
    assert (second.added, second.removed, second.unchanged) == (1, 2, 1)
    assert _agree(settings) == second.chunks
    service = QAService(settings, fake_embedder, open_stores(settings.store, chroma_url))
    try:
        answer = service.ask("Qui dirige l'office central ?")
        assert answer.citations[0].source == "moved.txt"
        document = service.stores.docs.get_document("moved.txt")
        assert document is not None
        for c in answer.citations:
            text = service.stores.docs.get_document(c.source).text  # type: ignore[union-attr]
            assert text[c.start:c.end] == c.quote
    finally:
        service.close()


def test_two_indexes_share_a_server_without_mixing(settings, chroma_url, tmp_path) -> None:
    one = replace(settings, chroma_url=chroma_url, store=tmp_path / "one")
    other_corpus = write_corpus(tmp_path / "other", {"solo.txt": "Un seul document ici."})
    two = replace(one, store=tmp_path / "two", corpus=other_corpus)
    embedder = FakeEmbedder()
    chunks_one = run_index(one, embedder).chunks
    assert run_index(two, embedder).chunks == 1
    assert _agree(one) == chunks_one
    assert _agree(two) == 1
    a, b = open_stores(one.store, chroma_url), open_stores(two.store, chroma_url)
    try:
        assert a.docs.get_meta("collection") != b.docs.get_meta("collection")
    finally:
        a.close()
        b.close()


def test_rebuild_on_a_server_replaces_the_collection(settings, chroma_url, tmp_path) -> None:
    settings = replace(settings, chroma_url=chroma_url, store=tmp_path / "rebuilt")
    run_index(settings, FakeEmbedder())
    stores = open_stores(settings.store, chroma_url)
    old = stores.docs.get_meta("collection")
    stores.close()
    summary = run_index(settings, FakeEmbedder(name="other-model"), rebuild=True)
    stores = open_stores(settings.store, chroma_url)
    new = stores.docs.get_meta("collection")
    stores.close()
    assert new != old
    assert _agree(settings) == summary.chunks
    listing = f"{chroma_url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    with urllib.request.urlopen(listing, timeout=10) as reply:
        names = {c["name"] for c in json.load(reply)}
    assert new in names and old not in names


def test_a_killed_rebuild_leaves_no_collection_behind(settings, chroma_url, tmp_path) -> None:
    settings = replace(settings, chroma_url=chroma_url, store=tmp_path / "kept")
    run_index(settings, FakeEmbedder())
    leftover = replace(settings, store=aside(settings.store, "rebuild"))
    run_index(leftover, FakeEmbedder())  # what a rebuild killed before its swap leaves
    stores = open_stores(leftover.store, chroma_url)
    orphan = stores.docs.get_meta("collection")
    stores.close()
    listing = f"{chroma_url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    with urllib.request.urlopen(listing, timeout=10) as reply:
        assert orphan in {c["name"] for c in json.load(reply)}
    summary = run_index(settings, FakeEmbedder())
    assert not leftover.store.exists()
    with urllib.request.urlopen(listing, timeout=10) as reply:
        assert orphan not in {c["name"] for c in json.load(reply)}
    assert _agree(settings) == summary.chunks
