"""Benchmark — the reader on PIAF's held-out questions, through the real answer(), side by side with
two baselines on the same retrieval and the same stores:

- "overlap": the top passage's sentence that shares most words with the question (never refuses);
- "before": the answerer of an earlier checkout (``--before DIR``, e.g. a ``git worktree`` of the
  commit before the reader), run by benchmarks/answers_of.py exactly as this checkout's is.

    .venv/bin/python benchmarks/reader.py ../shared/data/piaf --store runs/piaf-store --before ../kiosque-before

Answerable: the 1,518 paragraphs indexed. Unanswerable: each question asked over a store without
its own paragraph (the held-out paragraphs in ``--groups`` groups, one store per group without
that group's paragraphs: a real removal, not a filter). Figures: the answer contains a gold span;
refusals; the gold paragraph cited; SQuAD token F1 / exact match of the bold answer span; median
answer length; warm answer() latency; the same figures for each kind of question (person, date, list…,
as the reader's question analysis reads it). Also the refusal curve of the reader as its threshold moves
(refusals of the unanswerable against false refusals), drawn to ``--plot``.

``--half tune`` runs the same measurement on the tune half (its own stores without its paragraphs):
the half a change to the reader is chosen on; the held-out half only reports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from common import ROOT, contains_answer, load_piaf, median, piaf_halves, record, span_f1, table


def question_kind(question: str) -> str:
    """The reader's own reading of the question: its answer type, or "list"."""
    from bot.answer.reader.question import analyse

    q = analyse(question)
    return "list" if q.is_list else q.answer_type


def by_kind(questions: list[dict], answered: list[dict], unanswerable: list[dict]) -> dict[str, dict]:
    """The same figures for each kind of question: where the reader is weak, so where to work next."""
    kinds = {q["id"]: question_kind(q["question"]) for q in questions}
    out = {}
    for kind, _ in Counter(kinds.values()).most_common():  # the commonest kind first
        asked = [q for q in questions if kinds[q["id"]] == kind]
        ids = {q["id"] for q in asked}
        out[kind] = metrics(asked, [a for a in answered if a["id"] in ids], [a for a in unanswerable if a["id"] in ids])
    return out


def overlap_baseline(app, questions: list[dict]) -> list[dict]:
    """The top passage's sentence with the most question words."""
    from index.sentences import split_sentences

    analyzer = app.store.analyzer
    out = []
    for q in questions:
        result = app.retriever.search(q["question"], k=5)
        text, cited = "", None
        if result.sources and result.sources[0].passages:
            s, p = result.sources[0], result.sources[0].passages[0]
            q_terms = set(analyzer.terms(q["question"]))
            spans = split_sentences(s.article.text, p.start, p.end)
            a, b = max(spans, key=lambda ab: len(q_terms & set(analyzer.terms(s.article.text[ab[0]:ab[1]]))))
            text, cited = s.article.text[a:b], s.article.id
        out.append({"id": q["id"], "text": text, "refused": not text,
                    "citations": [{"article_id": cited, "quote": text, "answer_span": None}] if cited else []})
    return out


def open_store(store: Path):
    """A Kiosque over an existing store (nothing ingested, nothing removed)."""
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    return Kiosque(load_settings(None, store__dir=store))


