"""Sentence segmentation that knows French typography.

Returns spans (start, end) into the original text, never copies, so a sentence
can always be quoted exactly: `text[start:end]`.
"""

from __future__ import annotations

import re

# Words after which a period does not end a sentence (compared lower-cased).
ABBREVIATIONS = frozenset(
    """m mm mme mmes mlle mlles me mgr dr pr prof st ste sts vs etc cf ex env
    av apr jc j.-c art al fig no nos vol p pp ch chap éd ed gén col cdt lt cne
    mr mrs ms jr sr inc ltd co corp dept jan janv fév fev févr avr juil sept oct nov déc dec
    bd av boul""".split()  # noqa: SIM905 (a word list reads better as text)
)
_CLOSERS = "\"'»”’)]"
_OPENERS = "\"'«“‘([¿¡"
# A terminator, closing quotes/brackets (French puts a space before »), then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]?[" + re.escape(_CLOSERS) + r"])*(?=\s|$)")
_LINE_BREAK = re.compile(r"\n")
# A period glued to the next sentence ("étrangers.Aude"): a word of 2+ lower-case
# letters, a period, then a capitalized word (initials and "U.S.A." do not match).
_GLUED = re.compile(r"(?<=[a-zà-ÿ]{2})[.!?](?=[A-ZÀ-ÖØ-Þ][a-zà-ÿ])")
_WORD_BEFORE = re.compile(r"([\w.\-]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial."""
    match = _WORD_BEFORE.search(text, 0, dot)
    if not match:
        return False
    word = match.group(1)
    if word.lower().rstrip(".") in ABBREVIATIONS:
        return True
    # An initial ("J. Dupont") or an acronym written with dots ("U.S.A.").
    return len(word) == 1 and word.isupper() or bool(re.fullmatch(r"(?:\w\.)+\w", word))


def _next_starts_sentence(text: str, pos: int) -> bool:
    """True when the first non-space character from `pos` can open a sentence."""
    rest = text[pos:].lstrip()
    if not rest:
        return True
    first = rest[0]
    return first.isupper() or first.isdigit() or first in _OPENERS or first in "-–—•"


def _boundaries(text: str) -> list[int]:
    """Offsets right after each sentence end, sorted."""
    cuts = {m.end() for m in _LINE_BREAK.finditer(text)}
    cuts |= {m.end() for m in _GLUED.finditer(text)}
    for match in _BOUNDARY.finditer(text):
        term = match.group(0)
        is_period = term.startswith(".") and not term.startswith("...")
        if is_period and _is_abbreviation(text, match.start()):
            continue
        if _next_starts_sentence(text, match.end()):
            cuts.add(match.end())
    cuts.add(len(text))
    return sorted(cuts)


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentence spans in `text` coordinates.

    Spans are stripped of surrounding whitespace; empty ones are dropped.

    >>> t = "M. Dupont est arrivé. Il a vu 120.000 personnes !"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['M. Dupont est arrivé.', 'Il a vu 120.000 personnes !']
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    prev = start
    for cut in _boundaries(text[start:end]):
        a, b = prev, start + cut
        prev = b
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
    return spans
