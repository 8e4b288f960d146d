"""CLI exit codes and one-line messages (no model is loaded on these paths)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa import cli
from tests.fakes import FakeEmbedder

QA = Path(sys.executable).parent / "qa"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(QA), *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, timeout=120, check=False)


@pytest.mark.parametrize(("args", "message"), [
    (["ask", "   "], "qa ask: error: empty question: type a question with at least one word"),
    (["ask"], 'qa ask: error: no question: qa ask "your question"'),
    (["ask", "--store", "nowhere", "hello"],
     "qa ask: error: no index at nowhere: run `qa index` first"),
    (["index", "--corpus", "missing"],
     "qa index: error: corpus folder not found: missing (pass --corpus DIR)"),
    (["ask", "--top-k", "0", "hello"], "qa ask: error: top-k must be positive, got 0"),
])
def test_errors_are_one_line_with_exit_code_1(tmp_path: Path, args: list[str],
                                              message: str) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == message
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_empty_corpus_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    result = run(["index", "--corpus", "docs"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "qa index: error: no readable .txt, .md, .html, .htm, .pdf file in docs: "
        "add documents, then run `qa index`")


def test_bad_environment_setting(tmp_path: Path) -> None:
    result = subprocess.run([str(QA), "ask", "hi"], cwd=tmp_path, capture_output=True,
                            text=True, env={"QA_TOP_K": "many", "PATH": ""}, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "qa ask: error: QA_TOP_K='many' is not a valid top_k"


def test_index_then_ask_in_process(monkeypatch, tmp_path, corpus, capsys) -> None:
    monkeypatch.setattr("qa.service.make_embedder", lambda settings: FakeEmbedder())
    monkeypatch.setattr("qa.service.make_worker_embedder", lambda settings: FakeEmbedder())
    monkeypatch.setenv("QA_MODEL", "fake-hash-64")
    monkeypatch.setenv("QA_MIN_CONFIDENCE", "0")
    store = str(tmp_path / "store")
    assert cli.main(["index", "--corpus", str(corpus), "--store", store, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 files seen: 3 added, 0 updated, 0 removed, 0 unchanged, 0 skipped")
    assert cli.main(["ask", "--store", store, "--json", "Qui dirige l'office central ?"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["answer"] == ("Jean Dupont dirige l'office central depuis 2019. "
                               "Il a été nommé par le ministre.")
    assert cli.main(["ask", "--store", store, "Qui dirige l'office central ?"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == ("Jean Dupont dirige l'office central depuis 2019. "
                                     "Il a été nommé par le ministre. [1]")
    assert "[1] alpha.txt:" in text