def run_code(code: Path, store: Path, questions: list[dict], work: Path, tag: str, settings: tuple[str, ...] = ()
             ) -> list[dict]:
    qfile, out = work / f"{tag}-questions.jsonl", work / f"{tag}-answers.jsonl"
    qfile.write_text("".join(json.dumps({"id": q["id"], "question": q["question"]}, ensure_ascii=False) + "\n"
                             for q in questions), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "answers_of.py"), "--code", str(code), "--store", str(store),
                    "--questions", str(qfile), "--out", str(out), *[f"--set={s}" for s in settings]], check=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def keep_answers(folder: Path, system: str, runs: dict[str, list[dict]]) -> None:
    """One JSONL per store ("all", or the store without group N's paragraphs) of a system's answers,
    named by the system's ``--systems`` flag ("never-refusing-all.jsonl")."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, run in runs.items():
        path = folder / f"{system}-{key}.jsonl"
        path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in run), encoding="utf-8")


def metrics(questions: list[dict], answered: list[dict], unanswerable: list[dict]) -> dict:
    by_id = {a["id"]: a for a in answered}
    contains, refused, cited, f1, em, lengths, ms = [], [], [], [], [], [], []
    for q in questions:
        a = by_id[q["id"]]
        refused.append(a["refused"])
        contains.append(not a["refused"] and contains_answer(a["text"], q["answers"]))
        cited.append(any(c["article_id"] == q["context_id"] for c in a["citations"]))
        spans = [c["answer_span"] for c in a["citations"] if c.get("answer_span")]
        if spans or not a["refused"]:
            best = max((span_f1(spans[0], g) for g in q["answers"]), default=0.0) if spans else 0.0
        else:
            best = 0.0
        f1.append(best)
        em.append(bool(spans) and any(span_f1(spans[0], g) == 1.0 for g in q["answers"]))
        if not a["refused"]:
            lengths.append(len(a["text"]))
        if "ms" in a:
            ms.append(a["ms"])
    refused_unanswerable = [a["refused"] for a in unanswerable]
    return {
        "n": len(questions), "contains_gold": 100 * float(np.mean(contains)), "false_refusal": 100 * float(np.mean(refused)),
        "gold_paragraph_cited": 100 * float(np.mean(cited)), "span_f1": 100 * float(np.mean(f1)),
        "span_em": 100 * float(np.mean(em)), "refused_unanswerable": 100 * float(np.mean(refused_unanswerable)),
        "n_unanswerable": len(unanswerable), "median_answer_chars": median(lengths) if lengths else None,
        "answer_ms_p50": median(ms) if ms else None,
    }


def refusal_curve(answerable: list[dict], unanswerable: list[dict], questions: list[dict]) -> list[dict]:
    """False refusals and refusals of the unanswerable (and answers holding the gold span) as the
    answerability threshold moves."""
    gold = {q["id"]: q for q in questions}
    pa = np.array([a["answerable"] or 0.0 for a in answerable])
    pu = np.array([a["answerable"] or 0.0 for a in unanswerable])
    right = np.array([contains_answer(a["text"], gold[a["id"]]["answers"]) for a in answerable])
    out = []
    for t in np.linspace(0, 1, 101):
        out.append({"threshold": round(float(t), 2), "false_refusal": 100 * float(np.mean(pa < t)),
                    "refused_unanswerable": 100 * float(np.mean(pu < t)),
                    "contains_gold": 100 * float(np.mean(right & (pa >= t)))})
    return out


def plot(curve: list[dict], default: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fr = [p["false_refusal"] for p in curve]
    ru = [p["refused_unanswerable"] for p in curve]
    cg = [p["contains_gold"] for p in curve]
    d = min(curve, key=lambda p: abs(p["threshold"] - default))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.plot(fr, ru, label="refusals of unanswerable questions")
    ax.plot(fr, cg, label="answers holding the gold span", linestyle="--")
    ax.scatter([d["false_refusal"]], [d["refused_unanswerable"]], color="red", zorder=3,
               label=f"default threshold {default:.2f}")
    ax.axvline(10, color="grey", linewidth=0.6)
    ax.axhline(80, color="grey", linewidth=0.6)
    ax.set_xlabel("false refusals of answerable questions (%)")
    ax.set_ylabel("%")
    ax.set_title("Reader on PIAF held-out: refusing as the threshold moves")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("piaf_dir", type=Path)
    ap.add_argument("--store", type=Path, required=True, help="the PIAF store (built if missing, then reused)")
    ap.add_argument("--before", type=Path, default=None, help="an earlier checkout to compare with (optional)")
    ap.add_argument("--groups", type=int, default=4, help="stores without the held-out paragraphs of one group each")
    ap.add_argument("--questions", type=int, default=0, help="only the first N questions of the half (0 = all)")
    ap.add_argument("--half", choices=("held-out", "tune"), default="held-out",
                    help="the half asked: held-out (to report) or tune (to choose a change on)")
    ap.add_argument("--systems", default="overlap,before,reader,never-refusing",
                    help="which rows to run (comma-separated; before needs --before)")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "reader-refusal-curve.png")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--answers", type=Path, default=None,
                    help="also keep every system's answers here, one JSONL per system and store (to read the misses)")
    args = ap.parse_args()

    from piaf import build, stores_without

    paragraphs, questions = load_piaf(args.piaf_dir)
    tune, held = piaf_halves(questions)
    if args.half == "tune":
        held = tune
    wanted = set(args.systems.split(","))
    if args.questions:
        held = held[: args.questions]
    held_paragraphs = list(dict.fromkeys(q["context_id"] for q in held))

    app, _, _ = build(args.store, paragraphs, {})
    group_of, without = stores_without(args.store, paragraphs, held, args.groups, "-tune" if args.half == "tune" else "")
    stores = {"all": args.store, **without}
    systems = {"overlap": None, "before": args.before, "reader": ROOT, "reader, never refusing": ROOT}
    flag = {"overlap": "overlap", "before": "before", "reader": "reader", "reader, never refusing": "never-refusing"}
    systems = {name: code for name, code in systems.items()
               if flag[name] in wanted and (code is not None or name == "overlap")}

    results, answers, kinds = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="kiosque-reader-") as tmp:
        work = Path(tmp)
        for name, code in systems.items():
            runs = {}
            for key, store in stores.items():
                asked = held if key == "all" else [q for q in held if group_of[q["context_id"]] == key]
                if code is None:
                    runs[key] = overlap_baseline(app if key == "all" else open_store(store), asked)
                elif name == "reader, never refusing":
                    # every answer's answerability and text, for the curve as the threshold moves
                    runs[key] = run_code(code, store, asked, work, "never-refusing-" + str(key),
                                         ("answer__refusal_threshold=0",))
                else:
                    runs[key] = run_code(code, store, asked, work, f"{name}-{key}")
            unanswerable = [a for key, run in runs.items() if key != "all" for a in run]
            results[name] = metrics(held, runs["all"], unanswerable)
            kinds[name] = by_kind(held, runs["all"], unanswerable)
            answers[name] = (runs["all"], unanswerable)
            print(f"{name}: {json.dumps(results[name])}", flush=True)
            if args.answers:
                keep_answers(args.answers, flag[name], runs)
    app.close()

    from bot.answer.reader.weights import default_weights

    weights = default_weights()  # PIAF's questions and sentences are French: read by the reading model where it ships
    default = weights.reading.refusal_threshold if weights.reading else weights.refusal_threshold
    curve = []
    if "reader, never refusing" in answers:
        curve = refusal_curve(*answers["reader, never refusing"], held)
        plot(curve, default, args.plot)
    rows = [{"system": k, **v} for k, v in results.items()]
    cols = ["system", "n", "contains_gold", "false_refusal", "refused_unanswerable", "gold_paragraph_cited", "span_f1",
            "span_em", "median_answer_chars", "answer_ms_p50"]
    print()
    print(table(rows, cols, f"PIAF {args.half}: {len(held)} questions ({len(held_paragraphs)} paragraphs), "
                            f"unanswerable = the same questions over stores without their paragraph"))
    for name, per_kind in kinds.items():
        if name != "overlap":
            print()
            print(table([{"kind": k, **v} for k, v in per_kind.items()], ["kind", *cols[1:-1]],
                        f"{name}, by the kind of question (the reader's own question analysis)"))
    path = record("reader", {"half": args.half, "questions": len(held), "groups": args.groups, "results": results,
                             "by_kind": kinds,
                             "default_threshold": default, "curve": curve, "plot": str(args.plot)}, args.out)
    print(f"wrote {path}" + (f" and {args.plot}" if curve else ""))


if __name__ == "__main__":
    main()
