"""Compare a run with an earlier one: metric deltas, and the questions that went from pass to fail
(regressions) and back (fixes). Reads only what a run wrote (summary.json, results.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from bot.errors import KiosqueError
from bot.evaluation.metrics import METRICS
from bot.evaluation.records import FORMAT_VERSION, ResultRecord, problems_of


class BaselineError(KiosqueError):
    pass


def load_run(directory: Path | str) -> tuple[dict, list[dict]]:
    """(summary, results) of an earlier `kiosque eval --out DIR`; a clear error when it is not one."""
    directory = Path(directory)
    summary_path, results_path = directory / "summary.json", directory / "results.jsonl"
    if not directory.is_dir():
        raise BaselineError(f"baseline {directory}: no such directory")
    missing = [p.name for p in (summary_path, results_path) if not p.is_file()]
    if missing:
        raise BaselineError(f"baseline {directory}: not an eval run (missing {', '.join(missing)})")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(f"baseline {summary_path}: unreadable ({exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise BaselineError(f"baseline {summary_path}: no metrics in it")
    if summary.get("format") != FORMAT_VERSION:
        raise BaselineError(f"baseline {directory}: written in results format {summary.get('format')}, this "
                            f"Kiosque reads format {FORMAT_VERSION}; run `kiosque eval` with this version to make a "
                            "new baseline")
    results = []
    for n, line in enumerate(results_path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise BaselineError(f"baseline {results_path} line {n}: not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise BaselineError(f"baseline {results_path} line {n}: not a result (a JSON object)")
        try:
            results.append(ResultRecord.model_validate(row))
        except ValidationError as exc:
            raise BaselineError(f"baseline {results_path} line {n}: not a result: "
                                + "; ".join(problems_of(exc))) from None
    return summary, results


def compare(metrics: dict, results: list[ResultRecord], base_summary: dict, base_results: list[ResultRecord]) -> dict:
    """Deltas of every metric both runs measured, and the questions whose verdict changed."""
    before = base_summary["metrics"]
    deltas = {}
    for name in METRICS:
        a, b = before.get(name), metrics.get(name)
        if a is None and b is None:
            continue
        deltas[name] = {"before": a, "after": b,
                        "delta": (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None}
    old = {r.id: r for r in base_results}
    new = {r.id: r for r in results}
    regressions = [i for i in new if i in old and old[i].passed and not new[i].passed]
    fixes = [i for i in new if i in old and not old[i].passed and new[i].passed]
    return {
        "date": base_summary.get("date"),
        "code_version": base_summary.get("code_version"),
        "deltas": deltas,
        "regressions": regressions,
        "fixes": fixes,
        "added": [i for i in new if i not in old],
        "removed": [i for i in old if i not in new],
        #: what the baseline answered, for the report's "was / now" view of changed questions
        "was": {i: {"answer": old[i].answer.text if old[i].answer else None, "failures": old[i].failures}
                for i in regressions + fixes},
    }


def is_worse(name: str, delta: float | None) -> bool:
    if not delta:
        return False
    return delta < 0 if METRICS[name].higher_is_better else delta > 0
