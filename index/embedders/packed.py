"""A BERT encoder for CPUs, written for throughput: the default backend for BERT-type
sentence-transformers folders (the built-in model is one).

sentence-transformers pads every batch to its longest text and runs transformers' general-purpose
BertModel. On 2 cores the matrix products are only part of the cost; the rest is padding, weight
re-layouts on every call, separate bias/activation passes and the attention mask. Here:

- the tokens of a whole batch are *packed* into one ``[tokens, hidden]`` matrix: no linear layer
  (90 % of the FLOPs) sees padding, and attention runs text by text, so there is no padding anywhere;
- weights are re-laid out once for oneDNN (``mkldnn._reorder_linear_weight``), and GELU is fused
  into the matrix product that feeds it;
- bf16 where the CPU computes it natively (AVX512-BF16 or AMX), fp32 elsewhere; the embedding sum,
  pooling and the final normalisation are computed in fp32 (torch keeps LayerNorm statistics in fp32).

Vectors match sentence-transformers' fp32 output to a cosine of ~0.9999 (bf16) / 1.0 (fp32).
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders.base import EmbedderUnavailable
from index.embedders.hardware import CPU_BATCH, choose_precision, cpu_bf16_support
from index.embedders.runtime import SHARED_MODELS, ModelCache, side_by_side

DEFAULT_BATCH = CPU_BATCH


class UnsupportedModel(Exception):
    """The folder is not a mean-pooled BERT this encoder can run (use sentence-transformers)."""


def _read_json(path: Path) -> dict | list:
    return json.loads(path.read_text(encoding="utf-8"))


def inspect_folder(folder: Path) -> dict:
    """What the encoder needs to know about a sentence-transformers folder; raises UnsupportedModel
    for anything it would not reproduce exactly (other architectures, poolings, extra modules)."""
    folder = Path(folder)
    try:
        modules = _read_json(folder / "modules.json")
        config = _read_json(folder / "config.json")
    except (OSError, ValueError) as exc:
        raise UnsupportedModel(f"not a local sentence-transformers folder: {folder}") from exc
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if types not in (["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
        raise UnsupportedModel(f"modules {types} (need Transformer, Pooling[, Normalize])")
    pooling_dir = folder / next(m["path"] for m in modules if m.get("type", "").endswith("Pooling"))
    pooling = _read_json(pooling_dir / "config.json")
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if not mean_only:
        raise UnsupportedModel("only mean pooling is supported")
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModel(f"model type {config.get('model_type')!r} (need bert, absolute positions)")
    if config.get("hidden_act", "gelu") != "gelu":
        raise UnsupportedModel(f"activation {config.get('hidden_act')!r} (need gelu)")
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise UnsupportedModel("needs model.safetensors and tokenizer.json")
    st_config = {}
    if (folder / "sentence_bert_config.json").is_file():
        st_config = _read_json(folder / "sentence_bert_config.json")
    if st_config.get("do_lower_case"):
        raise UnsupportedModel("do_lower_case models are not supported")
    prompts = {}
    if (folder / "config_sentence_transformers.json").is_file():
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
    max_len = int(st_config.get("max_seq_length") or config["max_position_embeddings"])
    return {
        "config": config, "prompts": prompts, "normalize": types[-1] == "Normalize",
        "max_tokens": min(max_len, int(config["max_position_embeddings"])),
    }


def _prepacked_linear_available(dtype) -> bool:
    """oneDNN's pre-packed linear is a private torch op: use it only where it runs and is exact."""
    import torch

    try:
        x = torch.randn(3, 16, dtype=dtype)
        w = torch.randn(8, 16, dtype=dtype)
        b = torch.randn(8, dtype=dtype)
        packed = torch.ops.mkldnn._reorder_linear_weight(w)
        got = torch.ops.mkldnn._linear_pointwise(x, packed, b, "gelu", [], "none")
        want = torch.nn.functional.gelu(torch.nn.functional.linear(x, w, b))
        tol = 1e-4 if dtype == torch.float32 else 5e-2
        return bool(torch.allclose(got.float(), want.float(), atol=tol, rtol=tol))
    except (RuntimeError, AttributeError):
        return False


#: int8 weights use ±63, not ±127: CPUs without VNNI multiply int8 through 16-bit pair sums that
#: saturate with full-range operands on both sides (an error of 54,100 in a 64-term product, measured with
#: oneDNN limited to AVX2 or AVX-512 without VNNI); with 7-bit weights the product is exact on every CPU
WEIGHT_LEVELS = 63.0


