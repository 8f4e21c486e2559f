"""--fail-under / --fail-over: parsing, clear errors, and the verdict."""

from __future__ import annotations

import pytest

from bot.evaluation.gate import ThresholdError, check, parse_thresholds


def test_parse_and_check():
    under = parse_thresholds(["fact_recall=0.8", "pass_rate = 0.5"], under=True)
    over = parse_thresholds(["false_refusal_rate=0.2", "latency_p95_ms=2000"], under=False)
    assert under == {"fact_recall": 0.8, "pass_rate": 0.5}
    assert over == {"false_refusal_rate": 0.2, "latency_p95_ms": 2000.0}
    metrics = {"fact_recall": 0.8, "pass_rate": 0.49, "false_refusal_rate": 0.2, "latency_p95_ms": 2500.0}
    assert check(metrics, under, over) == ["pass_rate = 0.49 < 0.5", "latency_p95_ms = 2500 > 2000"]
    assert check({"fact_recall": 0.9, "pass_rate": 1.0, "false_refusal_rate": 0.0, "latency_p95_ms": 1.0},
                 under, over) == []


def test_an_unmeasured_metric_fails_its_threshold():
    assert check({"refusal_accuracy": None}, {"refusal_accuracy": 0.5}, {}) == [
        "refusal_accuracy was not measured (no question to measure it), required ≥ 0.5"]


@pytest.mark.parametrize("items, under, message", [
    (["recall=0.8"], True, "unknown metric 'recall'"),
    (["fact_recall"], True, "expected METRIC=VALUE"),
    (["fact_recall=high"], True, "'high' is not a number"),
    (["false_refusal_rate=0.2"], True, "is better lower; use --fail-over"),
    (["fact_recall=0.8"], False, "is better higher; use --fail-under"),
])
def test_mistakes_are_named(items, under, message):
    with pytest.raises(ThresholdError, match=message):
        parse_thresholds(items, under=under)
