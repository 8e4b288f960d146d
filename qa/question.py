"""What a question asks for, and where such answers sit in a sentence.

Question types: role (a person's job or function, see `qa.roles`), who (a
person), when (a date), count (a number), where (a place), entity (which/what
X: a name), other. `answer_spans` finds the spans of
a sentence that fit a type and are not words of the question: they drive both
the sentence choice (a "who" question wants a sentence naming someone new)
and the highlighted short answer.
"""

from __future__ import annotations

import re

from index.analysis import fold, stems
from qa.roles import is_role_question, role_spans

_TYPES: tuple[tuple[str, re.Pattern[str] | None], ...] = tuple(
    (name, re.compile(pattern) if pattern else None) for name, pattern in (
        ("when", r"\b(quand|when|quelle annee|en quelle|what year|which year|quelle date|"
                 r"what date|which date|quel siecle|what century|quel jour|what day|"
                 r"quel mois|what month|a quelle epoque|depuis quand|how long ago)\b"),
        ("count", r"\b(combien|how many|how much|quel nombre|what number|quel pourcentage|"
                  r"what percentage|quel age|how old|quelle proportion|quelle part|"
                  r"quelle somme|quel montant|quelle superficie|quelle taille|how long|"
                  r"how large|how big|quelle duree|quelle distance|how far)\b"),
        ("where", r"(\bou\b(?! est-ce que la)|\bwhere\b|\b(?:quel|quelle|quels|quelles) "
                  r"(?:pays|villes?|regions?|endroits?|lieux?|lieu|continents?|communes?|"
                  r"quartiers?|departements?|arrondissements?|provinces?|rues?|vallees?|iles?|"
                  r"mers?|oceans?|territoires?|etats?|comtes?|villages?|localites?)\b|"
                  r"\b(?:which|what) (?:country|countries|city|cities|regions?|place|town|"
                  r"states?|continent|island|county|borough|district|neighbou?rhood|"
                  r"village)\b)"),
        ("who", None),  # see _asks_who
        ("entity", r"\b(quel|quelle|quels|quelles|lequel|laquelle|which|what|comment s ?appel)"),
    )
)

# "qui" asks for a person when it stands first, after a preposition ("Par qui...",
# "Avec l'aide de qui..."), last ("... par qui ?"), or after a comma with no question
# word before ("Au début du tournoi, qui..."); elsewhere it is a relative pronoun:
# "Qu'est-ce qui...", "Quelle est la cause qui...", "Quelle équipe, qui jouait...".
_WHO_WORDS = re.compile(r"\b(?:who|whom|whose|quel est le nom|quelle personne|what person|"
                        r"which person|quel homme|quelle femme)\b")
_QUI_ASKS = re.compile(r"(?:^\s*|\b(?:a|de|par|pour|avec|chez|contre|envers|sur|selon|apres|"
                       r"entre|sans|sous|vers|devant|derriere|parmi|aupres|et)\s+)qui\b|"
                       r"\bqui\s*[?!.]*\s*$")
_QUI_AFTER_COMMA = re.compile(r"[,;:(]\s*qui\b")
_QUESTION_WORD = re.compile(r"\b(?:quel|quelle|quels|quelles|lequel|laquelle|lesquel|"
                            r"lesquels|lesquelles|que|qu|quoi|comment|combien|quand|pourquoi|"
                            r"where|what|which|when|how|why)\b")


def _asks_who(folded: str) -> bool:
    """True when the folded question asks for a person (see the patterns above)."""
    if _WHO_WORDS.search(folded) or _QUI_ASKS.search(folded):
        return True
    comma = _QUI_AFTER_COMMA.search(folded)
    return comma is not None and not _QUESTION_WORD.search(folded[:comma.start()])


_MONTHS = (r"janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|"
           r"novembre|decembre|décembre|january|february|march|april|may|june|july|august|"
           r"september|october|november|december")
_UPPER = r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ]"
_NAME = (_UPPER + r"[\w’'\-]*(?:\s+(?:(?:de|du|des|la|le|von|van|der|di|da|del|y)\s+)?"
         + _UPPER + r"[\w’'\-]*)*")
