import pytest

from qa.metrics import (
    answer_in_quote,
    gold_rank,
    mrr_at,
    normalize,
    percentiles,
    recall_at,
    span_f1,
)


def test_normalize_folds_case_accents_punctuation_and_spaces() -> None:
    assert normalize("  L’Élysée, «Paris» !\n") == "l elysee paris"
    assert normalize("Les Républicains") == normalize("les  republicains")


def test_answer_in_quote_matches_whole_words_only() -> None:
    assert answer_in_quote(["Les Républicains"], "le député LES REPUBLICAINS, Guy Geoffroy.")
    assert answer_in_quote(["x", "octobre"], "depuis octobre dernier")
    assert not answer_in_quote(["1"], "en 1995")
    assert not answer_in_quote(["oct"], "octobre")


def test_answer_longer_than_400_characters_is_a_miss() -> None:
    long_quote = "Jean-Marc Droguet " + "x" * 400
    assert not answer_in_quote(["Jean-Marc Droguet"], long_quote)
    assert not answer_in_quote(["Droguet"], "")


def test_span_f1_ignores_articles_and_takes_the_best_gold() -> None:
    assert span_f1("la Fondation Scelles", ["Fondation Scelles"]) == (1.0, 1.0)
    em, f1 = span_f1("Jean Dupont", ["Pierre Dupont", "Dupont"])
    assert (em, f1) == (0.0, pytest.approx(2 / 3))
    assert span_f1("rien", ["Dupont"]) == (0.0, 0.0)


def test_ranks_recall_and_mrr() -> None:
    assert gold_rank(["a", "b", "c"], {"c", "z"}) == 3
    assert gold_rank(["a"], {"z"}) is None
    ranks = [1, 3, None, 7]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert mrr_at(ranks, 5) == pytest.approx((1 + 1 / 3) / 4)
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert recall_at([], 5) == 0.0


def test_percentiles() -> None:
    assert percentiles([float(x) for x in range(1, 101)]) == {"p50": 50.5, "p95": 95.0}
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0}
