"""Apps launched for the app and browser tests: a fake-embedder one and a real-seeds one."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import app
from index.layout import open_stores
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService, make_embedder
from tests.conftest import ROOT, write_corpus
from tests.fakes import FakeEmbedder

EVIL = ('Le piège <script>window.__xss = 1</script> et <img src=x onerror="window.__xss = 2"> '
        "puis [x](javascript:alert(1)) dans le texte.\n")
FILLER = "".join(f"Ligne de remplissage numéro {i} sans rapport avec la question.\n"
                 for i in range(120))
CORPUS = {
    "office.txt": ("Fiche A\n\nJean Dupont dirige l'office central depuis 2019.\n"
                   "L'office central de Jean Dupont emploie 120.000 agents.\n"
                   "M. Dupont est commissaire divisionnaire.\n"),
    "musee.txt": ("Fiche B\n\nPaul Martin dirige le musée des arts depuis 2015.\n"
                  "Le musée des arts de Paul Martin emploie 40 agents.\n"),
    "sub/piege.txt": "Un piège\n\n" + EVIL,
    "notes/été 2020 #1?.txt": "Fiche D\n\nLa girafe dort debout deux heures par nuit.\n",
    "long.txt": FILLER + "Le phare de Brest mesure 52 mètres de haut.\n" + FILLER,
}


@dataclass
class Launched:
    """A running app with what it was built from."""

    url: str
    settings: Settings
    service: QAService
    running: app.Running

    def stop(self) -> None:
        """Stop the server and close the index."""
        self.running.stop()
        self.service.close()


def launch_fake(tmp: Path) -> Launched:
    """The app over `CORPUS` (plus a symlink leaving it) with the fake embedder."""
    corpus = write_corpus(tmp / "corpus", CORPUS)
    outside = tmp / "outside.txt"
    outside.write_text("secret text outside the corpus\n", encoding="utf-8")
    (corpus / "leak.txt").symlink_to(outside)
    (corpus / ".examples.txt").write_text("# comment\nQui dirige le musée ?\n", encoding="utf-8")
    settings = Settings.load({}, corpus=corpus, store=tmp / "store", model="fake-hash-64",
                             feedback_path=tmp / "fb" / "feedback.jsonl", min_confidence=0.0)
    embedder = FakeEmbedder()
    run_index(settings, embedder)
    service = QAService(settings, embedder, open_stores(settings.store))
    running = app.start(service)
    return Launched(running.url, settings, service, running)


def launch_seeds(tmp: Path) -> Launched:
    """The app over a copy of the shipped seeds, indexed with the real model."""
    corpus = tmp / "seeds"
    shutil.copytree(ROOT / "seeds", corpus)
    settings = Settings.load({}, corpus=corpus, store=tmp / "store",
                             feedback_path=tmp / "feedback.jsonl")
    embedder = make_embedder(settings)
    run_index(settings, embedder)
    service = QAService(settings, embedder, open_stores(settings.store))
    running = app.start(service)
    return Launched(running.url, settings, service, running)