_SPAN_PATTERNS: dict[str, re.Pattern[str]] = {
    "when": re.compile(
        r"(?i:\b(?:(?:le\s+)?\d{1,2}(?:er)?\s+)?(?:" + _MONTHS + r")(?:\s+(?:\d{4}|dernier))?"
        r"|\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b[IVXL]+e\s+siècle\b|\b\d{1,2}(?:e|th)\s+"
        r"(?:siècle|century)\b)"),
    "count": re.compile(
        r"(?i:\b\d[\d\u00a0\u202f .,]*\d\b|\b\d\b|\b(?:deux|trois|quatre|cinq|six|sept|huit|"
        r"neuf|dix|onze|douze|quinze|vingt|trente|cent|cents|mille|million|millions|"
        r"milliard|milliards|dizaines?|centaines?|milliers?|two|three|four|five|ten|"
        r"hundred|thousand)\b)(?:\s*(?:%|pour cent|millions?|milliards?|ans|km|m|kg|euros?|"
        r"dollars?))?"),
    "who": re.compile(_NAME),
    "where": re.compile(_NAME),
    "entity": re.compile(_NAME + r"|\b[A-Z]{2,}\b"),
}


def question_type(question: str) -> str:
    """The kind of answer `question` asks for.

    >>> question_type("Qui dirige l'OCRTEH ?"), question_type("Depuis quand ?")
    ('who', 'when')
    """
    if is_role_question(question):
        return "role"
    folded = fold(question).strip()
    q = " " + re.sub(r"[^\w\s]", " ", folded) + " "
    for name, pattern in _TYPES:
        if _asks_who(folded) if pattern is None else pattern.search(q):
            return name
    return "other"


_ARTICLE_BEFORE = re.compile(r"(?i:\b(?:le|la|les|l['’]|du|des|au|aux|de l['’]|the|a|an)\s*)$")


def _person_like(sentence: str, start: int, text: str) -> bool:
    """A person's name: two capitalized words or more, with no article before it."""
    return (len(re.findall(_UPPER, text)) >= 2 and " " in text
            and not _ARTICLE_BEFORE.search(sentence[:start]))


def raw_spans(kind: str, sentence: str,
              entities: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Every span of type `kind` (named entities when given), new to the question or not."""
    if kind == "role":
        people = entities if entities is not None else [
            m.span() for m in _SPAN_PATTERNS["who"].finditer(sentence)
            if _person_like(sentence, m.start(), m.group())]
        return role_spans(sentence, people)
    pattern = _SPAN_PATTERNS.get(kind)
    if pattern is None:
        return []
    if entities is not None and kind in {"who", "where", "entity"}:
        return list(entities)
    return [m.span() for m in pattern.finditer(sentence)]


def answer_spans(kind: str, sentence: str, question: str,
                 entities: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Spans of `sentence` of type `kind` that add something to the question.

    A span whose content words all occur in the question is not an answer.
    Names come from `entities` (spans of named entities of the right kind)
    when given, else from capitalization patterns, where the sentence's first
    word alone is ignored (capitalized because it opens the sentence).
    """
    if kind not in _SPAN_PATTERNS and kind != "role":
        return []
    named = entities is not None and kind in {"who", "where", "entity"}
    found = raw_spans(kind, sentence, entities)
    known = set(stems(question))
    spans = []
    for a, b in found:
        text = sentence[a:b].strip(" .,;:'’-")
        words = stems(text)
        if not named and kind not in {"count", "when"} and a == 0 and " " not in text:
            continue
        if not text or (words and all(w in known for w in words)):
            continue
        if kind in {"who", "where", "entity", "role"} and not words:
            continue
        if kind == "who" and not named and not _person_like(sentence, a, text):
            continue
        spans.append((a, a + len(sentence[a:b].rstrip(" .,;:'’-"))))
    return spans


_HEAD = re.compile(r"\b(?:which|what|quel|quelle|quels|quelles)\s+(?:(?:est|sont|etait|is|are|was|"
                   r"were|the|le|la|les|l)\s+)*(\w+)")


def head_noun(question: str) -> str:
    """The stem of the noun a "which X" / "quel X" question asks about, or "".

    >>> head_noun("Which office investigates?"), head_noun("Quel est le site ?")
    ('offic', 'site')
    """
    match = _HEAD.search(re.sub(r"[^\w\s]", " ", fold(question)))
    found = stems(match.group(1)) if match else []
    return found[0][:5] if found else ""


def names_head(sentence: str, spans: list[tuple[int, int]], head: str) -> bool:
    """True when an answer span holds a word starting like the question's head noun."""
    return bool(head) and any(w[:5] == head for a, b in spans for w in stems(sentence[a:b]))
