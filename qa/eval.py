"""`qa eval`: answer a question set over a corpus and measure the answers.

The corpus (a JSONL file of `{id, text, title}` documents, or a folder) is
indexed into a temporary store, every question is asked, and each reply is
judged: rank of the gold document among the citations, gold answer inside the
quoted answer, short answer (highlight) against the gold, abstention, exact
citations, and the time of each stage. Per-question results go to a JSONL file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.builder import IndexBuilder
from index.chunking import Chunker
from index.documents import Document, extract_title, load_corpus
from index.embedding import Embedder
from index.layout import open_stores
from index.ner import EntityTagger
from qa import metrics
from qa.config import Settings
from qa.errors import QAError
from qa.render import answer_to_dict
from qa.service import QAService

Progress = Callable[[int, str], Callable[[int], None]]


@dataclass(frozen=True)
class EvalQuestion:
    """A question with its gold answers and the documents that hold them."""

    id: str
    question: str
    answers: tuple[str, ...]
    gold: frozenset[str]
    answerable: bool


def _jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise QAError(f"cannot read {path} as JSONL ({exc}): give a file of JSON lines") from exc


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions of a JSONL file; gold documents from `context_id` or `sources`."""
    questions: list[EvalQuestion] = []
    for row in _jsonl(path):
        if "question" not in row:
            raise QAError(f"{path}: every line needs a 'question' field")
        gold = row.get("sources") or ([row["context_id"]] if row.get("context_id") else [])
        answers = tuple(row.get("answers") or ())
        questions.append(EvalQuestion(str(row.get("id", len(questions))), row["question"],
                                      answers, frozenset(gold),
                                      bool(row.get("answerable", bool(answers)))))
    return questions


def load_documents(path: Path) -> list[Document]:
    """The documents of a corpus folder, or of a JSONL file of `{id, text, title}`."""
    if path.is_dir():
        return load_corpus(path)[0]
    docs = []
    for row in _jsonl(path):
        text = str(row["text"])
        docs.append(Document(str(row["id"]), text, row.get("title") or extract_title(text), ""))
    if not docs:
        raise QAError(f"{path} holds no documents")
    return docs


def judge(item: EvalQuestion, reply: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """The per-question record: what was answered and how it scores."""
    cited = [c["source"] for c in reply["citations"]]
    exact = all(texts[c["source"]][c["start"]:c["end"]] == c["quote"] for c in reply["citations"])
    highlight = ""
    if not reply["abstained"]:
        source = cited[reply["answer_citation"] - 1]
        a, b = reply["answer_start"], reply["answer_end"]
        exact = exact and texts[source][a:b] == reply["answer"]
        if reply["highlight"]:
            h = reply["highlight"]
            exact = exact and a <= h["start"] < h["end"] <= b
            highlight = texts[source][h["start"]:h["end"]]
    em, f1 = metrics.span_f1(highlight, item.answers) if highlight else (0.0, 0.0)
    return {
        "id": item.id, "question": item.question, "answers": list(item.answers),
        "gold": sorted(item.gold), "answerable": item.answerable,
        "rank": metrics.gold_rank(cited, set(item.gold)), "cited": cited,
        "answer_citation": reply["answer_citation"],
        "scores": [c["score"] for c in reply["citations"]],
        "abstained": reply["abstained"], "confidence": reply["confidence"],
        "answer": reply["answer"], "highlight": highlight,
        "in_quote": item.answerable and metrics.answer_in_quote(item.answers, reply["answer"]),
        "em": em, "f1": f1, "exact": exact, "timings_ms": reply["timings_ms"],
    }


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate metrics over per-question records."""
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]
    ranks = [r["rank"] for r in answerable]
    n = max(len(answerable), 1)
    stages = sorted({s for r in records for s in r["timings_ms"]})
    return {
        "questions": len(records), "answerable": len(answerable),
        "recall@1": round(metrics.recall_at(ranks, 1), 4),
        "recall@5": round(metrics.recall_at(ranks, 5), 4),
        "recall@10": round(metrics.recall_at(ranks, 10), 4),
        "mrr@10": round(metrics.mrr_at(ranks, 10), 4),
        "answer_in_quote": round(sum(r["in_quote"] for r in answerable) / n, 4),
        "span_em": round(sum(r["em"] for r in answerable) / n, 4),
        "span_f1": round(sum(r["f1"] for r in answerable) / n, 4),
        "abstention_rate": round(sum(r["abstained"] for r in records) / max(len(records), 1), 4),
        "unanswerable": len(unanswerable),
        "correct_abstention": (round(sum(r["abstained"] for r in unanswerable)
                                     / len(unanswerable), 4) if unanswerable else None),
        "citation_exactness": round(sum(r["exact"] for r in records) / max(len(records), 1), 4),
        "latency_ms": {s: metrics.percentiles([r["timings_ms"][s] for r in records])
                       for s in stages},
    }


def run_eval(settings: Settings, embedder: Embedder, questions_path: Path, corpus_path: Path,
             out: Path, *, progress: Progress, limit: int | None = None,
             index_dir: Path | None = None, top_k: int = 10) -> dict[str, Any]:
    """Index the corpus, ask every question, write per-question records to `out`.

    Returns:
        The summary of `summarize`, with the corpus size and the results path.
    """
    questions = load_questions(questions_path)[:limit]
    documents = load_documents(corpus_path)
    texts = {d.source: d.text for d in documents}
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        root = index_dir or Path(tmp) / "store"
        stores = open_stores(root, None, create=True)
        chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
        tagger = EntityTagger(regex_cache=settings.regex_cache)
        IndexBuilder(embedder, chunker, progress, tagger,
                     tag_worker=settings.tag_worker).update(documents, [], stores)
        service = QAService(settings, embedder, stores)
        try:
            records = _ask_all(service, questions, texts, top_k, progress)
        finally:
            service.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {**summarize(records), "documents": len(documents), "results": str(out)}


def _ask_all(service: QAService, questions: list[EvalQuestion], texts: dict[str, str],
             top_k: int, progress: Progress) -> list[dict[str, Any]]:
    service.ask("warm-up question", top_k)  # loads the model and tagger outside the timings
    tick = progress(len(questions), "questions")
    records = []
    for item in questions:
        records.append(judge(item, answer_to_dict(service.ask(item.question, top_k)), texts))
        tick(1)
    return records


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as lines for a person."""
    keys = ("recall@1", "recall@5", "recall@10", "mrr@10", "answer_in_quote", "span_em",
            "span_f1", "abstention_rate", "correct_abstention", "citation_exactness")
    lines = [f"{summary['questions']} questions ({summary['answerable']} answerable) over "
             f"{summary['documents']} documents"]
    lines += [f"  {k:<20} {summary[k]}" for k in keys]
    for stage, p in summary["latency_ms"].items():
        lines.append(f"  latency {stage:<12} p50 {p['p50']} ms  p95 {p['p95']} ms")
    lines.append(f"per-question results: {summary['results']}")
    return "\n".join(lines)
