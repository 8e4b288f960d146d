"""The source viewer: a whole document, escaped, with one passage highlighted and in view.

The page needs no script: the viewer URL ends with `#cited`, the id of the highlighted
passage, so the browser scrolls it into view; the app serves it with a policy that
forbids scripts altogether.
"""

from __future__ import annotations

import re
from pathlib import Path

from index.documents import Document
from qa.html import esc
from qa.types import Span

# Served with every viewer page: no script, no plugin, no outside resource.
VIEWER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_INTEGER = re.compile(r"-?[0-9]{1,18}")

_STYLE = """
body{font:16px/1.6 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
.meta{color:#555;font-size:.9rem}
pre{white-space:pre-wrap;word-wrap:break-word;font:inherit}
mark#cited{background:#ffe066;padding:.1em 0;scroll-margin-top:30vh}
"""


class BadRange(ValueError):
    """The start/end parameters of a viewer URL are not integers."""


def parse_range(start: str | None, end: str | None, length: int) -> Span:
    """The passage a viewer URL asks for, clamped to the document.

    Args:
        start, end: the raw query parameters (missing means an empty passage at 0).
        length: the document's length in characters.

    Returns:
        A span with 0 <= start <= end <= length.

    Raises:
        BadRange: a parameter is not a decimal integer.
    """
    values = []
    for name, raw in (("start", start), ("end", end)):
        raw = (raw or "0").strip()
        if not _INTEGER.fullmatch(raw):
            raise BadRange(f"{name} must be an integer offset, got {raw[:40]!r}")
        values.append(min(max(int(raw), 0), length))
    a, b = values
    return Span(a, max(a, b))


def inside_corpus(corpus: Path, source: str) -> bool:
    """False when the file `source` names leaves `corpus` (`..`, absolute, symlink out).

    The viewer serves indexed text, never files; this guards against an index holding a
    document read through a symlink that points outside the corpus folder.
    """
    root = corpus.resolve()
    return (root / source).resolve().is_relative_to(root)


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of `offset` in `text`."""
    return text.count("\n", 0, offset) + 1


def viewer_page(document: Document, span: Span) -> str:
    """The whole document, escaped, with `span` marked as `#cited`.

    Args:
        document: an indexed document.
        span: the passage to highlight (already clamped by `parse_range`).

    Returns:
        A complete HTML page.
    """
    text = document.text
    first, last = line_of(text, span.start), line_of(text, span.end)
    where = f"lines {first}–{last}" if last > first else f"line {first}"
    meta = " · ".join(esc(part) for part in (document.source, document.date, where) if part)
    body = (f"{esc(text[:span.start])}<mark id=\"cited\">{esc(text[span.start:span.end])}"
            f"</mark>{esc(text[span.end:])}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(document.title or document.source)}</title><style>{_STYLE}</style>"
            f"</head><body><header><h1>{esc(document.title or document.source)}</h1>"
            f"<p class=\"meta\">{meta}</p></header><pre>{body}</pre></body></html>")
