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


def test_abbreviated_months_centuries_and_initials_of_names() -> None:
    text = "Il est né le 3 janv. 1990 à Rome. Né en 52 av. J.-C. à Rome. Le XIXe s. fut long."
    assert sentences(text) == ["Il est né le 3 janv. 1990 à Rome.", "Né en 52 av. J.-C. à Rome.",
                               "Le XIXe s. fut long."]


def test_glued_sentences_split_but_acronyms_and_decimals_do_not() -> None:
    text = ("Il part avec les pays étrangers.Aude Groualle parle. "
            "La S.N.C.F. a 3,5 millions de clients.")
    assert sentences(text) == ["Il part avec les pays étrangers.", "Aude Groualle parle.",
                               "La S.N.C.F. a 3,5 millions de clients."]


def test_question_and_exclamation_inside_guillemets_and_ellipsis() -> None:
    text = "«Vraiment ?» demanda-t-il. Il a vu 1.200 personnes... Puis rien ! Fin"
    assert sentences(text) == ["«Vraiment ?» demanda-t-il.", "Il a vu 1.200 personnes...",
                               "Puis rien !", "Fin"]
