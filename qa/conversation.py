"""One chat turn: resolve a follow-up, ask the service, keep a JSON-ready record.

The UI keeps the records of a conversation (oldest first) and passes them back with
each new question; feedback is written from them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from qa.followup import Resolution, resolve
from qa.render import answer_to_dict
from qa.service import QAService, clean_question
from qa.types import Answer
from qa.viewer import line_of


@dataclass(frozen=True)
class Turn:
    """A question answered within a conversation.

    Attributes:
        n: the turn number, from 1.
        answer: the service's answer (its `question` is the one the user typed).
        resolution: how it was searched (which earlier turn it leaned on).
        lines: the line in its source where each citation starts, by citation n.
    """

    n: int
    answer: Answer
    resolution: Resolution
    lines: Mapping[int, int]

    @property
    def note(self) -> str:
        """The reply's remark on the earlier turn used, or ""."""
        r = self.resolution
        if r.turn is None:
            return ""
        return f"Follow-up: searched with turn {r.turn} («\u00a0{r.borrowed}\u00a0»)."

    def record(self) -> dict[str, Any]:
        """The turn as plain data (kept by the UI, written with feedback)."""
        return {"n": self.n, "question": self.answer.question, "query": self.resolution.query,
                "followup_of": self.resolution.turn, "reply": answer_to_dict(self.answer)}


def ask_turn(service: QAService, question: str, turns: Sequence[Mapping[str, Any]],
             top_k: int | None = None) -> Turn:
    """Answer `question` in the conversation made of the records `turns`.

    Args:
        service: the answering service.
        question: what the user typed.
        turns: the records of the earlier turns, oldest first.
        top_k: number of passages (default: the setting).

    Returns:
        The new turn, numbered after the earlier ones.

    Raises:
        BadQuestion: the question is empty (or top_k is not positive).
    """
    text, _ = clean_question(question, service.settings.max_question_chars)
    resolution = resolve(text, turns)
    answer = service.ask(resolution.query, top_k)
    if resolution.turn is not None:
        answer = replace(answer, question=text)
    lines = {}
    for c in answer.citations:
        document = service.document(c.source)
        if document is not None:
            lines[c.n] = line_of(document.text, c.start)
    return Turn(len(turns) + 1, answer, resolution, lines)
