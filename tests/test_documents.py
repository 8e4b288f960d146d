from pathlib import Path

import pytest

from index.documents import extract_date, extract_title, load_corpus
from index.errors import CorpusError


def test_title_skips_blank_lines_and_date_marker() -> None:
    assert extract_title("\n\n date 2017-04 EXCLU | Le titre\ncorps") == "EXCLU | Le titre"
    assert extract_title("# Les marées\n\ntexte") == "# Les marées"
    assert extract_title("   \n") == ""


def test_date_from_marker_or_iso_date() -> None:
    assert extract_date(" date 2017-04 EXCLU") == "2017-04"
    assert extract_date("Date: 2020-01-15\nTexte") == "2020-01-15"
    assert extract_date("Publié le 2019-11-12 à Paris") == "2019-11-12"
    assert extract_date("Aucune date ici, sauf 1789 peut-être") == ""


def test_load_corpus_reads_txt_and_md_with_relative_sources(corpus: Path) -> None:
    documents, skipped = load_corpus(corpus)
    assert [d.source for d in documents] == ["alpha.txt", "beta.md", "sub/gamma.txt"]
    assert skipped == []
    alpha = documents[0]
    assert alpha.text == (corpus / "alpha.txt").read_text(encoding="utf-8")
    assert alpha.date == "2021-05"
    assert alpha.title == "Le directeur de l'office"


def test_load_corpus_skips_bad_files_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Un texte.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    documents, skipped = load_corpus(tmp_path)
    assert [(d.source, d.text, d.encoding) for d in documents] == [
        ("good.txt", "Un texte.", "utf-8"), ("latin1.txt", "café crème", "cp1252")]
    assert {(s.source, s.reason) for s in skipped} == {
        ("empty.txt", "empty file"),
        ("image.png", "unsupported file type .png (supported: .txt, .md, .html, .htm, .pdf)")}


def test_load_corpus_errors_tell_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"corpus folder not found: .*missing \(pass --corpus"):
        load_corpus(tmp_path / "missing")
    kinds = r"\.txt, \.md, \.html, \.htm, \.pdf"
    with pytest.raises(CorpusError, match=rf"no readable {kinds} file in .*run `qa index`"):
        load_corpus(tmp_path)


def test_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffBonjour.".encode())
    documents, _ = load_corpus(tmp_path)
    assert documents[0].text == "Bonjour."


def test_links_leaving_the_corpus_are_skipped_and_loops_do_not_hang(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Mot de passe : hunter2.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "inside.txt").write_text("Un texte du corpus.", encoding="utf-8")
    (corpus / "leak.txt").symlink_to(outside)
    (corpus / "alias.txt").symlink_to(corpus / "inside.txt")
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    documents, skipped = load_corpus(corpus)
    assert [d.source for d in documents] == ["alias.txt", "inside.txt"]
    assert [(s.source, s.reason) for s in skipped] == [
        ("leak.txt", "a link to a file outside the corpus folder"),
        ("sub/loop", "a link to a folder (links to folders are not followed)")]
    assert all("hunter2" not in d.text for d in documents)