@functools.lru_cache(maxsize=1)
def int8_matmul_available() -> bool:
    """Whether an exact int8 product runs here (fbgemm's or ``torch._int_mm``); the int8 precision
    needs one (`choose_precision` asks before picking it for 'auto')."""
    return int8_kernel() is not None


@functools.lru_cache(maxsize=1)
def int8_kernel() -> str | None:
    """The int8 product `_Int8Linear` runs through: fbgemm's where it runs and is exact (x86; under
    AVX2 a question embeds 10-16 ms faster than through ``torch._int_mm`` and an ingest 17 %, natively
    14 %: docs/benchmarks.md, "Stop 34"), else ``torch._int_mm`` where it is exact, else none."""
    if _fbgemm_exact():
        return "fbgemm"
    if _int_mm_exact():
        return "int_mm"
    return None


def _int_mm_exact() -> bool:
    """torch's int8 GEMM (``torch._int_mm``, private like the oneDNN ops above), tried on the extremes
    of what `_Int8Linear` multiplies."""
    import torch

    try:
        a = torch.randint(-127, 128, (17, 64), dtype=torch.int8)
        b = torch.randint(-int(WEIGHT_LEVELS), int(WEIGHT_LEVELS) + 1, (64, 24), dtype=torch.int8)
        return bool(torch.equal(torch._int_mm(a, b), a.to(torch.int32) @ b.to(torch.int32)))
    except (RuntimeError, AttributeError):
        return False


def _fbgemm_exact() -> bool:
    """fbgemm's dynamic int8 linear (torch's quantized CPU ops) on values its quantization keeps
    exactly: activations k/128 for k in [-128, 127] (one scale, zero point 128, as it chooses them),
    weights at the ±63 extremes with a power-of-two scale, so the fp32 result must equal the integer
    product. On CPUs without VNNI a kernel with saturating pair sums fails this (4.7 off with ±127
    weights under FBGEMM_ENABLE_INSTRUCTIONS=AVX2)."""
    import torch

    try:
        g = torch.Generator().manual_seed(0)
        x = torch.randint(-128, 128, (17, 64), generator=g)
        x[0, :2] = torch.tensor([-128, 127])
        w = torch.randint(-int(WEIGHT_LEVELS), int(WEIGHT_LEVELS) + 1, (24, 64), generator=g)
        w[:, :2] = int(WEIGHT_LEVELS)
        packed = _fbgemm_pack(w.to(torch.int8), torch.full((24,), 1 / 64))
        got = torch.ops.quantized.linear_dynamic(x.float() / 128, packed, False)
        return bool(torch.equal(got, (x @ w.t()).float() / (128 * 64)))
    except (RuntimeError, AttributeError, NotImplementedError):
        return False


