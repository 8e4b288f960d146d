import pytest

from qa.extract import answer_span, highlight_span
from qa.features import Candidate
from qa.question import answer_spans, question_type


@pytest.mark.parametrize(("question", "kind"), [
    ("who leads the OCRTEH?", "who"),
    ("Qui est l'adjoint à l'OCRTEH ?", "who"),
    ("Depuis quand le parquet est-il compétent ?", "when"),
    ("En quelle année est né Hugo ?", "when"),
    ("Combien de dossiers le parquet instruit-il ?", "count"),
    ("How many people live there?", "count"),
    ("Où est né Victor Hugo ?", "where"),
    ("In which city was he born?", "where"),
    ("Quel site a suspendu sa rubrique Rencontres ?", "entity"),
    ("What party does Guy Geoffroy belong to?", "entity"),
    ("Pourquoi le site a-t-il fermé ?", "other"),
    # "qui" asks for a person first, after a preposition or a comma, or last...
    ("Avec l'aide de qui les frères repoussent-ils les Espagnols ?", "who"),
    ("À qui appartient le site ?", "who"),
    ("Au début du tournoi, qui était le gardien titulaire ?", "who"),
    ("Le film a été réalisé par qui ?", "who"),
    # ...elsewhere it is a relative pronoun, and the question asks for something else
    ("Qu'est-ce qui montre que l'étymologie est fausse ?", "other"),
    ("Quelle est l'explication qui justifie l'écart ?", "entity"),
    # "dans quel X" asks for a place only when X is a place
    ("Dans quelle ville s'est déroulé le match ?", "where"),
    ("Vers quels pays l'économie s'ouvre-t-elle ?", "where"),
    ("In what borough is ABC headquartered?", "where"),
    ("Dans quelles circonstances est-il décédé ?", "entity"),
    ("Dans quel domaine travaille-t-il ?", "entity"),
    ("Dans quel état se trouve Natchez ?", "where"),
    ("A quelle place termine l'équipe ?", "entity"),  # a rank, not a place
    ("Sous qui a-t-il servi ?", "who"),
    ("Quelle équipe, qui jouait à domicile, a gagné ?", "entity"),
])
def test_question_type(question: str, kind: str) -> None:
    assert question_type(question) == kind


def _texts(kind: str, sentence: str, question: str) -> list[str]:
    return [sentence[a:b] for a, b in answer_spans(kind, sentence, question)]


def test_answer_spans_skip_what_the_question_already_says() -> None:
    s = "Le commissaire Jean-Marc Droguet dirige l'OCRTEH depuis le 13 janvier 2019."
    assert _texts("who", s, "Qui dirige l'OCRTEH ?") == ["Jean-Marc Droguet"]
    assert _texts("when", s, "Depuis quand ?") == ["le 13 janvier 2019"]
    assert _texts("who", s, "Que fait Jean-Marc Droguet à l'OCRTEH ?") == []


def test_answer_spans_numbers_with_units() -> None:
    s = "L'office emploie 120.000 agents et 3,5 millions d'euros."
    assert _texts("count", s, "Combien d'agents ?") == ["120.000", "3,5 millions"]


def _candidate(text: str, prev: str = "", start: int = 100) -> Candidate:
    gap = 1 if prev else 0
    return Candidate(0, "a.txt", start, start + len(text), text, start - len(prev) - gap, prev,
                     "", 0.8, 0.7, 1.0, False)


def test_highlight_is_in_source_coordinates_inside_the_sentence() -> None:
    c = _candidate("Selon lui, Jean Dupont dirige l'office depuis 2019.")
    span = highlight_span("who", c, "Qui dirige l'office ?")
    assert span is not None
    assert c.text[span.start - c.start:span.end - c.start] == "Jean Dupont"
    assert highlight_span("other", c, "Pourquoi ?") is None


def test_an_anaphoric_sentence_is_quoted_with_the_one_before() -> None:
    prev = "Un homme a été condamné."
    c = _candidate("Ce pilote de ligne a écopé de cinq ans.", prev)
    span = answer_span(c)
    assert (span.start, span.end) == (c.prev_start, c.end)
    plain = _candidate("Le pilote de ligne a écopé de cinq ans.", prev)
    assert (answer_span(plain).start, answer_span(plain).end) == (plain.start, plain.end)
