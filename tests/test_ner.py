import json
import subprocess
import sys

from qa.extract import SentenceReader
from qa.features import Candidate
from qa.ner import EntityTagger


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


def test_reader_keeps_only_entities_of_the_asked_kind(service) -> None:
    reader = SentenceReader(service.stores.docs)
    c = _candidate("Jean Dupont dirige l'office à Marseille.")
    assert [c.text[a:b] for a, b in reader.entities("who", [c])[0]] == ["Jean Dupont"]
    assert [c.text[a:b] for a, b in reader.entities("where", [c])[0]] == ["Marseille"]
    assert reader.entities("count", [c]) is None


def test_without_spacy_the_reader_falls_back_to_patterns(service) -> None:
    tagger = EntityTagger()
    tagger._failed = True
    reader = SentenceReader(service.stores.docs, tagger=tagger)
    assert reader.entities("who", [_candidate("Jean Dupont dirige.")]) is None


def test_preloading_without_torch_finds_the_same_entities() -> None:
    text = "Jean-Marc Droguet, patron de l'OCRTEH, travaille à Marseille depuis 2019."
    script = (
        "import json, sys\n"
        "from qa.ner import EntityTagger\n"
        "t = EntityTagger()\n"
        "t.preload(without_torch=True)\n"
        f"found = t.entities(('a', 0, 1), {text!r})\n"
        "print(json.dumps([found, 'torch' in sys.modules]))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=300)
    expected = [list(e) for e in EntityTagger().entities(("a", 0, 1), text)]
    assert json.loads(run.stdout) == [expected, False]
