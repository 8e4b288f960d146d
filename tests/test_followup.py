"""Follow-up questions resolved with the previous turn, without a generative model."""

from __future__ import annotations

import pytest

from qa.followup import (
    Resolution,
    answer_names,
    is_followup,
    key_name,
    resolve,
    short_answer,
)


@pytest.mark.parametrize(("question", "expected"), [
    ("what is his rank?", True), ("Quel est son grade ?", True), ("And the deputy?", True),
    ("et pour Lyon ?", True), ("rank?", True), ("When was he appointed to the office?", True),
    ("who leads the OCRTEH?", False), ("Qui est Guy Geoffroy ?", False),
    ("Quel site a suspendu sa rubrique Rencontres ?", False), ("Qu'est-ce que l'OCRTEH ?", False),
])
def test_is_followup(question: str, expected: bool) -> None:
    assert is_followup(question) is expected


def test_answer_names_prefers_the_short_answer_then_capitalised_names() -> None:
    sentence = "Contacté, Jean-Marc Droguet, le patron de l'OCRTEH n'a pas souhaité commenter."
    assert answer_names(sentence) == ["Jean-Marc Droguet", "OCRTEH"]
    assert answer_names(sentence, "Droguet") == ["Droguet", "Jean-Marc Droguet", "OCRTEH"]
    assert answer_names("Les Républicains ont gagné à Paris.") == ["Les Républicains", "Paris"]


def test_key_name_is_the_short_answer_or_the_first_name_not_asked_about() -> None:
    sentence = "Contacté, Jean-Marc Droguet, le patron de l'OCRTEH n'a pas souhaité commenter."
    turn = {"question": "who leads the OCRTEH?", "reply": reply(sentence)}
    assert key_name(turn) == ["Jean-Marc Droguet"]
    turn = {"question": "who leads the OCRTEH?", "reply": reply(sentence, highlight=(10, 27))}
    assert key_name(turn) == ["Jean-Marc Droguet"]
    turn = {"question": "Who is Jean-Marc Droguet?", "reply": reply(sentence)}
    assert key_name(turn) == ["OCRTEH"]


def reply(answer: str, abstained: bool = False, highlight: tuple[int, int] | None = None
          ) -> dict:
    start = 100
    mark = {"start": start + highlight[0], "end": start + highlight[1]} if highlight else None
    return {"answer": answer, "abstained": abstained, "answer_start": start, "highlight": mark}


def test_short_answer_reads_the_highlight_inside_the_answer() -> None:
    assert short_answer(reply("Jean Dupont dirige.", highlight=(0, 11))) == "Jean Dupont"
    assert short_answer(reply("Jean Dupont dirige.")) == ""


def test_resolve_borrows_the_last_answered_turn() -> None:
    turns = [
        {"n": 1, "question": "Qui dirige l'office ?", "reply": reply("Jean Dupont dirige.")},
        {"n": 2, "question": "Où est la lune ?", "reply": reply("", abstained=True)},
        {"n": 3, "question": "bad", "error": "empty question"},
    ]
    assert resolve("Quel est son grade ?", turns) == Resolution(
        "Quel est son grade ? Qui dirige l'office ? Jean Dupont", 1,
        "Qui dirige l'office ? Jean Dupont")
    assert resolve("Qui dirige le musée ?", turns) == Resolution("Qui dirige le musée ?")
    assert resolve("Quel est son grade ?", []) == Resolution("Quel est son grade ?")
    only_abstained = turns[1:2]
    assert resolve("Et son grade ?", only_abstained) == Resolution(
        "Et son grade ? Où est la lune ?", 2, "Où est la lune ?")
