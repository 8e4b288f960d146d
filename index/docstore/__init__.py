"""The document store, in SQLite: the only package that talks SQL.

Citations quote `documents.text`, so it is kept exactly as decoded. Sentence
vectors and named entities are computed at index time so that choosing the
answer sentence costs no model call at query time. One module per group of
tables: `store` (documents, chunks, files, meta; it opens the connection),
`sentence_rows`, `entity_rows`, `lexical_rows`; `rows` holds what they share
(the connection, transactions, damage errors).
"""

from index.docstore.store import DocStore

__all__ = ["DocStore"]
