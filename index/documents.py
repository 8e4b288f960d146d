"""Reading a corpus folder into `Document` values.

A document's `text` is the file exactly as decoded: every offset the product
shows (chunks, citations, highlights) indexes into it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.formats import extract
from index.walk import MIB, Skipped

__all__ = ["MIB", "Document", "ProgressFactory", "Skipped", "load_corpus", "make_document",
           "read_document"]

# `progress(total, label)` returns a callback taking a count of items done.
ProgressFactory = Callable[[int, str], Callable[[int], None]]

# "date 2017-04", "date: 2017-04-12", "Date 2020" at the start of a document.
_DATE_PREFIX = re.compile(
    r"^\s*date\s*:?\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)\b\s*", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)\b")
_TITLE_MAX = 200


@dataclass(frozen=True)
class Document:
    """One source file of the corpus.

    Attributes:
        source: path relative to the corpus root, with "/" separators.
        text: the decoded file content; all offsets index into it.
        title: the first non-empty line (without a leading date marker).
        date: a date the text states near its start ("2017-04"), or "".
        encoding: what the bytes were decoded from ("utf-8", "cp1252", "utf-16";
            "" for PDF text layers and texts not read from a file).
    """

    source: str
    text: str
    title: str
    date: str
    encoding: str = ""

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text: equal texts are equal documents."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def extract_title(text: str) -> str:
    """Return the first non-empty line, without a leading date marker.

    >>> extract_title("\\n date 2017-04 EXCLU | Title\\nbody")
    'EXCLU | Title'
    """
    for line in text.splitlines():
        line = _DATE_PREFIX.sub("", line, count=1).strip()
        if line:
            return line[:_TITLE_MAX]
    return ""


def extract_date(text: str) -> str:
    """Return the date the document states at its start, or "".

    A leading "date YYYY[-MM[-DD]]" marker wins; otherwise the first ISO date
    in the first 300 characters.
    """
    marker = _DATE_PREFIX.match(text)
    if marker:
        return marker.group(1)
    iso = _ISO_DATE.search(text[:300])
    return iso.group(1) if iso else ""


def make_document(source: str, text: str, title: str = "", encoding: str = "") -> Document:
    """Build a `Document`; the title (when not given) and the date come from the text."""
    return Document(source=source, text=text, title=title or extract_title(text),
                    date=extract_date(text), encoding=encoding)


def read_document(root: Path, path: Path) -> Document:
    """Read one supported file into a `Document` (see `index.formats`).

    Raises:
        OSError, UnreadableFile: the caller turns them into `Skipped`.
    """
    extracted = extract(path)
    return make_document(path.relative_to(root).as_posix(), extracted.text,
                         extracted.title[:_TITLE_MAX], extracted.encoding)


def load_corpus(root: Path, progress: ProgressFactory | None = None, max_bytes: int = 0
                ) -> tuple[list[Document], list[Skipped]]:
    """Read every file under `root` (see `index.corpus.read_corpus`).

    Returns:
        The documents read, and the files skipped with their reasons.

    Raises:
        CorpusError: the folder does not exist or holds no supported file.
    """
    from index.corpus import read_corpus  # it builds on this module

    corpus = read_corpus(root, progress, max_bytes)
    return corpus.documents, corpus.skipped
