"""Turning an `Answer` into the JSON contract, or into text for a terminal."""

from __future__ import annotations

from typing import Any

from qa.types import Answer


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The JSON contract of `qa ask --json` (fields may be added, never changed)."""
    timings = dict(answer.timings_ms)
    return {
        "question": answer.question,
        "answer": answer.text,
        "answer_citation": answer.answer_citation,
        "answer_start": answer.span.start if answer.span else None,
        "answer_end": answer.span.end if answer.span else None,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "highlight": (
            {"start": answer.highlight.start, "end": answer.highlight.end}
            if answer.highlight else None
        ),
        "citations": [
            {"n": c.n, "source": c.source, "title": c.title, "date": c.date,
             "start": c.start, "end": c.end, "quote": c.quote, "score": c.score, "url": c.url}
            for c in answer.citations
        ],
        "timings_ms": timings,
        "notice": answer.notice,
    }


def _oneline(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def answer_to_text(answer: Answer) -> str:
    """A plain-text reply: the answer, then the numbered quotes with their sources."""
    lines = []
    if answer.notice:
        lines.append(f"({answer.notice})")
    if answer.abstained:
        lines.append("Not found in the documents. Closest passages:")
    else:
        lines.append(f"{_oneline(answer.text, 1000)} [{answer.answer_citation}]")
        lines.append(f"(confidence {answer.confidence:.2f})")
    lines.append("")
    for c in answer.citations:
        where = f"{c.source}:{c.start}-{c.end}"
        lines.append(f"[{c.n}] {where}  {c.title[:80]}  (score {c.score:.3f})")
        lines.append(f"    « {_oneline(c.quote)} »")
    return "\n".join(lines)
