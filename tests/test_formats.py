"""HTML and PDF extraction, with citations that point into the extracted text."""

from __future__ import annotations

from pathlib import Path

from index.documents import load_corpus
from index.formats import UnreadableFile, extract, html_text
from index.layout import open_stores
from qa.indexing import run_index
from qa.service import QAService

PAGE = """<!doctype html><html><head><title>Les  marées
 d'équinoxe</title><style>p { color: red }</style><script>var x = "caché";</script></head>
<body><nav><a href="/">Accueil</a></nav>
<h1>Les marées</h1>
<p>La marée monte <b>deux fois</b> par jour.<br>La Lune attire les océans&nbsp;!</p>
<!-- commentaire invisible -->
<ul><li>Vive-eau</li><li>Morte-eau &amp; étale</li></ul>
<noscript>Activez JavaScript</noscript>
</body></html>"""

PAGE_TEXT = ("Accueil\n\nLes marées\n\nLa marée monte deux fois par jour.\n\n"
             "La Lune attire les océans !\n\nVive-eau\n\nMorte-eau & étale")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string (WinAnsi encoding)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               "/Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        ops = ["BT /F1 12 Tf 72 720 Td 14 TL"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        stream = "\n".join(ops + ["ET"]).encode("cp1252")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode('latin-1')}"
                       "\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def test_html_visible_text_exactly() -> None:
    extracted = html_text(PAGE)
    assert extracted.text == PAGE_TEXT
    assert extracted.title == "Les marées d'équinoxe"


def test_pdf_text_layer_exactly(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf([["Le café est prêt.", "Il est chaud."], ["Page deux ici."]]))
    extracted = extract(path)
    assert extracted.text == "Le café est prêt.\nIl est chaud.\n\nPage deux ici."


def test_damaged_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf")
    try:
        extract(path)
    except UnreadableFile as exc:
        assert str(exc).startswith("unreadable PDF")
    else:
        raise AssertionError("a damaged PDF must be reported")


def test_corpus_mixes_formats_and_lists_the_rest_as_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.html").write_text(PAGE, encoding="utf-8")
    (corpus / "doc.pdf").write_bytes(make_pdf([["Le café est prêt."]]))
    (corpus / "scan.pdf").write_bytes(make_pdf([[]]))
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4\nbroken")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    documents, skipped = load_corpus(corpus)
    assert [(d.source, d.title) for d in documents] == [
        ("doc.pdf", "Le café est prêt."), ("page.html", "Les marées d'équinoxe")]
    reasons = {s.source: s.reason for s in skipped}
    assert reasons["scan.pdf"] == "no text layer (a scanned PDF?)"
    assert reasons["bad.pdf"].startswith("unreadable PDF")
    assert reasons["notes.docx"] == (
        "unsupported file type .docx (supported: .txt, .md, .html, .htm, .pdf)")
    assert len(skipped) == 3


def test_citations_point_into_the_extracted_text(settings, fake_embedder, tmp_path) -> None:
    corpus = tmp_path / "formats"
    corpus.mkdir()
    (corpus / "page.html").write_text(PAGE, encoding="utf-8")
    (corpus / "doc.pdf").write_bytes(make_pdf([["Le café est prêt.", "Il est chaud."]]))
    from dataclasses import replace

    settings = replace(settings, corpus=corpus)
    run_index(settings, fake_embedder)
    service = QAService(settings, fake_embedder, open_stores(settings.store))
    try:
        answer = service.ask("Combien de fois la marée monte-t-elle par jour ?")
        assert answer.citations
        for citation in answer.citations:
            document = service.stores.docs.get_document(citation.source)
            assert document is not None
            assert document.text[citation.start:citation.end] == citation.quote
        page = service.stores.docs.get_document("page.html")
        assert page is not None and page.text == PAGE_TEXT
        top = answer.citations[0]
        assert top.source == "page.html"
        assert "La marée monte deux fois par jour." in top.quote
    finally:
        service.close()
