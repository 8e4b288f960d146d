"""`qa index`: validate the corpus, then update the index, or rebuild it aside and swap."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from index.builder import IndexBuilder, ProgressFactory
from index.chunking import Chunker
from index.corpus import read_corpus
from index.documents import MIB
from index.embedding import Embedder
from index.errors import CorpusError, StoreError
from index.layout import IndexStores, aside, index_exists, open_stores, recover, remove_tree
from index.live import writing
from index.ner import EntityTagger
from index.summary import IndexSummary
from qa.config import Settings


def _swap(new: Path, root: Path) -> None:
    """Replace the folder `root` by `new`, keeping `root` intact until the last step.

    A kill between the two renames leaves `root` missing and the old index in `.old`:
    `index.layout.recover` puts it back at the next start.
    """
    old = aside(root, "old")
    if old.exists():
        remove_tree(old)  # a serving process's `recover` may be deleting it too
    for attempt in range(3):
        if root.exists():
            root.rename(old)
        try:
            new.rename(root)
            break
        except OSError:  # a reader's `recover` put the old index back in between
            if attempt == 2 or not root.exists():
                raise
    if old.exists():
        remove_tree(old)


def _discard(folder: Path, url: str | None) -> None:
    """Delete an unfinished rebuild left by a killed run (and its collection on a server)."""
    if not folder.exists():
        return
    if url and index_exists(folder):
        try:
            leftover = open_stores(folder, url, create=True)
        except StoreError:
            pass
        else:
            leftover.vectors.drop()
            leftover.close()
    shutil.rmtree(folder)


def _replaced_on_server(root: Path, url: str | None) -> IndexStores | None:
    """The index a server-mode rebuild replaces, to drop its collection after the swap."""
    if not url or not index_exists(root):
        return None
    try:
        return open_stores(root, url)
    except StoreError:  # damaged or incomplete: nothing worth cleaning up
        return None


def _update(builder: IndexBuilder, settings: Settings, target: Path,
            verify: bool) -> IndexSummary:
    """Read the corpus (skipping files the index at `target` already has) and update it."""
    url = settings.chroma_url or None
    stores = open_stores(target, url, create=True) if index_exists(target) else None
    try:
        known = builder.known_files(stores) if stores and not verify else {}
        corpus = read_corpus(settings.corpus, builder.progress,
                             int(settings.max_file_mb * MIB), known)
        stores = stores or open_stores(target, url, create=True)
        return builder.update(corpus.documents, corpus.skipped, stores, corpus.unchanged,
                              corpus.stats)
    finally:
        if stores:
            stores.close()


def run_index(settings: Settings, embedder: Embedder, *, rebuild: bool = False,
              verify: bool = False, progress: ProgressFactory | None = None) -> IndexSummary:
    """Bring the index at `settings.store` up to date with `settings.corpus`.

    A missing or empty corpus raises before the store is changed. Files whose size
    and modification time match what the index recorded are not read again, unless
    `verify`. `rebuild` builds a fresh index beside the old one and swaps it in at
    the end, so an interrupted rebuild leaves the old index.

    Raises:
        CorpusError, StoreError, ModelError: with a message that says what to do.
    """
    began = time.perf_counter()
    if not settings.corpus.is_dir():
        raise CorpusError(f"corpus folder not found: {settings.corpus} (pass --corpus DIR)")
    builder = IndexBuilder(embedder, Chunker(settings.chunk_size, settings.chunk_overlap),
                           progress, EntityTagger(regex_cache=settings.regex_cache),
                           tag_worker=settings.tag_worker)
    root, url = settings.store, settings.chroma_url or None
    recover(root)
    _discard(aside(root, "rebuild"), url)
    target = aside(root, "rebuild") if rebuild else root
    with writing(target):  # a serving process reopens its stores only between writers
        summary = _update(builder, settings, target, verify)
    if target != root:
        replaced = _replaced_on_server(root, url)
        with writing(root):  # readers do not open the old index while it is swapped out
            _swap(target, root)
        if replaced is not None:  # its collection on the server is no longer used
            replaced.vectors.drop()
            replaced.close()
    summary.seconds = time.perf_counter() - began  # reading the corpus included
    return summary
