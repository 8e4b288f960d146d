"""Occupation and role questions, and the phrases of a sentence that can answer them.

"What job did ... have?", "Quel est le métier de ...?", "Quelle fonction occupe ...?"
ask for what a person is or does. Without a lexicon of occupations, the way a
text states a role carries the evidence; news and encyclopedic text use a few
shapes, in French as in English:
- a demonstrative restating someone at the start of a sentence:
  "Ce pilote de ligne a écopé de ..." (after "un homme a été condamné ...");
- an apposition after a name: "Yu Zhengsheng, secrétaire du Comité ...";
- a title before a name: "l'architecte Vladimir Choukhov", "the pilot John Smith";
- after "comme" / "en tant que" / "as a", or a copula with an indefinite article:
  "comme pilote junior", "est un compositeur italien".
`role_spans` returns those phrases (a lowercase noun and its modifiers).
"""

from __future__ import annotations

import re

from index.analysis import fold

ROLE_QUESTION = re.compile(
    r"\b(?:(?:quel|quelle|quels|quelles|what|which)\s+(?:(?:est|etait|a|ete|fut|sont|"
    r"etaient|is|was|are|were|the|le|la|l|les|his|her|their|its|son|sa|ses|leur|leurs)\s+)*"
    r"(?:metier|profession|occupation|job|emploi|fonction|poste|role|position|title|trade)s?"
    r"|what (?:does|did|do) .+ do(?: for a living)?\s*$"
    r"|que (?:fait|faisait|font|faisaient)\b.* dans la vie)\b")

# "Qui est Pie IV ?", "Who was Frédéric Chopin?": a name and nothing more asks what the
# person is (pope, composer), not who (a name would only repeat the question's).
# The name opens with a capital and a lower-case letter (not an acronym: "Qui est PDG ?")
# and no word is a possessive ("Who is Google's CEO?").
_NAME_WORD = r"[A-ZÀ-Ý][\w.-]*(?:['’][A-ZÀ-Ý][\w.-]*)?"
WHO_IS_NAME = re.compile(r"\s*(?i:qui|who)\s+(?i:est|etait|était|fut|is|was)\s+"
                         r"(?=[A-ZÀ-Ý](?:[a-zà-ÿ]|['’][A-ZÀ-Ý]))" + _NAME_WORD +
                         r"(?:\s+(?:(?:de|du|des|la|le|van|von|d’|d')\s*)?" + _NAME_WORD +
                         r"){0,4}\s*[?!.]*\s*$")

# Words that end a role phrase: verbs, auxiliaries, pronouns, conjunctions.
_STOP = frozenset("""
a ai as avait avaient aura auront ont est sont etait etaient fut furent sera seront serait
ete etre qui que qu dont ou ne n se s y il elle ils elles on et mais car puis lorsque quand
comme pour par avec sans sur dans selon depuis apres avant pendant vers chez contre lui leur
is are was were be been has had have will would who whom which that and or but for with by
from on at to when while as dernier derniere derniers dernieres meme memes
""".split())
_LINKS = frozenset("de du des d la l le les en au aux a of the in".split())
_TOKEN = re.compile(r"[^\W\d_][\w\-]*['’]?|\d+|[^\w\s]")
_LOWER = re.compile(r"[a-zàâäçéèêëîïôöùûüœæ]")
_MAX_WORDS = 8

_DEMONSTRATIVE = re.compile(r"^[«\"“(\s]*(?:Ce|Cet|Cette|Ces|This|That|These|Those)\s+")
_APPOSITION = re.compile(
    r"\s*(?:\([^()]{0,60}\)\s*)?,\s*(?:(?:un|une|le|la|a|an|the)\s+|l['’]\s*)?")
_INTRODUCER = re.compile(
    r"\b(?:comme|en tant que|as an?|est une?|était une?|fut une?|devient une?|is an?|"
    r"was an?|became an?)\s+", re.IGNORECASE)
_ARTICLES = frozenset("le la l un une the a an".split())


def is_role_question(question: str) -> bool:
    """True when `question` asks for a person's job, occupation or role.

    Args:
        question: the question, in French or English.

    Returns:
        Whether a role word follows the question word ("quel métier", "what job"...),
        the question is "what does X do", or "who is X" with X a name alone.

    >>> is_role_question("What job did he have?"), is_role_question("Quel est le métier de X ?")
    (True, True)
    """
    return bool(ROLE_QUESTION.search(re.sub(r"[^\w\s]", " ", fold(question)).strip())
                or WHO_IS_NAME.match(question))


def _phrase(sentence: str, start: int, limit: int | None = None) -> tuple[int, int] | None:
    """The role phrase opening at `start`: a lowercase noun and what follows it.

    It runs until punctuation, a verb or function word of `_STOP`, `_MAX_WORDS`
    words or `limit`; links ("de", "des", "of") count only when a word follows.
    """
    end = None
    tokens = _TOKEN.finditer(sentence, start, len(sentence) if limit is None else limit)
    for count, match in enumerate(tokens):
        word = match.group()
        folded = fold(word).rstrip("'’")
        if count == 0 and (not _LOWER.match(word) or folded in _STOP or folded in _LINKS):
            return None
        if not word[0].isalpha() or folded in _STOP or count >= _MAX_WORDS:
            break
        if folded not in _LINKS:
            end = match.end()
    return (start, end) if end is not None else None


def _title(sentence: str, name: int) -> tuple[int, int] | None:
    """The title between an article and the name starting at `name` ("l'architecte X")."""
    tokens = list(_TOKEN.finditer(sentence, max(0, name - 80), name))
    for i in range(len(tokens) - 1, max(len(tokens) - _MAX_WORDS, 0) - 1, -1):
        if not tokens[i].group()[0].isalpha():
            return None
        if fold(tokens[i].group()).rstrip("'’") in _ARTICLES and i < len(tokens) - 1:
            phrase = _phrase(sentence, tokens[i + 1].start(), name)
            return phrase if phrase and phrase[1] == tokens[-1].end() else None
    return None


def role_spans(sentence: str, people: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of `sentence` stating a role, given the spans of the people it names.

    Args:
        sentence: one sentence.
        people: (start, end) of the person names in it (spaCy `PER`, or capitalized words).

    Returns:
        Sorted, distinct (start, end) spans of role phrases, relative to `sentence`.

    >>> s = "Ce pilote de ligne a écopé de cinq ans."
    >>> [s[a:b] for a, b in role_spans(s, [])]
    ['pilote de ligne']
    """
    found: list[tuple[int, int] | None] = []
    opening = _DEMONSTRATIVE.match(sentence)
    if opening:
        found.append(_phrase(sentence, opening.end()))
    for a, b in people:
        after = _APPOSITION.match(sentence, b)
        if after:
            found.append(_phrase(sentence, after.end()))
        found.append(_title(sentence, a))
    found += [_phrase(sentence, m.end()) for m in _INTRODUCER.finditer(sentence)]
    return sorted({span for span in found if span is not None})
