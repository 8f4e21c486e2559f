"""What the rest of Kiosque needs from an embedding model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class EmbedderUnavailable(Exception):
    """The configured embedder cannot run here (device absent, package missing, server unreachable or
    misbehaving); the message says why and what to change."""


def require_package(module: str, purpose: str, install: str):
    """Import an optional package, or say in one line which one to install and why."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderUnavailable(f"{purpose} needs the {module!r} package: pip install {install}") from exc


class Embedder(Protocol):
    #: identifies the vectors this embedder produces (model and precision): cache and store key
    model_id: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors for search queries (e5 models prefix them differently)."""
        ...

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None
                     ) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """Each text's L2-normalised token states (prompt and special tokens left out) after ``layer``
        layers (None: all), queries and passages in one forward pass that stops there: the reader's
        meaning of a question and its candidate sentences, read together. None where the backend
        only returns pooled vectors (an embedding server)."""
        ...

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """A query's vector and, from the same pass, its token states after ``layer`` layers (as
        ``token_states`` gives them): retrieval's pass hands them to a reader that reads that layer,
        which then need not read the question again. None where a backend cannot give both at once."""
        ...

    def fine_tuned(self, model_id: str, deltas: dict):
        """An encoder with this model's tables and its layers moved by ``deltas`` (named as in the
        model's state dict), reading two texts together (``PackedBertEncoder.read_pairs``), if this
        embedder runs ``model_id`` in this process with Kiosque's own encoder; None otherwise (an
        embedding server, sentence-transformers, another model): a model fine-tuned from the
        built-in one (the reader's reading model) then goes unused."""
        ...

    def describe(self) -> dict:
        """Model, backend, precision, device: what `kiosque status` shows."""
        ...

    def token_count(self, text: str) -> int:
        """Tokens the model sees for a passage (to keep chunks under its limit)."""
        ...


class LazyEmbedder:
    """Loads the real embedder on first use: a no-op ingest or `status` never pays the seconds it
    takes to load a model. ``model_id`` is known up front (the store checks it before loading)."""

    def __init__(self, factory, model_id: str):
        import threading

        self._factory = factory
        self._inner = None
        self._lock = threading.Lock()  # worker threads may all ask first at once: load once
        self.model_id = model_id

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    @property
    def inner(self):
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    inner = self._factory()
                    self.model_id = inner.model_id
                    self._inner = inner
        return self._inner

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None):
        return self.inner.token_states(queries, passages, layer=layer)

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None):
        return self.inner.embed_query_with_tokens(text, layer=layer)

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)

    def fine_tuned(self, model_id: str, deltas: dict):
        return self.inner.fine_tuned(model_id, deltas)

    def describe(self) -> dict:
        return self.inner.describe()

    def __getattr__(self, name):  # computed/hits counters of a cached embedder, etc.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.inner, name)
