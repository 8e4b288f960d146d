"""Reading a corpus folder, without reading again the files the index holds unchanged.

A file whose size and modification time (in ns) equal what the store recorded when it
last read that file is not read: on an unchanged corpus `qa index` then costs a walk and
a stat per file. An edit that keeps both the size and the modification time is missed
(`qa index --verify` reads every file). Stats are recorded only for files last modified
more than `SETTLE_NS` before the read, so two edits within one tick of a coarse clock
cannot hide behind an equal timestamp.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.documents import Document, ProgressFactory, read_document
from index.errors import CorpusError
from index.formats import SUPPORTED_SUFFIXES, UnreadableFile
from index.walk import Skipped, entries, size_problem

SETTLE_NS = 2_000_000_000


@dataclass(frozen=True)
class FileStat:
    """What the store records of a file it read: size, modification time, encoding."""

    size: int
    mtime_ns: int
    encoding: str = ""


@dataclass
class Corpus:
    """A corpus folder as read by `read_corpus`.

    Attributes:
        documents: the files read.
        skipped: the files not indexed, with their reasons.
        unchanged: sources not read, their size and time as recorded: the stored text stands.
        stats: the stat of each document read, taken before reading it (settled files only).
    """

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: dict[str, FileStat] = field(default_factory=dict)
    stats: dict[str, FileStat] = field(default_factory=dict)


def _add(corpus: Corpus, root: Path, path: Path, rel: str, max_bytes: int,
         known: FileStat | None, now: int) -> None:
    """Read one listed file into `corpus`, or skip it, or keep it as unchanged."""
    if not path.resolve().is_relative_to(root.resolve()):
        corpus.skipped.append(Skipped(rel, "a link to a file outside the corpus folder"))
        return
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        kind = path.suffix.lower() or "without an extension"
        corpus.skipped.append(Skipped(rel, f"unsupported file type {kind} (supported: "
                                           f"{', '.join(SUPPORTED_SUFFIXES)})"))
        return
    try:
        stat = os.stat(path)
        if known and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            corpus.unchanged[rel] = known
            return
        too_large = size_problem(stat.st_size, max_bytes)
        document = None if too_large else read_document(root, path)
    except UnreadableFile as exc:
        too_large, document = str(exc), None
    except OSError as exc:
        too_large, document = f"unreadable: {exc.strerror or exc}", None
    if document is None or not document.text.strip():
        scanned = path.suffix.lower() == ".pdf"
        empty = "no text layer (a scanned PDF?)" if scanned else "empty file"
        corpus.skipped.append(Skipped(rel, too_large or empty))
        return
    corpus.documents.append(document)
    if now - stat.st_mtime_ns > SETTLE_NS:
        corpus.stats[rel] = FileStat(stat.st_size, stat.st_mtime_ns, document.encoding)


def read_corpus(root: Path, progress: ProgressFactory | None = None, max_bytes: int = 0,
                known: Mapping[str, FileStat] | None = None) -> Corpus:
    """Read every file under `root`; unsupported, unreadable or too large ones are skipped.

    Args:
        root: the corpus folder.
        progress: makes the "reading" progress bar.
        max_bytes: files larger than this are skipped unread (0: no limit).
        known: what the store recorded of the files it holds; files that match are not read.

    Raises:
        CorpusError: the folder does not exist or holds no supported file.
    """
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root} (pass --corpus DIR)")
    listed = list(entries(root))
    tick = progress(len(listed), "reading") if progress else None
    corpus, now, known = Corpus(), time.time_ns(), known or {}
    for path, rel, problem in listed:
        if problem:
            corpus.skipped.append(Skipped(rel, problem))
        else:
            _add(corpus, root, path, rel, max_bytes, known.get(rel), now)
        if tick:
            tick(1)
    if not corpus.documents and not corpus.unchanged:
        kinds = ", ".join(SUPPORTED_SUFFIXES)
        raise CorpusError(f"no readable {kinds} file in {root}: add documents, then run `qa index`")
    return corpus
