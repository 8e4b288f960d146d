"""Cutting an over-long sentence down to the part that answers.

An answer is a verbatim quote of at most `MAX_ANSWER_CHARS` characters: quoting a
whole paragraph is not an answer. Some sentences are longer than that (long
encyclopedic sentences, enumerations, text the segmenter could not split). Such a
sentence is cut at clause boundaries (commas, semicolons, colons, parentheses,
dashes) to the run of consecutive clauses that fits and holds the most question
words, always keeping the highlighted short answer when there is one.
"""

from __future__ import annotations

import re

from qa.context import stem_list

MAX_ANSWER_CHARS = 400
_BOUNDARY = re.compile(r"[,;:()\[\]–—]\s*|\s+-\s+")
_PIECE = 120  # a clause longer than the limit is cut at spaces into pieces this long


def pieces(text: str, limit: int, also: tuple[int, ...] = ()) -> list[tuple[int, int]]:
    """Consecutive (start, end) spans covering `text`, cut after clause boundaries
    and at the offsets `also`.

    A clause longer than `limit` is cut further at spaces, about every `_PIECE` chars.
    """
    found = {m.end() for m in _BOUNDARY.finditer(text)} | {c for c in also if 0 < c < len(text)}
    cuts = [0, *sorted(found), len(text)]
    spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while b - a > limit:
            space = text.rfind(" ", a + 1, a + _PIECE)
            cut = space + 1 if space > a else a + _PIECE
            out.append((a, cut))
            a = cut
        out.append((a, b))
    return out


def trim(text: str, question: str, keep: tuple[int, int] | None = None,
         limit: int = MAX_ANSWER_CHARS) -> tuple[int, int]:
    """The part of `text` to quote: all of it when it fits, else the best run of clauses.

    Args:
        text: the sentence (or sentences) chosen as the answer.
        question: the question; its words decide which clauses to keep.
        keep: a span of `text` the result must hold (the highlighted short answer).
        limit: the longest answer allowed.

    Returns:
        (start, end) offsets into `text`, with end - start <= limit when a run of
        clauses that fits exists (it always does when `keep` is shorter than `limit`).
    """
    if len(text) <= limit:
        return 0, len(text)
    if keep:  # as every run is stripped: a kept sentence may open with a dash ("– Oui.")
        keep = _strip(text, *keep)
    q = set(stem_list(question))
    parts = pieces(text, limit, keep or ())  # what must be kept can be all that is kept
    words = [q & set(stem_list(text[a:b])) for a, b in parts]
    best: tuple[int, int, int, int] | None = None  # (covered, length, start, end)
    for i in range(len(parts)):
        covered: set[str] = set()
        for j in range(i, len(parts)):
            start, end = _strip(text, parts[i][0], parts[j][1])
            if end - start > limit:
                break
            covered |= words[j]
            if keep and not (start <= keep[0] and keep[1] <= end):
                continue
            candidate = (len(covered), end - start, start, end)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:  # only when `keep` itself is longer than `limit`
        return keep if keep else (0, len(text))
    return best[2], best[3]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop spaces and dangling punctuation at the ends of text[start:end]."""
    while start < end and (text[start].isspace() or text[start] in ",;:)]–—-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:([–—-"):
        end -= 1
    return start, end
