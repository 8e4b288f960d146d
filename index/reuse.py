"""Vectors already in the index that a changed document can reuse.

A renamed or copied file has the same content hash as a stored document; an
edited file has its own previous version. Their chunk and sentence vectors are
looked up by exact text, so only text that is new gets embedded again; the
entities of their sentences likewise, so only new sentences get tagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from index.documents import Document
from index.layout import IndexStores
from index.ner import Entities


@dataclass
class Reusable:
    """Vectors of stored texts, by exact text: chunks and sentences apart; and the
    stored token vectors and entities of sentences, by sentence text."""

    chunks: dict[str, np.ndarray] = field(default_factory=dict)
    sentences: dict[str, np.ndarray] = field(default_factory=dict)
    tokens: dict[str, bytes] = field(default_factory=dict)
    entities: dict[str, Entities] = field(default_factory=dict)


def donors(document: Document, stored: dict[str, str], by_hash: dict[str, list[str]]
           ) -> list[str]:
    """Stored sources whose vectors `document` may reuse: its previous version and
    any stored document with the same content (a rename or a copy)."""
    found = [document.source] if document.source in stored else []
    return found + [s for s in by_hash.get(document.content_hash, []) if s != document.source]


def gather(sources: list[str], stores: IndexStores) -> Reusable:
    """Read the chunk vectors (vector store), sentence vectors and entities (SQLite) of
    `sources`.

    Args:
        sources: stored sources, e.g. from `donors`.
        stores: the index.

    Returns:
        Vectors by text; empty when `sources` is empty.
    """
    reusable = Reusable()
    for source in sources:
        document = stores.docs.get_document(source)
        if document is None:
            continue
        text = document.text
        spans = stores.docs.chunk_spans(source)
        vectors = stores.vectors.vectors([cid for cid, _, _ in spans])
        for cid, start, end in spans:
            if cid in vectors:
                reusable.chunks.setdefault(text[start:end], vectors[cid])
        sentence_spans, sentence_vectors = stores.docs.sentences_between(source, 0, len(text))
        for (start, end), vector in zip(sentence_spans, sentence_vectors, strict=True):
            reusable.sentences.setdefault(text[start:end], vector)
        ends = dict(sentence_spans)
        for start, blob in stores.docs.sentence_tokens(source).items():
            reusable.tokens.setdefault(text[start:ends[start]], blob)
        entities = stores.docs.stored_entities(source)
        if entities is not None:
            for start, end in sentence_spans:
                reusable.entities.setdefault(text[start:end], entities.get(start, ()))
    return reusable
