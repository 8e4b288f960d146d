"""A small run of the load test (issue 6, item 5): concurrent gradio_client users, zero errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import load_test
from qa.render import answer_to_dict
from tests.apps import Launched, launch_fake
from tests.contract import assert_exact

QUESTIONS = ["Qui dirige l'office central ?", "Qui dirige le musée des arts ?",
             "Combien mesure le phare de Brest ?", "Où dort la girafe ?"]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    """The app with the fake embedder on a free loopback port."""
    running = launch_fake(tmp_path_factory.mktemp("load"))
    yield running
    running.stop()


def test_four_users_three_questions_each_all_exact(launched: Launched) -> None:
    data = load_test.run_load(launched.url, launched.settings.store, QUESTIONS,
                              users=4, per_user=3, deadline_s=120)
    assert data["errors"] == 0, data["error_examples"]
    assert data["asked"] == 12
    assert 0 < data["p50_ms"] <= data["p95_ms"] <= data["max_ms"]
    assert 0 < data["server_p50_ms"] <= data["server_p95_ms"]


def test_the_checker_catches_a_quote_that_is_not_the_source(launched: Launched) -> None:
    reply = answer_to_dict(launched.service.ask(QUESTIONS[0]))
    checker = load_test.Checker(launched.settings.store)
    assert checker.problems(reply) == []
    reply["citations"][0]["quote"] += " "
    reply["answer"] = reply["answer"][1:]
    assert checker.problems(reply) == ["citation 1: quote != text[start:end]",
                                       "answer != text[answer_start:answer_end]"]
    checker.close()


def test_only_loopback_is_load_tested(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a loopback address"):
        load_test.run_load("http://10.0.0.1:7860", tmp_path, QUESTIONS, 1, 1)


def test_questions_file_shipped_with_the_repository() -> None:
    questions = load_test.load_questions(load_test.QUESTIONS)
    assert len(questions) == 11 and questions[0] == "who leads the OCRTEH?"


def test_the_service_answers_many_threads_at_once(launched: Launched) -> None:
    """Gradio queues one `ask` at a time, but the chat, the API and the viewer run
    side by side: the service itself must be safe to call from several threads."""
    corpus, errors = launched.settings.corpus, []

    def user(n: int) -> None:
        for i in range(5):
            try:
                assert_exact(answer_to_dict(launched.service.ask(QUESTIONS[(n + i) % 4])), corpus)
                assert launched.service.document("office.txt") is not None
            except Exception as exc:  # collected: a thread cannot fail the test itself
                errors.append(repr(exc))

    threads = [threading.Thread(target=user, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
