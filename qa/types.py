"""The values that flow through answering. Offsets are in source-text coordinates."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from index.chunking import Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its retrieval score (higher is better)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Span:
    """A span of a source text: `text[start:end]`."""

    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """A numbered quote: `quote == document.text[start:end]`, always.

    `url` opens the source viewer on this passage.
    """

    n: int
    source: str
    title: str
    date: str
    start: int
    end: int
    quote: str
    score: float
    url: str


@dataclass(frozen=True)
class Answer:
    """The reply to one question; "no answer" is a value (`abstained`).

    Attributes:
        text: a verbatim span of the cited source, "" when abstained.
        answer_citation: `n` of the citation the answer comes from.
        span: where `text` sits in that citation's source.
        highlight: the short answer inside `text` (a name, a date...), if found.
        confidence: 0..1.
        timings_ms: time per stage, plus "total".
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float
    answer_citation: int | None = None
    span: Span | None = None
    highlight: Span | None = None
    timings_ms: tuple[tuple[str, float], ...] = ()
    notice: str = ""


def source_url(source: str, start: int, end: int) -> str:
    """The stable viewer URL of a passage, relative to the app's root."""
    return f"/source/{quote(source)}?start={start}&end={end}#cited"
