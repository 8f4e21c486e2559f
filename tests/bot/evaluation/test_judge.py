"""The LLM judge against a real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API
(tests/helpers/fake_llm.py): the prompt it sends, how verdicts are read, and what happens when the judge fails."""

from __future__ import annotations

import pytest

from bot.evaluation.evaluate import evaluate, write_run
from bot.evaluation.judge import Judge, JudgeUnavailable, parse_verdict
from bot.settings import load_settings
from tests.bot.evaluation.helpers import TEXTS, answer, cite, question
from tests.helpers.fake_llm import FakeLLM

QUOTE = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."


def judge_for(base_url: str) -> Judge:
    return Judge.configured(load_settings(None, llm__base_url=base_url, llm__model="judge-model", llm__timeout_s=5.0))


def reply(prompt: str) -> str:
    if "Reply with the word ok" in prompt:
        return "ok"
    if "Ahmadian" in prompt.split("Answer given:")[1]:
        return 'Verdict: {"faithfulness": 5, "correctness": 4, "reason": "quoted"}'
    return "I cannot grade this."


def answers(q, filters=None):
    if q == "who":
        return answer(q, f"« {QUOTE} » [1]", [cite(1, "a1", QUOTE)], retrieved=["a1"])
    if q == "trade":
        return answer(q, "Le commerce a doublé [1]", [cite(1, "a2", TEXTS["a2"])], retrieved=["a2"])
    return answer(q, "Je ne sais pas.", refused=True)


def test_judged_scores_are_added_and_labelled(tmp_path):
    qs = [question("who", facts=[["Ahmadian"]], text="who"),
          question("trade", relevant=["a2"], facts=[["2 milliards"]], text="trade"),
          question("nope", answerable=False, text="nope")]
    with FakeLLM(reply) as server:
        judge = judge_for(server.base_url)
        judge.probe()
        summary, results = evaluate(qs, answers, lambda ids: {i: TEXTS[i] for i in ids}, judge=judge,
                                    progress=False, warmup=False)
    # the probe, then the two answers that are not refusals
    prompts = ["\n".join(m["content"] for m in r["body"]["messages"]) for r in server.requests]
    assert len(prompts) == 3 and all(r["body"]["model"] == "judge-model" for r in server.requests)
    graded = prompts[1]
    assert "Question:\nwho" in graded and "Facts it should state: Ahmadian" in graded
    assert f"[1] (Title a1, 2026-01-12) {QUOTE}" in graded and '{"faithfulness": 4' in graded

    assert results[0].judge == {"faithfulness": 1.0, "correctness": 0.75, "reason": "quoted"}
    assert "error" in results[1].judge and results[2].judge is None
    assert summary["metrics"]["judge_faithfulness"] == 1.0 and summary["metrics"]["judge_correctness"] == 0.75
    assert summary["judge"] == {"model": "judge-model", "judged": 1, "errors": 1, "label": "LLM-judged"}

    write_run(tmp_path, summary, results)
    md = (tmp_path / "report.md").read_text()
    assert "| judge_correctness (LLM-judged) | 0.750 |" in md and "## LLM-judged scores" in md
    assert "LLM-judged" in (tmp_path / "report.html").read_text()


def test_an_unreachable_judge_is_refused_before_the_run():
    with FakeLLM(reply) as server:
        url = server.base_url
    with pytest.raises(JudgeUnavailable, match="'judge-model' did not answer"):
        judge_for(url).probe()


@pytest.mark.parametrize("text, expected", [
    ('{"faithfulness": 1, "correctness": 5}', {"faithfulness": 0.0, "correctness": 1.0, "reason": ""}),
    ('```json\n{"faithfulness": 3, "correctness": 3, "reason": "meh"}\n```',
     {"faithfulness": 0.5, "correctness": 0.5, "reason": "meh"}),
])
def test_verdicts_are_read_from_the_reply(text, expected):
    assert parse_verdict(text) == expected


@pytest.mark.parametrize("text", ["", "5/5", '{"faithfulness": 9, "correctness": 1}',
                                  '{"faithfulness": true, "correctness": 1}', '{"correctness": 1}'])
def test_unusable_verdicts_are_errors(text):
    with pytest.raises(ValueError):
        parse_verdict(text)
