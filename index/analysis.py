"""Text analysis for lexical matching: case and accent folding, elisions, stopwords.

Used to compare question words with document words whatever their case or
accents ("OCRTEH", "ocrteh"; "Élysée", "elysee"), in French and English.
"""

from __future__ import annotations

import re
import unicodedata

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)

def _words(text: str) -> list[str]:
    return text.split()


STOPWORDS = frozenset(_words(
    # French
    """a au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les
    leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui
    sa se ses son sur ta te tes toi ton tu un une vos votre vous y est sont ete etait etaient
    etre avoir ont a avait avaient fait faire comme plus tres aussi dont alors ainsi quel quelle
    quels quelles quoi comment pourquoi quand combien ou lequel laquelle lesquels depuis selon
    entre sans sous chez vers cela ceci ca si tout tous toute toutes autre autres meme
    """
    # English
    """the of and to in is are was were be been being a an for on at by with from as that this
    these those it its what which who whom whose when where why how did does do has have had
    not or but if than then there their they them he she his her we our you your i me my
    about into over under after before during can could would should will shall may might
    much many most more some any each other such only also just very according
    """
))


def fold_slowly(text: str) -> str:
    """What `fold` returns, computed on the whole text (the reference `fold` must match)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _FoldTable(dict[int, str]):
    """`str.translate` table: each character's folded form, computed on first sight.

    Case folding and the NFKD decomposition work character by character (the
    canonical reordering NFKD also does only moves combining marks, which are all
    dropped), so folding a text is folding each of its characters.
    """

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_slowly(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip accents: "Élysée" -> "elysee"."""
    return text.translate(_FOLD)


def stem(word: str) -> str:
    """A light French/English stemmer for folded words: plural, feminine, 7-letter prefix.

    >>> [stem(w) for w in ("agents", "dirigeante", "nationaux", "ocrteh")]
    ['agent', 'dirigea', 'nationa', 'ocrteh']
    """
    if len(word) > 3 and word[-1] in "sx" and not word.isdigit():
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word[:7]


def stems(text: str) -> list[str]:
    """`terms` of `text`, stemmed: what the lexical index stores and matches."""
    return [stem(t) for t in terms(text)]


def terms(text: str) -> list[str]:
    """Content words of `text`, folded, without elisions, stopwords or 1-letter words.

    >>> terms("Qui dirige l'OCRTEH ?")
    ['dirige', 'ocrteh']
    """
    words = _WORD.findall(fold(_ELISION.sub(" ", text)))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


_EN_MARKERS = frozenset(_words(
    "the of and is are was were what which who whom whose when where why how did does do "
    "has have in to from with that this by for an"))
_FR_MARKERS = frozenset(_words(
    "le la les des du de un une est sont qui que quel quelle quels quelles quand comment "
    "pourquoi combien dans par pour avec sur au aux ou et"))


def language(text: str) -> str:
    """"en" or "fr", by counting function words (French when tied).

    >>> language("Who leads the OCRTEH?"), language("Qui dirige l'OCRTEH ?")
    ('en', 'fr')
    """
    words = _WORD.findall(fold(_ELISION.sub(" ", text)))
    en = sum(1 for w in words if w in _EN_MARKERS)
    fr = sum(1 for w in words if w in _FR_MARKERS) + (1 if _ELISION.search(text) else 0)
    return "en" if en > fr else "fr"
