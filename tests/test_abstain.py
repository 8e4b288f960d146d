import math

from qa.abstain import COVERAGE_UNKNOWN, abstain_features, probability
from qa.features import Candidate


def _candidate(text: str, prev: str = "", cos: float = 0.8) -> Candidate:
    return Candidate(0, "a.txt", 0, len(text), text, 0, prev, "", cos, 0.7, 1.0, False)


def test_coverage_is_the_share_of_question_words_around_the_answer() -> None:
    best = _candidate("Jean Dupont dirige l'office central depuis 2019.", "Le parquet a saisi.")
    other = _candidate("Le temps était beau.", cos=0.9)
    assert abstain_features("Qui dirige l'office central ?", [best, other], best, 2.0) == (
        0.9, 2.0, 1.0)
    assert abstain_features("Qui dirige la police nationale ?", [best], best, 2.0)[2] == 1 / 3


def test_coverage_across_languages_is_unknown_not_zero() -> None:
    best = _candidate("Ce pilote de ligne a écopé de cinq ans de prison.",
                      "Un homme a été condamné pour complicité.")
    question = "What job did the man convicted for complicity have?"
    assert abstain_features(question, [best], best, 2.0)[2] == COVERAGE_UNKNOWN


def test_probability_is_a_bounded_logistic() -> None:
    assert probability((0.0, 0.0), (1.0, 1.0, 0.0)) == 0.5
    assert probability((1000.0,), (1.0, 0.0)) == 1.0 / (1.0 + math.exp(-50.0))
