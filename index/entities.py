"""Named entities of the stored sentences, tagged once at index time.

Answering needs the entities (people, places...) of the sentences it weighs;
tagging them with spaCy at question time cost most of an answer's time. Each
document's entities are stored in one row with the content hash of the text
they were tagged from (`DocStore.store_entities`): a row whose hash no longer
matches (a program that knew nothing of entities replaced the document) is
ignored, and the document is tagged again. Batches commit one by one, so a
killed run keeps what it tagged. A different spaCy model or version than the one
recorded in meta has every document tagged again; vectors are never touched. With
`worker`, on two or more usable cores, a batch of many new sentences is tagged half
in a second process (`index.tag_worker`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from index.docstore import DocStore
from index.documents import ProgressFactory
from index.ner import Entities, EntityTagger, signature
from index.tag_worker import MIN_SPLIT, SplitTagger

META_KEY = "entities"  # the model and spaCy version the stored entities come from
BATCH_SENTENCES = 1024  # sentences tagged, then committed, together
# Fewer new sentences than this are tagged in this process alone (no batch is split with
# the worker), so `qa index` starts loading spaCy in a thread before embedding: the load
# overlaps the model's work (seeds: benchmark build 11.0 -> 8.2 s, a whole `qa index` 12.9 ->
# 11.9 s, medians of 3). With more, tagging waits for the worker's own load anyway, and a
# load during the embedding only slows it (piaf: 1.12 -> 1.17 x the floor).
PRELOAD_BELOW = 2 * MIN_SPLIT
REMEMBERED = 200_000  # sentence texts whose entities one run remembers (repeated text)


@dataclass(frozen=True)
class Tagged:
    """What one tagging pass did.

    Attributes:
        sentences: sentence texts tagged by spaCy.
        reused: sentences not given to spaCy: their text was tagged before (the
            previous version of the document) or earlier in the same run.
        unavailable: spaCy or its model is not installed: nothing was tagged.
    """

    sentences: int = 0
    reused: int = 0
    unavailable: bool = False


def tag_documents(docs: DocStore, tagger: EntityTagger, progress: ProgressFactory,
                  known: Mapping[str, Entities] | None = None, worker: bool = False
                  ) -> Tagged:
    """Tag the sentences of every stored document that has no current entities.

    spaCy loads only when there is something to tag.

    Args:
        docs: the document store.
        tagger: the spaCy tagger.
        progress: makes the "tagging" progress bar (counted in sentences).
        known: entities by sentence text, tagged before with the installed model
            (the previous version of a changed document): used instead of tagging.
        worker: tag large batches half in a worker process (`index.tag_worker`),
            when two or more cores are usable.

    Returns:
        How many sentences were tagged and reused.
    """
    installed = signature()
    if installed is None:
        return Tagged(unavailable=True)
    if docs.get_meta(META_KEY) != installed:
        with docs.transaction():  # a new model: every stored entity is out of date
            docs.clear_entities()
            docs.set_meta(META_KEY, installed)
        known = {}
    remembered = dict(known or {})  # grows with what this run tags: repeated text once
    todo = docs.untagged_documents()
    if not todo:
        return Tagged()
    tick = progress(sum(n for _, _, n in todo), "tagging")
    split = SplitTagger(tagger) if worker and _cores() > 1 else None  # starts no process yet
    tagged = reused = 0
    batch: list[tuple[str, str]] = []
    size = 0
    try:
        for i, (source, digest, count) in enumerate(todo):
            batch.append((source, digest))
            size += count
            if size < BATCH_SENTENCES and i + 1 < len(todo):
                continue
            done = _tag_batch(docs, split or tagger, batch, remembered, tick)
            if done is None:
                return Tagged(tagged, reused, unavailable=True)
            tagged, reused = tagged + done[0], reused + done[1]
            batch, size = [], 0
    finally:
        if split:
            split.close()
    return Tagged(tagged, reused)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _tag_batch(docs: DocStore, tagger: EntityTagger | SplitTagger, batch: list[tuple[str, str]],
               known: dict[str, Entities], tick: Callable[[int], None]
               ) -> tuple[int, int] | None:
    """Tag and store the documents of `batch` in one transaction; remember in `known`
    what was tagged (up to `REMEMBERED` texts).

    Returns:
        (sentences tagged, sentences reused), or None when spaCy cannot load.
    """
    sentences: list[tuple[str, str, int, str]] = []  # source, hash, start, text
    for source, digest in batch:
        document = docs.get_document(source)
        if document is not None:
            sentences += [(source, digest, a, document.text[a:b])
                          for a, b in docs.sentence_spans(source)]
    new = list(dict.fromkeys(text for *_, text in sentences if text not in known))
    found = tagger.tag(new, tick) if new else []
    if found is None:
        return None
    by_text = dict(zip(new, found, strict=True))
    if len(known) < REMEMBERED:
        known.update(by_text)
    tick(len(sentences) - len(new))  # the sentences not given to spaCy
    rows: dict[tuple[str, str], dict[int, Entities]] = {key: {} for key in batch}
    for source, digest, start, text in sentences:
        rows[(source, digest)][start] = by_text[text] if text in by_text else known[text]
    with docs.transaction():
        for (source, digest), entities in rows.items():
            docs.store_entities(source, digest, entities)
    return len(new), len(sentences) - len(new)
