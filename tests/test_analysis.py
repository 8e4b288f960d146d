from index.analysis import fold, language, stem, stems, terms
from index.lexical import analyze, match_query


def test_fold_case_and_accents() -> None:
    assert fold("Élysée ÇA Noël") == "elysee ca noel"


def test_terms_drop_elisions_stopwords_and_single_letters() -> None:
    assert terms("Qui dirige l'OCRTEH ? D’après lui, c'est à Paris") == [
        "dirige", "ocrteh", "apres", "paris"]


def test_stem_plural_feminine_and_prefix() -> None:
    assert [stem(w) for w in ("agents", "nationaux", "dirigeante", "ocrteh", "2019", "bus")] == [
        "agent", "nationa", "dirigea", "ocrteh", "2019", "bus"]
    assert stems("Les Agents") == stems("l'agent")


def test_lexical_form_and_query_ignore_case_and_accents() -> None:
    assert analyze("L'OCRTEH, Élysée") == "ocrteh elyse"
    assert match_query("qui dirige l'Ocrteh ?") == '"dirig" OR "ocrteh"'
    assert match_query("Qui ? Le ?") == ""


def test_language_by_function_words() -> None:
    assert language("What party does Guy Geoffroy belong to?") == "en"
    assert language("Quel site a suspendu sa rubrique Rencontres ?") == "fr"
    assert language("OCRTEH") == "fr"
