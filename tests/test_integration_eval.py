"""`qa eval` end to end with the real model on a slice of a real set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.eval import summarize
from qa.metrics import answer_in_quote, gold_rank, span_f1
from tests.conftest import SHARED

pytestmark = pytest.mark.integration
SQUAD = SHARED / "eval" / "external" / "squadfr_asai"


def test_qa_eval_on_a_slice_computes_its_metrics(tmp_path: Path) -> None:
    qa = Path(sys.executable).parent / "qa"
    out = tmp_path / "results.jsonl"
    result = subprocess.run(
        [str(qa), "eval", "--questions", str(SQUAD / "eval_fr.jsonl"),
         "--corpus", str(SQUAD / "corpus.jsonl"), "--limit", "6", "--out", str(out),
         "--json", "--quiet"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    questions = [json.loads(x) for x in (SQUAD / "eval_fr.jsonl").read_text().splitlines()][:6]
    assert [r["id"] for r in records] == [q["id"] for q in questions]
    assert summary["documents"] == 48 and summary["questions"] == 6
    assert summary["citation_exactness"] == 1.0
    for record, question in zip(records, questions, strict=True):
        assert record["rank"] == gold_rank(record["cited"], {question["context_id"]})
        assert len(record["cited"]) <= 10
        assert record["in_quote"] == answer_in_quote(question["answers"], record["answer"])
        if record["highlight"]:
            assert record["highlight"] in record["answer"]
            assert (record["em"], record["f1"]) == span_f1(record["highlight"],
                                                           question["answers"])
    expected = {**summarize(records), "documents": 48, "results": str(out)}
    assert summary == expected
