"""Example questions shown in the chat, read from a data file kept with the corpus.

The file is `<corpus>/.examples.txt`: one question per line, `#` starts a comment.
Its name starts with a dot so that indexing (which skips hidden files) never treats
the questions as a document.
"""

from __future__ import annotations

from pathlib import Path

EXAMPLES_FILE = ".examples.txt"
MAX_EXAMPLES = 12


def examples_path(corpus: Path) -> Path:
    """Where the example questions of `corpus` are kept."""
    return corpus / EXAMPLES_FILE


def load_examples(corpus: Path, limit: int = MAX_EXAMPLES) -> list[str]:
    """The example questions of `corpus`: stripped, without blanks, comments or repeats.

    Args:
        corpus: the corpus folder.
        limit: at most this many questions.

    Returns:
        The questions in file order; [] when the file is missing or unreadable.
    """
    try:
        lines = examples_path(corpus).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    questions: list[str] = []
    for line in lines:
        question = " ".join(line.split())
        if question and not question.startswith("#") and question not in questions:
            questions.append(question)
    return questions[:limit]
