"""Comparing two runs: deltas, pass → fail and back, and what a bad baseline directory says."""

from __future__ import annotations

import json

import pytest

from bot.evaluation.baseline import BaselineError, compare, is_worse, load_run
from bot.evaluation.evaluate import evaluate, write_run
from bot.evaluation.records import FORMAT_VERSION, ResultRecord
from tests.bot.evaluation.helpers import TEXTS, answer, cite, question

Q1 = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."
QUESTIONS = [question("who", facts=[["Ahmadian"]], text="who"),
             question("trade", relevant=["a2"], facts=[["2 milliards"]], text="trade"),
             question("nope", answerable=False, text="nope")]


def before(q, filters=None):
    if q == "who":
        return answer(q, Q1, [cite(1, "a1", Q1)], retrieved=["a1"])
    return answer(q, "Je ne sais pas.", refused=True, retrieved=["a2"])


def after(q, filters=None):
    if q == "trade":
        return answer(q, TEXTS["a2"], [cite(1, "a2", TEXTS["a2"])], retrieved=["a2"])
    return answer(q, "Je ne sais pas.", refused=True, retrieved=["a3", "a1"])


def texts(ids):
    return {i: TEXTS[i] for i in ids if i in TEXTS}


def test_deltas_regressions_and_fixes_end_to_end(tmp_path):
    s1, r1 = evaluate(QUESTIONS, before, texts, progress=False, warmup=False)
    write_run(tmp_path / "base", s1, r1)
    base = load_run(tmp_path / "base")
    extra = question("new", facts=[["x"]], text="who")
    s2, r2 = evaluate(QUESTIONS[1:] + [extra], after, texts, progress=False, warmup=False,
                      baseline=(tmp_path / "base", *base))
    diff = s2["baseline"]
    assert diff["regressions"] == [] and diff["fixes"] == ["trade"]
    assert diff["added"] == ["new"] and diff["removed"] == ["who"]
    assert diff["deltas"]["pass_rate"] == {"before": pytest.approx(2 / 3), "after": pytest.approx(2 / 3),
                                           "delta": pytest.approx(0)}
    assert diff["was"]["trade"]["failures"][0] == "refused an answerable question"

    # and the other way round: "who" goes from pass to fail
    s3, r3 = evaluate(QUESTIONS, after, texts, progress=False, warmup=False, baseline=(tmp_path / "base", *base))
    d3 = s3["baseline"]
    assert d3["regressions"] == ["who"] and d3["fixes"] == ["trade"]
    assert d3["deltas"]["hit_at_1"]["delta"] == pytest.approx(-0.5)
    assert d3["deltas"]["false_refusal_rate"]["delta"] == pytest.approx(0)
    write_run(tmp_path / "now", s3, r3)
    md = (tmp_path / "now" / "report.md").read_text()
    assert "**Pass → fail (1):**" in md and "- `who` who — now: refused an answerable question" in md
    assert "**Fail → pass (1):**" in md
    assert "| hit_at_1 | 0.500 | 1.000 | -0.500 ⚠ |" in md
    assert "Pass → fail (1)" in (tmp_path / "now" / "report.html").read_text()


def test_compare_skips_metrics_neither_run_measured():
    d = compare({"pass_rate": 1.0, "judge_correctness": None}, [ResultRecord(id="a", question="Q", passed=True)],
                {"metrics": {"pass_rate": 0.5}}, [ResultRecord(id="a", question="Q", passed=False)])
    assert "judge_correctness" not in d["deltas"] and d["fixes"] == ["a"]


def test_worse_depends_on_the_metric_direction():
    assert is_worse("fact_recall", -0.1) and not is_worse("fact_recall", 0.1)
    assert is_worse("latency_p95_ms", 10) and not is_worse("false_refusal_rate", -0.1)
    assert not is_worse("pass_rate", None)


def test_bad_baselines_are_named(tmp_path):
    with pytest.raises(BaselineError, match="no such directory"):
        load_run(tmp_path / "missing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "summary.json").write_text("{}")
    with pytest.raises(BaselineError, match="missing results.jsonl"):
        load_run(tmp_path / "half")
    (tmp_path / "half" / "results.jsonl").write_text('{"id": "a", "passed": true}\n')
    with pytest.raises(BaselineError, match="no metrics"):
        load_run(tmp_path / "half")
    (tmp_path / "half" / "summary.json").write_text(json.dumps({"metrics": {}, "format": 2}))
    with pytest.raises(BaselineError, match="written in results format 2, this Kiosque reads format 3; run `kiosque "
                                            "eval` with this version to make a new baseline"):
        load_run(tmp_path / "half")  # an older run's results.jsonl has another shape: said, not misread
    (tmp_path / "half" / "summary.json").write_text(json.dumps({"metrics": {}, "format": FORMAT_VERSION}))
    good = json.dumps(ResultRecord(id="a", question="Q", passed=True).to_dict())
    (tmp_path / "half" / "results.jsonl").write_text(good + '\n{"id": "b", "question": "Q", "pased": true}\n')
    with pytest.raises(BaselineError, match="line 2: not a result: unknown key 'pased'$"):
        load_run(tmp_path / "half")
    (tmp_path / "half" / "results.jsonl").write_text(good + '\n{"id": "b", "question": "Q", "latency_ms": "fast"}\n')
    with pytest.raises(BaselineError, match='line 2: not a result: "latency_ms" must be a number, not a string'):
        load_run(tmp_path / "half")
