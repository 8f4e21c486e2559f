"""Building parts from settings (bot/wiring.py): what `status` says will run, the Chroma server options
with their token, the embedding-server backend chosen by settings, and the LLM configured once."""

from __future__ import annotations

import pytest

from bot.evaluation.judge import JUDGE_MAX_TOKENS, Judge
from bot.settings import SettingsError, load_settings
from bot.wiring import Kiosque, embedder_plan, store_config
from index.embedders.hardware import DeviceUnavailable
from tests.helpers.embedding_server import FakeEmbeddingServer, hashed_vectors
from tests.helpers.fake_llm import FakeLLM


def settings_for(tmp_path, monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(f"KIOSQUE_{name}", str(value))
    return load_settings(None, store__dir=tmp_path / "store", embed__cache_dir=tmp_path / "cache")


def test_the_plan_says_what_runs_on_the_cpu(tmp_path, monkeypatch):
    plan = embedder_plan(settings_for(tmp_path, monkeypatch))
    assert plan["backend"] == "torch-packed" and plan["device"] == "cpu" and plan["batch_size"] == 32
    assert plan["runs"] == f"torch-packed, {plan['precision']} on cpu (CPU bf16: {plan['cpu_bf16']}), batches of 32, 1 in flight"


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks what happens where no GPU is present")
def test_cuda_without_a_gpu_is_said_by_status_and_refused_when_used(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, monkeypatch, EMBED_DEVICE="cuda")
    assert embedder_plan(settings)["runs"].startswith("cannot run: the embedding device 'cuda' was asked for")
    with pytest.raises(DeviceUnavailable, match="no CUDA device is available"):
        Kiosque(settings).embedder


def test_a_bad_device_name_is_refused_by_the_settings(tmp_path, monkeypatch):
    with pytest.raises(SettingsError, match=r"embed.device = 'gpu0' \(KIOSQUE_EMBED_DEVICE\)"):
        settings_for(tmp_path, monkeypatch, EMBED_DEVICE="gpu0")


def test_the_embedding_server_backend_is_built_from_settings(tmp_path, monkeypatch):
    with FakeEmbeddingServer(hashed_vectors(384), model="e5-on-a-gpu") as server:
        server.api_key = "emb-s3cret"
        settings = settings_for(tmp_path, monkeypatch, EMBED_BACKEND="openai", EMBED_BASE_URL=server.base_url,
                                EMBED_MODEL="e5-on-a-gpu", EMBED_API_KEY="emb-s3cret", EMBED_WORKERS=3)
        plan = embedder_plan(settings)
        assert plan["runs"] == f"OpenAI-compatible server at {server.base_url}, model e5-on-a-gpu, batches of 32, 3 in flight"
        app = Kiosque(settings)
        assert app.embedder.model_id == "e5-on-a-gpu@server" and not app.embedder.loaded
        vectors = app.embedder.embed_queries(["Qui a rencontré Shoigu ?"])
        assert vectors.shape == (1, 384)
        described = app.embedder.describe()
        assert described["endpoint"] == server.base_url and described["in_flight"] == 3
        assert "emb-s3cret" not in repr(settings) and "emb-s3cret" not in repr(described)
        assert server.requests[-1]["body"]["input"] == ["query: Qui a rencontré Shoigu ?"]


def test_chroma_server_options_and_the_token_header(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, monkeypatch, STORE_CHROMA_MODE="server", STORE_CHROMA_SSL="true",
                            STORE_CHROMA_CA_FILE="/etc/kiosque/ca.pem", STORE_CHROMA_AUTH_TOKEN="chr-s3cret",
                            STORE_CHROMA_TENANT="newsroom", STORE_CHROMA_DATABASE="archive")
    config = store_config(settings)
    assert config.chroma_headers == {"Authorization": "Bearer chr-s3cret"}
    location = config.chroma
    assert (location.url, location.tenant, location.database) == ("https://127.0.0.1:8000", "newsroom", "archive")
    assert "chr-s3cret" not in repr(config) and "chr-s3cret" not in location.describe()
    assert "chr-s3cret" not in repr(settings)
    monkeypatch.setenv("KIOSQUE_STORE_CHROMA_AUTH_HEADER", "X-Chroma-Token")
    other = load_settings(None, store__dir=tmp_path / "store")
    assert store_config(other).chroma_headers == {"X-Chroma-Token": "chr-s3cret"}


def test_the_answerer_and_the_judge_reach_the_llm_configured_once(tmp_path):
    with FakeLLM(lambda prompt: "ok") as server:
        settings = load_settings(None, store__dir=tmp_path / "store", answer__mode="generative",
                                 llm__base_url=server.base_url, llm__model="house-model", llm__api_key="sk-test",
                                 llm__temperature=0.3, llm__max_tokens=300)
        app = Kiosque(settings)
        try:
            app.answerer.llm.complete("write")
            Judge.configured(settings).llm.complete("grade")
        finally:
            app.close()
    writer, judge = server.requests
    for request in (writer, judge):
        assert request["headers"]["Authorization"] == "Bearer sk-test" and request["body"]["model"] == "house-model"
    assert (writer["body"]["temperature"], writer["body"]["max_tokens"]) == (0.3, 300)
    assert (judge["body"]["temperature"], judge["body"]["max_tokens"]) == (0.0, JUDGE_MAX_TOKENS)


def test_the_reader_reads_with_the_reading_model_unless_settings_say_not(tmp_path, cache_dir, nlp, monkeypatch):
    """The built-in embedder runs the shipped reading model; KIOSQUE_ANSWER_READING_MODEL=false (a
    machine that needs the time more than the answers) and a refusal threshold set by hand both reach it."""
    from bot.answer.reader.comprehension import ReadingModel

    def reader(**kw):
        app = Kiosque(load_settings(None, store__dir=tmp_path / "store", embed__cache_dir=cache_dir, **kw))
        app.__dict__["nlp"] = nlp  # the session's spaCy pipeline: no second load
        return app, app.reader

    app, default = reader()
    try:
        assert isinstance(default.reading, ReadingModel) and default.weights.reading is not None
    finally:
        app.close()
    app, without = reader(answer__reading_model=False)
    try:
        assert without.reading is None
    finally:
        app.close()
    app, strict = reader(answer__refusal_threshold=0.9)
    try:
        assert strict.weights.reading.refusal_threshold == 0.9 == strict.weights.refusal_threshold
    finally:
        app.close()
