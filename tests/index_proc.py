"""`qa` in a process of its own with the fake embedder: `python -m tests.index_proc index ...`.

Tests run a real `qa index` beside a serving process without loading a model.
"""

from __future__ import annotations

import sys

import qa.service
from qa.cli import main
from tests.fakes import FakeEmbedder

if __name__ == "__main__":
    qa.service.make_embedder = lambda settings: FakeEmbedder()  # type: ignore[assignment,return-value]
    sys.exit(main(sys.argv[1:]))
