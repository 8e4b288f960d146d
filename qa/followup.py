"""Follow-up questions without a generative model: borrow words from the previous turn.

"what is his rank?" after "who leads the OCRTEH?" (answered with a sentence naming
Jean-Marc Droguet) is searched as "what is his rank? who leads the OCRTEH? Jean-Marc
Droguet": the follow-up, the earlier question, and the names its answer gave.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.analysis import fold, terms

# Words that point back to something said before (English and French).
_PRONOUN_WORDS = """
he him his himself she her hers herself it its itself they them their theirs this these those
il elle ils elles lui leur leurs son sa ses cet cette ces celui celle ceux celles
"""
PRONOUNS = frozenset(_PRONOUN_WORDS.split())
# A question with a pronoun and at most this many content words leans on an earlier turn.
MAX_FOLLOWUP_TERMS = 3
_OPENERS = ("and ", "et ", "what about", "how about", "and?", "et ?")
# A run of capitalised words or acronyms: "Jean-Marc Droguet", "OCRTEH", "Les Républicains".
_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+(?:de\s+|du\s+|d[’'])?[A-ZÀ-ÖØ-Þ][\w’'-]*)*")
_WORD = re.compile(r"[\w]+")
MAX_NAMES = 5


@dataclass(frozen=True)
class Resolution:
    """How a question is searched.

    Attributes:
        query: the text to search with (the question itself when it stands alone).
        turn: the number of the earlier turn whose words were borrowed, or None.
        borrowed: the words borrowed from that turn.
    """

    query: str
    turn: int | None = None
    borrowed: str = ""


def is_followup(question: str) -> bool:
    """True when `question` leans on an earlier turn.

    That is: it opens with "and"/"what about", or has a single content word that is not
    a name, or has a pronoun and few content words ("what is his rank?", "Quel est son
    grade ?").
    """
    content = terms(question)
    if fold(question).lstrip().startswith(_OPENERS):
        return True
    if len(content) <= 1 and not answer_names(question):
        return True
    words = _WORD.findall(fold(question))
    return len(content) <= MAX_FOLLOWUP_TERMS and any(w in PRONOUNS for w in words)


def answer_names(answer: str, short: str = "") -> list[str]:
    """Names in an answer: its short answer if known, then its capitalised names.

    A capitalised single word opening the sentence is not taken for a name.
    """
    names: list[str] = [short.strip()] if short.strip() else []
    for match in _NAME.finditer(answer):
        name = match.group(0).strip(" -'’")
        opening = not answer[:match.start()].strip(" «\"“(")
        if (opening and " " not in name) or len(name) < 2 or name in names:
            continue
        names.append(name)
    return names[:MAX_NAMES]


def key_name(turn: Mapping[str, Any]) -> list[str]:
    """What the turn's answer was about: its short answer, else its first new name.

    One name only: more names pull the search toward other sentences that merely
    mention them. Names already in the turn's question add nothing.
    """
    reply = turn["reply"]
    asked = fold(str(turn.get("question", "")))
    names = answer_names(reply.get("answer", ""), short_answer(reply))
    return [name for name in names if fold(name) not in asked][:1]


def short_answer(reply: Mapping[str, Any]) -> str:
    """The short answer (highlight) of a contract reply, as text, or ""."""
    mark, start = reply.get("highlight"), reply.get("answer_start")
    if not mark or start is None:
        return ""
    return str(reply.get("answer", ""))[mark["start"] - start:mark["end"] - start]


def resolve(question: str, turns: Sequence[Mapping[str, Any]]) -> Resolution:
    """The search for `question` given the earlier turns (records, oldest first).

    Args:
        question: the cleaned question.
        turns: records with "n", "question" and "reply" (the JSON contract).

    Returns:
        The question alone, or extended with the last answered turn's question and names.
    """
    earlier = [t for t in turns if t.get("reply")]
    if not earlier or not is_followup(question):
        return Resolution(question)
    answered = [t for t in earlier if not t["reply"].get("abstained")]
    turn = (answered or earlier)[-1]
    borrowed = " ".join([str(turn.get("question", "")), *key_name(turn)]).strip()
    return Resolution(f"{question} {borrowed}".strip(), int(turn["n"]), borrowed)
