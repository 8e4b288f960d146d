"""Thumbs up/down on answers, appended to a local JSONL file (one object per line)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


def feedback_record(turn: Mapping[str, Any], liked: bool) -> dict[str, Any]:
    """The line written for one vote on one chat turn.

    Args:
        turn: a conversation turn record (see `qa.conversation.Turn.record`).
        liked: thumbs up (True) or down (False).

    Returns:
        A JSON-ready dict: time, vote, turn number, question, answer and citations.
    """
    reply = turn.get("reply") or {}
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "liked": liked,
        "turn": turn.get("n"),
        "question": turn.get("question", ""),
        "followup_of": turn.get("followup_of"),
        "answer": reply.get("answer", ""),
        "abstained": reply.get("abstained"),
        "answer_citation": reply.get("answer_citation"),
        "citations": [
            {k: c[k] for k in ("n", "source", "start", "end", "quote", "score")}
            for c in reply.get("citations", [])
        ],
    }


def append_feedback(path: Path, turn: Mapping[str, Any], liked: bool) -> dict[str, Any]:
    """Append the vote on `turn` to the JSONL file at `path` (created with its folder).

    Returns:
        The record written.
    """
    record = feedback_record(turn, liked)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line)
    return record
