"""Shared fixtures. Any attempt to reach the network fails a test."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from index.layout import open_stores
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else str(address)
    if isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"}
                                  or self.family == socket.AF_UNIX):
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only loopback connections are allowed in tests."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


TINY_CORPUS = {
    "alpha.txt": (
        "date 2021-05 Le directeur de l'office\n\n"
        "Jean Dupont dirige l'office central depuis 2019. Il a été nommé par le ministre.\n"
        "L'office emploie 120.000 agents. M. Dupont est commissaire divisionnaire.\n"
    ),
    "beta.md": (
        "# Les marées\n\nLa marée monte deux fois par jour. La Lune attire les océans.\n"
        "Les marées d'équinoxe sont les plus fortes.\n"
    ),
    "sub/gamma.txt": "Le chocolat vient du cacao. Le cacao pousse en Amérique du Sud.\n",
}


def write_corpus(root: Path, files: dict[str, str] = TINY_CORPUS) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings.load({}, corpus=corpus, store=tmp_path / "store",
                         model="fake-hash-64", model_cache=tmp_path / "cache",
                         feedback_path=tmp_path / "feedback.jsonl", min_confidence=0.0)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def service(settings: Settings, fake_embedder: FakeEmbedder) -> QAService:
    run_index(settings, fake_embedder)
    svc = QAService(settings, fake_embedder, open_stores(settings.store))
    yield svc
    svc.close()
