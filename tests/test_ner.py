import json
import subprocess
import sys

import pytest

import index.ner
from index.ner import EntityTagger
from qa.extract import SentenceReader
from qa.features import Candidate


def _candidate(text: str) -> Candidate:
    return Candidate(0, "a.txt", 10, 10 + len(text), text, 10, "", "", 0.8, 0.8, 1.0, False)


def test_tagger_finds_people_and_places_and_caches() -> None:
    tagger = EntityTagger()
    text = "Jean-Marc Droguet, commissaire divisionnaire, travaille à Marseille."
    found = tagger.entities(("a.txt", 0, len(text)), text)
    named = {text[a:b]: label for a, b, label in found}
    assert named.get("Jean-Marc Droguet") == "PER"
    assert named.get("Marseille") == "LOC"
    assert tagger.entities(("a.txt", 0, len(text)), "ignored: cached") == found


def test_new_texts_are_tagged_in_one_batch_with_the_same_entities_as_one_by_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Jean-Marc Droguet travaille à Marseille.", "Le parquet de Paris enquête.",
             "Yves Charpenel préside la Fondation Scelles à Lyon."]
    keys = [("a.txt", i, i + 1) for i in range(len(texts))]
    one_by_one = [EntityTagger().entities(k, t) for k, t in zip(keys, texts, strict=True)]
    tagger = EntityTagger()
    batches: list[int] = []

    class Counting:
        def __init__(self, nlp: object) -> None:
            self.nlp = nlp

        def pipe(self, items):  # type: ignore[no-untyped-def]
            items = list(items)
            batches.append(len(items))
            return self.nlp.pipe(items)  # type: ignore[attr-defined]

    monkeypatch.setattr(index.ner, "_pipeline", [Counting(index.ner._shared_pipeline())])
    assert tagger.entities_of(list(zip(keys, texts, strict=True))) == one_by_one
    assert any(label == "PER" for found in one_by_one for _, _, label in found)
    assert tagger.entities_of([(keys[1], "cached"), (("b.txt", 0, 1), texts[0])]) == [
        one_by_one[1], one_by_one[0]]
    assert batches == [3, 1]  # the second call tagged only the text not seen before


def test_reader_keeps_only_entities_of_the_asked_kind(service) -> None:
    reader = SentenceReader(service.stores.docs)
    c = _candidate("Jean Dupont dirige l'office à Marseille.")
    assert [c.text[a:b] for a, b in reader.entities("who", [c])[0]] == ["Jean Dupont"]
    assert [c.text[a:b] for a, b in reader.entities("where", [c])[0]] == ["Marseille"]
    assert reader.entities("count", [c]) is None


def test_without_spacy_the_reader_falls_back_to_patterns(service, monkeypatch) -> None:
    monkeypatch.setattr(index.ner, "_pipeline", [None])  # spaCy did not load
    tagger = EntityTagger()
    assert tagger.available is False
    reader = SentenceReader(service.stores.docs, tagger=tagger)
    assert reader.entities("who", [_candidate("Jean Dupont dirige.")]) is None


def test_preloading_without_torch_finds_the_same_entities() -> None:
    text = "Jean-Marc Droguet, patron de l'OCRTEH, travaille à Marseille depuis 2019."
    script = (
        "import json, sys\n"
        "from index.ner import EntityTagger\n"
        "t = EntityTagger()\n"
        "t.preload(without_torch=True)\n"
        f"found = t.entities(('a', 0, 1), {text!r})\n"
        "print(json.dumps([found, 'torch' in sys.modules]))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=300)
    expected = [list(e) for e in EntityTagger().entities(("a", 0, 1), text)]
    assert json.loads(run.stdout) == [expected, False]
