"""The real model on the real seeds: the used-by questions and the dev set."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from index.analysis import fold
from qa.config import Settings
from qa.indexing import run_index
from qa.render import answer_to_dict
from qa.service import QAService, make_embedder
from tests.conftest import ROOT, SHARED
from tests.contract import assert_exact

pytestmark = pytest.mark.integration
SEEDS = ROOT / "seeds"
DEV = SHARED / "eval" / "dev_questions.jsonl"
DROGUET_SOURCES = {"000_53d51137292590a8.txt", "001_296264fe6a92a0c8.txt"}


@pytest.fixture(scope="module")
def seeds_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    store = tmp_path_factory.mktemp("seeds") / "store"
    settings = Settings.load({}, corpus=SEEDS, store=store)
    run_index(settings, make_embedder(settings))
    return settings


@pytest.fixture(scope="module")
def seeds_service(seeds_settings: Settings) -> QAService:
    return QAService.open(seeds_settings)




@pytest.mark.parametrize("question", ["who leads the OCRTEH?", "Qui dirige l'OCRTEH ?"])
def test_who_leads_the_ocrteh(seeds_service: QAService, question: str) -> None:
    reply = answer_to_dict(seeds_service.ask(question))
    assert reply["abstained"] is False
    assert "Jean-Marc Droguet" in reply["answer"]
    assert reply["answer_citation"] == 1  # the passage the answer comes from is cited first
    assert reply["citations"][0]["source"] in DROGUET_SOURCES
    assert_exact(reply, SEEDS)


def _dev_questions() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def test_the_confidence_reads_the_questions_token_alignment(
        seeds_service: QAService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The abstention model gets the alignment the scorer computed, not the value it
    falls back to when an index has no token vectors."""
    reader = seeds_service.reader
    seen: list[tuple[float, float] | None] = []
    confidence = reader.confidence

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(args[5] if len(args) > 5 else kwargs.get("align"))
        return confidence(*args, **kwargs)

    monkeypatch.setattr(reader, "confidence", spy)
    seeds_service.ask("who leads the OCRTEH?")
    assert len(seen) == 1 and seen[0] is not None
    aligned, best = seen[0]
    assert 0.7 < aligned <= best < 1.0


@pytest.mark.parametrize("item", _dev_questions(), ids=lambda item: item["id"])
def test_dev_question(seeds_service: QAService, item: dict) -> None:
    reply = answer_to_dict(seeds_service.ask(item["question"]))
    assert_exact(reply, SEEDS)
    if not item["answerable"]:
        assert reply["abstained"] is True, reply["answer"]
        return
    assert reply["abstained"] is False
    assert any(fold(a) in fold(reply["answer"]) for a in item["answers"]), reply["answer"]
    assert reply["citations"][reply["answer_citation"] - 1]["source"] in item["sources"]


def test_cli_ask_json_prints_the_contract(seeds_settings: Settings,
                                          seeds_service: QAService) -> None:
    qa = Path(sys.executable).parent / "qa"
    result = subprocess.run(
        [str(qa), "ask", "--store", str(seeds_settings.store), "--json", "who leads the OCRTEH?"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert "Jean-Marc Droguet" in reply["answer"]
    assert_exact(reply, SEEDS)
    # The model ran in a worker process and spaCy loaded without torch: same answer.
    expected = answer_to_dict(seeds_service.ask("who leads the OCRTEH?"))
    assert {**reply, "timings_ms": None} == {**expected, "timings_ms": None}


def test_cli_jsonl_answers_each_line(seeds_settings: Settings) -> None:
    qa = Path(sys.executable).parent / "qa"
    result = subprocess.run(
        [str(qa), "ask", "--store", str(seeds_settings.store), "--jsonl"],
        input="who leads the OCRTEH?\n\nQui est l'adjoint à l'OCRTEH ?\n   \n",
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in replies] == ["who leads the OCRTEH?",
                                                "Qui est l'adjoint à l'OCRTEH ?"]
    assert "Patrick Cotelle" in replies[1]["answer"]


def test_reindex_unchanged_seeds_changes_nothing(seeds_settings: Settings) -> None:
    summary = run_index(replace(seeds_settings), make_embedder(seeds_settings))
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 5)
