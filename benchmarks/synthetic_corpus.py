"""Synthetic variations of a real corpus, to measure Kiosque beyond the size of the data we have,
at almost no embedding cost (for benchmarks/scale_curve.py).

Variant ``v`` of an article is the same article under the id ``<id>#v<v>`` in which about one word
type in four (words of four letters or more that are not stopwords, chosen by a hash of the word and
``v``) has its last letter changed, everywhere it occurs, in the title and the text. So a variant:

- brings new vocabulary, as new articles bring new names (the keyword index grows like a real one:
  more terms, longer posting lists), with the same lengths, sentences and chunk boundaries;
- shares about a third of its word 5-grams with its source (mean 0.33, at most 0.48 over 300
  OrangeSum articles), far below the 0.7 of wire-copy detection (index/copies.py): variants are
  indexed as articles of their own, never collapsed as copies or skipped as duplicates (the
  benchmark reports what the ingest found);
- is embedded without the model: its chunk at position p gets the cached vector of the source
  article's chunk p plus Gaussian noise (cosine ~0.9 to it), normalised. These vectors are not what
  the model would compute for the altered text; they have the right dimension, norm and spread,
  which is what the dense index's memory, build time and query time depend on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

import numpy as np

_WORD = re.compile(r"\w{4,}", re.UNICODE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: noise norm added to a unit vector: cosine to the source = 1 / sqrt(1 + NOISE**2) ~ 0.9
NOISE = 0.48


def _hash(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest(), "big")


def perturb(text: str, variant: int, stopwords: frozenset[str]) -> str:
    """The text of variant ``variant``: same length, some word types with another last letter."""
    def swap(m: re.Match) -> str:
        word = m.group(0)
        key = word.lower()
        if key in stopwords or not word[-1].isalpha():
            return word
        h = _hash(key, str(variant))
        if h % 4:
            return word
        letter = _LETTERS[(h // 4) % 26]
        if letter == word[-1].lower():
            letter = _LETTERS[(_LETTERS.index(letter) + 1) % 26]
        return word[:-1] + (letter.upper() if word[-1].isupper() else letter)

    return _WORD.sub(swap, text)


def variant_records(records: Sequence[dict], variant: int, stopwords: frozenset[str]) -> Iterator[dict]:
    """Variant ``variant`` of raw corpus records ``{doc_id|id, title, text, ...}``."""
    for rec in records:
        rid = str(rec.get("id", rec.get("doc_id")))
        out = {k: v for k, v in rec.items() if k not in ("id", "doc_id")}
        out["id"] = f"{rid}#v{variant}"
        out["title"] = perturb(rec.get("title") or "", variant, stopwords)
        out["text"] = perturb(rec["text"], variant, stopwords)
        yield out


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class VariantEmbedder:
    """The real (cached) embedder for real texts; for a variant's chunk, its source chunk's vector
    plus noise. ``sources`` maps a variant chunk text's key to its source chunk's text."""

    def __init__(self, inner, sources: dict[bytes, str]):
        self.inner = inner
        self.sources = sources
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.synthetic = 0

    @property
    def computed(self) -> int:
        return getattr(self.inner, "computed", 0)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        real = [self.sources.get(k, t) for k, t in zip(keys, texts)]
        vectors = np.asarray(self.inner.embed_passages(real), dtype=np.float32).copy()
        for i, key in enumerate(keys):
            if key in self.sources:
                rng = np.random.default_rng(int.from_bytes(key[:8], "big"))
                noise = rng.standard_normal(self.dim).astype(np.float32)
                v = vectors[i] + NOISE * noise / np.linalg.norm(noise)
                vectors[i] = v / np.linalg.norm(v)
                self.synthetic += 1
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None):
        # the reader's shortlist: read by the real model (a variant sentence is real perturbed text)
        return self.inner.token_states(queries, passages, layer=layer)

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None):
        return self.inner.embed_query_with_tokens(text, layer=layer)

    def describe(self) -> dict:
        return {**self.inner.describe(), "synthetic_variants": True}

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)
