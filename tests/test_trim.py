"""Over-long answers cut to the clauses that answer; adjacent sentences joined."""

from types import SimpleNamespace

import numpy as np

from qa.extract import SentenceReader, with_neighbour
from qa.features import Candidate
from qa.trim import MAX_ANSWER_CHARS, pieces, trim
from qa.types import Span

FILLER = "la commission a longuement débattu des modalités pratiques du calendrier"
LONG = (f"En 1850, {FILLER}, {FILLER}, {FILLER}; le traité fut signé à Vienne par "
        f"le chancelier Metternich, {FILLER}, {FILLER}, {FILLER}.")


def test_pieces_cover_the_text_and_cut_after_clause_boundaries() -> None:
    parts = pieces(LONG, MAX_ANSWER_CHARS)
    assert "".join(LONG[a:b] for a, b in parts) == LONG
    assert [b for a, b in parts][:2] == [len("En 1850, "), len(f"En 1850, {FILLER}, ")]
    words = "mot " * 200
    assert all(b - a <= 120 for a, b in pieces(words, 100))


def test_a_text_that_fits_is_kept_whole() -> None:
    assert trim("Le traité fut signé à Vienne.", "Où le traité fut-il signé ?") == (0, 29)


def test_a_long_sentence_keeps_the_clauses_with_the_question_words() -> None:
    assert len(LONG) > MAX_ANSWER_CHARS
    a, b = trim(LONG, "Qui a signé le traité à Vienne ?")
    quote = LONG[a:b]
    assert len(quote) <= MAX_ANSWER_CHARS
    assert "le traité fut signé à Vienne par le chancelier Metternich" in quote
    assert quote[0].isalnum() and quote[-1].isalnum()  # no dangling comma or space


def test_the_highlighted_answer_is_always_kept() -> None:
    keep = (LONG.index("1850"), LONG.index("1850") + 4)
    a, b = trim(LONG, "Qui a signé le traité à Vienne ?", keep)
    assert a <= keep[0] and keep[1] <= b and b - a <= MAX_ANSWER_CHARS
    assert LONG[a:b].startswith("En 1850")


def _cand(start: int, text: str, score_prev: str = "") -> Candidate:
    return Candidate(0, "a.txt", start, start + len(text), text, start, score_prev, "", 0.8,
                     0.8, 1.0, start == 0)


def test_a_close_neighbour_joins_and_an_over_long_pair_is_shortened() -> None:
    first = "Le traité fut signé à Vienne en 1815."
    text = f"{first} {LONG}"
    a, b = _cand(0, first), _cand(len(first) + 1, LONG)
    assert with_neighbour([a, b], np.array([3.0, 1.5]), 0, Span(0, a.end)) == Span(0, b.end)
    assert with_neighbour([a, b], np.array([3.0, 0.5]), 0, Span(0, a.end)) == Span(0, a.end)
    docs = SimpleNamespace(get_document=lambda source: SimpleNamespace(text=text))
    reader = SentenceReader(docs, tagger=SimpleNamespace(available=False))
    chosen = reader.choose("Où le traité fut-il signé ?", "where", [a, b], None,
                           np.array([3.0, 1.5]))
    assert chosen.span.end - chosen.span.start <= MAX_ANSWER_CHARS
    assert text[chosen.span.start:chosen.span.end].startswith(first)
    assert chosen.highlight is not None
    assert text[chosen.highlight.start:chosen.highlight.end] == "Vienne"


def test_a_close_sentence_one_further_joins_with_the_one_between_when_all_fit() -> None:
    texts = ["Le traité fut signé en 1815.", "Il y eut des fêtes.", "Ce fut à Vienne."]
    starts = [0, 29, 49]
    a, b, c = (_cand(start, text) for start, text in zip(starts, texts, strict=True))
    whole = Span(0, c.end)
    assert with_neighbour([a, b, c], np.array([3.0, 0.0, 1.5]), 0, Span(0, a.end)) == whole
    assert with_neighbour([c, b, a], np.array([1.5, 0.0, 3.0]), 2, Span(0, a.end)) == whole
    far = with_neighbour([a, b, c], np.array([3.0, 0.0, 0.5]), 0, Span(0, a.end))
    assert far == Span(0, a.end)  # not close enough
    long_c = _cand(49, "Ce fut à Vienne, " + FILLER * 5 + ".")
    assert with_neighbour([a, b, long_c], np.array([3.0, 0.0, 1.5]), 0,
                          Span(0, a.end)) == Span(0, a.end)  # the three would not fit
    other = Candidate(0, "b.txt", 49, 65, texts[2], 49, "", "", 0.8, 0.8, 1.0, False)
    assert with_neighbour([a, b, other], np.array([3.0, 0.0, 1.5]), 0,
                          Span(0, a.end)) == Span(0, a.end)  # another document


def test_the_chosen_sentence_stays_whole_when_a_joined_neighbour_is_cut() -> None:
    best = f"En France, {FILLER}, {FILLER}, {FILLER}, {FILLER}, le site a suspendu sa rubrique."
    after = (f"Aux États-Unis, {FILLER}, une loi a permis la fermeture du site Backpage, "
             f"{FILLER}, {FILLER}.")
    text = f"{best} {after}"
    a, b = _cand(0, best), _cand(len(best) + 1, after)
    docs = SimpleNamespace(get_document=lambda source: SimpleNamespace(text=text))
    reader = SentenceReader(docs, tagger=SimpleNamespace(available=False))
    chosen = reader.choose("Quel site a permis la fermeture de sa rubrique après une loi ?",
                           "other", [a, b], None, np.array([3.0, 2.5]))
    quote = text[chosen.span.start:chosen.span.end]
    assert len(best) <= MAX_ANSWER_CHARS < len(best) + 1 + len(after)
    assert chosen.span.start == 0  # cutting for the neighbour's words would start mid-sentence
    assert quote.startswith(best) and len(quote) <= MAX_ANSWER_CHARS


def test_a_kept_span_is_a_cut_point_even_inside_a_clause() -> None:
    before = f"Aux États-Unis une loi a permis la fermeture du site Backpage et {FILLER}."
    best = f"Le site a suspendu sa rubrique en juin, {FILLER}, {FILLER}, {FILLER}, {FILLER}."
    text = f"{before} {best}"
    start = len(before) + 1
    assert len(best) <= MAX_ANSWER_CHARS < len(text)
    a, b = trim(text, "Quel site a suspendu sa rubrique ?", (start, len(text)))
    assert (a, b) == (start, len(text))  # no clause boundary there: the sentence is whole


def test_a_kept_sentence_opening_with_a_dash_still_fits() -> None:
    best = f"– Le site a suspendu sa rubrique en juin, {FILLER}, {FILLER}."
    after = f"Aux États-Unis, une loi a permis la fermeture, {FILLER}, {FILLER}, {FILLER}."
    text = f"{best} {after}"
    a, b = _cand(0, best), _cand(len(best) + 1, after)
    docs = SimpleNamespace(get_document=lambda source: SimpleNamespace(text=text))
    reader = SentenceReader(docs, tagger=SimpleNamespace(available=False))
    chosen = reader.choose("Quel site a suspendu sa rubrique ?", "other", [a, b], None,
                           np.array([3.0, 2.5]))
    quote = text[chosen.span.start:chosen.span.end]
    assert len(text) > MAX_ANSWER_CHARS >= len(quote)
    assert quote.startswith(best[2:])  # the dash is dropped as any dangling punctuation
    # a kept span longer than the limit is all that can be returned, stripped as any run
    assert text[419] == " " and trim(text, "rubrique", (0, 420)) == (2, 419)
