"""The citation invariants of the JSON contract, checked against the files on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def source_text(corpus: Path, source: str) -> str:
    """A text file as the index decodes it (UTF-8, a BOM dropped)."""
    return (corpus / source).read_bytes().decode("utf-8-sig")


def assert_exact(reply: dict[str, Any], corpus: Path) -> None:
    """Every quote is `text[start:end]`, and the answer is `text[answer_start:answer_end]`
    inside the span of the citation it names."""
    for c in reply["citations"]:
        assert source_text(corpus, c["source"])[c["start"]:c["end"]] == c["quote"]
    if not reply["abstained"]:
        cited = reply["citations"][reply["answer_citation"] - 1]
        text = source_text(corpus, cited["source"])
        assert text[reply["answer_start"]:reply["answer_end"]] == reply["answer"]
        assert cited["start"] <= reply["answer_start"] < reply["answer_end"] <= cited["end"]
