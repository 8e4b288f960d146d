"""Lexical matching for the keyword index: what is stored and how a question is asked.

The index keeps, for each chunk, its stemmed content words (case and accents
folded, elisions and stopwords removed), so "OCRTEH", "l'Ocrteh" and
"ocrteh" all meet. SQLite FTS5 ranks the matches with BM25.
"""

from __future__ import annotations

from index.analysis import stems


def analyze(text: str) -> str:
    """The indexed form of `text`: its stems separated by spaces."""
    return " ".join(stems(text))


def match_query(question: str) -> str:
    """An FTS5 query matching any stem of `question` (empty when it has none).

    >>> match_query("Qui dirige l'OCRTEH ?")
    '"dirig" OR "ocrteh"'
    """
    unique = dict.fromkeys(stems(question))
    return " OR ".join(f'"{s}"' for s in unique if '"' not in s)
