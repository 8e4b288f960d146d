import random

from index.analysis import fold, fold_slowly, language, stem, stems, terms
from index.lexical import analyze, match_query


def test_fold_case_and_accents() -> None:
    assert fold("Élysée ÇA Noël") == "elysee ca noel"


def test_fold_by_character_equals_folding_the_whole_text() -> None:
    # The lexical index and the questions must fold alike: the per-character table must
    # give exactly what NFKD of the whole case-folded text gives, including characters
    # that fold to several ("ß" -> "ss", "ﬁ" -> "fi"), Greek final sigma and Hangul.
    assert fold("ΟΔΟΣ Straße ﬁn ǅ") == fold_slowly("ΟΔΟΣ Straße ﬁn ǅ") == "οδοσ strasse fin dz"
    pool = [chr(c) for c in range(0x20, 0x3000)] + [chr(c) for c in range(0xAC00, 0xAC40)]
    rng = random.Random(0)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    assert [fold(t) for t in texts] == [fold_slowly(t) for t in texts]


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
