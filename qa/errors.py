"""Errors the answering side raises on purpose, with a message for the user."""

from __future__ import annotations

from index.errors import IndexingError


class QAError(Exception):
    """A failure the user can act on; the CLI prints it on one line, exit code 1."""


class BadQuestion(QAError):
    """The question is empty or unusable."""


class ConfigError(QAError, ValueError):
    """A setting has a value that does not parse or is out of range."""


# What the UI and the API show as a message rather than a crash: the answering
# side's errors and the index's (a store damaged or swapped while serving).
USER_ERRORS: tuple[type[Exception], ...] = (QAError, IndexingError)
