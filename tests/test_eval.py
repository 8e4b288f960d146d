import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.eval import load_questions, run_eval, summarize
from tests.fakes import FakeEmbedder

CORPUS = [
    {"id": "alpha", "title": "Office",
     "text": "Jean Dupont dirige l'office central depuis 2019. Il a été nommé par le ministre."},
    {"id": "beta", "title": "Marées",
     "text": "La marée monte deux fois par jour. La Lune attire les océans."},
    {"id": "gamma", "title": "Cacao", "text": "Le cacao pousse en Amérique du Sud."},
]
QUESTIONS = [
    {"id": "q1", "question": "Qui dirige l'office central ?", "answers": ["Jean Dupont"],
     "context_id": "alpha"},
    {"id": "q2", "question": "Où pousse le cacao ?", "answers": ["Amérique du Sud"],
     "context_id": "gamma"},
    {"id": "q3", "question": "Combien de fois la marée monte-t-elle ?", "answers": ["trois"],
     "sources": ["beta"]},
    {"id": "q4", "question": "Quelle est la capitale du Pérou ?", "answers": [], "sources": [],
     "answerable": False},
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "q.jsonl", QUESTIONS), _write(tmp_path / "c.jsonl", CORPUS)


def test_questions_accept_context_id_or_sources(files: tuple[Path, Path]) -> None:
    questions = load_questions(files[0])
    assert [sorted(q.gold) for q in questions] == [["alpha"], ["gamma"], ["beta"], []]
    assert [q.answerable for q in questions] == [True, True, True, False]


def test_eval_summary_agrees_with_the_per_question_records(
        tmp_path: Path, files: tuple[Path, Path]) -> None:
    settings = Settings.load({}, model="fake-hash-64", min_confidence=0.0)
    out = tmp_path / "results.jsonl"
    summary = run_eval(settings, FakeEmbedder(), files[0], files[1], out,
                       progress=lambda total, label: lambda n: None)
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["q1", "q2", "q3", "q4"]
    assert summary["documents"] == 3 and summary["answerable"] == 3
    assert summary["citation_exactness"] == 1.0
    assert [r["rank"] for r in records[:2]] == [1, 1]
    assert records[0]["in_quote"] is True and records[2]["in_quote"] is False
    assert records[3]["in_quote"] is False and records[3]["rank"] is None
    expected = sum(r["in_quote"] for r in records[:3]) / 3
    assert summary["answer_in_quote"] == round(expected, 4)
    assert summary["correct_abstention"] == float(records[3]["abstained"])
    assert summary == {**summarize(records), "documents": 3, "results": str(out)}
    assert set(summary["latency_ms"]) == {"embed", "retrieve", "extract", "total"}


def test_cli_eval_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["eval", "--questions", str(tmp_path / "nope.jsonl"),
                 "--corpus", str(tmp_path / "c.jsonl")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
