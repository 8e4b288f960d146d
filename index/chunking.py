"""Cutting documents into overlapping chunks with exact offsets.

The only module that imports langchain-text-splitters. The splitter decides
where to cut; the offsets are computed here (its `start_index` has had bugs),
so that `document.text[chunk.start:chunk.end] == chunk.text` always holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from index.documents import Document

# Paragraphs first, then lines, then sentence ends, then clauses, then words.
SEPARATORS = ["\n\n", "\n", ". ", "! ", "? ", "… ", "; ", ": ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    """A span of a document: `text == document.text[start:end]`.

    `id` hashes the source, the offsets and the text, so writing the same chunk
    twice is harmless and an edited document gets new ids.
    """

    id: str
    source: str
    start: int
    end: int
    text: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text alone: equal texts share one embedding."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def chunk_id(source: str, start: int, end: int, text: str) -> str:
    """Stable id of a chunk: a hash of where it is and what it says."""
    key = f"{source}\x00{start}\x00{end}\x00{text}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


class Chunker:
    """Splits documents into chunks of at most `size` characters.

    Args:
        size: the largest chunk, in characters.
        overlap: how many characters consecutive chunks may share.
    """

    def __init__(self, size: int = 800, overlap: int = 150) -> None:
        if size <= 0:
            raise ValueError(f"chunk size must be positive, got {size}")
        if not 0 <= overlap < size:
            raise ValueError(f"chunk overlap must be in [0, {size}), got {overlap}")
        # Imported here: answering needs `Chunk` but not the splitter (~0.3 s of cold start).
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.size = size
        self.overlap = overlap
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=size,
            chunk_overlap=overlap,
            strip_whitespace=True,
        )

    @property
    def signature(self) -> str:
        """What the store records, so that other chunking settings are detected."""
        return f"recursive-v1:{self.size}:{self.overlap}"

    def split(self, document: Document) -> list[Chunk]:
        """Return the chunks of `document`, in order, with exact offsets."""
        chunks: list[Chunk] = []
        text = document.text
        for piece in self._splitter.split_text(text):
            start = self._locate(text, piece, chunks[-1] if chunks else None)
            end = start + len(piece)
            chunks.append(Chunk(chunk_id(document.source, start, end, piece),
                                document.source, start, end, piece))
        return chunks

    def _locate(self, text: str, piece: str, previous: Chunk | None) -> int:
        """Offset of `piece`: after the previous chunk's start, overlapping it by at
        most `overlap` characters (so repeated sentences do not pull it backwards)."""
        if previous is None:
            start = text.find(piece)
        else:
            start = text.find(piece, max(previous.start + 1, previous.end - self.overlap))
            if start < 0:
                start = text.find(piece, previous.start + 1)
        if start < 0:  # never expected: the splitter only cuts and strips
            raise ValueError(f"chunk not found in the text: {piece[:40]!r}")
        return start
