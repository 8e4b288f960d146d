"""The peer a user would otherwise pick: the plain LangChain-tutorial pipeline.

RecursiveCharacterTextSplitter (chunk 1000, overlap 200), the same embedding
model, chromadb, top-5 nearest chunks. No sentence vectors, no incremental
update (a re-run only adds the batches missing from the store, to finish a cut
build; edited files go unnoticed), no exact offsets: a baseline for
speed and memory, not for answers. It talks to chromadb and the model directly,
as the tutorial does, on purpose.

    python -m benchmarks.peer index --corpus DIR --store DIR   # resumes a cut build
    python -m benchmarks.peer ask --store DIR "question"
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

EncodeDocs = Callable[[list[str]], np.ndarray]
EncodeQuery = Callable[[list[str]], np.ndarray]
_BATCH = 2000


def split_corpus(corpus: Path) -> list[tuple[str, str]]:
    """(source, chunk text) for every .txt/.md file, chunk 1000 / overlap 200."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    pieces = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix in {".txt", ".md"} and not path.name.startswith("."):
            text = path.read_text(encoding="utf-8")
            source = path.relative_to(corpus).as_posix()
            pieces += [(source, piece) for piece in splitter.split_text(text)]
    return pieces


class PeerPipeline:
    """chromadb collection "peer" under `store`, filled with model vectors.

    Args:
        store: folder of the embedded chromadb.
        encode_documents, encode_query: the model (normalized vectors).
    """

    def __init__(self, store: Path, encode_documents: EncodeDocs,
                 encode_query: EncodeQuery) -> None:
        import chromadb
        from chromadb.config import Settings

        self.client = chromadb.PersistentClient(
            path=str(store), settings=Settings(anonymized_telemetry=False))
        self.collection = self.client.get_or_create_collection(
            "peer", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        self.encode_documents = encode_documents
        self.encode_query = encode_query

    def index(self, corpus: Path) -> list[str]:
        """Split, embed and add every chunk; return the chunk texts.

        Chunks are embedded and added `_BATCH` at a time (langchain-chroma embeds
        every text before adding any): a batch already in the store is skipped,
        so a long build cut short resumes where it stopped.
        """
        pieces = split_corpus(corpus)
        ids = [f"{source}#{i}" for i, (source, _) in enumerate(pieces)]
        stored = set(self.collection.get(include=[])["ids"])
        for begin in range(0, len(pieces), _BATCH):
            part, part_ids = pieces[begin:begin + _BATCH], ids[begin:begin + _BATCH]
            if stored.issuperset(part_ids):
                continue
            vectors = self.encode_documents([text for _, text in part])
            self.collection.upsert(
                ids=part_ids, embeddings=vectors.tolist(),
                documents=[text for _, text in part],
                metadatas=[{"source": source} for source, _ in part])
        return [text for _, text in pieces]

    def ask(self, question: str, k: int = 5) -> list[tuple[str, str]]:
        """The top-k chunks as (source, text)."""
        vector = self.encode_query([question])[0]
        found: Any = self.collection.query(query_embeddings=[vector.tolist()], n_results=k,
                                           include=["documents", "metadatas"])
        return [(m["source"], d) for m, d in zip(found["metadatas"][0], found["documents"][0],
                                                 strict=True)]

    def close(self) -> None:
        """Release the client."""
        self.client.close()


def encoders(model: Any) -> tuple[EncodeDocs, EncodeQuery]:
    """A sentence-transformers model called the tutorial way (plain `encode_*`)."""

    def docs(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode_document(texts, batch_size=32, normalize_embeddings=True,
                                                show_progress_bar=False))

    def query(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode_query(texts, normalize_embeddings=True,
                                             show_progress_bar=False))

    return docs, query


def main(argv: Sequence[str] | None = None) -> int:
    """`index --corpus DIR --store DIR` or `ask --store DIR QUESTION`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer")
    parser.add_argument("command", choices=["index", "ask"])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("question", nargs="?")
    args = parser.parse_intermixed_args(argv)
    from qa.config import Settings
    from qa.service import make_embedder

    began = time.perf_counter()
    docs, query = encoders(make_embedder(Settings.load()).raw_model())
    peer = PeerPipeline(args.store, docs, query)
    if args.command == "index":
        texts = peer.index(args.corpus)
        print(f"{len(texts)} chunks in {time.perf_counter() - began:.1f} s")
    else:
        for n, (source, text) in enumerate(peer.ask(args.question), start=1):
            print(f"[{n}] {source}: {' '.join(text.split())[:200]}")
    peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
