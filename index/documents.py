"""Reading a corpus folder into `Document` values.

A document's `text` is the file exactly as decoded: every offset the product
shows (chunks, citations, highlights) indexes into it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

SUPPORTED_SUFFIXES = (".txt", ".md")

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
    """

    source: str
    text: str
    title: str
    date: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text: equal texts are equal documents."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A file of the corpus that was not indexed, and why."""

    source: str
    reason: str


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


def make_document(source: str, text: str) -> Document:
    """Build a `Document`, deriving its title and date from the text."""
    return Document(source=source, text=text, title=extract_title(text), date=extract_date(text))


def iter_corpus_files(root: Path) -> Iterator[Path]:
    """Yield the supported files under `root`, sorted, skipping hidden ones."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path


def read_document(root: Path, path: Path) -> Document:
    """Read one file as UTF-8 (a BOM is dropped) into a `Document`.

    Raises:
        OSError, UnicodeDecodeError: the caller turns them into `Skipped`.
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    return make_document(path.relative_to(root).as_posix(), text)


def load_corpus(root: Path) -> tuple[list[Document], list[Skipped]]:
    """Read every supported file under `root`.

    Args:
        root: the corpus folder.

    Returns:
        The documents read, and the files skipped with their reasons.

    Raises:
        CorpusError: the folder does not exist or holds no supported file.
    """
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root} (pass --corpus DIR)")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in iter_corpus_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            document = read_document(root, path)
        except UnicodeDecodeError:
            skipped.append(Skipped(rel, "not valid UTF-8 text"))
            continue
        except OSError as exc:
            skipped.append(Skipped(rel, f"unreadable: {exc.strerror or exc}"))
            continue
        if not document.text.strip():
            skipped.append(Skipped(rel, "empty file"))
            continue
        documents.append(document)
    if not documents:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise CorpusError(f"no readable {kinds} file in {root}: add documents, then run `qa index`")
    return documents, skipped
