"""Measure the reader alone on eval sets: how often it ranks the gold sentence first.

For each question (retrieval cached by `benchmarks.reader_data`), the reader's
candidates over the first 10 passages, as `qa ask` reads them:
- present: share of questions with a gold sentence (gold document, holds a gold
  answer) among the candidates;
- top1: share of those where the scorer ranks a gold sentence first;
- in_quote: answer_in_quote of the answer the reader would quote (anaphor and
  neighbour rules, abstention included), as `qa eval` reports it;
- chars: mean length of the quoted answers.

Usage (indexes built by `qa eval --index-dir DIR ...`):
    .venv/bin/python -m benchmarks.reader_sets --index-dir DIR --questions FILE.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.reader_data import Group, ask_all, groups
from index.layout import open_stores
from qa.config import Settings
from qa.eval import load_questions
from qa.extract import SentenceReader
from qa.metrics import answer_in_quote
from qa.service import QAService, make_embedder


def measure(reader: SentenceReader, found: list[Group], n_questions: int,
            min_confidence: float = 0.5, records: list[dict] | None = None
            ) -> dict[str, float]:
    """present / top1 / in_quote / chars of `reader` over the groups of answerable questions.

    Args:
        reader: the reader (its weights score the candidates).
        found: one group per answerable question that has candidates.
        n_questions: how many answerable questions were asked (the denominator).
        min_confidence: answers below it are abstentions (misses).
        records: when given, one record per group is appended (id, answer, in_quote).

    Returns:
        The measures, rounded to 0.001.
    """
    tops, hits, chars = [], 0, []
    for g in found:
        q = g.asked.question
        scores, chosen = reader.decide(q.question, g.kind, g.cands, g.entities, g.asked.tokens)
        if g.y.any():
            tops.append(g.y[int(np.argmax(scores))])
        document = reader.docs.get_document(chosen.source)
        assert document is not None
        quote = document.text[chosen.span.start:chosen.span.end]
        if chosen.confidence >= min_confidence:
            chars.append(len(quote))
            hits += answer_in_quote(q.answers, quote)
        if records is not None:
            records.append({"id": q.id, "question": q.question, "answers": list(q.answers),
                            "answer": quote, "answered": chosen.confidence >= min_confidence,
                            "in_quote": answer_in_quote(q.answers, quote),
                            "gold_first": bool(g.y[int(np.argmax(scores))]),
                            "confidence": round(chosen.confidence, 4)})
    return {"present": round(len(tops) / max(n_questions, 1), 3),
            "top1": round(float(np.mean(tops)) if tops else 0.0, 3),
            "in_quote": round(hits / max(n_questions, 1), 3),
            "chars": round(float(np.mean(chars)) if chars else 0.0, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="per-question records (JSONL)")
    args = parser.parse_args()
    settings = Settings.load()
    service = QAService(settings, make_embedder(settings), open_stores(args.index_dir))
    questions = [q for q in load_questions(args.questions) if q.answerable]
    cache = args.index_dir / f"reader_{args.questions.parent.name}_{args.questions.stem}.pkl"
    found = groups(service.reader, ask_all(service, questions, cache), settings.top_k)
    records: list[dict] = []
    print(args.questions, measure(service.reader, found, len(questions),
                                  settings.min_confidence, records))
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


if __name__ == "__main__":
    main()
