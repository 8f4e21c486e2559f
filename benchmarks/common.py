"""What the benchmarks share: reading the data sets, describing the machine, ranking metrics,
printing a table and writing the JSON record. Data paths are always arguments."""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import os
import platform
import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/X.py` from a checkout
    sys.path.insert(0, str(ROOT))


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_piaf(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """(paragraphs, dev questions) of PIAF: ``{context_id, title, text}`` and ``{question, context_id, ...}``."""
    data_dir = Path(data_dir)
    return read_jsonl(data_dir / "contexts.jsonl"), read_jsonl(data_dir / "questions.dev.jsonl")


def first_lines(source: Path, n: int, target: Path) -> Path:
    """The first ``n`` records of a (gzipped) JSONL file written to ``target`` (gzipped if its name
    says so), once: an existing target is reused. Written aside, then renamed: never half a file."""
    target = Path(target)
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        opener = gzip.open if target.name.endswith(".gz") else open
        with gzip.open(source, "rt", encoding="utf-8") as src, opener(tmp, "wt", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i >= n:
                    break
                dst.write(line)
        tmp.rename(target)
    return target


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, in MB."""
    status = Path("/proc/self/status").read_text()
    now = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return now, peak


def distinct_articles(chunk_ids: Iterable[str], article_of: dict[str, str], k: int = 10) -> list[str]:
    """The first ``k`` distinct articles of a chunk ranking (an article ranks as its best chunk)."""
    out: list[str] = []
    for cid in chunk_ids:
        aid = article_of.get(cid)
        if aid and aid not in out:
            out.append(aid)
            if len(out) == k:
                break
    return out


def machine() -> dict:
    """The facts a reader needs to compare figures between machines."""
    import torch

    from index.embedders.hardware import cpu_bf16_support, cpu_flags

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = cpu_flags()
    return {
        "cpu": model, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "cpu_bf16": cpu_bf16_support() or "none", "amx": "amx_bf16" in flags,
        "avx512_vnni": "avx512_vnni" in flags, "python": platform.python_version(), "torch": torch.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def record(name: str, results: dict, out: Path | None) -> Path:
    """Write the JSON record (command line, date, machine, results) and return its path."""
    out = Path(out) if out else ROOT / "runs" / "benchmarks" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": name, "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": _dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(), **results,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return out


def table(rows: Sequence[dict], columns: Sequence[str], title: str = "") -> str:
    """A plain Markdown table (pastes into docs/benchmarks.md as is)."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
        return "–" if v is None else str(v)

    lines = [f"### {title}"] if title else []
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def ranks_of_gold(rankings: Iterable[Sequence[str]], golds: Iterable[str]) -> np.ndarray:
    """0-based rank of each gold id in its ranking; a large number when absent."""
    out = []
    for ranking, gold in zip(rankings, golds):
        try:
            out.append(list(ranking).index(gold))
        except ValueError:
            out.append(10**9)
    return np.asarray(out)


def hit_metrics(ranks: np.ndarray) -> dict:
    """hit@1/5/10 and MRR@10, in percent."""
    ranks = np.asarray(ranks)
    mrr = np.where(ranks < 10, 1.0 / (ranks + 1), 0.0)
    return {
        "n": int(ranks.size), "hit@1": 100 * float((ranks < 1).mean()), "hit@5": 100 * float((ranks < 5).mean()),
        "hit@10": 100 * float((ranks < 10).mean()), "mrr@10": 100 * float(mrr.mean()),
    }


def timed_searches(retriever, texts: Sequence[str], k: int = 10) -> tuple[list[float], list[list[str]], dict]:
    """Each text searched once, timed: (latencies in ms, the ranked article ids of each, the p50 of
    each stage the retriever reports: query embedding, BM25 over chunks and articles, Chroma)."""
    latencies, rankings = [], []
    parts = {"embed_query_ms": [], "keyword_ms": [], "article_keyword_ms": [], "dense_ms": []}
    for text in texts:
        t = time.perf_counter()
        result = retriever.search(text, k=k)
        latencies.append((time.perf_counter() - t) * 1e3)
        rankings.append(result.article_ids)
        for key in parts:
            parts[key].append(result.timings_ms.get(key, 0.0))
    return latencies, rankings, {f"{key}_p50": median(v) for key, v in parts.items()}


def median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=float))) if len(values) else float("nan")


# -- PIAF questions for the reader ----------------------------------------------------------------
def piaf_halves(questions: list[dict]) -> tuple[list[dict], list[dict]]:
    """(tune, held-out): questions grouped by paragraph, the first half of the paragraphs (in the
    file's order) for fitting and choosing, the second half never looked at while tuning."""
    order = list(dict.fromkeys(q["context_id"] for q in questions))
    tune = set(order[: len(order) // 2])
    return [q for q in questions if q["context_id"] in tune], [q for q in questions if q["context_id"] not in tune]


_ARTICLES = {"le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "the", "a", "an"}


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation, French articles included: lowercase, no punctuation, no articles."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text.lower()).replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"\b(l|d|qu|j|n|s|c)'", " ", text)
    return [w for w in text.replace("'", " ").split() if w not in _ARTICLES]


def span_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 of a predicted span against one gold span."""
    from collections import Counter

    p, g = answer_tokens(prediction), answer_tokens(gold)
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Does ``text`` contain one of the gold spans (case, accents and spacing aside)?"""
    from index.keyword import fold

    norm = lambda s: " ".join(fold(s).replace("’", "'").split())  # noqa: E731
    t = norm(text)
    return any(norm(a) in t for a in answers if a.strip())
