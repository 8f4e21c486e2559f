"""The CI gate: `--fail-under METRIC=VALUE` (a score must stay at or above VALUE) and
`--fail-over METRIC=VALUE` (a rate or latency must stay at or below VALUE)."""

from __future__ import annotations

from bot.errors import KiosqueError
from bot.evaluation.metrics import METRICS


class ThresholdError(KiosqueError):
    pass


def parse_thresholds(items: list[str] | None, *, under: bool) -> dict[str, float]:
    """``["fact_recall=0.8", ...]`` → ``{"fact_recall": 0.8}``; every mistake is reported at once."""
    option = "--fail-under" if under else "--fail-over"
    out: dict[str, float] = {}
    problems = []
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            problems.append(f"{option} {item!r}: expected METRIC=VALUE, e.g. fact_recall=0.8")
            continue
        if name not in METRICS:
            problems.append(f"{option} {item!r}: unknown metric {name!r} (known: {', '.join(METRICS)})")
            continue
        if METRICS[name].higher_is_better != under:
            better = "higher" if METRICS[name].higher_is_better else "lower"
            other = "--fail-under" if not under else "--fail-over"
            problems.append(f"{option} {item!r}: {name} is better {better}; use {other} {name}=...")
            continue
        try:
            out[name] = float(value)
        except ValueError:
            problems.append(f"{option} {item!r}: {value!r} is not a number")
    if problems:
        raise ThresholdError("; ".join(problems))
    return out


def check(metrics: dict, fail_under: dict[str, float], fail_over: dict[str, float]) -> list[str]:
    """The broken thresholds, as sentences; empty when the run passes the gate."""
    failed = []
    for name, limit in fail_under.items():
        value = metrics.get(name)
        if value is None:
            failed.append(f"{name} was not measured (no question to measure it), required ≥ {limit:g}")
        elif value < limit:
            failed.append(f"{name} = {value:.4g} < {limit:g}")
    for name, limit in fail_over.items():
        value = metrics.get(name)
        if value is None:
            failed.append(f"{name} was not measured (no question to measure it), required ≤ {limit:g}")
        elif value > limit:
            failed.append(f"{name} = {value:.4g} > {limit:g}")
    return failed
