"""Turning files into text: plain text, Markdown, HTML (visible text), PDF (text layer).

The only module that imports pypdf. The text returned is what the index stores
and what the source viewer shows, so every citation offset points into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from index.decoding import NotText, decode

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES

# Elements whose content is never shown on a page.
_HIDDEN = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
# Elements that start a new paragraph in the extracted text.
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
           "table", "section", "article", "header", "footer", "nav", "aside", "main",
           "blockquote", "pre", "hr", "dl", "dt", "dd", "figure", "figcaption", "form",
           "address", "details", "summary"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BREAKS = re.compile(r"\s*\n\s*")


class UnreadableFile(Exception):
    """A file of a supported type whose text cannot be read; the message is the reason."""


@dataclass(frozen=True)
class Extracted:
    """The text of one file, the title it declares (HTML `<title>`), if any, and the
    encoding its bytes were decoded from ("" for PDF: its text layer is not bytes)."""

    text: str
    title: str = ""
    encoding: str = ""


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.parts.append(data.replace("\n", " "))


def tidy(text: str, separator: str = "\n\n") -> str:
    """Collapse runs of spaces, join the non-blank lines with `separator`, strip the ends."""
    return _BREAKS.sub(separator, _SPACES.sub(" ", text)).strip()


def html_text(markup: str) -> Extracted:
    """The visible text of an HTML page, one paragraph per block element.

    >>> html_text("<p>Un <b>mot</b></p><script>x()</script><p>Deux</p>").text
    'Un mot\\n\\nDeux'
    """
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return Extracted(tidy("".join(parser.parts)), " ".join("".join(parser.title).split()))


def pdf_text(path: Path) -> Extracted:
    """The text layer of a PDF, pages separated by a blank line.

    Raises:
        UnreadableFile: the PDF is damaged or encrypted.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableFile("encrypted PDF")
        pages = [tidy(page.extract_text() or "", "\n") for page in reader.pages]
    except PyPdfError as exc:
        raise UnreadableFile(f"unreadable PDF: {exc}") from exc
    title = str(reader.metadata.get("/Title") or "").strip() if reader.metadata else ""
    return Extracted("\n\n".join(p for p in pages if p), title)


def extract(path: Path) -> Extracted:
    """The text of a supported file (see `SUPPORTED_SUFFIXES`; bytes per `index.decoding`).

    Raises:
        UnreadableFile: a binary file, a damaged PDF...
        OSError: the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return pdf_text(path)
    try:
        decoded = decode(path.read_bytes())
    except NotText as exc:
        raise UnreadableFile(str(exc)) from exc
    if suffix in HTML_SUFFIXES:
        page = html_text(decoded.text)
        return Extracted(page.text, page.title, decoded.encoding)
    return Extracted(decoded.text, "", decoded.encoding)
