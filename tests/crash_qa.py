"""`qa` in a subprocess with the fake embedder, killing itself (SIGKILL) at a named point.

Test-only, never imported by the product: `python -m tests.crash_qa index --corpus C --store S`.
The environment variable `QA_TEST_KILL_AT="<point>:<n>"` makes the process kill itself the
n-th time it reaches <point>:

    vectors.add     after chunk vectors are written to Chroma (SQLite not written yet)
    docs.replace    inside a SQLite transaction, after a document's rows (not committed)
    docs.commit     right after a SQLite transaction commits (stale vectors still in Chroma)
    vectors.delete  just before vectors are deleted from Chroma
    entities.store  inside a SQLite transaction, after a document's entities (not committed)
    swap.old        during `--rebuild`'s swap, the old index moved aside, the new one not in
    swap.new        the new index moved in, the old one not deleted yet
    swap.rmtree     half-way through deleting the old index

`QA_TEST_GROUP=<n>` sets how many texts the builder embeds and writes per group, and how
many sentences it tags for entities per commit, so a small corpus goes through many checkpoints.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import index.builder
import index.entities
import qa.indexing
import qa.service
from index.docstore import DocStore
from index.store import VectorStore
from qa.cli import main
from tests.fakes import FakeEmbedder

_seen: dict[str, int] = {}


def reached(point: str) -> None:
    """Count a visit to `point`; die there when QA_TEST_KILL_AT says so."""
    wanted, _, count = os.environ.get("QA_TEST_KILL_AT", "").partition(":")
    _seen[point] = _seen.get(point, 0) + 1
    if point == wanted and _seen[point] == int(count or 1):
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def _after(point: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        reached(point)
        return result
    return wrapped


def _install() -> None:
    add, delete, transaction = VectorStore.add, VectorStore.delete, DocStore.transaction

    def delete_then(self: VectorStore, ids: Any) -> None:
        if len(ids):
            reached("vectors.delete")
        delete(self, ids)

    @contextmanager
    def committed(self: DocStore) -> Iterator[None]:
        with transaction(self):
            yield
        reached("docs.commit")

    VectorStore.add = _after("vectors.add", add)  # type: ignore[method-assign]
    VectorStore.delete = delete_then  # type: ignore[method-assign]
    DocStore.transaction = committed  # type: ignore[method-assign,assignment]
    DocStore.replace_document = _after(  # type: ignore[method-assign]
        "docs.replace", DocStore.replace_document)
    DocStore.store_entities = _after(  # type: ignore[method-assign]
        "entities.store", DocStore.store_entities)
    rename, rmtree = Path.rename, shutil.rmtree

    def rename_then(self: Path, target: Any) -> Any:
        moved = rename(self, target)
        if str(target).endswith(".old"):
            reached("swap.old")
        elif self.name.endswith(".rebuild"):
            reached("swap.new")
        return moved

    def rmtree_halfway(path: Any, *args: Any, **kwargs: Any) -> None:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file())
        if str(path).endswith(".old") and files:
            for file in files[: len(files) // 2]:
                file.unlink()
            reached("swap.rmtree")
        rmtree(path, *args, **kwargs)

    Path.rename = rename_then  # type: ignore[method-assign]
    qa.indexing.shutil.rmtree = rmtree_halfway  # type: ignore[assignment]
    qa.service.make_embedder = lambda settings: FakeEmbedder()  # type: ignore[assignment]
    if os.environ.get("QA_TEST_GROUP"):
        index.builder._GROUP_TEXTS = int(os.environ["QA_TEST_GROUP"])
        index.entities.BATCH_SENTENCES = int(os.environ["QA_TEST_GROUP"])


if __name__ == "__main__":
    _install()
    sys.exit(main(sys.argv[1:]))