def _fbgemm_pack(weight, scale):
    """fbgemm's packed form of int8 weights (out x in) with a scale per output row. torch marks its
    quantized-tensor constructors deprecated; `int8_kernel` falls back to ``torch._int_mm`` the day
    they go."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch._make_per_channel_quantized_tensor(weight, scale.to(torch.float64),
                                                     torch.zeros(len(scale), dtype=torch.long), 0)
        return torch.ops.quantized.linear_prepack(q, None)


def padded_rows(tokens: int) -> int:
    """The row count a packed batch is padded to. torch's CPU kernels keep memory for every matrix
    shape they meet (even with oneDNN's primitive cache off); with exact token counts a serving
    process met a new shape with almost every query and kept growing. Rounding up to 32 sizes per doubling (steps of 16 rows below 1,024)
    bounds the shapes for at most 3 % more rows."""
    step = max(16, 1 << max(0, tokens.bit_length() - 6))
    return -(-tokens // step) * step


class _Linear:
    """y = x W^T + b [then GELU], through pre-packed oneDNN weights when available."""

    def __init__(self, weight, bias, dtype, prepack: bool):
        import torch

        self.bias = bias.to(dtype).contiguous()
        self.prepacked = prepack
        w = weight.to(dtype).contiguous()
        self.weight = torch.ops.mkldnn._reorder_linear_weight(w) if prepack else w

    def __call__(self, x, gelu: bool = False):
        import torch
        import torch.nn.functional as F

        if self.prepacked:
            if gelu:
                return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "gelu", [], "none")
            return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")
        y = F.linear(x, self.weight, self.bias)
        return F.gelu(y) if gelu else y


class _Int8Linear:
    """y = x W^T + b [then GELU] with int8 weights (a scale per output row) and int8 activations (a
    scale per token, quantised on the fly), accumulated in int32: for CPUs without native bf16. Faster
    than fp32 on a question's few sentences (1.4-1.8x), barely on an ingest's long batches (1.1x),
    where quantising activations and the fp32 attention weigh more (docs/benchmarks.md). Vectors
    stay within 0.998 cosine of fp32.

    Through fbgemm (`int8_kernel`), whose dynamic linear takes one activation scale per call (vectors
    at 0.989 cosine), each token is first divided by its largest value, then multiplied back: a scale
    per token again, the same resolution as ``torch._int_mm``'s."""

    def __init__(self, weight, bias):
        import torch

        w = weight.to(torch.float32)
        self.scale = (w.abs().amax(1).clamp_min(1e-8) / WEIGHT_LEVELS).contiguous()
        q = torch.round(w / self.scale[:, None]).to(torch.int8)
        self.bias = bias.to(torch.float32).contiguous()
        self.kernel = int8_kernel()
        if self.kernel == "fbgemm":
            self.weight = _fbgemm_pack(q, self.scale)
        else:
            self.weight = q.t().contiguous()

    def __call__(self, x, gelu: bool = False):
        import torch
        import torch.nn.functional as F

        top = x.abs().amax(1, keepdim=True).clamp_min(1e-8)  # each token's largest value: its scale
        if self.kernel == "fbgemm":
            y = torch.ops.quantized.linear_dynamic(x / top, self.weight, False).mul_(top).add_(self.bias)
        else:
            xs = top / 127.0
            xq = torch.round(x / xs).to(torch.int8)
            y = torch._int_mm(xq, self.weight).to(torch.float32).mul_(xs).mul_(self.scale).add_(self.bias)
        return F.gelu(y) if gelu else y


class PackedBertEncoder:
    """Token ids in, L2-normalised float32 mean-pooled vectors out."""

    def __init__(self, folder: Path, *, precision: str = "bf16", prepack: bool | None = None):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        if precision not in ("fp32", "bf16", "int8"):
            raise ValueError(f"precision must be fp32, bf16 or int8, not {precision!r}")
        info = inspect_folder(folder)
        c = info["config"]
        self.folder = Path(folder)
        self.precision = precision
        self.prompts = info["prompts"]
        self.normalize = info["normalize"]
        self.max_tokens = info["max_tokens"]
        self.hidden = int(c["hidden_size"])
        self.heads = int(c["num_attention_heads"])
        self.eps = float(c.get("layer_norm_eps", 1e-12))
        self.dim = self.hidden
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self.dtype = dtype
        int8 = precision == "int8"
        if int8 and not int8_matmul_available():
            raise EmbedderUnavailable(f"precision int8 needs an exact int8 matrix product (fbgemm's or torch._int_mm), "
                                      f"which torch {torch.__version__} lacks here; use auto or fp32 (KIOSQUE_EMBED_PRECISION)")
        self.prepacked = (not int8 and _prepacked_linear_available(dtype)) if prepack is None else prepack

        self._workers: dict = {}  # attention worker pools by thread count, shared with fine-tuned copies
        self._workers_lock = threading.Lock()
        self._busy = threading.Lock()  # one batch at a time: calls from several threads would fight for the cores

        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

        sd = load_file(str(self.folder / "model.safetensors"))
        sd = {k.removeprefix("bert."): v for k, v in sd.items()}
        f32 = torch.float32
        self.word = sd["embeddings.word_embeddings.weight"].to(f32)
        self.position = sd["embeddings.position_embeddings.weight"].to(f32)
        self.token_type = sd["embeddings.token_type_embeddings.weight"][0].to(f32)
        self.emb_ln = (sd["embeddings.LayerNorm.weight"].to(f32), sd["embeddings.LayerNorm.bias"].to(f32))
        self.layer_count = int(c["num_hidden_layers"])
        self.layers = self._build_layers(sd)

    def _linear(self, w, b):
        return _Int8Linear(w, b) if self.precision == "int8" else _Linear(w, b, self.dtype, self.prepacked)

    def _build_layers(self, sd: dict) -> list[dict]:
        """The transformer layers from a state dict (BertModel names, ``bert.`` prefix removed)."""
        import torch

        layers = []
        for i in range(self.layer_count):
            p = f"encoder.layer.{i}."

            def g(name, p=p):
                return sd[p + name]

            # softmax(q k^T / sqrt(d)): the scale is folded into the query projection
            scale = torch.tensor([1.0 / math.sqrt(self.hidden // self.heads), 1.0, 1.0]).repeat_interleave(self.hidden)
            qkv_w = torch.cat([g(f"attention.self.{n}.weight") for n in ("query", "key", "value")]) * scale[:, None]
            qkv_b = torch.cat([g(f"attention.self.{n}.bias") for n in ("query", "key", "value")]) * scale
            layers.append({
                "qkv": self._linear(qkv_w, qkv_b),
                "out": self._linear(g("attention.output.dense.weight"), g("attention.output.dense.bias")),
                "ln1": (g("attention.output.LayerNorm.weight").to(self.dtype), g("attention.output.LayerNorm.bias").to(self.dtype)),
                "up": self._linear(g("intermediate.dense.weight"), g("intermediate.dense.bias")),
                "down": self._linear(g("output.dense.weight"), g("output.dense.bias")),
                "ln2": (g("output.LayerNorm.weight").to(self.dtype), g("output.LayerNorm.bias").to(self.dtype)),
            })
        return layers

    def fine_tuned(self, deltas: dict) -> PackedBertEncoder:
        """This encoder with its transformer layers moved by ``deltas`` (float tensors named as in
        the model's state dict, ``encoder.layer.N.…``; a layer weight without one stays as it is),
        sharing its embedding tables, tokenizer and precision: a model fine-tuned from this one
        costs its layers' memory (~40 MB), not another vocabulary (~380 MB)."""
        import copy

        import torch
        from safetensors import safe_open

        base = {}
        with safe_open(str(self.folder / "model.safetensors"), framework="pt") as f:
            for key in f.keys():
                name = key.removeprefix("bert.")
                if name.startswith("encoder.layer."):
                    base[name] = f.get_tensor(key).to(torch.float32)
        unknown = set(deltas) - set(base)
        if unknown:
            raise ValueError(f"deltas for weights the model lacks: {sorted(unknown)[:3]}")
        moved = {k: v + deltas[k].to(torch.float32) if k in deltas else v for k, v in base.items()}
        other = copy.copy(self)  # the attention workers stay shared
        # a lock of its own: the reader runs it beside this encoder's pass, each pass on half the
        # threads (`runtime.side_by_side`); calls of one encoder from several threads still take turns
        other._busy = threading.Lock()
        other.layers = other._build_layers(moved)
        return other

    # -- tokens -----------------------------------------------------------------------------------
    def tokenize(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids per text, cut at the model's limit (keeping the closing special token, as
        transformers' truncation does)."""
        return [_cut(enc.ids, self.max_tokens) for enc in self.tokenizer.encode_batch(list(texts))]

    def token_count(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    # -- forward ----------------------------------------------------------------------------------
    def forward(self, seqs: Sequence[np.ndarray], *, with_tokens: bool = False, layers: int | None = None,
                tokens_after: int | None = None):
        """Vectors (float32 tensor ``[len(seqs), dim]``) for a batch of token-id arrays; with
        ``with_tokens``, also each text's token states (float32 ``[len, dim]`` tensors), the last
        layer's or, with ``tokens_after``, those after that many layers. ``layers``: stop after that
        many layers (the vectors then pool those states)."""
        import torch
        import torch.nn.functional as F

        lengths = [len(s) for s in seqs]
        n, hidden = len(seqs), self.hidden
        lens = torch.tensor(lengths)
        ids = torch.from_numpy(np.concatenate(seqs))
        positions = torch.from_numpy(np.concatenate([np.arange(k) for k in lengths]))
        x = self.word[ids] + self.position[positions] + self.token_type
        x = F.layer_norm(x, (hidden,), *self.emb_ln, eps=self.eps).to(self.dtype)
        tokens = x.shape[0]
        if (rows := padded_rows(tokens)) > tokens:  # rows are independent outside attention: pad, drop after
            x = F.pad(x, (0, 0, 0, rows - tokens))
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        kept = None
        for depth, layer in enumerate(self.layers[:layers], start=1):
            ctx = self._attention(layer["qkv"](x), bounds)
            x = F.layer_norm(layer["out"](ctx) + x, (hidden,), *layer["ln1"], eps=self.eps)
            h = layer["down"](layer["up"](x, gelu=True))
            x = F.layer_norm(h + x, (hidden,), *layer["ln2"], eps=self.eps)
            if depth == tokens_after:
                kept = x

        owner = torch.repeat_interleave(torch.arange(n), lens)
        pooled = torch.zeros(n, hidden, dtype=torch.float32).index_add_(0, owner, x[:tokens].float())
        pooled /= lens[:, None].to(torch.float32)
        pooled = F.normalize(pooled, dim=-1) if self.normalize else pooled
        if not with_tokens:
            return pooled
        states = x if kept is None else kept
        return pooled, list(torch.split(states[:tokens].float(), lengths))

    def _attention(self, qkv, bounds: list[int]):
        """Self-attention text by text over the packed ``[tokens, 3*hidden]`` projections: no padding,
        no mask, and each text's score matrix stays in cache (on 2 cores this beats torch's fused
        SDPA kernel on a padded batch by ~40 %: with 32-wide heads its blocking overhead dominates).
        The 1/sqrt(head_dim) scale is already folded into the query weights.

        The per-text products are small: split across torch's threads, every one of them would end
        in a thread barrier (milliseconds each when another process holds a core). Instead each
        worker thread takes whole texts and runs them single-threaded."""
        import torch

        out = torch.zeros(qkv.shape[0], self.hidden, dtype=qkv.dtype)  # padding rows stay zero
        spans = list(zip(bounds[:-1], bounds[1:]))
        pool = self._pool()
        if pool is None:
            self._attend(qkv, out, spans)
        else:
            parts = [spans[i :: pool._max_workers] for i in range(pool._max_workers)]  # lengths interleave
            for f in [pool.submit(self._attend, qkv, out, part) for part in parts if part]:
                f.result()
        return out

    def _attend(self, qkv, out, spans) -> None:
        import torch

        heads, head_dim = self.heads, self.hidden // self.heads
        with torch.inference_mode():
            for start, end in spans:
                t = qkv[start:end].view(end - start, 3, heads, head_dim).transpose(0, 2)  # [heads, 3, len, dim]
                q, k, v = t[:, 0], t[:, 1], t[:, 2]
                scores = torch.bmm(q, k.transpose(1, 2))
                torch.softmax(scores, -1, out=scores)
                torch.bmm(scores, v, out=out[start:end].view(end - start, heads, head_dim).transpose(0, 1))

    def _pool(self):
        """Worker threads for attention, one per torch thread (None when torch runs one thread)."""
        import torch

        n = torch.get_num_threads()  # this thread's: a pass run beside another has half of them
        if n <= 1:
            return None
        if n in self._workers:  # called at every layer: no lock once the pool is there
            return self._workers[n]
        with self._workers_lock:
            if n not in self._workers:
                from concurrent.futures import ThreadPoolExecutor

                pool = ThreadPoolExecutor(n, thread_name_prefix="kiosque-attn",
                                          initializer=torch.set_num_threads, initargs=(1,))
                # torch keeps the last count set, in any thread, for threads that start later (the
                # bot's answers and polls run in such threads): start every worker now, then set this
                # thread's count again so that later threads get it, not the workers' 1
                started = threading.Barrier(n)
                for f in [pool.submit(started.wait, 60) for _ in range(n)]:
                    f.result()
                torch.set_num_threads(n)
                self._workers[n] = pool
            return self._workers[n]

    def encode(self, texts: Sequence[str], *, prompt: str = "", batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """Vectors for ``texts`` (prompt prepended), batched by token length, in input order."""
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        seqs = self.tokenize([prompt + t for t in texts])
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
        out = np.empty((len(seqs), self.dim), dtype=np.float32)
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]

        def run(part: list[list[int]]) -> None:
            with torch.inference_mode():  # per thread
                for idx in part:
                    out[idx] = self.forward([seqs[j] for j in idx]).numpy()

        with self._busy:
            if len(batches) > 1:  # every other batch beside the rest (lengths interleave), half the threads each
                side_by_side(lambda: run(batches[0::2]), lambda: run(batches[1::2]))
            else:
                run(batches)
        return out

    def token_states(self, texts: Sequence[str], prompts: Sequence[str], *, layer: int | None = None) -> list[np.ndarray]:
        """Each text's token states after ``layer`` layers (None: all; the pass stops there), its
        prompt (one per text) and special tokens left out, L2-normalised, float32 ``[pieces, dim]``."""
        import torch

        if not texts:
            return []
        seqs = self.tokenize([p + t for p, t in zip(prompts, texts, strict=True)])
        with self._busy, torch.inference_mode():
            _, states = self.forward(seqs, with_tokens=True, layers=layer)
        return [_unit_rows(s[self._prompt_tokens(p) : -1].numpy()) for s, p in zip(states, prompts)]

    def encode_with_token_states(self, text: str, prompt: str, *, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """A text's vector (the whole pass) and, from the same pass, its token states after ``layer``
        layers (the last when None), as ``token_states`` gives them."""
        import torch

        seqs = self.tokenize([prompt + text])
        with self._busy, torch.inference_mode():
            pooled, (states,) = self.forward(seqs, with_tokens=True, tokens_after=layer)
        return pooled.numpy()[0], _unit_rows(states[self._prompt_tokens(prompt) : -1].numpy())

    def read_pairs(self, pairs: Sequence[tuple[str, str]], *, max_tokens: int) -> list[tuple[np.ndarray, list]]:
        """Each pair read as one text (the tokenizer's pair template: ``<s> a </s></s> b </s>``), cut
        to ``max_tokens`` from the end of its second text: per pair, the last layer's token states
        (float32 ``[tokens, hidden]``) and the tokenizer's ``Encoding`` (offsets, sequence ids)."""
        import torch

        if not pairs:
            return []
        encodings = self.tokenizer.encode_batch([tuple(p) for p in pairs])
        seqs = [_cut(enc.ids, max_tokens) for enc in encodings]
        with self._busy, torch.inference_mode():
            _, states = self.forward(seqs, with_tokens=True)
        return [(s.numpy(), enc) for s, enc in zip(states, encodings)]

    @functools.lru_cache(maxsize=8)  # noqa: B019 (one encoder per model, kept for the process)
    def _prompt_tokens(self, prompt: str) -> int:
        """Tokens before a text's own: [CLS] and the prompt's pieces."""
        return len(self.tokenizer.encode(prompt.rstrip()).ids) - 1 if prompt.strip() else 1


def _cut(ids: list[int], limit: int) -> np.ndarray:
    """Token ids cut to ``limit``, keeping the closing special token (as transformers' truncation does)."""
    return np.asarray(ids[: limit - 1] + ids[-1:] if len(ids) > limit else ids, dtype=np.int64)


def _unit_rows(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


class PackedEmbedder:
    """The Embedder protocol over a PackedBertEncoder."""

    backend = "torch-packed"

    def __init__(self, folder: Path, *, precision: str = "auto", batch_size: int = DEFAULT_BATCH,
                 query_prefix: str = "query: ", passage_prefix: str = "passage: ", model_label: str | None = None,
                 models: ModelCache = SHARED_MODELS):
        self.precision = choose_precision(precision, "cpu", backend=self.backend)
        key = ("torch-packed", str(Path(folder).resolve()), self.precision)
        self.encoder = models.get(key, lambda: PackedBertEncoder(Path(folder), precision=self.precision),
                                  f"{model_label or folder} ({self.precision}, torch-packed)")
        self.batch_size = batch_size
        prompts = self.encoder.prompts
        self._query_prompt = prompts.get("query", query_prefix)
        self._passage_prompt = prompts.get("passage", passage_prefix)
        self.dim = self.encoder.dim
        self.max_tokens = self.encoder.max_tokens
        self.model_name = model_label or str(folder)
        self.model_id = f"{self.model_name}@{self.precision}"

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        return self.encoder.encode(list(texts), prompt=prompt, batch_size=self.batch_size)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        prompts = [self._query_prompt] * len(queries) + [self._passage_prompt] * len(passages)
        states = self.encoder.token_states([*queries, *passages], prompts, layer=layer)
        return states[: len(queries)], states[len(queries) :]

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.encoder.encode_with_token_states(text, self._query_prompt, layer=layer)

    def token_count(self, text: str) -> int:
        return self.encoder.token_count(self._passage_prompt + text)

    def fine_tuned(self, model_id: str, deltas: dict) -> PackedBertEncoder | None:
        return self.encoder.fine_tuned(deltas) if model_id == self.model_name else None

    def describe(self) -> dict:
        import torch

        return {
            "model": self.model_name, "backend": self.backend, "precision": self.precision, "device": "cpu",
            "batch_size": self.batch_size,
            "cpu_bf16": cpu_bf16_support() or "none", "threads": torch.get_num_threads(), "dim": self.dim,
            "onednn_prepacked": self.encoder.prepacked,
            "int8_kernel": int8_kernel() if self.precision == "int8" else None,
        }
