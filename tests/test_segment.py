from index.segment import split_sentences


def sentences(text: str) -> list[str]:
    spans = split_sentences(text)
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)
    return [text[a:b] for a, b in spans]


def test_french_abbreviations_numbers_and_guillemets() -> None:
    text = ("M. Dupont est arrivé. Il a vu 120.000 personnes ! « Oui », dit-il. "
            "Mme Martin (PS) aussi. Le U.S.A. aussi.")
    assert sentences(text) == [
        "M. Dupont est arrivé.", "Il a vu 120.000 personnes !", "« Oui », dit-il.",
        "Mme Martin (PS) aussi.", "Le U.S.A. aussi."]


def test_line_breaks_end_titles_and_initials_do_not() -> None:
    text = "Un titre sans point\nJ. Dupont parle. Puis il part?\n\nFin"
    assert sentences(text) == ["Un titre sans point", "J. Dupont parle.", "Puis il part?", "Fin"]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = "Il a dit « c'est fini. » Elle répond. \"Non.\" Voilà."
    assert sentences(text) == ["Il a dit « c'est fini. »", "Elle répond.", '"Non."', "Voilà."]


def test_spans_are_offsets_into_a_window() -> None:
    text = "Avant. Dedans un. Dedans deux. Après."
    spans = split_sentences(text, 7, 30)
    assert [text[a:b] for a, b in spans] == ["Dedans un.", "Dedans deux."]
    assert spans[0] == (7, 17)
