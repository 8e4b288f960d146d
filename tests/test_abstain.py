import math
from types import SimpleNamespace

import numpy as np

from qa.abstain import (
    ABSTAIN_FEATURES,
    ALIGN_UNKNOWN,
    COVERAGE_UNKNOWN,
    abstain_features,
    known_alignment,
    probability,
)
from qa.extract import ReaderWeights, SentenceReader
from qa.features import Candidate


def _candidate(text: str, prev: str = "", cos: float = 0.8) -> Candidate:
    return Candidate(0, "a.txt", 0, len(text), text, 0, prev, "", cos, 0.7, 1.0, False)


def test_coverage_is_the_share_of_question_words_around_the_answer() -> None:
    best = _candidate("Jean Dupont dirige l'office central depuis 2019.", "Le parquet a saisi.")
    other = _candidate("Le temps était beau.", cos=0.9)
    assert abstain_features("Qui dirige l'office central ?", [best, other], best, 2.0,
                            align=(0.85, 0.88)) == (0.9, 2.0, 1.0, 0.85, 0.88)
    assert abstain_features("Qui dirige la police nationale ?", [best], best, 2.0)[2] == 1 / 3


def test_coverage_across_languages_is_unknown_not_zero() -> None:
    best = _candidate("Ce pilote de ligne a écopé de cinq ans de prison.",
                      "Un homme a été condamné pour complicité.")
    question = "What job did the man convicted for complicity have?"
    assert abstain_features(question, [best], best, 2.0)[2] == COVERAGE_UNKNOWN


def test_probability_is_a_bounded_logistic() -> None:
    assert probability((0.0, 0.0), (1.0, 1.0, 0.0)) == 0.5
    assert probability((1000.0,), (1.0, 0.0)) == 1.0 / (1.0 + math.exp(-50.0))


def test_alignment_unknown_counts_as_an_unanswerable_questions() -> None:
    best = _candidate("Jean Dupont dirige l'office central depuis 2019.")
    assert abstain_features("Qui dirige l'office ?", [best], best, 2.0)[3:] == ALIGN_UNKNOWN


def test_known_alignment_is_the_answers_and_the_best_or_none_without_token_vectors() -> None:
    assert known_alignment(np.array([0.8, 0.9, 0.7]), 0) == (0.8, 0.9)
    assert known_alignment(np.array([0.8, 0.9, 0.7]), 1) == (0.9, 0.9)
    assert known_alignment(np.zeros(3), 1) is None
    assert known_alignment(np.array([np.nan, 0.0]), 0) is None


def test_a_candidate_without_token_vectors_has_an_unknown_alignment() -> None:
    """Token vectors may be missing for some sentences only: 0 there means unknown."""
    assert known_alignment(np.array([0.0, 0.8, 0.7]), 0) == (ALIGN_UNKNOWN[0], ALIGN_UNKNOWN[0])
    assert known_alignment(np.array([0.0, 0.9, 0.7]), 0) == (ALIGN_UNKNOWN[0], 0.9)
    assert known_alignment(np.array([0.8, np.nan, 0.0]), 0) == (0.8, 0.8)


def test_the_confidence_reads_the_alignment_the_scorer_computed() -> None:
    """Weights on alignment alone: the reader's confidence moves with the column it is given."""
    only_align = tuple(1.0 if f == "align" else 0.0 for f in ABSTAIN_FEATURES) + (-0.85,)
    weights = ReaderWeights(abstain=only_align, abstain_cross=only_align)
    text = "Jean Dupont dirige l'office central depuis 2019."
    docs = SimpleNamespace(get_document=lambda source: SimpleNamespace(text=text))
    reader = SentenceReader(docs, weights, tagger=SimpleNamespace(available=False))
    cands = [_candidate(text)]

    def confidence(align: np.ndarray | None) -> float:
        return reader.choose("Qui dirige l'office ?", "who", cands, None, np.array([1.0]),
                             align).confidence

    assert confidence(np.array([0.95])) == probability((0.95 - 0.85,), (1.0, 0.0))
    assert confidence(np.array([0.75])) == probability((0.75 - 0.85,), (1.0, 0.0))
    assert confidence(None) == confidence(np.zeros(1)) == probability(
        (ALIGN_UNKNOWN[0] - 0.85,), (1.0, 0.0))
