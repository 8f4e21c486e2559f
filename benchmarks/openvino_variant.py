"""OpenVINO as an embedding backend, for comparison only (not a Kiosque dependency).

The BERT graph is built directly with OpenVINO's opset API from the converted model's weights (no
`openvino.convert_model`, which would also start OpenVINO's usage telemetry). Attention is OpenVINO's
fused ScaledDotProductAttention; batches are padded to their longest text after sorting by length.
Runs only where `pip install openvino` was done by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def _graph(weights: dict, config: dict):
    import openvino as ov
    import openvino.opset13 as op

    heads, hidden = config["num_attention_heads"], config["hidden_size"]
    eps = float(config.get("layer_norm_eps", 1e-12))

    def const(a):
        return op.constant(np.ascontiguousarray(a, dtype=np.float32))

    def i64(*values):
        return op.constant(np.array(values, dtype=np.int64))

    ids = op.parameter([-1, -1], ov.Type.i64, name="input_ids")
    mask = op.parameter([-1, -1], ov.Type.i64, name="attention_mask")
    length = op.squeeze(op.gather(op.shape_of(ids), i64(1), op.constant(np.int64(0))), i64(0))
    positions = op.range(op.constant(np.int64(0)), length, op.constant(np.int64(1)), ov.Type.i64)
    x = op.gather(const(weights["embeddings.word_embeddings.weight"]), ids, op.constant(np.int64(0)))
    x = op.add(x, op.gather(const(weights["embeddings.position_embeddings.weight"]), positions,
                            op.constant(np.int64(0))))
    x = op.add(x, const(weights["embeddings.token_type_embeddings.weight"][0]))

    def layer_norm(x, w, b):
        return op.add(op.multiply(op.mvn(x, i64(-1), True, eps, "inside_sqrt"), const(w)), const(b))

    def linear(x, w, b):
        return op.add(op.matmul(x, const(w), False, True), const(b))

    x = layer_norm(x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
    keep = op.unsqueeze(op.not_equal(mask, op.constant(np.int64(0))), i64(1, 2))  # [B,1,1,L]
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def w(name, p=p):
            return weights[p + name]

        def project(name, x=x, w=w):
            t = linear(x, w(f"attention.self.{name}.weight"), w(f"attention.self.{name}.bias"))
            return op.transpose(op.reshape(t, i64(0, 0, heads, hidden // heads), True), i64(0, 2, 1, 3))

        ctx = op.scaled_dot_product_attention(project("query"), project("key"), project("value"), keep,
                                              causal=False)
        ctx = op.reshape(op.transpose(ctx, i64(0, 2, 1, 3)), i64(0, 0, hidden), True)
        x = layer_norm(op.add(linear(ctx, w("attention.output.dense.weight"), w("attention.output.dense.bias")), x),
                       w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias"))
        h = op.gelu(linear(x, w("intermediate.dense.weight"), w("intermediate.dense.bias")), "erf")
        x = layer_norm(op.add(linear(h, w("output.dense.weight"), w("output.dense.bias")), x),
                       w("output.LayerNorm.weight"), w("output.LayerNorm.bias"))
    m = op.unsqueeze(op.convert(mask, ov.Type.f32), i64(2))
    pooled = op.divide(op.reduce_sum(op.multiply(x, m), i64(1), False), op.reduce_sum(m, i64(1), False))
    return ov.Model([op.normalize_l2(pooled, i64(1), 1e-12, "max")], [ids, mask], "bert")


class OpenVinoEmbedder:
    """embed_passages/embed_queries over an OpenVINO-compiled BERT (mean pooling, normalised)."""

    def __init__(self, folder: Path, precision: str = "bf16", batch_size: int = 32, threads: int = 0):
        import openvino as ov
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        weights = load_file(str(folder / "model.safetensors"))
        props = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32", "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            props["INFERENCE_NUM_THREADS"] = threads
        self.request = ov.Core().compile_model(_graph(weights, config), "CPU", props).create_infer_request()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.batch_size = batch_size
        self.dim = config["hidden_size"]

    def _encode(self, texts, prompt):
        seqs = [e.ids[:512] for e in self.tokenizer.encode_batch([prompt + t for t in texts])]
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
        out = np.empty((len(seqs), self.dim), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            longest = max(len(seqs[j]) for j in idx)
            ids = np.ones((len(idx), longest), dtype=np.int64)
            mask = np.zeros((len(idx), longest), dtype=np.int64)
            for row, j in enumerate(idx):
                ids[row, : len(seqs[j])] = seqs[j]
                mask[row, : len(seqs[j])] = 1
            out[idx] = self.request.infer({"input_ids": ids, "attention_mask": mask})[0]
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_passages(self, texts):
        return self._encode(list(texts), "passage: ")

    def embed_queries(self, texts):
        return self._encode(list(texts), "query: ")
