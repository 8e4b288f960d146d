"""Entity rows: the named entities of each sentence, for one version of a document."""

from __future__ import annotations

import json
from collections.abc import Mapping

from index.docstore.rows import Rows, guarded
from index.ner import Entities


class EntityRows(Rows):
    """The `entities` table: one JSON row per document, tied to its content hash."""

    @guarded
    def stored_entities(self, source: str) -> dict[int, Entities] | None:
        """Entities of the sentences of `source` by sentence start (offsets relative to
        the sentence; a sentence without any is absent), or None when the document's
        current text was not tagged."""
        row = self._db.execute(
            "SELECT e.spans FROM entities e JOIN documents d ON d.source = e.source"
            " AND d.hash = e.hash WHERE e.source = ?", (source,)).fetchone()
        if row is None:
            return None
        found: dict[int, list[tuple[int, int, str]]] = {}
        for start, a, b, label in json.loads(row[0]):
            found.setdefault(int(start), []).append((int(a), int(b), str(label)))
        return {start: tuple(spans) for start, spans in found.items()}

    @guarded
    def store_entities(self, source: str, digest: str,
                       entities: Mapping[int, Entities]) -> None:
        """Record the entities of each sentence of `source` (by sentence start), tagged
        from the text whose content hash is `digest`."""
        spans = [[start, a, b, label] for start, found in sorted(entities.items())
                 for a, b, label in found]
        self._db.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, ?)", (
            source, digest, json.dumps(spans, ensure_ascii=False, separators=(",", ":"))))

    @guarded
    def untagged_documents(self) -> list[tuple[str, str, int]]:
        """(source, content hash, sentence count) of the documents whose current text
        has no stored entities, by source."""
        rows = self._db.execute(
            "SELECT d.source, d.hash, (SELECT COUNT(*) FROM sentences s WHERE s.source = d.source)"
            " FROM documents d LEFT JOIN entities e ON e.source = d.source AND e.hash = d.hash"
            " WHERE e.source IS NULL ORDER BY d.source")
        return [(str(s), str(h), int(n)) for s, h, n in rows]

    @guarded
    def all_tagged(self) -> bool:
        """True when every document's current text has stored entities."""
        return self._db.execute(
            "SELECT 1 FROM documents d WHERE NOT EXISTS (SELECT 1 FROM entities e"
            " WHERE e.source = d.source AND e.hash = d.hash) LIMIT 1").fetchone() is None

    @guarded
    def clear_entities(self) -> None:
        """Forget every stored entity (tagged by another model)."""
        self._db.execute("DELETE FROM entities")
