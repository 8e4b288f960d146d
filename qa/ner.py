"""Entities of the reader's candidate sentences: stored at index time, else tagged now.

`qa index` stores the entities of every sentence (`index.entities`). A store
indexed before that, or without spaCy, has none for some documents: their
sentences are tagged here by spaCy (`index.ner.EntityTagger`), as they always
were, so such a store answers the same, only slower.
"""

from __future__ import annotations

from index.docstore import DocStore
from index.ner import Entities, EntityTagger
from qa.features import Candidate

# Which entity labels answer which question type.
LABELS = {"who": frozenset({"PER"}), "role": frozenset({"PER"}), "where": frozenset({"LOC"}),
          "entity": frozenset({"PER", "LOC", "ORG", "MISC"})}


def candidate_entities(docs: DocStore, tagger: EntityTagger,
                       candidates: list[Candidate]) -> list[Entities] | None:
    """The entities of each candidate sentence, offsets relative to the sentence.

    Args:
        docs: the store, read in the caller's snapshot.
        tagger: tags the sentences of documents without stored entities.
        candidates: sentences of stored documents.

    Returns:
        One tuple of (start, end, label) per candidate; None when some sentence
        has no stored entities and spaCy cannot load.
    """
    stored = {source: docs.stored_entities(source) for source in {c.source for c in candidates}}
    missing = [c for c in candidates if stored[c.source] is None]
    if missing and not tagger.available:
        return None
    tagged = iter(tagger.entities_of([((c.source, c.start, c.end), c.text) for c in missing])
                  if missing else [])
    return [next(tagged) if (found := stored[c.source]) is None else found.get(c.start, ())
            for c in candidates]
