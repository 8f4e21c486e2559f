"""Parts built from settings (bot/wiring.py)."""

from __future__ import annotations

from bot.evaluation.judge import JUDGE_MAX_TOKENS, Judge
from bot.settings import load_settings
from bot.wiring import Kiosque
from tests.helpers.fake_llm import FakeLLM


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
