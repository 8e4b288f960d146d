"""HTML for the chat: the answer bubble, the sources panel and the source viewer page.

Every piece of text that comes from a document or a user goes through `esc`, so
document text is always inert: no tag, no entity, no markdown syntax survives.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from qa.types import Answer, Citation, Span, source_url

ABSTAINED = "Not found in the documents."
TITLE_CHARS = 80

# HTML's special characters, and those markdown gives a meaning to, become numeric entities
# in one pass (so an entity is never escaped twice).
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'[]()*_`~!|\\{}#+-:=$"})


def esc(text: str) -> str:
    """Escape `text` for HTML and for markdown: it shows as typed, never as markup."""
    return text.translate(_INERT)


def marked(text: str, offset: int, span: Span | None, css: str) -> str:
    """`text` (found at `offset` in its source) escaped, with `span` wrapped in <mark>.

    Args:
        text: a slice of a source text.
        offset: where `text` starts in the source.
        span: source coordinates to mark; ignored unless it lies inside `text`.
        css: the class of the <mark>.

    Returns:
        Escaped HTML.
    """
    if span is None or not offset <= span.start < span.end <= offset + len(text):
        return esc(text)
    a, b = span.start - offset, span.end - offset
    return f'{esc(text[:a])}<mark class="{css}">{esc(text[a:b])}</mark>{esc(text[b:])}'


def cite_link(c: Citation, url: str = "") -> str:
    """The [n] marker of a citation, linking to its passage (or `url`) in the source viewer."""
    return (f'<a class="qa-cite" href="{html.escape(url or c.url, quote=True)}" '
            f'target="_blank" rel="noopener" title="{esc(c.source)}">[{c.n}]</a>')


def citation_meta(c: Citation, line: int | None) -> str:
    """Title, date, file and line, and score of a citation, escaped."""
    where = f"{c.source}:{line}" if line else c.source
    title = c.title if len(c.title) <= TITLE_CHARS else c.title[:TITLE_CHARS - 1] + "…"
    parts = [f"<em>{esc(title)}</em>", esc(c.date) if c.date else "",
             f"<code>{esc(where)}</code>", f"score {c.score:.3f}"]
    return " · ".join(p for p in parts if p)


def _answer_span(answer: Answer, c: Citation) -> Span | None:
    return answer.span if answer.answer_citation == c.n else None


def citation_block(answer: Answer, c: Citation, line: int | None, folded: bool = False
                   ) -> str:
    """One citation: marker, quote (with the answer marked inside), and its metadata.

    Args:
        answer: the answer the citation belongs to.
        c: the citation.
        line: the line of the source where the quote starts, if known.
        folded: show the quote in a <details> (open for the answer's own citation).
    """
    quote = marked(c.quote, c.start, _answer_span(answer, c), "qa-in-quote")
    meta = (f'{citation_meta(c, line)} · <a href="{html.escape(c.url, quote=True)}" '
            f'target="_blank" rel="noopener">open in source</a>')
    if folded:
        state = " open" if c.n == answer.answer_citation else ""
        return (f'<details class="qa-citation" data-n="{c.n}"{state}><summary>{cite_link(c)} '
                f'<span class="qa-meta">{meta}</span></summary>'
                f'<span class="qa-quote">{quote}</span></details>')
    return (f'<div class="qa-citation" data-n="{c.n}">{cite_link(c)} '
            f'<span class="qa-quote">{quote}</span><div class="qa-meta">{meta}</div></div>')


def answer_sentence(answer: Answer) -> str:
    """The quoted answer with the short answer highlighted, then its citation marker.

    The marker opens the viewer on the answer sentence itself (inside its citation).
    """
    span = answer.span
    assert span is not None
    text = marked(answer.text, span.start, answer.highlight, "qa-short")
    cited = [c for c in answer.citations if c.n == answer.answer_citation]
    markers = " ".join(cite_link(c, source_url(c.source, span.start, span.end)) for c in cited)
    return f'<p class="qa-answer">«\u00a0{text}\u00a0» {markers}</p>'


def answer_bubble(answer: Answer, lines: Mapping[int, int], note: str = "") -> str:
    """The chat reply: notes, the answer (or the abstention), then every citation.

    Args:
        answer: the service's answer.
        lines: line number in its source of each citation's start, by citation n.
        note: a plain-text remark shown first (e.g. which earlier turn was used).

    Returns:
        HTML where all document and user text is escaped.
    """
    parts = [f'<p class="qa-note">{esc(text)}</p>' for text in (note, answer.notice) if text]
    if answer.abstained:
        parts.append(f'<p class="qa-abstain"><strong>{ABSTAINED}</strong> Closest passages:</p>')
    else:
        parts.append(answer_sentence(answer))
        parts.append(f'<p class="qa-confidence">confidence {answer.confidence:.2f}</p>')
    parts.extend(citation_block(answer, c, lines.get(c.n), True) for c in answer.citations)
    return f'<div class="qa-reply">{"".join(parts)}</div>'


def sources_panel(answer: Answer | None, lines: Mapping[int, int]) -> str:
    """The panel beside the chat: every retrieved passage of the last answer, with its score."""
    if answer is None or not answer.citations:
        return '<div class="qa-sources"><p>Retrieved passages appear here.</p></div>'
    head = (f"<p><strong>{len(answer.citations)} passages</strong> for "
            f"«\u00a0{esc(answer.question)}\u00a0»</p>")
    blocks = "".join(citation_block(answer, c, lines.get(c.n)) for c in answer.citations)
    return f'<div class="qa-sources">{head}{blocks}</div>'


def error_bubble(message: str) -> str:
    """A reply for a question that could not be asked (empty, too short...)."""
    return f'<div class="qa-reply"><p class="qa-error">{esc(message)}</p></div>'
