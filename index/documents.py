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

from index.errors import CorpusError
from index.formats import SUPPORTED_SUFFIXES, UnreadableFile, extract
from index.walk import MIB, Skipped, entries, size_problem

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


def _read_or_skip(root: Path, path: Path, rel: str, max_bytes: int) -> Document | Skipped:
    if not path.resolve().is_relative_to(root.resolve()):
        return Skipped(rel, "a link to a file outside the corpus folder")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kind = path.suffix.lower() or "without an extension"
        return Skipped(rel, f"unsupported file type {kind} (supported: "
                            f"{', '.join(SUPPORTED_SUFFIXES)})")
    try:
        too_large = size_problem(path, max_bytes)
        if too_large:
            return Skipped(rel, too_large)
        document = read_document(root, path)
    except UnreadableFile as exc:
        return Skipped(rel, str(exc))
    except OSError as exc:
        return Skipped(rel, f"unreadable: {exc.strerror or exc}")
    if not document.text.strip():
        scanned = path.suffix.lower() == ".pdf"
        return Skipped(rel, "no text layer (a scanned PDF?)" if scanned else "empty file")
    return document


def load_corpus(root: Path, progress: ProgressFactory | None = None, max_bytes: int = 0
                ) -> tuple[list[Document], list[Skipped]]:
    """Read every file under `root`; unsupported, unreadable or too large ones are skipped.

    Args:
        root: the corpus folder.
        progress: makes the "reading" progress bar.
        max_bytes: files larger than this are skipped unread (0: no limit).

    Returns:
        The documents read, and the files skipped with their reasons.

    Raises:
        CorpusError: the folder does not exist or holds no supported file.
    """
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root} (pass --corpus DIR)")
    listed = list(entries(root))
    tick = progress(len(listed), "reading") if progress else None
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path, rel, problem in listed:
        item = Skipped(rel, problem) if problem else _read_or_skip(root, path, rel, max_bytes)
        if isinstance(item, Document):
            documents.append(item)
        else:
            skipped.append(item)
        if tick:
            tick(1)
    if not documents:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise CorpusError(f"no readable {kinds} file in {root}: add documents, then run `qa index`")
    return documents, skipped
