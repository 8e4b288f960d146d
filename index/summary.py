"""What one `qa index` run did: counts, skipped files and their reasons, seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.documents import Skipped
from index.ner import MODEL


@dataclass
class IndexSummary:
    """What one `qa index` run did."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    tagged: int = 0  # sentence texts tagged by spaCy for their entities
    tagged_reused: int = 0  # sentences whose entities were known from a previous version
    tagging_seconds: float = 0.0
    untagged: bool = False  # spaCy cannot load: no entities stored
    seconds: float = 0.0
    decoded: dict[str, list[str]] = field(default_factory=dict)  # encoding -> sources

    def lines(self) -> list[str]:
        """The summary as lines for a person."""
        head = (f"{self.seen} files seen: {self.added} added, {self.updated} updated, "
                f"{self.removed} removed, {self.unchanged} unchanged, "
                f"{len(self.skipped)} skipped; {self.chunks} chunks; "
                f"{self.embedded} texts embedded, {self.reused} vectors reused; "
                f"{self.tagged} sentences tagged; {self.seconds:.1f} s")
        missing = [f"  entities not tagged: spaCy or its model {MODEL} cannot be loaded"]
        return ([head] + missing * self.untagged
                + [f"  skipped {s.source}: {s.reason}" for s in self.skipped]
                + [f"  decoded as {encoding}: {', '.join(sources)}"
                   for encoding, sources in sorted(self.decoded.items())])
