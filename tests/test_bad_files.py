"""Bad files in the corpus: each is indexed or skipped with a reason; the rest is indexed."""

from __future__ import annotations

import os
import unicodedata
import urllib.request
from pathlib import Path

import pytest

import app
from index.documents import MIB, load_corpus
from index.layout import open_stores
from qa.config import Settings
from qa.indexing import run_index
from qa.service import QAService
from tests.fakes import FakeEmbedder

NFC = unicodedata.normalize("NFC", "Résumé été.txt")
NFD = unicodedata.normalize("NFD", "Résumé été.txt")
ROOT_READS_ALL = os.geteuid() == 0


def make_bad_corpus(corpus: Path) -> Path:
    """Good files, with odd names and encodings, among every kind of bad file."""
    (corpus / "sub dir").mkdir(parents=True)
    (corpus / "good.txt").write_text("La girafe dort debout deux heures par nuit.\n",
                                     encoding="utf-8")
    (corpus / "sub dir" / NFC).write_text("Le phare de Brest mesure 52 mètres.\n",
                                          encoding="utf-8")
    (corpus / NFD).write_text("Le pont de Millau mesure 343 mètres.\n", encoding="utf-8")
    (corpus / "windows.txt").write_bytes("Le café du port coûte 2 € à Marseille.\n"
                                         .encode("cp1252"))
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text(" \n\t\n", encoding="utf-8")
    with open(corpus / "big.txt", "wb") as big:  # 50 MB of real text
        line = b"Une ligne de texte ordinaire pour faire un gros fichier.\n"
        big.write(line * (50 * MIB // len(line) + 1))
    (corpus / "locked.txt").write_text("Texte verrouillé.\n", encoding="utf-8")
    (corpus / "locked.txt").chmod(0)
    (corpus / "loop-a.txt").symlink_to(corpus / "loop-b.txt")
    (corpus / "loop-b.txt").symlink_to(corpus / "loop-a.txt")
    (corpus / "sub dir" / "up").symlink_to(corpus, target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    (corpus / "image.png").write_bytes(b"\x89PNG")
    os.mkfifo(corpus / "pipe.txt")
    bad_name = os.fsencode(corpus) + b"/caf\xe9.txt"  # a Latin-1 name: not UTF-8
    with open(bad_name, "wb") as f:
        f.write(b"Un nom de fichier en latin-1.\n")
    return corpus


LARGE = "too large (50 MB, the limit is 20 MB): raise QA_MAX_FILE_MB to index it"
BINARY = "binary file (NUL or control bytes), not text"
EXPECTED_SKIPS = {
    "binary.txt": BINARY,
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "big.txt": LARGE,
    "loop-a.txt": "a link loop (the link leads back to itself)",
    "loop-b.txt": "a link loop (the link leads back to itself)",
    "sub dir/up": "a link to a folder (links to folders are not followed)",
    "dangling.txt": "a broken link (its target does not exist)",
    "image.png": "unsupported file type .png (supported: .txt, .md, .html, .htm, .pdf)",
    "pipe.txt": "not a regular file (a device, socket or pipe)",
    "caf\ufffd.txt": "its name is not valid UTF-8: rename the file",
}
GOOD = ["good.txt", f"sub dir/{NFC}", NFD, "windows.txt"]


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bad_corpus(tmp_path_factory.mktemp("bad") / "corpus")


def test_every_bad_file_is_skipped_with_its_reason(bad_corpus: Path) -> None:
    documents, skipped = load_corpus(bad_corpus, max_bytes=20 * MIB)
    reasons = {s.source: s.reason for s in skipped}
    locked = reasons.pop("locked.txt", None)
    assert reasons == EXPECTED_SKIPS
    # root reads any file whatever its mode; anyone else is refused it.
    assert locked == (None if ROOT_READS_ALL else "unreadable: Permission denied")
    read = {d.source: d.encoding for d in documents}
    assert read == dict.fromkeys(GOOD, "utf-8") | {"windows.txt": "cp1252"} | (
        {"locked.txt": "utf-8"} if ROOT_READS_ALL else {})
    assert len({d.source for d in documents}) == len(documents)


def test_unreadable_file_is_skipped_even_for_root(bad_corpus: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    documents, skipped = load_corpus(bad_corpus, max_bytes=20 * MIB)
    assert ("locked.txt", "unreadable: Permission denied") in {
        (s.source, s.reason) for s in skipped}
    assert "locked.txt" not in {d.source for d in documents}


def test_a_file_over_the_limit_is_never_read(bad_corpus: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def no_big_read(path: Path) -> bytes:
        assert path.name != "big.txt", "a file over the size limit was read"
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", no_big_read)
    _, skipped = load_corpus(bad_corpus, max_bytes=20 * MIB)
    assert ("big.txt", LARGE) in {(s.source, s.reason) for s in skipped}


def test_raising_the_limit_reads_the_big_file(bad_corpus: Path) -> None:
    documents, skipped = load_corpus(bad_corpus, max_bytes=60 * MIB)
    big = {d.source: d for d in documents}["big.txt"]
    assert len(big.text) == (bad_corpus / "big.txt").stat().st_size
    assert "big.txt" not in {s.source for s in skipped}


def test_the_whole_corpus_indexes_and_answers_with_reasons_in_the_summary(
        tmp_path: Path, bad_corpus: Path) -> None:
    settings = Settings.load({}, corpus=bad_corpus, store=tmp_path / "store",
                             model="fake-hash-64", min_confidence=0.0)
    embedder = FakeEmbedder()
    summary = run_index(settings, embedder)
    lines = summary.lines()
    for source, reason in EXPECTED_SKIPS.items():
        assert f"  skipped {source}: {reason}" in lines
    assert "  decoded as cp1252: windows.txt" in lines
    expected_docs = len(GOOD) + (1 if ROOT_READS_ALL else 0)
    assert (summary.added, len(summary.skipped)) == (expected_docs, len(lines) - 2)
    assert summary.seen == expected_docs + len(summary.skipped)
    assert "\n".join(lines).encode("utf-8")  # printable as is
    stores = open_stores(settings.store)
    assert sorted(stores.docs.document_hashes()) == sorted(
        GOOD + (["locked.txt"] if ROOT_READS_ALL else []))
    stores.close()
    service = QAService(settings, embedder, open_stores(settings.store))
    running = app.start(service)
    try:
        for question, source, quote in [
            ("Combien mesure le pont de Millau ?", NFD, "Le pont de Millau mesure 343 mètres."),
            ("Combien mesure le phare de Brest ?", f"sub dir/{NFC}",
             "Le phare de Brest mesure 52 mètres."),
            ("Combien coûte le café du port ?", "windows.txt",
             "Le café du port coûte 2 € à Marseille."),
        ]:
            answer = service.ask(question)
            cited = answer.citations[answer.answer_citation - 1]
            assert (cited.source, answer.text) == (source, quote)
            with urllib.request.urlopen(running.url + cited.url.split("#")[0]) as reply:
                page = reply.read().decode()
            assert f'<mark id="cited">{cited.quote}</mark>' in page
    finally:
        running.stop()
        service.close()
