"""Context features (document, title, neighbours), cross-language words, headings."""

import math

import numpy as np
import pytest

from qa.abstain import COVERAGE_UNKNOWN, abstain_features
from qa.candidates import DocumentSentences
from qa.context import CONTEXT_FEATURES, DocumentContext, context_matrix
from qa.features import (
    FEATURES,
    Candidate,
    cross_language,
    feature_matrix,
    is_heading,
    shared_words,
)

TITLE = "Le directeur de l'office"
SENTENCES = ("Jean Dupont dirige l'office central depuis 2019.",
             "Il a été nommé par le ministre.",
             "L'office emploie 120.000 agents.")
DOC = DocumentContext(TITLE, SENTENCES)


def _candidate(j: int, cos: float, passage: int = 0, source: str = "alpha.txt",
               document: DocumentContext | None = DOC) -> Candidate:
    texts = document.sentences if document else ("La marée monte deux fois par jour.",)
    prev = texts[j - 1] if j else ""
    return Candidate(passage, source, 0, len(texts[j]), texts[j], 0, prev, "", cos, cos, 1.0,
                     j == 0, document)


def test_context_features_weigh_words_by_rarity_in_their_own_document() -> None:
    cands = [_candidate(0, 0.9), _candidate(1, 0.8), _candidate(2, 0.7, passage=2),
             _candidate(0, 0.6, passage=1, source="beta.md", document=None)]
    m = context_matrix(["dirig", "offic", "central"], cands, [False, True, False, False],
                       top=0.9, spread=0.1)
    assert m.shape == (4, len(CONTEXT_FEATURES))
    # "offic" is in 2 of the 3 sentences of alpha, "dirig" and "central" in one.
    total = 2 * math.log(2.5) + math.log(2)
    rows = {
        0: [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        # "Il ..." is read with the sentence before: its context holds every question word.
        1: [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        # The title holds "office" too; the document holds every question word.
        2: [math.log(2) / total, 1 / 3, 1 / 3, 1 / 3, 1.0, 0.0, 2.0, 0.0, 0.0],
        # No document known: the sentence alone; its document's best cosine is 3 spreads down.
        3: [0.0, 0.0, 0.0, 0.0, 0.0, -3.0, 1.0, 0.0, 0.0],
    }
    for i, expected in rows.items():
        assert m[i] == pytest.approx(expected), i


def test_local_cosine_is_what_a_sentence_adds_to_its_surroundings() -> None:
    text = "Un. Deux. Trois. Quatre. Cinq. Six. Sept."
    spans = [(i, i + 3) for i in range(7)]  # only the cosines matter here
    cos = np.array([0.80, 0.80, 0.80, 0.90, 0.80, 0.80, 0.70])
    sentences = DocumentSentences("a.txt", text, spans, cos, DocumentContext("", ("x",) * 7))
    cands = [sentences.candidate(0, j, 1.0) for j in (0, 3, 6)]
    # Sentence 3 sees all seven (0.8); sentence 0 sees 0..4 (0.82); sentence 6 sees 2..6 (0.8).
    assert [c.local_cos for c in cands] == pytest.approx([0.82, 0.8, 0.8])
    m = context_matrix([], cands, [False] * 3, top=0.9, spread=0.1)
    local = np.array([-0.02, 0.1, -0.1])
    names = list(CONTEXT_FEATURES)
    assert m[:, names.index("cos_local")] == pytest.approx(local)
    assert m[:, names.index("cos_local_gap")] == pytest.approx((local - 0.1) / local.std())


def test_dense_coverage_counts_question_words_within_twelve_words() -> None:
    far = "Le directeur " + "mot " * 12 + "de l'office central."
    doc = DocumentContext("", (far,))
    cand = Candidate(0, "a.txt", 0, len(far), far, 0, "", "", 0.8, 0.8, 1.0, True, doc)
    m = context_matrix(["directe", "offic", "central"], [cand], [False], top=0.8, spread=0.1)
    names = list(CONTEXT_FEATURES)
    assert m[0, names.index("cov_raw")] == 1.0
    assert m[0, names.index("cov_dense")] == pytest.approx(2 / 3)


def test_shared_words_are_names_numbers_and_acronyms() -> None:
    assert shared_words("Which NFL team won Super Bowl 50 in Denver?") == (
        "NFL Super Bowl 50 Denver")
    assert shared_words("Qui dirige l'OCRTEH ?") == "OCRTEH"
    assert shared_words("what is the capital of france") == ""


def test_cross_language_compares_the_question_with_the_text() -> None:
    french = [_candidate(0, 0.9), _candidate(1, 0.8)]
    assert cross_language("Who leads the office?", french) is True
    assert cross_language("Qui dirige l'office ?", french) is False


def test_cross_language_features_look_only_for_shared_words() -> None:
    cands = [_candidate(0, 0.9), _candidate(2, 0.8)]
    question = "Who runs the office central since 2019?"
    same = feature_matrix(question, "who", cands)
    cross = feature_matrix(question, "who", cands, cross=True)
    lex = FEATURES.index("cov_raw")
    # English "office" and "central" match French words by chance; only "2019" is shared.
    assert same[:, lex] == pytest.approx([3 / 5, 1 / 5])
    assert cross[:, lex] == pytest.approx([1.0, 0.0])
    others = [i for i, f in enumerate(FEATURES) if f in {"cos", "cos_gap", "typed", "heading"}]
    np.testing.assert_array_equal(same[:, others], cross[:, others])


def test_a_document_title_line_is_a_heading_even_when_punctuated() -> None:
    title = "Le parquet instruit onze dossiers."
    assert is_heading("date 2020-01 Le parquet instruit onze dossiers.", title) is True
    assert is_heading("Le parquet instruit onze dossiers.", "") is False
    assert is_heading("Le parquet instruit onze dossiers, selon une source proche.", "Le parquet")\
        is False
    assert is_heading("La piste des flux financiers") is True


def test_a_sentence_after_a_heading_has_no_previous_sentence() -> None:
    text = "Une phrase. La piste des flux\nIl enquête à l'Office."
    spans = [(0, 11), (12, 29), (30, 52)]
    doc = DocumentContext("Titre", tuple(text[a:b] for a, b in spans))
    sentences = DocumentSentences("a.txt", text, spans, np.array([0.5, 0.6, 0.7]), doc)
    after_heading = sentences.candidate(0, 2, 1.0)
    assert (after_heading.prev_text, after_heading.prev_start) == ("", 30)
    assert after_heading.prev_cos == pytest.approx(0.7)
    after_sentence = sentences.candidate(0, 1, 1.0)
    assert (after_sentence.prev_text, after_sentence.prev_start) == ("Une phrase.", 0)
    assert after_sentence.prev_cos == pytest.approx(0.5)


def test_cross_language_abstention_features_take_coverage_as_unknown() -> None:
    best = _candidate(0, 0.9)
    question = "Qui dirige l'office central ?"
    assert abstain_features(question, [best], best, 2.0)[2] == 1.0
    assert abstain_features(question, [best], best, 2.0, cross=True)[2] == COVERAGE_UNKNOWN
