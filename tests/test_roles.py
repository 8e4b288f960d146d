import pytest

from qa.features import Candidate, feature_matrix
from qa.question import answer_spans, question_type
from qa.roles import is_role_question, role_spans


@pytest.mark.parametrize(("question", "role"), [
    ("What job did the man convicted for fraud have?", True),
    ("What was her occupation?", True),
    ("Quel est le métier de Vladimir Choukhov ?", True),
    ("Quelle était la profession de Claude Bernard ?", True),
    ("A quel poste joue Brodeur ?", True),
    ("Quelle fonction occupe-t-elle ?", True),
    ("What does the new mayor do?", True),
    ("What does AFC stand for?", False),
    ("Quelle association joue un rôle important ?", False),
    ("Qui dirige l'OCRTEH ?", False),
    ("En quelle année commence sa carrière ?", False),
    # "who is" and a name alone asks what the person is; "who is" a description, who
    ("Qui est Jean-Marc Droguet ?", True),
    ("qui est Mehmed Pacha?", True),
    ("Qui est Jean de Lattre de Tassigny?", True),
    ("Who was Frédéric Chopin?", True),
    ("Qui est le patron de l'OCRTEH ?", False),
    ("Qui était Premier ministre du Pakistan avant Raja Pervez Ashraf?", False),
    ("Who is the CEO?", False),
    ("Who is Google's CEO?", False),
    ("Qui est PDG ?", False),
    ("Who is O'Neill?", True),
])
def test_role_questions(question: str, role: bool) -> None:
    assert is_role_question(question) is role
    assert (question_type(question) == "role") is role


def _roles(sentence: str, people: list[str]) -> list[str]:
    spans = [(sentence.index(p), sentence.index(p) + len(p)) for p in people]
    return [sentence[a:b] for a, b in role_spans(sentence, spans)]


@pytest.mark.parametrize(("sentence", "people", "roles"), [
    ("Ce pilote de ligne a écopé de cinq ans de prison.", [], ["pilote de ligne"]),
    ("Cette ancienne juge, qui a démissionné, se présente.", [], ["ancienne juge"]),
    ("Ce qui compte, c'est la suite.", [], []),
    ("Ce dernier a refusé.", [], []),
    ("Le comité est dirigé par Yu Zhengsheng, secrétaire du Comité du Parti et membre.",
     ["Yu Zhengsheng"], ["secrétaire du Comité du Parti"]),
    ("Il cite Alain Le Goff (mort en 1934), cantonnier, qui joue un rôle.",
     ["Alain Le Goff"], ["cantonnier"]),
    ("La ministre des Transports Élisabeth Borne confirme.", ["Élisabeth Borne"],
     ["ministre des Transports"]),
    ("Elle a été vue par l'astronome français Charles Messier en 1781.", ["Charles Messier"],
     ["astronome français"]),
    ("Le 12 octobre par Mgr Miguel Miranda.", ["Miguel Miranda"], []),
    ("Carlo Gesualdo est un compositeur italien.", ["Carlo Gesualdo"],
     ["compositeur italien"]),
    ("He joined the team as a senior engineer in 2000.", [], ["senior engineer"]),
    ("Le mode opératoire est toujours le même.", [], []),
])
def test_role_spans(sentence: str, people: list[str], roles: list[str]) -> None:
    assert _roles(sentence, people) == roles


def test_a_role_the_question_already_names_is_no_answer() -> None:
    s = "Ce pilote de ligne a écopé de cinq ans."
    assert answer_spans("role", s, "Quel est le métier de l'homme ?", []) == [(3, 18)]
    assert answer_spans("role", s, "Quel pilote de ligne a été condamné ?", []) == []


def test_without_entities_names_come_from_capitals() -> None:
    s = "Selon Jean Dupont, architecte de la ville, le projet avance."
    assert [s[a:b] for a, b in answer_spans("role", s, "Quel est son métier ?")] == [
        "architecte de la ville"]


def test_a_role_sentence_counts_as_typed_for_a_role_question() -> None:
    typed = Candidate(0, "a.txt", 30, 66, "Ce pilote de ligne a écopé de cinq ans.", 0,
                      "Un homme a été condamné le 13 janvier.", "", 0.8, 0.8, 1.0, False)
    plain = Candidate(0, "a.txt", 67, 90, "Le procès a duré un jour.", 30, typed.text, "",
                      0.8, 0.8, 1.0, False)
    rows = feature_matrix("What job did the man have?", "role", [typed, plain], [[], []])
    from qa.features import FEATURES
    strict = FEATURES.index("typed_strict")
    assert rows[:, strict].tolist() == [1.0, 0.0]
