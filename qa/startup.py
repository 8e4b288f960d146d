"""Starting the chat: make sure an index exists (building it with progress), then open it."""

from __future__ import annotations

import sys

from index.layout import index_exists
from qa.config import Settings
from qa.indexing import run_index
from qa.progress import Bars
from qa.service import QAService, make_embedder


def open_service(settings: Settings, quiet: bool = False) -> QAService:
    """Open the index at `settings.store`, building it from `settings.corpus` when missing.

    Args:
        settings: the product settings.
        quiet: no progress bars while indexing.

    Returns:
        The answering service, ready to answer.

    Raises:
        CorpusError, StoreError, ModelError: with a message that says what to do.
    """
    embedder = make_embedder(settings)
    if not settings.chroma_url and not index_exists(settings.store):
        print(f"No index at {settings.store}: indexing {settings.corpus} first...",
              file=sys.stderr, flush=True)
        bars = Bars(quiet=quiet)
        try:
            summary = run_index(settings, embedder, progress=bars)
        finally:
            bars.close()
        for line in summary.lines():
            print(line, file=sys.stderr, flush=True)
    return QAService.open(settings, embedder)
